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
};

// prob: per unit the class probabilities; the top label is the first largest.
Calibration CalibrationOf(const std::vector<std::vector<double>>& prob, const std::vector<int>& label,
                          int bins = 15);
std::string ReliabilityMarkdown(const Calibration& c);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RESULTS_CALIBRATION_H_
