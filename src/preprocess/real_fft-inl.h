// RealFft::PowerSpectrumWith<stages>: the power spectrum's body, a template
// on how the radix-2 stages run, so a build holds only the stage path it
// uses. real_fft.cc instantiates this build's choice (kBuildFftStages);
// real_fft_test includes this header to compare both paths bit for bit on
// every target, without the page engine carrying the path it never runs
// (issue 16: the engine's size).
#ifndef TM2_PREPROCESS_REAL_FFT_INL_H_
#define TM2_PREPROCESS_REAL_FFT_INL_H_

#include "preprocess/real_fft.h"

namespace tm2 {
namespace preprocess_internal {
namespace real_fft_internal {

// One run of radix-2 butterflies: lo/hi halves of a block, twiddles wc/ws.
// The four arrays never overlap; saying so lets compilers use SIMD.
inline void Butterflies(float* __restrict lr, float* __restrict li, float* __restrict hr,
                        float* __restrict hi, const float* __restrict wc,
                        const float* __restrict ws, int count) {
  for (int j = 0; j < count; ++j) {
    // t = x * e^{-i theta} = (xr + i xi)(cos - i sin)
    float tr = hr[j] * wc[j] + hi[j] * ws[j];
    float ti = hi[j] * wc[j] - hr[j] * ws[j];
    float ur = lr[j], ui = li[j];
    lr[j] = ur + tr; li[j] = ui + ti;
    hr[j] = ur - tr; hi[j] = ui - ti;
  }
}

// Stages hl and 2hl over one block of 4hl values: the butterflies of
// stage hl on (j, j + hl) and (j + 2hl, j + 3hl), then those of stage 2hl
// on (j, j + 2hl) and (j + hl, j + 3hl), each exactly as Butterflies
// computes it.
inline void TwoStages(float* __restrict re, float* __restrict im, const float* __restrict cos,
                      const float* __restrict sin, int hl) {
  const float* c1 = cos + hl;
  const float* s1 = sin + hl;
  const float* c2 = cos + 2 * hl;
  const float* s2 = sin + 2 * hl;
  for (int j = 0; j < hl; ++j) {
    float x0r = re[j], x0i = im[j];
    float x1r = re[j + hl], x1i = im[j + hl];
    float x2r = re[j + 2 * hl], x2i = im[j + 2 * hl];
    float x3r = re[j + 3 * hl], x3i = im[j + 3 * hl];
    const float wc = c1[j], ws = s1[j];
    float tr = x1r * wc + x1i * ws, ti = x1i * wc - x1r * ws;
    x1r = x0r - tr; x1i = x0i - ti; x0r = x0r + tr; x0i = x0i + ti;
    tr = x3r * wc + x3i * ws; ti = x3i * wc - x3r * ws;
    x3r = x2r - tr; x3i = x2i - ti; x2r = x2r + tr; x2i = x2i + ti;
    const float va = c2[j], vb = s2[j];
    tr = x2r * va + x2i * vb; ti = x2i * va - x2r * vb;
    re[j] = x0r + tr; im[j] = x0i + ti; re[j + 2 * hl] = x0r - tr; im[j + 2 * hl] = x0i - ti;
    const float ua = c2[j + hl], ub = s2[j + hl];
    tr = x3r * ua + x3i * ub; ti = x3i * ua - x3r * ub;
    re[j + hl] = x1r + tr; im[j + hl] = x1i + ti; re[j + 3 * hl] = x1r - tr; im[j + 3 * hl] = x1i - ti;
  }
}

}  // namespace real_fft_internal

template <FftStages kStages>
void RealFft::PowerSpectrumWith(const float* in, float* power) const {
  constexpr bool paired = kStages == FftStages::kPaired;
  float* re = re_;
  float* im = im_;
  const int h = half_;
  // z[j] = in[2j] + i in[2j+1] in bit-reversed order, and the first two
  // radix-2 stages, in one pass over blocks of four. Their twiddles are
  // exactly 1 (stage 1; stage 2, j = 0) and -0 + 1i (stage 2, j = 1), so
  // multiplying by them is left out: a product by 1 is exact, and the
  // products by 0 only change the sign of a zero sum, which the power
  // spectrum squares away. Every other operation is the plain radix-2
  // one, in the same order, so the power spectrum is the same to the bit.
  if (paired && h >= 4) {
    for (int b = 0; b < h; b += 4) {
      const float* z0 = in + 2 * (bitrev_[b] >> bitrev_shift_);
      const float* z1 = in + 2 * (bitrev_[b + 1] >> bitrev_shift_);
      const float* z2 = in + 2 * (bitrev_[b + 2] >> bitrev_shift_);
      const float* z3 = in + 2 * (bitrev_[b + 3] >> bitrev_shift_);
      // Stage 1: (0, 1) and (2, 3).
      const float a0r = z0[0] + z1[0], a0i = z0[1] + z1[1];
      const float a1r = z0[0] - z1[0], a1i = z0[1] - z1[1];
      const float a2r = z2[0] + z3[0], a2i = z2[1] + z3[1];
      const float a3r = z2[0] - z3[0], a3i = z2[1] - z3[1];
      // Stage 2: (0, 2) with 1, (1, 3) with e^{-i pi/2}: t = (a3i, -a3r).
      re[b] = a0r + a2r; im[b] = a0i + a2i;
      re[b + 2] = a0r - a2r; im[b + 2] = a0i - a2i;
      re[b + 1] = a1r + a3i; im[b + 1] = a1i - a3r;
      re[b + 3] = a1r - a3i; im[b + 3] = a1i + a3r;
    }
  } else {
    for (int j = 0; j < h; ++j) {
      int d = bitrev_[j] >> bitrev_shift_;
      re[d] = in[2 * j];
      im[d] = in[2 * j + 1];
    }
    for (int b = 0; b < h; b += 2) {
      float ar = re[b], ai = im[b], br = re[b + 1], bi = im[b + 1];
      re[b] = ar + br; im[b] = ai + bi;
      re[b + 1] = ar - br; im[b + 1] = ai - bi;
    }
  }
  // Remaining radix-2 decimation-in-time stages, two at a time where two
  // are left (each value loaded and stored once per pair of stages; the
  // same operations as two single stages).
  int hl = paired && h >= 4 ? 4 : 2;
  for (; paired && 2 * hl < h; hl <<= 2) {
    for (int b = 0; b < h; b += 4 * hl) {
      real_fft_internal::TwoStages(re + b, im + b, twiddle_cos_, twiddle_sin_, hl);
    }
  }
  for (; hl < h; hl <<= 1) {
    const float* wc = twiddle_cos_ + hl;
    const float* ws = twiddle_sin_ + hl;
    for (int b = 0; b < h; b += 2 * hl) {
      real_fft_internal::Butterflies(re + b, im + b, re + b + hl, im + b + hl, wc, ws, hl);
    }
  }
  // Split: X[k] = E[k] + e^{-2 pi i k / n} O[k], with E = (Z[k] + conj Z[h-k]) / 2
  // and O = (Z[k] - conj Z[h-k]) / 2i.
  {
    float r0 = re[0] + im[0], rh = re[0] - im[0];
    power[0] = r0 * r0;
    power[h] = rh * rh;
  }
  const float* split_cos = twiddle_cos_ + h;  // e^{-2 pi i k / n}, k < n/2
  const float* split_sin = twiddle_sin_ + h;
  // Bins k and h - k read the same four values: with k' = h - k,
  // er' = er, di' = di, and ei', dr', oi' are exactly -ei, -dr, -oi (IEEE
  // sums and products are commutative and round symmetrically), so
  // xr' = er + (or wr' - oi wi') and xi' = -(ei + (oi wr' + or wi')), whose
  // square is what bin k' needs: the same bits as the loop per bin.
  const int mid = h / 2;
  for (int k = 1; k < mid; ++k) {
    const int k2 = h - k;
    float ar = re[k], ai = im[k];
    float br = re[k2], bi = -im[k2];
    float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);
    float dr = ar - br, di = ai - bi;
    float or_ = 0.5f * di, oi = -0.5f * dr;  // (dr + i di) / 2i
    float wr = split_cos[k], wi = split_sin[k];
    float xr = er + (or_ * wr + oi * wi);
    float xi = ei + (oi * wr - or_ * wi);
    power[k] = xr * xr + xi * xi;
    wr = split_cos[k2], wi = split_sin[k2];
    xr = er + (or_ * wr - oi * wi);
    xi = ei + (oi * wr + or_ * wi);
    power[k2] = xr * xr + xi * xi;
  }
  {  // k = h / 2 is its own partner (n >= 32, so 0 < mid < h)
    const int k = mid;
    float ar = re[k], ai = im[k];
    float br = re[h - k], bi = -im[h - k];
    float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);
    float dr = ar - br, di = ai - bi;
    float or_ = 0.5f * di, oi = -0.5f * dr;
    float wr = split_cos[k], wi = split_sin[k];
    float xr = er + (or_ * wr + oi * wi);
    float xi = ei + (oi * wr - or_ * wi);
    power[k] = xr * xr + xi * xi;
  }
}

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_REAL_FFT_INL_H_
