// The results report: Markdown tables in the seed paper's shape (rows float
// teacher, float student, W8A8, mixed 4/8, W4A4, with/without distillation,
// baselines; columns metric with 95 % CI, per source, weight KB, arena KB,
// time) from the results.json files that `tm2-factory train` writes.
#ifndef TM2_FACTORY_REPORT_H_
#define TM2_FACTORY_REPORT_H_

#include <string>
#include <vector>

namespace tm2 {
namespace factory {

// Markdown for the given results.json files (one section each).
std::string ResultsMarkdown(const std::vector<std::string>& results_json);

// Replaces the text between "<!-- KEY:begin -->" and "<!-- KEY:end -->"
// (KEY = `section`) in `report_md` with `tables` (appends the markers and
// tables when the file or the markers do not exist yet).
void UpdateReport(const std::string& report_md, const std::string& tables,
                  const std::string& section = "tables");

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_REPORT_H_
