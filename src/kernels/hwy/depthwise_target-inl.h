// Internal, every Highway target: what the depthwise pack step and kernel
// (depthwise_conv2d_hwy.cc, and WASM's forms in qs8_depthwise_wasm-inl.h and
// qs8_depthwise_relaxed_wasm-inl.h) must agree on per target.
#if defined(TM2_KERNELS_HWY_DEPTHWISE_TARGET_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TM2_KERNELS_HWY_DEPTHWISE_TARGET_INL_H_
#undef TM2_KERNELS_HWY_DEPTHWISE_TARGET_INL_H_
#else
#define TM2_KERNELS_HWY_DEPTHWISE_TARGET_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"

namespace tm2 {
namespace HWY_NAMESPACE {

// Where the pair multiply-add widens its products to int32 (pmaddwd,
// i32x4.dot_i16x8_s), any int16 weight is exact; elsewhere (NEON) the
// products stay in int16 lanes, which bounds the weights a lift may scale
// to (depthwise_lift.h).
#undef TM2_DW_WIDENING_PAIRS
#if HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || \
    HWY_TARGET == HWY_AVX3_DL || HWY_TARGET == HWY_WASM
#define TM2_DW_WIDENING_PAIRS 1
constexpr int kDwWeightLimit = INT16_MAX;
#else
#define TM2_DW_WIDENING_PAIRS 0
constexpr int kDwWeightLimit = 255;
#endif

}  // namespace HWY_NAMESPACE
}  // namespace tm2

#endif  // include guard
