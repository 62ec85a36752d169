#include "preprocess/real_fft.h"

#include "common/det_math.h"

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
  cos_ = carver->Take<float>(half_);
  sin_ = carver->Take<float>(half_);
  stage_cos_ = carver->Take<float>(half_);
  stage_sin_ = carver->Take<float>(half_);
  bitrev_ = carver->Take<uint16_t>(half_);
  re_ = carver->TakeScratch<float>(half_);
  im_ = carver->TakeScratch<float>(half_);
}

void RealFft::FillTables() {
  for (int k = 0; k < half_; ++k) {
    DetSinCosTurns(static_cast<uint64_t>(k), static_cast<uint64_t>(n_), &sin_[k], &cos_[k]);
  }
  // Stage with half-length hl uses e^{-2 pi i j / 2hl} = entry j * n / 2hl.
  stage_cos_[0] = 1.0f;
  stage_sin_[0] = 0.0f;
  for (int hl = 1; hl < half_; hl <<= 1) {
    for (int j = 0; j < hl; ++j) {
      stage_cos_[hl + j] = cos_[j * (n_ / (2 * hl))];
      stage_sin_[hl + j] = sin_[j * (n_ / (2 * hl))];
    }
  }
  int bits = 0;
  while ((1 << bits) < half_) ++bits;
  for (int i = 0; i < half_; ++i) {
    int r = 0;
    for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
    bitrev_[i] = static_cast<uint16_t>(r);
  }
}

void RealFft::PowerSpectrum(const float* in, float* power) const {
  float* re = re_;
  float* im = im_;
  const int h = half_;
  // z[j] = in[2j] + i in[2j+1], stored in bit-reversed order.
  for (int j = 0; j < h; ++j) {
    int d = bitrev_[j];
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
    const float* wc = stage_cos_ + hl;
    const float* ws = stage_sin_ + hl;
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
  for (int k = 1; k < h; ++k) {
    float ar = re[k], ai = im[k];
    float br = re[h - k], bi = -im[h - k];
    float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);
    float dr = ar - br, di = ai - bi;
    float or_ = 0.5f * di, oi = -0.5f * dr;  // (dr + i di) / 2i
    float wr = cos_[k], wi = sin_[k];
    float xr = er + (or_ * wr + oi * wi);
    float xi = ei + (oi * wr - or_ * wi);
    power[k] = xr * xr + xi * xi;
  }
}

}  // namespace preprocess_internal
}  // namespace tm2
