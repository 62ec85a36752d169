// Carves aligned arrays out of the caller's workspace. The same layout code
// runs twice: once without memory to count bytes (WorkspaceBytes) and once
// on the real workspace (Prepare), so the two can never disagree.
#ifndef TM2_PREPROCESS_WORKSPACE_CARVER_H_
#define TM2_PREPROCESS_WORKSPACE_CARVER_H_

#include <cstddef>
#include <cstdint>

namespace tm2 {
namespace preprocess_internal {

class WorkspaceCarver {
 public:
  static constexpr size_t kAlign = 16;
  // base == nullptr: measuring only, Take() returns nullptr. A real base of
  // any alignment is first rounded up to kAlign; measuring counts the
  // worst-case kAlign - 1 bytes that rounding can cost.
  WorkspaceCarver(void* base, size_t capacity) : base_(nullptr), capacity_(0), used_(0) {
    if (base) {
      uintptr_t addr = reinterpret_cast<uintptr_t>(base);
      size_t skip = (kAlign - addr % kAlign) % kAlign;
      base_ = static_cast<uint8_t*>(base) + skip;
      capacity_ = capacity > skip ? capacity - skip : 0;
      slack_ = skip;
    } else {
      slack_ = kAlign - 1;
    }
  }

  // Offsets from the aligned base, rounded to kAlign: every array aligned.
  template <typename T>
  T* Take(size_t count) {
    used_ = (used_ + kAlign - 1) / kAlign * kAlign;
    size_t offset = used_;
    used_ += count * sizeof(T);
    if (!base_ || used_ > capacity_) return nullptr;
    return reinterpret_cast<T*>(base_ + offset);
  }

  bool measuring() const { return base_ == nullptr; }
  bool overflowed() const { return base_ != nullptr && used_ > capacity_; }
  // Bytes of the caller's buffer consumed, alignment slack included.
  size_t used() const { return slack_ + used_; }

 private:
  uint8_t* base_;
  size_t capacity_;
  size_t used_;
  size_t slack_ = 0;
};

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_WORKSPACE_CARVER_H_
