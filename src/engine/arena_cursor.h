// Bump allocator over the caller's arena, 16-byte aligned parts. With a
// null base it only counts, which is how Engine::ArenaBytes sizes a plan
// without memory. Internal to src/engine.
//
//   ArenaCursor arena(base, capacity);            // base null: count only
//   int8_t* features = static_cast<int8_t*>(arena.Take(n));  // null if dry or full
//   if (arena.overflow()) ...                     // arena.used() bytes needed
#ifndef TM2_ENGINE_ARENA_CURSOR_H_
#define TM2_ENGINE_ARENA_CURSOR_H_

#include <cstddef>
#include <cstdint>

namespace tm2 {
namespace engine_internal {

class ArenaCursor {
 public:
  static constexpr size_t kAlign = 16;
  ArenaCursor(uint8_t* base, size_t capacity) : base_(base), capacity_(capacity) {}
  void* Take(size_t bytes) {
    const uintptr_t start = reinterpret_cast<uintptr_t>(base_) + used_;
    const size_t pad = (kAlign - start % kAlign) % kAlign;
    if (bytes > SIZE_MAX - used_ - pad) { overflow_ = true; return nullptr; }
    void* p = base_ ? base_ + used_ + pad : nullptr;
    used_ += pad + bytes;
    if (used_ > capacity_) overflow_ = true;
    return overflow_ ? nullptr : p;
  }
  size_t used() const { return used_; }
  bool overflow() const { return overflow_; }
  bool dry() const { return base_ == nullptr; }

 private:
  uint8_t* base_;
  size_t capacity_;
  size_t used_ = 0;
  bool overflow_ = false;
};

}  // namespace engine_internal
}  // namespace tm2

#endif  // TM2_ENGINE_ARENA_CURSOR_H_
