// The one place that chooses kernel variants.
//
// Compile time: the build (CMake option TM2_KERNELS=hwy|ref, and the
// target ISA flags) decides which variants exist. Run time (native x86-64
// only): Highway's dynamic dispatch picks the best ISA the CPU supports,
// once per table.
//
//   const tm2::KernelTable& k = tm2::SelectKernels();   // fastest available
//   const tm2::KernelTable& r = tm2::ReferenceKernels(); // scalar reference
#ifndef TM2_KERNELS_SELECT_H_
#define TM2_KERNELS_SELECT_H_

#include "kernels/kernels.h"

namespace tm2 {

const KernelTable& ReferenceKernels();
// The fastest bit-identical table for this build and CPU. Highway's run-
// time choice of target is resolved into the table once, at the first call.
const KernelTable& SelectKernels();
// The same table resolved again now, for tests that force Highway targets
// one at a time (hwy::SetSupportedTargetsForTest; SelectKernels() keeps
// the target of its first call).
KernelTable SelectKernelsNow();

// The relaxed-SIMD WASM build only (elsewhere it changes nothing): whether
// i32x4.relaxed_dot_i8x16_i7x16_add_s is one instruction where the engine
// runs (x86 VNNI, Arm; the default) or emulated with saturating int16
// pairs (x86 without AVX-VNNI: five instructions, slower than the SIMD128
// pair kernels). The loader asks the browser (web/engine.js) and tells the
// engine before any model is loaded: layers packed afterwards use the
// i32x4 dot where it is native, and where it is emulated the int4 GEMM on
// i16x8.relaxed_dot_i8x16_i7x16_s (one pmaddubsw) and the pair kernels
// elsewhere. Every choice gives the reference's bytes.
void SetRelaxedDotNative(bool native);
bool RelaxedDotNative();

}  // namespace tm2

#endif  // TM2_KERNELS_SELECT_H_
