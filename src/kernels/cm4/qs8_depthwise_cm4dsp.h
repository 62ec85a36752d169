// Internal, Cortex-M4 DSP depthwise convolution: the layer's weights as
// the kernels read them, and the 3x3 paths (depthwise3x3_cm4dsp.cc) that
// qs8_depthwise_conv2d_cm4dsp (depthwise_conv2d_cm4dsp.cc) tries first.
#ifndef TM2_KERNELS_CM4_QS8_DEPTHWISE_CM4DSP_H_
#define TM2_KERNELS_CM4_QS8_DEPTHWISE_CM4DSP_H_

#include <arm_acle.h>

#include <cstdint>

#include "kernels/cm4/qs8_pairs_cm4dsp.h"
#include "kernels/kernels.h"
#include "kernels/reference/ref_util.h"

namespace tm2 {
namespace cm4 {

// The layer's weights [tap][c], int8 or int4 (each tap's row starting on a
// byte boundary).
struct TapWeights {
  const uint8_t* data;
  int bits;
  size_t tap_bytes;
  TapWeights(const QuantizedWeights& w, int c)
      : data(w.data), bits(w.bits), tap_bytes(WeightRowBytes(c, w.bits)) {}
  int32_t At(int tap, int ch) const { return ref::WeightAt(data + tap * tap_bytes, ch, bits); }
  // Channels [ch, ch + 4) of `tap` widened into the pair layout at out.
  void Widen4(int tap, int ch, int16_t* out) const {
    const int32_t v = Load4Weights(data + tap * tap_bytes, ch, bits);
    StoreTwo(out, __sxtb16(v), Sxtb16Ror8(v));  // out is word aligned
  }
};

// 3x3 depthwise with int8 or int4 weights and a zero point in int8: runs
// it and returns true, or returns false, having written nothing, when the
// shape is not one the 3x3 paths take (another kernel size, or a band of
// three widened rows past 4 KB).
bool Depthwise3x3(const ConvGeometry& g, const TapWeights& wd, const int32_t* bias, int32_t zp,
                  const Requantization& rq, const int8_t* input, int8_t* output);

}  // namespace cm4
}  // namespace tm2

#endif  // TM2_KERNELS_CM4_QS8_DEPTHWISE_CM4DSP_H_
