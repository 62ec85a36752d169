// Run-time computation of the constant tables (const_tables.h): the
// generator writes const_tables_data.cc from these, and the tests compare.
#include "preprocess/const_tables.h"

#include <cmath>
#include <cstdint>

#include "common/det_math.h"
#include "preprocess/resampler.h"

namespace tm2 {
namespace preprocess_internal {
namespace {

// Zeroth-order modified Bessel function of the first kind, by its power
// series; 30 terms reach float precision for x <= 2 * kKaiserBeta.
float BesselI0(float x) {
  float half = 0.5f * x, term = 1.0f, sum = 1.0f;
  for (int k = 1; k < 30; ++k) {
    term = term * half / static_cast<float>(k);
    sum += term * term;
  }
  return sum;
}

}  // namespace

void ComputeFftTwiddles(int n, float* cos, float* sin) {
  cos[0] = 1.0f;
  sin[0] = 0.0f;
  for (int hl = 1; hl < n; hl <<= 1) {
    for (int j = 0; j < hl; ++j)
      DetSinCosTurns(static_cast<uint64_t>(j), 2u * static_cast<uint64_t>(hl), &sin[hl + j],
                     &cos[hl + j]);
  }
}

void ComputeBitReverse(int count, uint16_t* out) {
  int bits = 0;
  while ((1 << bits) < count) ++bits;
  for (int i = 0; i < count; ++i) {
    int r = 0;
    for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
    out[i] = static_cast<uint16_t>(r);
  }
}

void ComputeResamplerKernel(float* table) {
  using R = Resampler;
  static_assert(kResamplerKernelPoints == R::kHalfWidth * R::kTablePerUnit + 1,
                "const_tables.h and resampler.h disagree on the kernel's length");
  // table[i] = sinc(2c t) * kaiser(t / W) at t = i / kTablePerUnit lower-rate
  // periods; all angles are exact fractions of a turn.
  const int n = R::kHalfWidth * R::kTablePerUnit;
  const float wp2 = static_cast<float>(n) * static_cast<float>(n);  // exact
  const float i0_beta = BesselI0(R::kKaiserBeta);
  const uint64_t turn_den = static_cast<uint64_t>(R::kCutoffDen) * R::kTablePerUnit;
  const float pi_over = 3.14159265358979f / static_cast<float>(R::kCutoffDen / 2 * R::kTablePerUnit);
  for (int i = 0; i <= n; ++i) {
    float sinc = 1.0f;
    if (i > 0) {
      float s, c;
      // sin(pi * 2c * t) = sin(2 pi * (21 i) / (50 P))
      DetSinCosTurns(static_cast<uint64_t>(R::kCutoffNum) * i, turn_den, &s, &c);
      sinc = s / (static_cast<float>(R::kCutoffNum * i) * pi_over);
    }
    float u = static_cast<float>((n - i) * (n + i)) / wp2;  // 1 - (t/W)^2
    float kaiser = BesselI0(R::kKaiserBeta * std::sqrt(u)) / i0_beta;
    table[i] = sinc * kaiser;
  }
}

}  // namespace preprocess_internal
}  // namespace tm2
