#include "results/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

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
  if (prob.empty()) return c;
  std::vector<double> conf(prob.size());
  std::vector<int> bin(prob.size());
  for (size_t i = 0; i < prob.size(); ++i) {
    conf[i] = *std::max_element(prob[i].begin(), prob[i].end());
    bin[i] = std::min(bins - 1, static_cast<int>(conf[i] * bins));
  }
  std::mt19937_64 rng(20071);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<double> draws(1000);
  std::vector<double> hit(bins), sum(bins);
  for (double& e : draws) {
    std::fill(hit.begin(), hit.end(), 0.0);
    std::fill(sum.begin(), sum.end(), 0.0);
    for (size_t i = 0; i < conf.size(); ++i) {
      sum[bin[i]] += conf[i];
      hit[bin[i]] += unit(rng) < conf[i];
    }
    e = 0;
    for (int k = 0; k < bins; ++k) e += std::abs(hit[k] - sum[k]) / conf.size();
  }
  std::sort(draws.begin(), draws.end());
  for (double e : draws) c.calibrated_mean += e / draws.size();
  c.calibrated_lo = draws[static_cast<size_t>(0.025 * (draws.size() - 1))];
  c.calibrated_hi = draws[static_cast<size_t>(0.975 * (draws.size() - 1))];
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
  char tail[192];
  std::snprintf(tail, sizeof(tail),
                "\nECE (%d bins): %.3f; a perfectly calibrated model with these confidences: %.3f [%.3f, %.3f]\n", nb,
                c.ece, c.calibrated_mean, c.calibrated_lo, c.calibrated_hi);
  return s + tail;
}

}  // namespace factory
}  // namespace tm2
