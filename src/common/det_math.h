// tinym2 deterministic math: exp, log, sin, cos in single precision that
// give the same bits on every target.
//
// Platform libm results differ between glibc, emscripten's musl, newlib and
// the compilers' builtins, so the core never calls them where a result can
// reach a feature or a probability. These functions use only IEEE-754
// float +, -, *, /, comparisons and bit manipulation, in a fixed order
// (the build forbids FMA contraction and fast-math), so they round the
// same everywhere.
//
// Accuracy against double-precision libm (tests/preprocess/det_math_test.cc
// checks the bounds; measured worst cases in brackets):
//   DetLog   relative error <= 1.2e-7 [8.4e-8, about 1 ulp] for every
//            positive float incl. subnormals; log(0) = -inf, log(x < 0 or
//            NaN) = NaN, log(+inf) = +inf.
//   DetExp   relative error <= 2.4e-7 [9.6e-8] on [-87, 88.7]; +inf above
//            88.72, 0 below -103.97, gradual underflow in between.
//   DetSinCosTurns(num, den): sin/cos of 2*pi*num/den with exact integer
//            range reduction, absolute error <= 1.2e-7 [1.0e-7] for any
//            num; use it for tables (window, twiddles, DCT, sinc).
//   DetSin/DetCos(x): absolute error <= 2e-7 [9.9e-8] for |x| <= 8192
//            (Cody-Waite reduction with a 4-part pi/2); larger |x| loses
//            accuracy but stays deterministic.
//
//   float p = tm2::DetExp(logit - max_logit);
//   float lm = tm2::DetLog(mel_power);
//   float s, c; tm2::DetSinCosTurns(k, n, &s, &c);   // e^{-2 pi i k/n} twiddle
#ifndef TM2_COMMON_DET_MATH_H_
#define TM2_COMMON_DET_MATH_H_

#include <cstdint>
#include <cstring>

namespace tm2 {
namespace det_internal {

inline uint32_t Bits(float x) { uint32_t u; std::memcpy(&u, &x, 4); return u; }
inline float FromBits(uint32_t u) { float x; std::memcpy(&x, &u, 4); return x; }

// ln 2 split so that k * kLn2Hi is exact for |k| < 2^12.
constexpr float kLn2Hi = 6.9313812256e-01f;  // 0x3f317180
constexpr float kLn2Lo = 9.0580006145e-06f;  // 0x3717f7d1
constexpr float kLog2e = 1.4426950216e+00f;

// sin and cos on |r| <= pi/4 (+ a little): Taylor series, truncation
// error below 2e-9, so rounding dominates.
inline float SinPoly(float r) {
  float z = r * r;
  float p = -1.0f / 39916800.0f;
  p = p * z + 1.0f / 362880.0f;
  p = p * z - 1.0f / 5040.0f;
  p = p * z + 1.0f / 120.0f;
  p = p * z - 1.0f / 6.0f;
  return r + r * z * p;
}
inline float CosPoly(float r) {
  float z = r * r;
  float p = 1.0f / 479001600.0f;
  p = p * z - 1.0f / 3628800.0f;
  p = p * z + 1.0f / 40320.0f;
  p = p * z - 1.0f / 720.0f;
  p = p * z + 1.0f / 24.0f;
  return (1.0f - 0.5f * z) + z * z * p;
}

// Picks sin or cos of the reduced argument by quadrant q (mod 4).
inline void SinCosQuadrant(float r, uint32_t q, float* s, float* c) {
  float sr = SinPoly(r), cr = CosPoly(r);
  switch (q & 3u) {
    case 0: *s = sr; *c = cr; break;
    case 1: *s = cr; *c = -sr; break;
    case 2: *s = -sr; *c = -cr; break;
    default: *s = -cr; *c = sr; break;
  }
}

}  // namespace det_internal

// Natural logarithm. x = m * 2^e with m in [sqrt(1/2), sqrt(2)), then
// log(m) = log((1+s)/(1-s)) = 2s + 2s^3/3 + ... with s = f/(2+f), f = m-1,
// rearranged as f - s*(f - R) so the large part f is exact.
inline float DetLog(float x) {
  using namespace det_internal;
  if (!(x > 0.0f)) {
    if (x == 0.0f) return -FromBits(0x7f800000u);
    return FromBits(0x7fc00000u);  // negative or NaN
  }
  uint32_t u = Bits(x);
  if (u >= 0x7f800000u) return x;  // +inf
  int e = 0;
  if (u < 0x00800000u) {  // subnormal: scale into the normal range
    x *= 8388608.0f;      // 2^23, exact
    u = Bits(x);
    e = -23;
  }
  e += static_cast<int>(u >> 23) - 127;
  float m = FromBits((u & 0x007fffffu) | 0x3f800000u);  // [1, 2)
  if (m > 1.41421356f) { m *= 0.5f; e += 1; }
  float f = m - 1.0f;  // exact (Sterbenz)
  float s = f / (2.0f + f);
  float z = s * s;
  float r = 2.0f / 13.0f;
  r = r * z + 2.0f / 11.0f;
  r = r * z + 2.0f / 9.0f;
  r = r * z + 2.0f / 7.0f;
  r = r * z + 2.0f / 5.0f;
  r = r * z + 2.0f / 3.0f;
  r = r * z;
  float fe = static_cast<float>(e);
  return fe * kLn2Hi + ((f - s * (f - r)) + fe * kLn2Lo);
}

// e^x. x = k ln2 + r, |r| <= ln2/2 (Cody-Waite), degree-7 Taylor series
// for e^r (truncation 5e-9), scaled by 2^k through the exponent bits.
inline float DetExp(float x) {
  using namespace det_internal;
  if (x != x) return x;                       // NaN
  if (x > 88.7228394f) return FromBits(0x7f800000u);
  if (x < -103.972084f) return 0.0f;
  float kf = x * kLog2e;
  int k = static_cast<int>(kf + (kf >= 0.0f ? 0.5f : -0.5f));
  float fk = static_cast<float>(k);
  float r = (x - fk * kLn2Hi) - fk * kLn2Lo;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // 2^k in two steps so k in [-150, 128] never leaves the exponent range.
  int k1 = k / 2, k2 = k - k1;
  return p * FromBits(static_cast<uint32_t>(k1 + 127) << 23) *
         FromBits(static_cast<uint32_t>(k2 + 127) << 23);
}

// sin and cos of 2*pi*num/den (den > 0). The reduction to an octant is
// done on the integers, so table entries such as twiddles and windows are
// accurate to about one ulp whatever num is.
inline void DetSinCosTurns(uint64_t num, uint64_t den, float* s, float* c) {
  using namespace det_internal;
  uint64_t a = (num % den) * 4u;      // angle in quarter turns * den
  uint32_t q = static_cast<uint32_t>(a / den);
  uint64_t rem = a - q * den;         // [0, den): position inside the quadrant
  bool upper = rem * 2u > den;        // past the octant: use the complement
  uint64_t part = upper ? den - rem : rem;
  float r = (static_cast<float>(part) / static_cast<float>(den)) * 1.57079632679f;
  float sr = SinPoly(r), cr = CosPoly(r);
  if (upper) { float t = sr; sr = cr; cr = t; }
  switch (q & 3u) {
    case 0: *s = sr; *c = cr; break;
    case 1: *s = cr; *c = -sr; break;
    case 2: *s = -sr; *c = -cr; break;
    default: *s = -cr; *c = sr; break;
  }
}

// sin/cos of a float angle: r = x - k*pi/2 with a three-part pi/2.
inline void DetSinCos(float x, float* s, float* c) {
  using namespace det_internal;
  if (!(x - x == 0.0f)) { *s = *c = FromBits(0x7fc00000u); return; }  // inf/NaN
  constexpr float kTwoOverPi = 6.3661974669e-01f;
  // pi/2 in four parts, the first three with 12 significant bits so that
  // k * part is exact for |k| < 2^12.
  constexpr float kPio2_1 = 1.5703125000e+00f;   // 0x3fc90000
  constexpr float kPio2_2 = 4.8375129700e-04f;   // 0x39fda000
  constexpr float kPio2_3 = 7.5495336205e-08f;   // 0x33a22000
  constexpr float kPio2_4 = 2.5633440683e-12f;   // 0x2c34611a
  float kf = x * kTwoOverPi;
  int k = static_cast<int>(kf + (kf >= 0.0f ? 0.5f : -0.5f));
  float fk = static_cast<float>(k);
  float r = ((x - fk * kPio2_1) - fk * kPio2_2) - fk * kPio2_3;
  r = r - fk * kPio2_4;
  SinCosQuadrant(r, static_cast<uint32_t>(k), s, c);
}
inline float DetSin(float x) { float s, c; DetSinCos(x, &s, &c); return s; }
inline float DetCos(float x) { float s, c; DetSinCos(x, &s, &c); return c; }

}  // namespace tm2

#endif  // TM2_COMMON_DET_MATH_H_
