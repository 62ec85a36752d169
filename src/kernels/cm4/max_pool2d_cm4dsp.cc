// Cortex-M4 DSP max pool: four channels per word. SSUB8 sets one GE flag
// per byte where a >= b (signed), and SEL then picks, byte by byte, a where
// the flag is set and b elsewhere: a four-lane signed max (or min) in two
// instructions. Channels past the last group of four run one by one.
#include <arm_acle.h>

#include "kernels/cm4/cm4_kernels.h"
#include "kernels/cm4/qs8_pairs_cm4dsp.h"
#include "kernels/reference/ref_util.h"

namespace tm2 {
namespace {

inline int32_t Splat8(int32_t v) {
  const uint32_t b = static_cast<uint8_t>(v);
  return static_cast<int32_t>(b * 0x01010101u);
}

inline int32_t Max8x4(int32_t a, int32_t b) {
  (void)__ssub8(a, b);
  return static_cast<int32_t>(__sel(static_cast<uint8x4_t>(a), static_cast<uint8x4_t>(b)));
}

inline int32_t Min8x4(int32_t a, int32_t b) {
  (void)__ssub8(a, b);
  return static_cast<int32_t>(__sel(static_cast<uint8x4_t>(b), static_cast<uint8x4_t>(a)));
}

}  // namespace

void s8_max_pool2d_cm4dsp(const ConvGeometry& geometry, int32_t lo, int32_t hi, const int8_t* input,
                          int8_t* output) {
  // A local copy: int8 output stores may alias a referenced geometry.
  const ConvGeometry g = geometry;
  // Bounds outside int8 make the reference's cast wrap: keep it. Packed
  // int4 activations go to the reference loops too (kernels.h).
  if (lo < -128 || lo > 127 || hi < -128 || hi > 127 || g.in_bits != 8 || g.out_bits != 8) {
    s8_max_pool2d_ref(g, lo, hi, input, output);
    return;
  }
  const int c = g.out_c;
  const int groups = c >> 2;
  // An empty window gives INT32_MIN clamped, i.e. lo; starting from -128
  // and clamping gives the same byte.
  const int32_t lo4 = Splat8(lo), hi4 = Splat8(hi), init = Splat8(-128);
  for (int oy = 0; oy < g.out_h; ++oy) {
    const int iy0 = oy * g.stride_h - g.pad_top;
    const auto [ky_lo, ky_hi] = ValidTaps(iy0, g.kernel_h, g.in_h);
    for (int ox = 0; ox < g.out_w; ++ox) {
      const int ix0 = ox * g.stride_w - g.pad_left;
      const auto [kx_lo, kx_hi] = ValidTaps(ix0, g.kernel_w, g.in_w);
      int8_t* out = output + (static_cast<size_t>(oy) * g.out_w + ox) * c;
      for (int q = 0; q < groups; ++q) {
        int32_t m = init;
        for (int ky = ky_lo; ky < ky_hi; ++ky) {
          const int8_t* xrow = input + (static_cast<size_t>(iy0 + ky) * g.in_w + ix0) * c + 4 * q;
          for (int kx = kx_lo; kx < kx_hi; ++kx) m = Max8x4(cm4::LoadWord(xrow + kx * c), m);
        }
        m = Min8x4(Max8x4(m, lo4), hi4);
        memcpy(out + 4 * q, &m, sizeof(m));
      }
      for (int ch = groups * 4; ch < c; ++ch) {
        int32_t m = INT32_MIN;
        for (int ky = ky_lo; ky < ky_hi; ++ky) {
          for (int kx = kx_lo; kx < kx_hi; ++kx) {
            const int32_t x = input[(static_cast<size_t>(iy0 + ky) * g.in_w + ix0 + kx) * c + ch];
            if (x > m) m = x;
          }
        }
        out[ch] = ref::Clamp8(m, lo, hi);
      }
    }
  }
}

}  // namespace tm2
