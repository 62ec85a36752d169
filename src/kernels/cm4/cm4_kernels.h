// Internal: the Cortex-M4 DSP-extension kernels (SMLAD: two int16
// multiply-accumulates per instruction; SIMD bytes for the pools). Built on the mcu target only;
// select.cc puts them in the "cm4dsp" table. Each kernel takes the
// reference's arguments and produces the reference's bytes; shapes it does
// not handle (rows longer than kMaxPatch, zero points outside int8) go to
// the reference.
#ifndef TM2_KERNELS_CM4_CM4_KERNELS_H_
#define TM2_KERNELS_CM4_CM4_KERNELS_H_

#include "kernels/kernels.h"

namespace tm2 {

void qs8_conv2d_cm4dsp(const ConvGeometry&, const QuantizedWeights&, int32_t,
                       const Requantization&, const int8_t*, int8_t*);
void qs8_depthwise_conv2d_cm4dsp(const ConvGeometry&, const QuantizedWeights&, int32_t,
                                 const Requantization&, const int8_t*, int8_t*);
void qs8_fully_connected_cm4dsp(int, int, int, const QuantizedWeights&, int32_t,
                                const Requantization&, const int8_t*, int8_t*);
void s8_max_pool2d_cm4dsp(const ConvGeometry&, int32_t, int32_t, const int8_t*, int8_t*);
void qs8_avg_pool2d_cm4dsp(const ConvGeometry&, int32_t, int32_t, const int8_t*, int8_t*);
void qs8_global_avg_pool_cm4dsp(int, int, int32_t, int32_t, const int8_t*, int8_t*);

}  // namespace tm2

#endif  // TM2_KERNELS_CM4_CM4_KERNELS_H_
