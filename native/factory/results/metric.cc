#include "results/metric.h"

#include <algorithm>
#include <map>

namespace tm2 {
namespace factory {

double MetricOf(const std::string& metric, const std::vector<std::vector<double>>& prob,
                const std::vector<int>& label) {
  const size_t n = label.size();
  if (n == 0) return 0;
  if (metric == "auc") {
    double wins = 0, pos = 0, neg = 0;
    for (size_t i = 0; i < n; ++i) (label[i] == 1 ? pos : neg) += 1;
    for (size_t i = 0; i < n; ++i) {
      if (label[i] != 1) continue;
      for (size_t j = 0; j < n; ++j)
        if (label[j] != 1) wins += prob[i][1] > prob[j][1] ? 1.0 : prob[i][1] == prob[j][1] ? 0.5 : 0.0;
    }
    return pos > 0 && neg > 0 ? wins / (pos * neg) : 0.5;
  }
  std::map<int, std::pair<double, double>> per_class;  // label -> (correct, count)
  double correct = 0;
  for (size_t i = 0; i < n; ++i) {
    const int pred = static_cast<int>(std::max_element(prob[i].begin(), prob[i].end()) - prob[i].begin());
    per_class[label[i]].first += pred == label[i];
    per_class[label[i]].second += 1;
    correct += pred == label[i];
  }
  if (metric != "balanced_accuracy") return correct / n;
  double sum = 0;
  for (const auto& c : per_class) sum += c.second.first / c.second.second;
  return sum / per_class.size();
}

}  // namespace factory
}  // namespace tm2
