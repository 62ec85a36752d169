// Cortex-M4 DSP average pool: four channels per word. SXTAB16 adds bytes 0
// and 2 of a word (1 and 3 with the word rotated by 8) to two int16 sums in
// one instruction; a window of at most 256 cells cannot overflow them
// (|sum| <= 128 * 256). Each channel then divides by its count of cells
// inside the input (SDIV), rounding half away from zero as the reference.
// Larger windows, bounds outside int8 and channels past the last group of
// four follow the reference's arithmetic.
#include <arm_acle.h>

#include "kernels/cm4/cm4_kernels.h"
#include "kernels/cm4/qs8_pairs_cm4dsp.h"
#include "kernels/reference/ref_util.h"

namespace tm2 {

void qs8_avg_pool2d_cm4dsp(const ConvGeometry& geometry, int32_t lo, int32_t hi, const int8_t* input,
                           int8_t* output) {
  // A local copy: int8 output stores may alias a referenced geometry.
  const ConvGeometry g = geometry;
  // Packed int4 activations go to the reference loops too (kernels.h).
  if (g.kernel_h * g.kernel_w > 256 || lo < -128 || lo > 127 || hi < -128 || hi > 127 ||
      g.in_bits != 8 || g.out_bits != 8) {
    qs8_avg_pool2d_ref(g, lo, hi, input, output);
    return;
  }
  const int c = g.out_c;
  const int groups = c >> 2;
  for (int oy = 0; oy < g.out_h; ++oy) {
    const int iy0 = oy * g.stride_h - g.pad_top;
    const auto [ky_lo, ky_hi] = ValidTaps(iy0, g.kernel_h, g.in_h);
    for (int ox = 0; ox < g.out_w; ++ox) {
      const int ix0 = ox * g.stride_w - g.pad_left;
      const auto [kx_lo, kx_hi] = ValidTaps(ix0, g.kernel_w, g.in_w);
      const int count = (ky_hi > ky_lo && kx_hi > kx_lo) ? (ky_hi - ky_lo) * (kx_hi - kx_lo) : 0;
      int8_t* out = output + (static_cast<size_t>(oy) * g.out_w + ox) * c;
      for (int q = 0; q < groups; ++q) {
        int32_t s02 = 0, s13 = 0;
        for (int ky = ky_lo; ky < ky_hi; ++ky) {
          // Starts at the first real pixel: ix0 is negative in the left padding.
          const int8_t* xrow =
              input + (static_cast<ptrdiff_t>(iy0 + ky) * g.in_w + ix0 + kx_lo) * c + 4 * q;
          for (int kx = kx_lo; kx < kx_hi; ++kx) {
            const int32_t x = cm4::LoadWord(xrow + (kx - kx_lo) * c);
            s02 = __sxtab16(s02, x);
            s13 = __sxtab16(s13, cm4::Ror8(x));
          }
        }
        // Halves, low first: channel 0 and 2 in s02, 1 and 3 in s13.
        const int32_t sums[4] = {static_cast<int16_t>(s02), static_cast<int16_t>(s13),
                                 s02 >> 16, s13 >> 16};
        for (int j = 0; j < 4; ++j) {
          const int32_t avg = count > 0 ? ref::DivRoundHalfAway(sums[j], count) : 0;
          out[4 * q + j] = ref::Clamp8(avg, lo, hi);
        }
      }
      for (int ch = groups * 4; ch < c; ++ch) {
        int32_t sum = 0;
        for (int ky = ky_lo; ky < ky_hi; ++ky) {
          for (int kx = kx_lo; kx < kx_hi; ++kx) {
            sum += input[(static_cast<size_t>(iy0 + ky) * g.in_w + ix0 + kx) * c + ch];
          }
        }
        const int32_t avg = count > 0 ? ref::DivRoundHalfAway(sum, count) : 0;
        out[ch] = ref::Clamp8(avg, lo, hi);
      }
    }
  }
}

}  // namespace tm2

namespace tm2 {

// Global average pool: the average pool of one hw x 1 window over the whole
// map (no padding, so every cell counts: the same sum, count and rounding
// as qs8_global_avg_pool_ref). Maps past 256 cells take the reference.
void qs8_global_avg_pool_cm4dsp(int hw, int c, int32_t lo, int32_t hi, const int8_t* input,
                                int8_t* output) {
  if (hw < 1 || hw > 256) {
    qs8_global_avg_pool_ref(hw, c, lo, hi, input, output);
    return;
  }
  const ConvGeometry g{hw, 1, c, 1, 1, c, hw, 1, 1, 1, 0, 0};
  qs8_avg_pool2d_cm4dsp(g, lo, hi, input, output);
}

}  // namespace tm2
