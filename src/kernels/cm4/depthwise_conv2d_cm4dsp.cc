// Cortex-M4 DSP depthwise convolution: four channels per pass. Inputs and
// weights are int16 pairs (x0, x2), (x1, x3) (SXTB16 of a word and of the
// word rotated by 8), so each channel's product is one SMLABB/SMLATT
// (multiply bottom or top halves and accumulate, wrapping). 3x3 kernels
// take the rolling-band paths of depthwise3x3_cm4dsp.cc; other kernels a
// tap-major tile here, with bounds per pixel and the zero point subtracted
// with SADD16. Channels past the last group of four run one by one.
#include "kernels/cm4/cm4_kernels.h"
#include "kernels/cm4/qs8_depthwise_cm4dsp.h"

namespace tm2 {
namespace {

using cm4::TapWeights;

// int16 elements of the general path's weight tile: 4 KB of stack.
constexpr int kTileElems = 2048;

// Any kernel: bounds per pixel, zero point subtracted with SADD16.
void DepthwiseGeneral(const ConvGeometry& g, const TapWeights& wd, const int32_t* bias, int32_t zp,
                      const int16_t* tile, const cm4::OutStage& os, const int8_t* input,
                      int8_t* output) {
  const int c = g.out_c;
  const int groups = c >> 2;
  const int ts = groups * 4;
  const int32_t offset = cm4::Splat16(-zp);
  for (int oy = 0; oy < g.out_h; ++oy) {
    const int iy0 = oy * g.stride_h - g.pad_top;
    const auto [ky_lo, ky_hi] = ValidTaps(iy0, g.kernel_h, g.in_h);
    for (int ox = 0; ox < g.out_w; ++ox) {
      const int ix0 = ox * g.stride_w - g.pad_left;
      const auto [kx_lo, kx_hi] = ValidTaps(ix0, g.kernel_w, g.in_w);
      int8_t* out = output + (static_cast<size_t>(oy) * g.out_w + ox) * c;
      for (int ch = 0; ch + 4 <= c; ch += 4) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        if (bias) a0 = bias[ch], a1 = bias[ch + 1], a2 = bias[ch + 2], a3 = bias[ch + 3];
        for (int ky = ky_lo; ky < ky_hi; ++ky) {
          const int8_t* xrow = input + (static_cast<size_t>(iy0 + ky) * g.in_w) * c + ch;
          const int16_t* wrow = tile + ky * g.kernel_w * ts + ch;
          for (int kx = kx_lo; kx < kx_hi; ++kx) {
            const int32_t xw = cm4::LoadWord(xrow + (ix0 + kx) * c);
            const int32_t x02 = __sadd16(__sxtb16(xw), offset);
            const int32_t x13 = __sadd16(cm4::Sxtb16Ror8(xw), offset);
            const int16_t* wp = wrow + kx * ts;
            const int32_t w02 = cm4::LoadWord(wp), w13 = cm4::LoadWord(wp + 2);
            a0 = __smlabb(x02, w02, a0);
            a2 = __smlatt(x02, w02, a2);
            a1 = __smlabb(x13, w13, a1);
            a3 = __smlatt(x13, w13, a3);
          }
        }
        out[ch] = os(a0, ch);
        out[ch + 1] = os(a1, ch + 1);
        out[ch + 2] = os(a2, ch + 2);
        out[ch + 3] = os(a3, ch + 3);
      }
      for (int ch = groups * 4; ch < c; ++ch) {
        int32_t acc = bias ? bias[ch] : 0;
        for (int ky = ky_lo; ky < ky_hi; ++ky) {
          for (int kx = kx_lo; kx < kx_hi; ++kx) {
            const int8_t x = input[(static_cast<size_t>(iy0 + ky) * g.in_w + ix0 + kx) * c + ch];
            acc = ref::MulAddWrap(acc, x - zp, wd.At(ky * g.kernel_w + kx, ch));
          }
        }
        out[ch] = os(acc, ch);
      }
    }
  }
}

// Any kernel: tap-major tile (per tap, every channel group).
__attribute__((noinline)) void DepthwiseAny(const ConvGeometry& g, const TapWeights& wd,
                                            const int32_t* bias, int32_t zp,
                                            const Requantization& rq, const int8_t* input,
                                            int8_t* output) {
  alignas(4) int16_t tile[kTileElems];
  const int taps = g.kernel_h * g.kernel_w;
  const int groups = g.out_c >> 2;
  for (int t = 0; t < taps; ++t) {
    for (int q = 0; q < groups; ++q) wd.Widen4(t, 4 * q, tile + (t * groups + q) * 4);
  }
  DepthwiseGeneral(g, wd, bias, zp, tile, cm4::OutStage(rq), input, output);
}

}  // namespace

void qs8_depthwise_conv2d_cm4dsp(const ConvGeometry& geometry, const QuantizedWeights& w,
                                 int32_t zp, const Requantization& rq, const int8_t* input,
                                 int8_t* output) {
  // A local copy: int8 output stores may alias a referenced geometry.
  const ConvGeometry g = geometry;
  const int c = g.out_c;
  // Packed int4 activations go to the reference loops too (kernels.h).
  if ((w.bits != 8 && w.bits != 4) || zp < -128 || zp > 127 || g.in_bits != 8 ||
      g.out_bits != 8) {
    qs8_depthwise_conv2d_ref(g, w, zp, rq, input, output);
    return;
  }
  const TapWeights wd(w, c);
  if (cm4::Depthwise3x3(g, wd, w.bias, zp, rq, input, output)) return;
  if (g.kernel_h * g.kernel_w * (c >> 2) * 4 > kTileElems) {
    qs8_depthwise_conv2d_ref(g, w, zp, rq, input, output);
    return;
  }
  DepthwiseAny(g, wd, w.bias, zp, rq, input, output);
}

}  // namespace tm2
