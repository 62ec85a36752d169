// HAWQ-style layer sensitivity: the Hutchinson estimate of each weighted
// layer's Hessian trace, tr(H) ~ mean over Rademacher v of v^T H v (Hv by
// double backward), times the quantization perturbation.
//   sens_b(l) = tr(H_l) / n_l * ||W_l - Q_b(W_l)||^2     (HAWQ-V2/V3)
// The ILP's objective uses sens4 - sens8 per layer.
#ifndef TM2_FACTORY_QUANT_SENSITIVITY_H_
#define TM2_FACTORY_QUANT_SENSITIVITY_H_

#include <vector>

#include "ilp/bit_allocation.h"
#include "recipe/model_stats.h"
#include "train/trainer.h"

namespace tm2 {
namespace factory {

// Mean Hessian trace per weighted layer (tr / n), in WeightedLayers() order,
// from `samples` probes on mini-batches of 64; `std_error` (optional) gets
// each estimate's standard error over the probes.
std::vector<double> HessianTraces(TinyNet& net, const TensorSet& data, int samples, uint64_t seed,
                                  std::vector<double>* std_error = nullptr);

// Costs for the bit-allocation ILP; first/last weighted layers pinned to 8
// bits when the recipe says so.
std::vector<LayerCost> LayerCosts(TinyNet& net, const std::vector<double>& traces,
                                  const ModelStats& stats, bool pin_first_last);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_QUANT_SENSITIVITY_H_
