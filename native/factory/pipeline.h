// Steps of a factory run shared by RunFactory (factory.cc) and the pack
// factory (pack/): the splits as normalised tensors, a training run's
// settings, engine predictions from PCM.
//
//   const std::vector<Item> items = LoadItems(r, data_path, io, &counts);
//   Data d = BuildData(r, items, cache_dir);
//   Train(net, d.train, d.val, r.train, MakeRun(r, d, o, "float", epochs, r.train.lr));
#ifndef TM2_FACTORY_PIPELINE_H_
#define TM2_FACTORY_PIPELINE_H_

#include <string>
#include <vector>

#include "data/items.h"
#include "engine/engine.h"
#include "factory.h"
#include "quant/export.h"
#include "train/trainer.h"

namespace tm2 {
namespace factory {

// The splits as tensors. `report` is what the rows measure: the held-out
// fold under cross-validation, else the validation split (which always
// picks the epoch and fits the temperature).
struct Data {
  TensorSet train, val, eval;
  std::vector<Normalisation> norm;
  std::vector<torch::Tensor> gain_unit;
  std::vector<const Item*> val_items, eval_items;
  const TensorSet& report() const { return eval.size() ? eval : val; }
  const std::vector<const Item*>& report_items() const { return eval.size() ? eval_items : val_items; }
};

Data BuildData(const Recipe& r, const std::vector<Item>& items, const std::string& cache_dir);
// The recordings augment's background noise is cut from: every training
// item's, or with augment.noise_label only that label's. Throws when none.
std::vector<std::string> NoiseSourcePaths(const Recipe& r, const std::vector<const Item*>& train);
TrainRun MakeRun(const Recipe& r, const Data& d, const FactoryOptions& o, const std::string& tag,
                 int epochs, double lr);
// Engine predictions (top label) on `items`, from their PCM through the
// core's preprocessing: the whole deployed path. `engine` is an Init-ed
// engine of the model (a standalone one or a PackRunner's). `pads` (per
// branch, empty = none): branches whose recipe tiles get tiled PCM.
std::vector<int> EnginePredictWith(Engine& engine, const Model& model, const std::vector<const Item*>& items,
                                   const std::vector<PadConfig>& pads = {});
std::vector<int> EnginePredict(const std::vector<uint8_t>& bytes, const std::vector<const Item*>& items,
                               size_t* arena_bytes, const std::vector<PadConfig>& pads = {});
// Each branch's pad_mode, for the two above.
std::vector<PadConfig> PadsOf(const Recipe& r);
double NowSeconds();
// Parameters and buffers of `from` into `to` (same architecture).
void CopyState(TinyNet& from, TinyNet& to);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_PIPELINE_H_
