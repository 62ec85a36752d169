#include "preprocess/real_fft.h"

#include "preprocess/const_tables.h"

namespace tm2 {
namespace preprocess_internal {
namespace {

// One run of radix-2 butterflies: lo/hi halves of a block, twiddles wc/ws.
// The four arrays never overlap; saying so lets compilers use SIMD.
void Butterflies(float* __restrict lr, float* __restrict li, float* __restrict hr,
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

}  // namespace

void RealFft::Carve(int n, WorkspaceCarver* carver) {
  n_ = n;
  half_ = n / 2;
  if (n <= kConstFftMax) {
    twiddle_cos_ = kFftTwiddleCos;
    twiddle_sin_ = kFftTwiddleSin;
    own_cos_ = own_sin_ = nullptr;
  } else {
    twiddle_cos_ = own_cos_ = carver->Take<float>(n);
    twiddle_sin_ = own_sin_ = carver->Take<float>(n);
  }
  // The bit reversal over b bits is the one over 9 bits shifted right by
  // 9 - b (for indices below 2^b): one constant permutation of n/2 =
  // kConstFftMax/2 serves every smaller size.
  bitrev_shift_ = 0;
  if (n <= kConstFftMax) {
    bitrev_ = kFftBitReverse;
    while ((kConstFftMax / 2 >> bitrev_shift_) > half_) ++bitrev_shift_;
    own_bitrev_ = nullptr;
  } else {
    bitrev_ = own_bitrev_ = carver->Take<uint16_t>(half_);
  }
  re_ = carver->TakeScratch<float>(half_);
  im_ = carver->TakeScratch<float>(half_);
}

void RealFft::FillTables() {
  if (own_cos_) ComputeFftTwiddles(n_, own_cos_, own_sin_);
  if (own_bitrev_) ComputeBitReverse(half_, own_bitrev_);
}

void RealFft::PowerSpectrum(const float* in, float* power) const {
  float* re = re_;
  float* im = im_;
  const int h = half_;
  // z[j] = in[2j] + i in[2j+1], stored in bit-reversed order.
  for (int j = 0; j < h; ++j) {
    int d = bitrev_[j] >> bitrev_shift_;
    re[d] = in[2 * j];
    im[d] = in[2 * j + 1];
  }
  // First stage has only the twiddle 1: plain sums and differences.
  for (int b = 0; b < h; b += 2) {
    float ar = re[b], ai = im[b], br = re[b + 1], bi = im[b + 1];
    re[b] = ar + br; im[b] = ai + bi;
    re[b + 1] = ar - br; im[b + 1] = ai - bi;
  }
  // Remaining radix-2 decimation-in-time stages.
  for (int hl = 2; hl < h; hl <<= 1) {
    const float* wc = twiddle_cos_ + hl;
    const float* ws = twiddle_sin_ + hl;
    for (int b = 0; b < h; b += 2 * hl) {
      Butterflies(re + b, im + b, re + b + hl, im + b + hl, wc, ws, hl);
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
  for (int k = 1; k < h; ++k) {
    float ar = re[k], ai = im[k];
    float br = re[h - k], bi = -im[h - k];
    float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);
    float dr = ar - br, di = ai - bi;
    float or_ = 0.5f * di, oi = -0.5f * dr;  // (dr + i di) / 2i
    float wr = split_cos[k], wi = split_sin[k];
    float xr = er + (or_ * wr + oi * wi);
    float xi = ei + (oi * wr - or_ * wi);
    power[k] = xr * xr + xi * xi;
  }
}

}  // namespace preprocess_internal
}  // namespace tm2
