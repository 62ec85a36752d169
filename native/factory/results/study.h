// A study: several cross-validated recipes on the same groups (the recipes
// name it in metadata.study), e.g. each branch alone and the branches fused.
// The table puts each recipe's rows side by side, adds late fusion (the mean
// of the one-branch models' probabilities per group) and the paired
// difference of every recipe against the one with the most branches, with
// 95 % intervals from one bootstrap over groups shared by both.
#ifndef TM2_FACTORY_RESULTS_STUDY_H_
#define TM2_FACTORY_RESULTS_STUDY_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tm2 {
namespace factory {

// `results`: the results.json of each recipe of one study (with
// predictions). Throws std::runtime_error when the recipes do not share
// their groups or carry no predictions.
std::string StudyMarkdown(const std::string& study, const std::vector<nlohmann::json>& results,
                          int resamples = 2000, uint64_t seed = 1);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RESULTS_STUDY_H_
