// Reference pools. Input and output share scale and zero point, so pools
// work on the stored int8 values directly. Padded cells are ignored; a
// window with no cell inside the input (only possible with an unusual
// geometry) gives output_min for max pool and 0 (clamped) for average.
// Max and average pools read and write int8 or packed int4 (g.in_bits /
// g.out_bits); the global average pool int8 only.
#include "kernels/reference/ref_util.h"

namespace tm2 {
namespace {

template <int IN, int OUT>
void MaxPool(const ConvGeometry& g, int32_t output_min, int32_t output_max, const int8_t* input,
             int8_t* output) {
  for (int oy = 0; oy < g.out_h; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      for (int c = 0; c < g.out_c; ++c) {
        int32_t m = INT32_MIN;
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky;
          if (iy < 0 || iy >= g.in_h) continue;
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_left + kx;
            if (ix < 0 || ix >= g.in_w) continue;
            const int32_t x =
                ref::LoadAct<IN>(input, (static_cast<size_t>(iy) * g.in_w + ix) * g.in_c + c);
            if (x > m) m = x;
          }
        }
        ref::StoreAct<OUT>(output, (static_cast<size_t>(oy) * g.out_w + ox) * g.out_c + c,
                           ref::Clamp8(m, output_min, output_max));
      }
    }
  }
}

template <int IN, int OUT>
void AvgPool(const ConvGeometry& g, int32_t output_min, int32_t output_max, const int8_t* input,
             int8_t* output) {
  for (int oy = 0; oy < g.out_h; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      for (int c = 0; c < g.out_c; ++c) {
        int32_t sum = 0, count = 0;
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky;
          if (iy < 0 || iy >= g.in_h) continue;
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_left + kx;
            if (ix < 0 || ix >= g.in_w) continue;
            sum += ref::LoadAct<IN>(input, (static_cast<size_t>(iy) * g.in_w + ix) * g.in_c + c);
            ++count;
          }
        }
        const int32_t avg = count > 0 ? ref::DivRoundHalfAway(sum, count) : 0;
        ref::StoreAct<OUT>(output, (static_cast<size_t>(oy) * g.out_w + ox) * g.out_c + c,
                           ref::Clamp8(avg, output_min, output_max));
      }
    }
  }
}

}  // namespace

void s8_max_pool2d_ref(const ConvGeometry& g, int32_t output_min, int32_t output_max,
                       const int8_t* input, int8_t* output) {
  TM2_REF_DISPATCH_BITS(g.in_bits, g.out_bits, MaxPool, g, output_min, output_max, input, output);
}

void qs8_avg_pool2d_ref(const ConvGeometry& g, int32_t output_min, int32_t output_max,
                        const int8_t* input, int8_t* output) {
  TM2_REF_DISPATCH_BITS(g.in_bits, g.out_bits, AvgPool, g, output_min, output_max, input, output);
}

void qs8_global_avg_pool_ref(int hw, int c, int32_t output_min, int32_t output_max,
                             const int8_t* input, int8_t* output) {
  for (int ch = 0; ch < c; ++ch) {
    // int64: hw may reach 2^24 cells.
    int64_t sum = 0;
    for (int i = 0; i < hw; ++i) sum += input[static_cast<size_t>(i) * c + ch];
    int64_t avg = 0;
    if (hw > 0) avg = sum >= 0 ? (sum + hw / 2) / hw : -((-sum + hw / 2) / hw);
    output[ch] = ref::Clamp8(static_cast<int32_t>(avg), output_min, output_max);
  }
}

}  // namespace tm2
