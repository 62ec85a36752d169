#include "variants.h"

#include "kernels/select.h"

#if defined(TM2_TEST_HWY_DYNAMIC)
#include "hwy/targets.h"
#endif

namespace tm2 {
namespace test {

void ForEachVariant(const std::function<void(const KernelTable&, const std::string&)>& fn) {
#if defined(TM2_TEST_HWY_DYNAMIC)
  const int64_t all = hwy::SupportedTargets() & HWY_TARGETS;
  for (int64_t rest = all; rest != 0; rest &= rest - 1) {
    const int64_t target = rest & -rest;
    hwy::SetSupportedTargetsForTest(target);
    const KernelTable k = SelectKernelsNow();  // resolved for the forced target
    fn(k, k.name);
  }
  hwy::SetSupportedTargetsForTest(0);
#elif defined(__wasm_relaxed_simd__)
  // The relaxed build packs in the form its dot product's lowering favours
  // (SetRelaxedDotNative): both forms, one after the other.
  fn(SelectKernels(), SelectKernels().name);
  struct NativeAgain {  // also when fn's REQUIRE throws
    ~NativeAgain() { SetRelaxedDotNative(true); }
  } again;
  SetRelaxedDotNative(false);
  fn(SelectKernels(), std::string(SelectKernels().name) + " (dot emulated)");
#else
  fn(SelectKernels(), SelectKernels().name);
#endif
}

}  // namespace test
}  // namespace tm2
