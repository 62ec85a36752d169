// Carves aligned arrays out of the caller's workspace. The same layout code
// runs twice: once without memory to count bytes (WorkspaceBytes) and once
// on the real workspace (Prepare), so the two can never disagree.
//
// Two regions: tables and state that must survive from one Run to the next
// (Take), and scratch that one Run fills before it reads it (TakeScratch),
// which the caller may use for something else between Runs (the engine
// shares it with the activations).
#ifndef TM2_PREPROCESS_WORKSPACE_CARVER_H_
#define TM2_PREPROCESS_WORKSPACE_CARVER_H_

#include <cstddef>
#include <cstdint>

namespace tm2 {
namespace preprocess_internal {

class WorkspaceCarver {
 public:
  static constexpr size_t kAlign = 16;
  // Null bases: measuring only, Take() returns nullptr. A real base of any
  // alignment is first rounded up to kAlign; measuring counts the
  // worst-case kAlign - 1 bytes that rounding can cost, per region.
  WorkspaceCarver(void* tables, size_t tables_bytes, void* scratch, size_t scratch_bytes)
      : tables_(tables, tables_bytes), scratch_(scratch, scratch_bytes), split_(true) {}
  // One buffer for both: scratch is carved in line with the tables.
  WorkspaceCarver(void* base, size_t capacity)
      : tables_(base, capacity), scratch_(nullptr, 0), split_(false) {}

  template <typename T>
  T* Take(size_t count) { return static_cast<T*>(tables_.Take(count * sizeof(T))); }
  template <typename T>
  T* TakeScratch(size_t count) {
    return static_cast<T*>((split_ ? scratch_ : tables_).Take(count * sizeof(T)));
  }

  bool measuring() const { return tables_.measuring(); }
  bool overflowed() const { return tables_.overflowed() || scratch_.overflowed(); }
  // Bytes of each caller buffer consumed, alignment slack included.
  size_t tables_used() const { return tables_.used(); }
  size_t scratch_used() const { return split_ ? scratch_.used() : 0; }
  size_t used() const { return tables_used() + scratch_used(); }

 private:
  class Region {
   public:
    Region(void* base, size_t capacity) {
      if (base) {
        const uintptr_t addr = reinterpret_cast<uintptr_t>(base);
        const size_t skip = (kAlign - addr % kAlign) % kAlign;
        base_ = static_cast<uint8_t*>(base) + skip;
        capacity_ = capacity > skip ? capacity - skip : 0;
        slack_ = skip;
      } else {
        slack_ = kAlign - 1;
      }
    }
    // Offsets from the aligned base, rounded to kAlign: every array aligned.
    void* Take(size_t bytes) {
      used_ = (used_ + kAlign - 1) / kAlign * kAlign;
      const size_t offset = used_;
      used_ += bytes;
      if (!base_ || used_ > capacity_) return nullptr;
      return base_ + offset;
    }
    bool measuring() const { return base_ == nullptr; }
    bool overflowed() const { return base_ != nullptr && used_ > capacity_; }
    size_t used() const { return slack_ + used_; }

   private:
    uint8_t* base_ = nullptr;
    size_t capacity_ = 0;
    size_t used_ = 0;
    size_t slack_ = 0;
  };

  Region tables_;
  Region scratch_;
  bool split_;
};

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_WORKSPACE_CARVER_H_
