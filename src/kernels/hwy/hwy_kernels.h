// Internal: the Highway kernel entry points and how they are dispatched.
// Native x86-64 links Debian's libhwy and picks SSE4 or AVX2 at run time;
// wasm (SIMD128) and aarch64 (NEON) builds use Highway header-only with the
// target fixed at compile time (TM2_HWY_STATIC, set by CMake).
#ifndef TM2_KERNELS_HWY_HWY_KERNELS_H_
#define TM2_KERNELS_HWY_HWY_KERNELS_H_

#include "kernels/kernels.h"

#if defined(TM2_HWY_STATIC)
#define TM2_HWY_DISPATCH(fn) HWY_STATIC_DISPATCH(fn)
#else
#define TM2_HWY_DISPATCH(fn) HWY_DYNAMIC_DISPATCH(fn)
#endif

namespace tm2 {

// The int8 kernels read and write int8 storage only (in_bits = out_bits =
// 8): select.cc reaches them solely through act4's bands (act4_bands.h),
// which unpack packed int4 layers into int8 scratch first
// (tests/kernels/act4_test.cc checks no packed geometry gets through).
void qs8_conv2d_hwy(const ConvGeometry&, const QuantizedWeights&, int32_t, const Requantization&,
                    const int8_t*, int8_t*);
size_t qs8_conv2d_packed_bytes_hwy(const ConvGeometry&);
void qs8_conv2d_pack_hwy(const ConvGeometry&, const QuantizedWeights&, const Requantization&,
                         void*);
void qs8_depthwise_conv2d_hwy(const ConvGeometry&, const QuantizedWeights&, int32_t,
                              const Requantization&, const int8_t*, int8_t*);
size_t qs8_depthwise_conv2d_packed_bytes_hwy(const ConvGeometry&);
void qs8_depthwise_conv2d_pack_hwy(const ConvGeometry&, const QuantizedWeights&,
                                   const Requantization&, void*);
void qs8_fully_connected_hwy(int, int, int, const QuantizedWeights&, int32_t,
                             const Requantization&, const int8_t*, int8_t*);
size_t qs8_fully_connected_packed_bytes_hwy(int, int, int);
void qs8_fully_connected_pack_hwy(int, int, int, const QuantizedWeights&, const Requantization&,
                                  void*);
void s8_max_pool2d_hwy(const ConvGeometry&, int32_t, int32_t, const int8_t*, int8_t*);
void qs8_avg_pool2d_hwy(const ConvGeometry&, int32_t, int32_t, const int8_t*, int8_t*);
void qs8_global_avg_pool_hwy(int, int, int32_t, int32_t, const int8_t*, int8_t*);
// "hwy:AVX2", "hwy:SSE4", "hwy:WASM", "hwy:NEON", ...: the target the
// kernels above run on in this process.
const char* HwyTargetName();

}  // namespace tm2

#endif  // TM2_KERNELS_HWY_HWY_KERNELS_H_
