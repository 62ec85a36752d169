// Which Highway target the hwy kernels run on, for KernelTable::name.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/target_name_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "kernels/hwy/hwy_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
// Compiled once per target, so dispatch itself answers which one won.
const char* TargetName() { return hwy::TargetName(HWY_TARGET); }
// "hwy:" + TargetName(), built once per target (each has its own buffer).
struct NameBuffer {
  char s[32];
};
const char* TableName() {
  static const NameBuffer name = [] {
    NameBuffer b{};
    int n = 0;
    for (const char* p = "hwy:"; *p; ++p) b.s[n++] = *p;
    for (const char* p = hwy::TargetName(HWY_TARGET); *p && n < 31; ++p) b.s[n++] = *p;
#if HWY_TARGET == HWY_WASM && defined(__wasm_relaxed_simd__)
    // The relaxed engine variant (qs8_quad_relaxed_wasm-inl.h).
    for (const char* p = "+relaxed"; *p && n < 31; ++p) b.s[n++] = *p;
#endif
    return b;
  }();
  return name.s;
}
}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(TargetName);
HWY_EXPORT(TableName);
#endif
const char* HwyTargetName() { return TM2_HWY_DISPATCH(TargetName)(); }
const char* HwyTableName() { return TM2_HWY_DISPATCH(TableName)(); }
}  // namespace tm2
#endif
