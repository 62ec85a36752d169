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
#include "results/calibration.h"

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
  // Extra quantized variants evaluated from the same float student, each
  // exported as <name>.<variant>.tm2 and checked in the engine:
  // "w8a8", "w4a4", "mixed" (ILP 4/8 weights, 8-bit activations, budget =
  // mixed_budget_fraction x the W8A8 weight bytes). The recipe's own quant
  // config is always the shipped model <name>.tm2.
  std::vector<std::string> variants;
  double mixed_budget_fraction = 0.7;
  // Overrides the recipe's quant budgets for the shipped model when >= 0
  // (tm2-factory train --budget ram=32K,flash=16K; ilp/budget.h).
  int64_t ram_budget = -1, flash_budget = -1;
  bool compare_distill = false;  // also train the student without distillation
  int bootstrap = 1000;          // resamples for the 95 % confidence intervals
  // Cross-validation (CrossValidate): folds > 1 holds out fold `fold` as
  // the evaluation split, reported instead of validation; `repeats` runs
  // the k folds again with other fold seeds and pools every prediction.
  int folds = 0, fold = 0, repeats = 1;
  uint64_t fold_seed = 0;  // 0 = the recipe's data.split_seed
  bool keep_predictions = false;  // write each row's predictions into results.json
};

// One row of the results table: a metric on the reported split
// (validation, or the held-out folds) with a 95 % bootstrap interval over
// groups, overall and per source.
struct ResultRow {
  std::string name, metric;
  double value = 0, lo = 0, hi = 0, accuracy = 0;
  double ece = 0;  // expected calibration error, top label, 15 equal-width bins
  Calibration reliability;  // its bins (the reliability diagram)
  int n = 0, groups = 0;  // scored units, and the groups they come from
  long long weight_bytes = 0, arena_bytes = 0;  // arena 0 = not run by the engine (float)
  double agreement = -1, seconds = 0;
  std::map<std::string, int> weight_bits;
  struct Part { double value = 0, lo = 0, hi = 0; int n = 0, positives = 0; };
  std::map<std::string, Part> per_source;
  std::vector<std::vector<int>> confusion;  // [true label][predicted label]
  // Gate use, per threshold t in {0.1, 0.2, 0.3, 0.5} and label: the share
  // of its recordings whose probability for that label reaches t, and the
  // share of other labels' recordings that reach t for it (wrong sound accepted).
  std::map<std::string, std::vector<double>> pass_rate, false_pass_rate;
  // Each scored unit (an item, or a group with data.score_by "group").
  struct Prediction {
    std::string group, source;
    int label = 0;
    std::vector<double> prob;
  };
  std::vector<Prediction> predictions;
  std::vector<double> fold_values;  // cross-validation: the metric of each repeat's pooled folds
  std::vector<double> per_fold;     // cross-validation: the metric of each held-out fold alone (first repeat)
};

struct FactoryResult {
  std::string model_path;
  int train_items = 0, validation_items = 0, evaluation_items = 0;
  int duplicates = 0, quiet_dropped = 0, other_modality = 0, incomplete_groups = 0;
  double first_loss = 0, last_loss = 0, train_seconds = 0, total_seconds = 0;
  int folds = 0, repeats = 0;  // cross-validation
  double float_metric = 0, quant_metric = 0, engine_metric = 0;
  double agreement = 0;     // engine vs factory integer model, validation predictions
  double temperature = 1;
  long long params = 0, macs = 0, weight_bytes = 0, arena_bytes = 0, file_bytes = 0;
  std::map<std::string, int> weight_bits;  // per weighted layer
  std::map<std::string, int> act_bits;     // per weighted layer's output
  // Memory of the shipped model: budgets (0 = none) and the RAM the engine
  // plans for it on a small part (ilp/ram_plan.h).
  long long ram_budget = 0, flash_budget = 0, planned_ram_bytes = 0;
  std::map<std::string, double> per_source_metric;
  std::vector<ResultRow> rows;  // teacher, baselines, float, variants (also <out>/results.json)
};

// The cheap checks of a run's arguments, made before any model work (a
// wrong --data is then the only thing a run prints): the data
// (options.data_path, else the recipe's data.path) exists, a file for the
// manifest format and a folder for the others; the variants are known and
// the mixed one's budget fraction is above 0; the distillation teachers'
// recipes exist. Throws std::runtime_error naming what is wrong; returns
// the data path. RunFactory and CrossValidate call it first.
std::string CheckRunArguments(const Recipe& recipe, const FactoryOptions& options);

FactoryResult RunFactory(const Recipe& recipe, const FactoryOptions& options);

// k-fold cross-validation by group (options.folds > 1): RunFactory once per
// fold and repeat into <out_dir>/repeat-<r>/fold-<k>, then every row pooled
// over the held-out folds (<out_dir>/results.json, with predictions). The
// result's rows are the pooled rows; sizes and bits are fold 0's.
FactoryResult CrossValidate(const Recipe& recipe, const FactoryOptions& options);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_FACTORY_H_
