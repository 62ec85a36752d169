// Peak RAM of a model as the engine plans it, for the bit allocation: the
// engine's planner is called (Engine::ArenaBytes with a PlanTrace), never
// re-implemented here, so a change in the planner (packed 4-bit activations,
// banding) reaches the ILP's costs without change.
//
// "RAM" is the arena on a small part: the reference kernel table (packs no
// weights, runs layers in bands, like the Cortex-M4 table), PCM at the
// model's own rate, so no resampler (docs/memory.md). Flash is weight bytes.
//
//   RamModel m = BuildRamModel(spec);              // for SolveBitAllocation
//   int64_t exact = PlannedRamBytes(WithActBits(spec, a.act_bits));
#ifndef TM2_FACTORY_ILP_RAM_PLAN_H_
#define TM2_FACTORY_ILP_RAM_PLAN_H_

#include <cstdint>
#include <vector>

#include "engine/engine.h"
#include "format/writer.h"
#include "ilp/bit_allocation.h"

namespace tm2 {
namespace factory {

// The options the RAM figures are planned with (see above).
EngineOptions SmallPartOptions(uint32_t sample_rate);
// The arena the engine asks for with SmallPartOptions; throws if the spec
// (or the .tm2 file's bytes) does not load.
int64_t PlannedRamBytes(const ModelSpec& spec, ArenaReport* report = nullptr);
int64_t PlannedRamBytes(const std::vector<uint8_t>& model_file);
// The spec with weighted layer k's output (k in the order of the spec's
// weighted layers: branches, then the head, as TinyNet::WeightedLayers)
// at act_bits[k]; pooling layers follow their input, as the export does.
// Only bit widths and clamps change: a spec for planning, not for running.
ModelSpec WithActBits(const ModelSpec& spec, const std::vector<int>& act_bits);
// The buffers of two plans of the spec (all outputs 8-bit, all 4-bit),
// each tied to the weighted layers whose outputs it holds.
RamModel BuildRamModel(const ModelSpec& spec);
// The layouts the allocation solves: the one above, and the layout with no
// bands or in-place reuse (EngineOptions::in_place false), which prices
// every buffer's 4-bit size but over-counts the engine's packed plan. The allocation solves each and
// keeps the best one the engine plans within the budget.
std::vector<RamModel> BuildRamModels(const ModelSpec& spec);
// The least sensitive allocation (costs: one per weighted layer) that the
// engine plans within budgets.ram: each layout solved, the ILP's RAM bound
// tightened while the plan needs more; when no solve fits but the least-RAM
// outputs (every unpinned one 4-bit) plan within the budget, those with the
// weights the flash budget allows. So any budget at or above that least
// planned RAM is met. Throws InfeasibleMessage otherwise. layouts: a
// RamModel() alone without a RAM budget.
BitAllocation AllocateWithinPlan(const std::vector<LayerCost>& costs, const ModelSpec& spec,
                                 const std::vector<RamModel>& layouts, const BitBudgets& budgets,
                                 int64_t* planned_ram, int* tightenings);
int NumWeightedLayers(const ModelSpec& spec);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_ILP_RAM_PLAN_H_
