// Per-layer weight bit widths {4, 8} under a weight-memory budget, as an
// integer linear program solved with GLPK (HAWQ-V3's formulation).
//
//   minimise   sum_l  x_l * sens4_l + (1 - x_l) * sens8_l
//   subject to sum_l  x_l * bytes4_l + (1 - x_l) * bytes8_l <= budget
//              x_l in {0, 1}   (1 = 4 bits);  x_l = 0 for pinned layers
//
// The activation arena does not enter: every activation is stored in an
// int8 container whatever its declared width (models/FORMAT.md 3.1), so
// the arena is the same for every allocation and is checked on its own
// against the arena budget at export.
#ifndef TM2_FACTORY_ILP_BIT_ALLOCATION_H_
#define TM2_FACTORY_ILP_BIT_ALLOCATION_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tm2 {
namespace factory {

struct LayerCost {
  std::string name;
  double sens4 = 0, sens8 = 0;   // sensitivity (expected loss increase) at 4 and 8 bits
  int64_t bytes4 = 0, bytes8 = 0;
  bool pinned8 = false;
};

struct BitAllocation {
  bool feasible = false;
  std::vector<int> bits;  // per layer, 4 or 8
  int64_t bytes = 0;
  double sensitivity = 0;
};

BitAllocation SolveBitAllocation(const std::vector<LayerCost>& layers, int64_t budget_bytes);
// Exhaustive search over 2^n allocations (tests; n <= 20).
BitAllocation BruteForceBitAllocation(const std::vector<LayerCost>& layers, int64_t budget_bytes);
std::string FormatAllocation(const std::vector<LayerCost>& layers, const BitAllocation& a);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_ILP_BIT_ALLOCATION_H_
