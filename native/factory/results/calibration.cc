#include "results/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tm2 {
namespace factory {

Calibration CalibrationOf(const std::vector<std::vector<double>>& prob, const std::vector<int>& label, int bins) {
  Calibration c;
  c.bins.assign(bins, {});
  for (size_t i = 0; i < prob.size(); ++i) {
    const auto top = std::max_element(prob[i].begin(), prob[i].end());
    const double conf = *top;
    // Bins are [k/B, (k+1)/B); a confidence of exactly 1 joins the last.
    ReliabilityBin& b = c.bins[std::min(bins - 1, static_cast<int>(conf * bins))];
    b.n += 1;
    b.confidence += conf;
    b.accuracy += (top - prob[i].begin()) == label[i];
  }
  for (ReliabilityBin& b : c.bins) {
    if (!b.n) continue;
    c.ece += std::abs(b.accuracy - b.confidence) / prob.size();
    b.confidence /= b.n;
    b.accuracy /= b.n;
  }
  return c;
}

std::string ReliabilityMarkdown(const Calibration& c) {
  std::string s = "| confidence bin | units | mean confidence | accuracy | gap |\n|---|---|---|---|---|\n";
  const int nb = static_cast<int>(c.bins.size());
  for (int k = 0; k < nb; ++k) {
    const ReliabilityBin& b = c.bins[k];
    if (!b.n) continue;
    char line[160];
    std::snprintf(line, sizeof(line), "| %.3f-%.3f | %d | %.3f | %.3f | %+.3f |\n", static_cast<double>(k) / nb,
                  static_cast<double>(k + 1) / nb, b.n, b.confidence, b.accuracy, b.accuracy - b.confidence);
    s += line;
  }
  char tail[64];
  std::snprintf(tail, sizeof(tail), "\nECE (%d bins): %.3f\n", nb, c.ece);
  return s + tail;
}

}  // namespace factory
}  // namespace tm2
