// The factory pipeline behind one call, without libtorch in the interface:
// data -> features -> split -> (teacher) -> float training -> BN folding
// -> sensitivity + ILP (when a budget is set) -> QAT -> export .tm2 ->
// engine parity check -> model card.
//
//   tm2::factory::Recipe r = tm2::factory::LoadRecipe("models/recipes/kws.json");
//   tm2::factory::FactoryOptions o; o.data_path = "..."; o.out_dir = "out/kws";
//   tm2::factory::FactoryResult res = tm2::factory::RunFactory(r, o);
#ifndef TM2_FACTORY_FACTORY_H_
#define TM2_FACTORY_FACTORY_H_

#include <map>
#include <string>
#include <vector>

#include "recipe/recipe.h"

namespace tm2 {
namespace factory {

struct FactoryOptions {
  std::string data_path;   // overrides the recipe's data.path
  std::string out_dir;     // checkpoints, logs, model, card
  std::string cache_dir;   // feature cache ("" = <out_dir>/../feature-cache)
  bool resume = false, quiet = false;
  int epochs = -1;         // > 0 overrides train.epochs (quick runs, tests)
  int qat_epochs = -1;
  int max_per_label = -1;  // > 0 overrides data.max_per_label
};

struct FactoryResult {
  std::string model_path;
  int train_items = 0, validation_items = 0, duplicates = 0;
  double first_loss = 0, last_loss = 0, train_seconds = 0;
  double float_metric = 0, quant_metric = 0, engine_metric = 0;
  double agreement = 0;     // engine vs factory integer model, validation predictions
  double temperature = 1;
  long long params = 0, macs = 0, weight_bytes = 0, arena_bytes = 0, file_bytes = 0;
  std::map<std::string, int> weight_bits;  // per weighted layer
  std::map<std::string, double> per_source_metric;
};

FactoryResult RunFactory(const Recipe& recipe, const FactoryOptions& options);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_FACTORY_H_
