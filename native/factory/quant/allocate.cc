#include "quant/allocate.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "ilp/budget.h"
#include "ilp/ram_plan.h"
#include "quant/calibrate.h"
#include "quant/sensitivity.h"

namespace tm2 {
namespace factory {

namespace {

// Mean loss on every step-th item (a spread of labels and sources).
double Loss(TinyNet& net, const TensorSet& s, int64_t step) {
  torch::NoGradGuard ng;
  const auto idx = torch::arange(0, s.size(), step, torch::kLong);
  std::vector<torch::Tensor> x;
  for (const auto& t : s.x) x.push_back(t.index_select(0, idx));
  return torch::cross_entropy_loss(net->forward(x), s.y.index_select(0, idx)).item<double>();
}

}  // namespace

MemoryAllocation AllocateBits(TinyNet& qnet, const TensorSet& train, const std::vector<Normalisation>& norm,
                              const QuantConfig& q, const BitBudgets& budgets, const ModelStats& stats,
                              uint64_t seed, bool quiet, const std::vector<double>* given) {
  MemoryAllocation out;
  auto weighted = qnet->WeightedLayers();
  const int n = static_cast<int>(weighted.size());
  if (budgets.flash >= 0) {
    std::vector<double> se(n, 0.0);
    const auto traces = given ? *given : HessianTraces(qnet, train, q.hutchinson_samples, seed, &se);
    out.costs = LayerCosts(qnet, traces, stats, q.pin_first_last);
    if (!quiet && !given) {
      std::printf("Hessian trace / parameter (+- standard error over %d probes):", q.hutchinson_samples);
      for (size_t i = 0; i < traces.size(); ++i) std::printf(" %.3g+-%.2g", traces[i], se[i]);
      std::printf("\n");
    }
  } else {
    out.costs = LayerCosts(qnet, std::vector<double>(n, 0.0), stats, false);
    for (auto& c : out.costs) c.pinned8 = true;  // no flash budget: weights keep the recipe's bits
  }
  std::vector<RamModel> layouts{RamModel()};
  ModelSpec spec;
  if (budgets.ram >= 0) {
    // Activation sensitivity: the measured rise of the training loss (about
    // 256 items spread over the set) with one layer's output at 4 bits,
    // doubled to match the weights' tr(H) ||dW||^2 (twice the second-order
    // loss rise).
    CalibrateObservers(qnet, train);
    qnet->eval();
    const int64_t step = std::max<int64_t>(1, train.size() / 256);
    const double base = Loss(qnet, train, step);
    for (int i = 0; i < n; ++i) {
      LayerCost& c = out.costs[i];
      c.act_pinned8 = i + 1 == n;  // the logits stay 8-bit
      if (c.act_pinned8) continue;
      const int was = weighted[i]->act_bits;
      weighted[i]->act_bits = 4;
      // A tie (no measurable loss) still prefers 8 bits: 4 only when a budget needs it.
      c.act_sens4 = 2 * std::max(0.0, Loss(qnet, train, step) - base) + 1e-9;
      weighted[i]->act_bits = was;
    }
    spec = BuildModelSpec(qnet, norm);
    qnet->EnableFakeQuant(false);
    layouts = BuildRamModels(spec);
  }
  // Solved per layout and checked with the engine's planner (ram_plan.h).
  out.bits = AllocateWithinPlan(out.costs, spec, layouts, budgets, &out.planned_ram, &out.tightenings);
  for (int i = 0; i < n; ++i) {
    if (budgets.flash >= 0) weighted[i]->weight_bits = out.bits.bits[i];
    if (budgets.ram >= 0) weighted[i]->act_bits = out.bits.act_bits[i];
  }
  if (!quiet)
    std::printf("bit allocation (flash %lld, RAM %lld bytes; planned RAM %lld after %d tightenings):\n%s",
                static_cast<long long>(budgets.flash), static_cast<long long>(budgets.ram),
                static_cast<long long>(out.planned_ram), out.tightenings, FormatAllocation(out.costs, out.bits).c_str());
  return out;
}

}  // namespace factory
}  // namespace tm2
