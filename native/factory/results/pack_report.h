// The pack section of models/REPORT.md and the pack card, from the
// pack-results.json that `tm2-factory pack` writes (pack/pack_factory.h):
// bytes against the float32, W8A8 and mixed 4/8 models, each model's
// metric against its W8A8 and mixed versions, the generalization rows, and
// the d/K sweep as an SVG scatter plot (size against mean metric change).
//
//   const nlohmann::json r = nlohmann::json::parse(std::ifstream("pack-results.json"));
//   UpdateReport("models/REPORT.md", PackMarkdown(r, "images/pack-sweep.svg"), "pack");
//   std::ofstream("models/images/pack-sweep.svg") << PackSweepSvg(r);
#ifndef TM2_FACTORY_RESULTS_PACK_REPORT_H_
#define TM2_FACTORY_RESULTS_PACK_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>

namespace tm2 {
namespace factory {

// `plot` is the SVG's path relative to the Markdown file ("" = none).
std::string PackMarkdown(const nlohmann::json& results, const std::string& plot);
std::string PackSweepSvg(const nlohmann::json& results);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RESULTS_PACK_REPORT_H_
