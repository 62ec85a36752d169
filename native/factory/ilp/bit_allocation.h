// Per-layer weight and activation bit widths {4, 8} under a weight-bytes
// (flash) budget and a peak-RAM budget, as one integer linear program solved
// with GLPK (HAWQ-V3's formulation with TinyM2Net-V3's memory constraint).
//
//   x_l = 1: layer l's weights at 4 bits;  y_l = 1: its output at 4 bits
//   minimise   sum_l x_l (wsens4_l - wsens8_l) + y_l (asens4_l - asens8_l)
//   flash      sum_l bytes8_l - x_l (bytes8_l - bytes4_l)            <= flash
//   RAM        for every planner step t:
//              sum_{buffer j live at t} bytes8_j - z_j (bytes8_j - bytes4_j)
//                                                  <= ram - fixed_bytes
//              z_j <= y_l for every layer l whose output buffer j holds
//              (a buffer shrinks only when all its layers are 4-bit)
//              floor_bytes <= ram - fixed_bytes  (preprocessing scratch)
//   x_l = 0 / y_l = 0 for pinned layers
//
// The buffers, their sizes at 8 and 4 bits and their lifetimes come from the
// engine's own planner (quant/ram_plan.h); peak = max over steps, one row
// per step. The greedy placement can need more than the largest step (it
// fragments); ram_plan.h checks the answer with the planner and tightens.
//
//   BitBudgets b; b.flash = 16 * 1024; b.ram = 32 * 1024;
//   BitAllocation a = SolveBitAllocation(layers, ram_model, b);
//   if (!a.feasible) ... MinimumFlash(layers), MinimumRam(layers, ram_model)
#ifndef TM2_FACTORY_ILP_BIT_ALLOCATION_H_
#define TM2_FACTORY_ILP_BIT_ALLOCATION_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tm2 {
namespace factory {

struct LayerCost {
  std::string name;
  double sens4 = 0, sens8 = 0;   // weights: sensitivity (expected loss increase) at 4 and 8 bits
  int64_t bytes4 = 0, bytes8 = 0;
  bool pinned8 = false;
  double act_sens4 = 0, act_sens8 = 0;  // its output at 4 and 8 bits
  bool act_pinned8 = true;              // output stays 8-bit (the default: no RAM budget)
};

// Peak RAM as the planner sees it, linear in the activation choices.
struct RamModel {
  struct Buffer {
    int64_t bytes8 = 0, bytes4 = 0;
    int first = 0, last = 0;   // steps, inclusive
    std::vector<int> layers;   // indices into the LayerCost list; empty = fixed size
  };
  std::vector<Buffer> buffers;
  int64_t fixed_bytes = 0;  // the rest of the arena (tables, features, plans, outputs)
  int64_t floor_bytes = 0;  // the shared region never goes below this (preprocessing scratch)
};

struct BitBudgets {
  int64_t flash = -1;  // weight bytes; < 0 = none
  int64_t ram = -1;    // peak RAM (RamModel); < 0 = none
};

struct BitAllocation {
  bool feasible = false;
  std::vector<int> bits;      // per layer, weights: 4 or 8
  std::vector<int> act_bits;  // per layer, output: 4 or 8
  int64_t bytes = 0;          // weight bytes
  int64_t ram = 0;            // RamModel peak (0 without a model)
  double sensitivity = 0;
};

BitAllocation SolveBitAllocation(const std::vector<LayerCost>& layers, const RamModel& ram,
                                 const BitBudgets& budgets);
// Weights only (no RAM budget): the flash row alone.
BitAllocation SolveBitAllocation(const std::vector<LayerCost>& layers, int64_t budget_bytes);
// Exhaustive search over every allocation (tests; at most 20 free bits).
BitAllocation BruteForceBitAllocation(const std::vector<LayerCost>& layers, const RamModel& ram,
                                      const BitBudgets& budgets);
BitAllocation BruteForceBitAllocation(const std::vector<LayerCost>& layers, int64_t budget_bytes);

// The model's peak for given output bits: fixed + max(floor, max_t live bytes).
int64_t RamOf(const RamModel& ram, const std::vector<int>& act_bits);
// The least any allocation reaches (every unpinned layer at 4 bits).
int64_t MinimumFlash(const std::vector<LayerCost>& layers);
int64_t MinimumRam(const std::vector<LayerCost>& layers, const RamModel& ram);

std::string FormatAllocation(const std::vector<LayerCost>& layers, const BitAllocation& a);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_ILP_BIT_ALLOCATION_H_
