// Rows of the results table from a model's scores on the reported split:
// the metric with a 95 % percentile bootstrap interval that resamples
// groups (a participant's or speaker's items move together), accuracy,
// calibration error, confusion, gate pass rates and per-source parts.
//
//   ResultRow row = MakeRow("student W8A8", "auc", logits, eval_set, by_group, 1000, seed);
//   nlohmann::json j = RowJson(row, /*with_predictions=*/true);
#ifndef TM2_FACTORY_RESULTS_ROWS_H_
#define TM2_FACTORY_RESULTS_ROWS_H_

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "factory.h"
#include "train/trainer.h"

namespace tm2 {
namespace factory {

// Scores [N, C] (logits) on `set`'s items. by_group: each group is scored
// once by its items' mean probability (its label is its first item's).
ResultRow MakeRow(const std::string& name, const std::string& metric, const torch::Tensor& scores,
                  const TensorSet& set, bool by_group, int bootstrap, uint64_t seed);

// The same measures from predictions already made (pooled folds).
ResultRow RowFromPredictions(const std::string& name, const std::string& metric,
                             const std::vector<ResultRow::Prediction>& predictions, int bootstrap,
                             uint64_t seed);

nlohmann::json RowJson(const ResultRow& row, bool with_predictions);
std::string RowMarkdown(const ResultRow& row);

// The results.json of a run: counts, timings and every row.
nlohmann::json ResultsJson(const Recipe& recipe, const FactoryResult& result, const std::string& data_path,
                           bool with_predictions);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RESULTS_ROWS_H_
