// Two cross-validated runs on the same units, paired: each run's metric with
// its 95 % interval over groups, their difference from one bootstrap that
// draws whole groups for both runs at once, and the same per source. The
// ship decision for a recipe against another (models/REPORT.md (b10)) is read
// from it: folds give every training recording one out-of-fold prediction, far
// more units than one validation split.
//
//   const nlohmann::json a = nlohmann::json::parse(std::ifstream("cv-tile/results.json"));
//   const nlohmann::json b = nlohmann::json::parse(std::ifstream("cv-balanced/results.json"));
//   std::printf("%s", CompareMarkdown({a, "", "tile"}, {b, "", "balanced"}, 1000, 7).c_str());
#ifndef TM2_FACTORY_RESULTS_COMPARE_H_
#define TM2_FACTORY_RESULTS_COMPARE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace tm2 {
namespace factory {

struct CompareSide {
  const nlohmann::json& results;  // a results.json written by `train --folds`
  std::string row;                // row name or its start; "" = the row marked ", shipped"
  std::string label;              // how the table names this side
  double threshold = 0;           // > 0: also count units refused, P(true label) < threshold (a gate's rule)
};

// Throws std::runtime_error with a message naming the first mismatch when the
// two rows were not measured on the same units (group, source and label of
// every prediction, in order) or lack per-unit predictions.
std::string CompareMarkdown(const CompareSide& a, const CompareSide& b, int resamples, uint64_t seed);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RESULTS_COMPARE_H_
