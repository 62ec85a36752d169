// Reference 2-D convolution: NHWC input, weights [out_c][kh][kw][in_c].
// Padded cells are skipped, which is the same as x == input_zero_point.
// Activations int8 or packed int4 (g.in_bits / g.out_bits).
#include "kernels/reference/ref_util.h"

namespace tm2 {
namespace {

template <int IN, int OUT>
void Conv2D(const ConvGeometry& g, const QuantizedWeights& w, int32_t input_zero_point,
            const Requantization& rq, const int8_t* input, int8_t* output) {
  const int k = g.kernel_h * g.kernel_w * g.in_c;
  const size_t row_bytes = WeightRowBytes(k, w.bits);
  for (int oy = 0; oy < g.out_h; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      for (int oc = 0; oc < g.out_c; ++oc) {
        const uint8_t* row = w.data + oc * row_bytes;
        int32_t acc = w.bias ? w.bias[oc] : 0;
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky;
          if (iy < 0 || iy >= g.in_h) continue;
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_left + kx;
            if (ix < 0 || ix >= g.in_w) continue;
            const size_t x = (static_cast<size_t>(iy) * g.in_w + ix) * g.in_c;
            const int tap = (ky * g.kernel_w + kx) * g.in_c;
            for (int ic = 0; ic < g.in_c; ++ic) {
              acc = ref::MulAddWrap(acc, ref::LoadAct<IN>(input, x + ic) - input_zero_point,
                                    ref::WeightAt(row, tap + ic, w.bits));
            }
          }
        }
        ref::StoreAct<OUT>(output, (static_cast<size_t>(oy) * g.out_w + ox) * g.out_c + oc,
                           RequantizeOne(acc, rq.multiplier[oc], rq.shift[oc],
                                         rq.output_zero_point, rq.output_min, rq.output_max));
      }
    }
  }
}

}  // namespace

void qs8_conv2d_ref(const ConvGeometry& g, const QuantizedWeights& w, int32_t input_zero_point,
                    const Requantization& rq, const int8_t* input, int8_t* output) {
  TM2_REF_DISPATCH_BITS(g.in_bits, g.out_bits, Conv2D, g, w, input_zero_point, rq, input, output);
}

}  // namespace tm2
