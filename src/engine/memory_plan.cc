#include "engine/memory_plan.h"

namespace tm2 {
namespace engine_internal {
namespace {

uint64_t AlignUp(uint64_t v, size_t align) {
  return (v + align - 1) & ~static_cast<uint64_t>(align - 1);
}

// Lowest aligned offset for `b` clear of every placed buffer live with it:
// 0 or the aligned end of one of them, whichever is lowest and free.
uint64_t LowestFreeOffset(const PlannedBuffer* buffers, int count, const PlannedBuffer& b,
                          size_t align) {
  uint64_t best = UINT64_MAX;
  for (int c = -1; c < count; ++c) {
    const PlannedBuffer* under = c < 0 ? nullptr : &buffers[c];
    if (under && (under->offset == kUnplaced || !LifetimesOverlap(*under, b))) continue;
    const uint64_t candidate =
        under ? AlignUp(static_cast<uint64_t>(under->offset) + under->size, align) : 0;
    if (candidate >= best) continue;
    bool free = true;
    for (int o = 0; o < count && free; ++o) {
      const PlannedBuffer& other = buffers[o];
      if (other.offset == kUnplaced || !LifetimesOverlap(other, b)) continue;
      free = candidate >= static_cast<uint64_t>(other.offset) + other.size ||
             other.offset >= candidate + b.size;
    }
    if (free) best = candidate;
  }
  return best;
}

}  // namespace

size_t PlanBuffers(PlannedBuffer* buffers, int count, size_t align) {
  for (int i = 0; i < count; ++i) buffers[i].offset = kUnplaced;
  uint64_t peak = 0;
  for (int placed = 0; placed < count; ++placed) {
    int next = -1;
    for (int i = 0; i < count; ++i) {
      if (buffers[i].offset != kUnplaced) continue;
      if (next < 0 || buffers[i].size > buffers[next].size) next = i;
    }
    PlannedBuffer& b = buffers[next];
    const uint64_t offset = LowestFreeOffset(buffers, count, b, align);
    if (offset + b.size >= kUnplaced) return SIZE_MAX;
    b.offset = static_cast<uint32_t>(offset);
    if (offset + b.size > peak) peak = offset + b.size;
  }
  return static_cast<size_t>(peak);
}

}  // namespace engine_internal
}  // namespace tm2
