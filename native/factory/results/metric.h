// The factory's one implementation of its metrics, without libtorch: the
// trainer's early stopping, the result rows and the study table use it.
#ifndef TM2_FACTORY_RESULTS_METRIC_H_
#define TM2_FACTORY_RESULTS_METRIC_H_

#include <string>
#include <vector>

namespace tm2 {
namespace factory {

// accuracy | balanced_accuracy | auc (Mann-Whitney U on P(label 1), ties
// count half) of per-unit class probabilities; the predicted class is the
// first largest probability.
double MetricOf(const std::string& metric, const std::vector<std::vector<double>>& prob,
                const std::vector<int>& label);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RESULTS_METRIC_H_
