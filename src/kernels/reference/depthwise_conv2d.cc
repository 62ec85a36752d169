// Reference depthwise convolution (depth multiplier 1): weights [kh][kw][c];
// with 4-bit weights each tap's c values start on a byte boundary.
// Activations int8 or packed int4 (g.in_bits / g.out_bits).
#include "kernels/reference/ref_util.h"

namespace tm2 {
namespace {

template <int IN, int OUT>
void Depthwise(const ConvGeometry& g, const QuantizedWeights& w, int32_t input_zero_point,
               const Requantization& rq, const int8_t* input, int8_t* output) {
  const int c_count = g.out_c;
  const size_t tap_bytes = WeightRowBytes(c_count, w.bits);
  for (int oy = 0; oy < g.out_h; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      for (int c = 0; c < c_count; ++c) {
        int32_t acc = w.bias ? w.bias[c] : 0;
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky;
          if (iy < 0 || iy >= g.in_h) continue;
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_left + kx;
            if (ix < 0 || ix >= g.in_w) continue;
            const int32_t x =
                ref::LoadAct<IN>(input, (static_cast<size_t>(iy) * g.in_w + ix) * g.in_c + c);
            const uint8_t* tap = w.data + (ky * g.kernel_w + kx) * tap_bytes;
            acc = ref::MulAddWrap(acc, x - input_zero_point, ref::WeightAt(tap, c, w.bits));
          }
        }
        ref::StoreAct<OUT>(output, (static_cast<size_t>(oy) * g.out_w + ox) * c_count + c,
                           RequantizeOne(acc, rq.multiplier[c], rq.shift[c],
                                         rq.output_zero_point, rq.output_min, rq.output_max));
      }
    }
  }
}

}  // namespace

void qs8_depthwise_conv2d_ref(const ConvGeometry& g, const QuantizedWeights& w,
                              int32_t input_zero_point, const Requantization& rq,
                              const int8_t* input, int8_t* output) {
  TM2_REF_DISPATCH_BITS(g.in_bits, g.out_bits, Depthwise, g, w, input_zero_point, rq, input,
                        output);
}

}  // namespace tm2
