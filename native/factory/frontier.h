// The accuracy-versus-memory frontier of a recipe (models/REPORT.md,
// "Memory frontier"): its float student, trained once by `tm2-factory
// train` (<run>/float.best.pt), quantized under a grid of flash and RAM
// budgets by the bit allocation (quant/allocate.h), each point measured by
// the factory's integer simulation on the reported (validation) split with
// a 95 % group bootstrap interval. No QAT and no retraining per point: the
// points are post-training quantizations of one float model, so they sit a
// little below what `train` (which fine-tunes) reaches at the same budget.
//
//   FrontierOptions fo; fo.data_path = ...; fo.run_dir = "build/factory-runs/kws";
//   nlohmann::json j = RunFrontier(LoadRecipe("models/recipes/kws-dscnn.json"), fo);
#ifndef TM2_FACTORY_FRONTIER_H_
#define TM2_FACTORY_FRONTIER_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "recipe/recipe.h"

namespace tm2 {
namespace factory {

struct FrontierOptions {
  std::string data_path, run_dir, cache_dir;  // cache "" = <run_dir>/../feature-cache
  // Flash budgets as fractions of the W8A8 weight bytes (the least
  // reachable is always added); RAM levels evenly from the least reachable
  // to the all-8-bit plan (equal ones merged).
  std::vector<double> flash_fractions = {0.55, 0.6, 0.7, 0.8, 0.9, 1.0};
  int ram_levels = 3;
  int bootstrap = 1000;
  // The shipped model and its results.json, placed on the plot ("" = none).
  std::string shipped_model, shipped_results;
  bool quiet = false;
};

// {"name", "metric", "split", "points": [{flash_budget, ram_budget, weight_bytes,
//  planned_ram_bytes, value, ci95, weight_bits, act_bits}], "float": {...}, "shipped": {...}}
nlohmann::json RunFrontier(const Recipe& recipe, const FrontierOptions& options);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_FRONTIER_H_
