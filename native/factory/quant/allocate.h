// Chooses each weighted layer's weight and output bit widths (4 or 8) under
// a flash (weight bytes) and a RAM (planned arena) budget, and sets them on
// the net: Hessian sensitivities for weights, measured loss increases for
// activations, the engine's planner for RAM (ilp/ram_plan.h), GLPK for the
// choice (ilp/bit_allocation.h). An infeasible budget throws a message that
// gives the least RAM and flash any allocation reaches.
//
//   BitBudgets b; b.ram = 32 * 1024; b.flash = 16 * 1024;
//   MemoryAllocation m = AllocateBits(qnet, d.train, d.norm, r.quant, b, stats, seed, quiet);
#ifndef TM2_FACTORY_QUANT_ALLOCATE_H_
#define TM2_FACTORY_QUANT_ALLOCATE_H_

#include <string>
#include <vector>

#include "ilp/bit_allocation.h"
#include "ilp/budget.h"
#include "quant/export.h"
#include "recipe/model_stats.h"
#include "train/trainer.h"

namespace tm2 {
namespace factory {

struct MemoryAllocation {
  std::vector<LayerCost> costs;
  BitAllocation bits;
  int64_t planned_ram = 0;  // the engine's plan of the chosen bits (ram_plan.h)
  int tightenings = 0;      // re-solves after the planner needed more than the ILP's bound
};

// `qnet` folded, fake quantization off. Budgets < 0 are absent; with no
// flash budget the weights stay as they are, with no RAM budget the outputs.
// `traces` (optional): HessianTraces already computed for this net.
MemoryAllocation AllocateBits(TinyNet& qnet, const TensorSet& train, const std::vector<Normalisation>& norm,
                              const QuantConfig& q, const BitBudgets& budgets, const ModelStats& stats,
                              uint64_t seed, bool quiet, const std::vector<double>* traces = nullptr);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_QUANT_ALLOCATE_H_
