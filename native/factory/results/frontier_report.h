// The memory frontier section of models/REPORT.md and its plot, from the
// JSON of `tm2-factory frontier` runs (frontier.h): per task, the metric
// with its interval against flash (weight bytes) and against planned RAM,
// the Pareto front, the float model and the shipped model.
//
//   std::ofstream("models/images/memory-frontier.svg") << FrontierSvg(runs);
//   UpdateReport("models/REPORT.md", FrontierMarkdown(runs, "images/memory-frontier.svg"), "frontier");
#ifndef TM2_FACTORY_RESULTS_FRONTIER_REPORT_H_
#define TM2_FACTORY_RESULTS_FRONTIER_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tm2 {
namespace factory {

std::string FrontierSvg(const std::vector<nlohmann::json>& runs);
std::string FrontierMarkdown(const std::vector<nlohmann::json>& runs, const std::string& plot);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RESULTS_FRONTIER_REPORT_H_
