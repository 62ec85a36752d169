// The pack's per-layer choice (step 3 in pack_factory.h, YONO's choice of
// which layers to code): per model and weighted layer, int8 (not codable),
// coded with the shared codebook, or kept uncoded at `keep_bits`.
//
//   std::vector<ChoiceModel> models = ...;   // BN-folded W8A8 nets, train data, float bytes
//   auto plans = ChooseLayers(models, recipe, centroids, dim, k, codebook_bytes, quiet);
//   if (plans[0].state[i] == kLayerCoded) ...
//
// The budget: with `min_compression` > 0, the weights charged to this
// choice stay within sum(float32 bytes of its models) / min_compression.
// What is charged: every model's codes and uncoded weights, plus
// `codebook_bytes`: the codebook's size when these models carry it (the
// pack that learns it), 0 when they reuse a codebook another file already
// carries (models compressed with an existing pack's codebook are charged
// only their own bytes).
#ifndef TM2_FACTORY_PACK_LAYER_CHOICE_H_
#define TM2_FACTORY_PACK_LAYER_CHOICE_H_

#include <string>
#include <vector>

#include "pack/pack_factory.h"
#include "train/trainer.h"

namespace tm2 {
namespace factory {

enum LayerState { kLayerInt8 = 0, kLayerCoded = 1, kLayerKept = 2 };

struct ChoiceModel {
  TinyNet net{nullptr};              // BN folded, W8A8: the model before coding
  const TensorSet* train = nullptr;  // Hessian-trace probes (recipe.sensitivity_samples > 0)
  uint64_t seed = 0;
  long long float_bytes = 0;         // parameters x 4
  std::vector<std::string> keep;     // layer names kept uncoded regardless
};

struct LayerPlan {
  std::vector<int> state;     // LayerState per weighted layer (WeightedLayers() order)
  std::vector<double> share;  // sensitivity share of a codable layer when coded
};

// A layer the codebook may code: >= min_weights weights, file rows >= dim long.
bool Codable(const NetLayer& l, const PackRecipe& p, int dim);

// `centroids`: k x dim (float64) int8 centroid values. `total_bytes`
// (optional) gets the bytes charged (codebook_bytes + codes + uncoded).
std::vector<LayerPlan> ChooseLayers(std::vector<ChoiceModel>& models, const PackRecipe& p,
                                    const torch::Tensor& centroids, int dim, int k, long long codebook_bytes,
                                    bool quiet, long long* total_bytes = nullptr);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_PACK_LAYER_CHOICE_H_
