// Internal: the Highway kernels as KernelTable entries, and how they are
// dispatched. Native x86-64 links Debian's libhwy and picks SSE4, AVX2,
// AVX3 or AVX3_DL at run time; wasm (SIMD128) and aarch64 (NEON) builds use
// Highway header-only with the target fixed at compile time
// (TM2_HWY_STATIC, set by CMake).
//
// Each Set*Hwy fills its entries of a table with the variants of the
// target Highway has chosen now, resolved once (select.cc builds a table
// at its first use): a call is then one indirect call into that target's
// code, not a dispatch lookup plus a wrapper per call, which mattered for
// a 20 ns dense layer. The kernel entries take any activation storage:
// packed int4 layers run band by band over the target's int8 kernel
// (act4_bands.h), the only caller of those kernels, so they read and write
// int8 storage only (tests/kernels/act4_test.cc checks no packed geometry
// gets through).
//
//   KernelTable t{};
//   SetFullyConnectedHwy(&t);  // t.fully_connected, *_packed_bytes, *_pack
#ifndef TM2_KERNELS_HWY_HWY_KERNELS_H_
#define TM2_KERNELS_HWY_HWY_KERNELS_H_

#include "kernels/kernels.h"

#if defined(TM2_HWY_STATIC)
#define TM2_HWY_DISPATCH(fn) HWY_STATIC_DISPATCH(fn)
#define TM2_HWY_POINTER(fn) (&HWY_STATIC_DISPATCH(fn))
#else
#include "hwy/targets.h"
#define TM2_HWY_DISPATCH(fn) HWY_DYNAMIC_DISPATCH(fn)
// The function HWY_DYNAMIC_DISPATCH(fn) would call now. Highway chooses
// its target at the first dynamic dispatch, and before that the table's
// entry is its choose-and-call stub, so choose first. (A build with one
// target has a table of one entry.)
#define TM2_HWY_POINTER(fn)                                                     \
  (sizeof(HWY_DISPATCH_TABLE(fn)) == sizeof(HWY_DISPATCH_TABLE(fn)[0])          \
       ? HWY_DISPATCH_TABLE(fn)[0]                                              \
       : (::tm2::hwyk::ChooseTarget(),                                          \
          HWY_DISPATCH_TABLE(fn)[::hwy::GetChosenTarget().GetIndex()]))
namespace tm2 {
namespace hwyk {
inline void ChooseTarget() {
  hwy::ChosenTarget& chosen = hwy::GetChosenTarget();
  if (!chosen.IsInitialized()) chosen.Update(hwy::SupportedTargets());
}
}  // namespace hwyk
}  // namespace tm2
#endif

namespace tm2 {

void SetConv2DHwy(KernelTable* t);           // conv2d, conv2d_packed_bytes, conv2d_pack
void SetDepthwiseConv2DHwy(KernelTable* t);  // depthwise_conv2d and its pack steps
void SetDepthwisePackHwy(KernelTable* t);    // its pack steps alone (SetDepthwiseConv2DHwy calls it)
void SetFullyConnectedHwy(KernelTable* t);   // fully_connected and its pack steps
void SetMaxPool2DHwy(KernelTable* t);
void SetAvgPool2DHwy(KernelTable* t);
void SetGlobalAvgPoolHwy(KernelTable* t);
// "hwy:AVX2", "hwy:SSE4", "hwy:WASM", "hwy:NEON", ...: the table name for
// the target chosen now (a string that lives as long as the process).
const char* HwyTableName();
// "AVX2", "SSE4", ...: the target chosen now.
const char* HwyTargetName();

}  // namespace tm2

#endif  // TM2_KERNELS_HWY_HWY_KERNELS_H_
