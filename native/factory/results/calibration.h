// Calibration of top-label probabilities: expected calibration error over
// equal-width confidence bins (Guo et al. 2017) and the reliability diagram
// as a Markdown table.
#ifndef TM2_FACTORY_RESULTS_CALIBRATION_H_
#define TM2_FACTORY_RESULTS_CALIBRATION_H_

#include <string>
#include <vector>

namespace tm2 {
namespace factory {

struct ReliabilityBin {
  int n = 0;
  double confidence = 0, accuracy = 0;  // means over the bin's units
};

struct Calibration {
  double ece = 0;  // sum over bins of n_b / N * |accuracy_b - confidence_b|
  std::vector<ReliabilityBin> bins;
  // Consistency band (Broecker and Smith 2007): the ECE a perfectly
  // calibrated model with the same confidences shows on this many units,
  // each unit's top label drawn right with probability = its confidence
  // (1000 seeded draws): mean and 95 % range. Binned ECE on a few hundred
  // units is biased upwards by this much; an ECE inside the band is no
  // evidence of miscalibration.
  double calibrated_mean = 0, calibrated_lo = 0, calibrated_hi = 0;
};

// prob: per unit the class probabilities; the top label is the first largest.
Calibration CalibrationOf(const std::vector<std::vector<double>>& prob, const std::vector<int>& label,
                          int bins = 15);
std::string ReliabilityMarkdown(const Calibration& c);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RESULTS_CALIBRATION_H_
