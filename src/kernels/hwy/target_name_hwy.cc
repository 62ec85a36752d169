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
#if !defined(TM2_HWY_STATIC) && HWY_ARCH_X86 && defined(__clang__)
#include <cpuid.h>
#endif

namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(TargetName);
HWY_EXPORT(TableName);
#endif
#if !defined(TM2_HWY_STATIC) && HWY_ARCH_X86 && defined(__clang__)
namespace {
// Debian's Highway 1.0.3 compiles AVX3_DL with "avxvnni" (VEX AVX-VNNI) in
// its target string but picks AVX3_DL on AVX512-VNNI alone. clang then
// encodes 128/256-bit vpdpbusd/vpdpwssd in VEX (36 of them in the kernels),
// which a CPU with AVX512-VNNI but without AVX-VNNI (Ice Lake, AMD Zen 4)
// rejects with SIGILL. gcc 12 encodes them in EVEX (none in VEX), so only a
// clang build on such a CPU loses AVX3_DL; it runs AVX3 instead.
bool HasAvxVnni() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 1, a, b, c, d);
  return (a >> 4) & 1;  // CPUID.(EAX=7,ECX=1):EAX[4] = AVX-VNNI
}
// Before main, so every SupportedTargets() (dispatch, tests that walk the
// targets) already leaves AVX3_DL out.
[[maybe_unused]] const bool kAvx3DlDisabled = [] {
  if (HasAvxVnni()) return false;
  hwy::DisableTargets(HWY_AVX3_DL);
  return true;
}();
}  // namespace
#endif
const char* HwyTargetName() { return TM2_HWY_DISPATCH(TargetName)(); }
const char* HwyTableName() { return TM2_HWY_DISPATCH(TableName)(); }
}  // namespace tm2
#endif
