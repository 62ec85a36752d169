// Offsets for buffers with known lifetimes, so that buffers never live at
// the same time share memory. Internal to src/engine (the engine plans its
// activations and fusion vector with it; tests check its plans).
//
// Greedy by size, as TensorFlow Lite Micro's GreedyMemoryPlanner: the
// largest buffer first (ties: the earlier one), each at the lowest aligned
// offset where it overlaps no already placed buffer whose lifetime overlaps
// its own. Lifetimes are closed intervals of steps, so a layer's input and
// output (both live at the layer's step) never share bytes; a chain of
// layers run in bands (engine/band.h) is planned as one buffer instead.
// Quadratic in the count per buffer, run once at Init.
#ifndef TM2_ENGINE_MEMORY_PLAN_H_
#define TM2_ENGINE_MEMORY_PLAN_H_

#include <cstddef>
#include <cstdint>

namespace tm2 {
namespace engine_internal {

struct PlannedBuffer {
  uint32_t size;    // bytes
  uint16_t first;   // step that writes it
  uint16_t last;    // last step that reads it (>= first)
  uint32_t offset;  // from the region's start; set by PlanBuffers
};

constexpr uint32_t kUnplaced = UINT32_MAX;

inline bool LifetimesOverlap(const PlannedBuffer& a, const PlannedBuffer& b) {
  return a.first <= b.last && b.first <= a.last;
}

inline bool BytesOverlap(const PlannedBuffer& a, const PlannedBuffer& b) {
  return static_cast<uint64_t>(a.offset) < static_cast<uint64_t>(b.offset) + b.size &&
         static_cast<uint64_t>(b.offset) < static_cast<uint64_t>(a.offset) + a.size;
}

// Sets every buffer's offset (a multiple of `align`, a power of two) and
// returns the region's size: the highest end of a buffer, 0 for none;
// SIZE_MAX when an offset would not fit 32 bits.
size_t PlanBuffers(PlannedBuffer* buffers, int count, size_t align);

}  // namespace engine_internal
}  // namespace tm2

#endif  // TM2_ENGINE_MEMORY_PLAN_H_
