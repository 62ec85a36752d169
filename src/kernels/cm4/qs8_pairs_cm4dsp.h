// Internal, Cortex-M4 DSP: int8 rows against int16 pair patches.
//
// SMLAD adds two signed 16x16 products to an int32, wrapping like the
// reference's MulAddWrap. SXTB16 sign-extends bytes 0 and 2 of a word into
// two int16 halves, and with the word rotated by 8, bytes 1 and 3. So four
// weight bytes become the pairs (w0, w2) and (w1, w3) in two instructions,
// and an input patch stored as (x0-zp, x2-zp), (x1-zp, x3-zp) per group of
// four meets them with two SMLADs: four MACs. The k % 4 taps at the end of
// a row are stored plainly and done one by one. x - zp lies in [-255, 255]
// and w in [-128, 127], so a product pair never overflows int32.
#ifndef TM2_KERNELS_CM4_QS8_PAIRS_CM4DSP_H_
#define TM2_KERNELS_CM4_QS8_PAIRS_CM4DSP_H_

#include <arm_acle.h>

#include <cstdint>
#include <cstring>

#include "kernels/kernels.h"

namespace tm2 {
namespace cm4 {

// Longest row (kh*kw*in_c, or FC `in`) the patch buffers hold: 2 KB of
// int16 each, well inside the firmware's 64 KB stack.
constexpr int kMaxPatch = 1024;

inline int32_t LoadWord(const void* p) {
  int32_t v;
  memcpy(&v, p, sizeof(v));  // one LDR: the M4 allows unaligned word loads
  return v;
}

// Two words at p (word aligned): one STRD. GCC 12 otherwise routes a
// two-word memcpy through the stack.
inline void StoreTwo(void* p, int32_t a, int32_t b) {
  __asm__("strd %1, %2, [%0]" : : "r"(p), "r"(a), "r"(b) : "memory");
}

inline int32_t Ror8(int32_t v) {
  const uint32_t u = static_cast<uint32_t>(v);
  return static_cast<int32_t>((u >> 8) | (u << 24));
}

// SXTB16 of v rotated by 8 (bytes 1 and 3). The instruction takes the
// rotation for free, but GCC 12 emits a separate ROR for
// __sxtb16 of a rotated word, so it is written out.
inline int32_t Sxtb16Ror8(int32_t v) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}

// Two halves (v, v) of an int16, as one word.
inline int32_t Splat16(int32_t v) {
  const uint32_t u = static_cast<uint16_t>(v);
  return static_cast<int32_t>(u | (u << 16));
}

// RequantizeOne without 64-bit shifts. With P = acc * m = H * 2^32 + L
// (SMULL gives H and L) and n = 32 + r: for r >= 1 the rounded quotient is
// floor((H + 2^(r-1)) / 2^r), because L only adds a fraction below one to
// an integer numerator (H + 2^(r-1) cannot overflow: |H| <= 2^30); for
// r = 0 it is H plus the carry of L + 2^31. Trained layers have n >= 33;
// smaller n takes the general path.
inline int8_t Requantize(int32_t acc, int32_t multiplier, int32_t shift, int32_t zp, int32_t lo,
                         int32_t hi) {
  const int n = 31 - shift;
  const int64_t p = static_cast<int64_t>(acc) * multiplier;
  const int32_t h = static_cast<int32_t>(p >> 32);
  int32_t y;
  if (n > 32) {
    const int r = n - 32;
    y = (h + (int32_t{1} << (r - 1))) >> r;
  } else if (n == 32) {
    y = h + static_cast<int32_t>(static_cast<uint32_t>(p) >> 31);
  } else {
    return RequantizeOne(acc, multiplier, shift, zp, lo, hi);
  }
  y += zp;
  if (y < lo) y = lo;
  if (y > hi) y = hi;
  return static_cast<int8_t>(y);
}

// Channels a per-call output stage table holds (qs8_quad_out_cm4dsp.h).
constexpr int kMaxStageChannels = 256;

// The output stage's constants, copied out of the Requantization: outputs
// are int8 stores, which may alias anything, so fields read through a
// reference would be reloaded after every byte written.
struct OutStage {
  const int32_t* mult;
  const int8_t* shift;
  int32_t zp, lo, hi;
  explicit OutStage(const Requantization& rq)
      : mult(rq.multiplier), shift(rq.shift), zp(rq.output_zero_point), lo(rq.output_min),
        hi(rq.output_max) {}
  int8_t operator()(int32_t acc, int ch) const {
    return Requantize(acc, mult[ch], shift[ch], zp, lo, hi);
  }
};

// out = x - zp in the pair layout above, k values.
inline void BuildPairPatch(const int8_t* x, int k, int32_t zp, int16_t* out) {
  const int32_t offset = Splat16(-zp);
  const int groups = k >> 2;
  for (int g = 0; g < groups; ++g) {
    const int32_t w = LoadWord(x + 4 * g);
    const int32_t pair[2] = {__sadd16(__sxtb16(w), offset), __sadd16(Sxtb16Ror8(w), offset)};
    memcpy(out + 4 * g, pair, sizeof(pair));
  }
  for (int i = groups * 4; i < k; ++i) out[i] = static_cast<int16_t>(x[i] - zp);
}

// Four int4 weights (16 bits, low nibble first) as four int8 bytes in
// order: each nibble moves to its own byte (two shift-or-mask steps), then
// (n ^ 8) - 8 sign-extends all four at once (SSUB8 works per byte).
inline int32_t SpreadNibbles(uint32_t h) {
  uint32_t t = (h | (h << 8)) & 0x00FF00FFu;
  t = (t | (t << 4)) & 0x0F0F0F0Fu;
  return static_cast<int32_t>(__ssub8(t ^ 0x08080808u, 0x08080808u));
}

// Weights [i, i + 4) of a row (int8, or int4 with i even) as int8 bytes
// in one word; the four must lie inside the row.
inline int32_t Load4Weights(const uint8_t* row, int i, int bits) {
  if (bits == 8) return LoadWord(row + i);
  uint16_t h;
  memcpy(&h, row + (i >> 1), sizeof(h));
  return SpreadNibbles(h);
}

// One weight row of k values (int8 or int4) widened into the pair layout
// above (like BuildPairPatch with zp = 0).
inline void WidenWeightRow(const uint8_t* row, int k, int bits, int16_t* out) {
  const int groups = k >> 2;
  for (int g = 0; g < groups; ++g) {
    const int32_t w = Load4Weights(row, 4 * g, bits);
    const int32_t pair[2] = {__sxtb16(w), Sxtb16Ror8(w)};
    memcpy(out + 4 * g, pair, sizeof(pair));
  }
  for (int i = groups * 4; i < k; ++i) {
    out[i] = static_cast<int16_t>(bits == 8 ? static_cast<int8_t>(row[i]) : UnpackInt4(row, i));
  }
}

inline int32_t TailDot(const int16_t* p, const int8_t* w, int from, int k, int32_t acc) {
  uint32_t a = static_cast<uint32_t>(acc);
  for (int i = from; i < k; ++i) a += static_cast<uint32_t>(p[i] * w[i]);
  return static_cast<int32_t>(a);
}

// One patch times two weight rows.
inline void Dot1x2(const int16_t* p0, const int8_t* w0, const int8_t* w1, int k, int32_t acc[2]) {
  int32_t a0 = acc[0], a1 = acc[1];
  const int groups = k >> 2;
  for (int g = 0; g < groups; ++g) {
    const int32_t wa = LoadWord(w0 + 4 * g), wb = LoadWord(w1 + 4 * g);
    const int32_t x02 = LoadWord(p0 + 4 * g), x13 = LoadWord(p0 + 4 * g + 2);
    a0 = __smlad(x02, __sxtb16(wa), a0);
    a0 = __smlad(x13, Sxtb16Ror8(wa), a0);
    a1 = __smlad(x02, __sxtb16(wb), a1);
    a1 = __smlad(x13, Sxtb16Ror8(wb), a1);
  }
  const int t = groups * 4;
  acc[0] = TailDot(p0, w0, t, k, a0);
  acc[1] = TailDot(p0, w1, t, k, a1);
}

// One patch times one weight row.
inline int32_t Dot1x1(const int16_t* p0, const int8_t* w0, int k, int32_t acc) {
  const int groups = k >> 2;
  for (int g = 0; g < groups; ++g) {
    const int32_t wa = LoadWord(w0 + 4 * g);
    acc = __smlad(LoadWord(p0 + 4 * g), __sxtb16(wa), acc);
    acc = __smlad(LoadWord(p0 + 4 * g + 2), Sxtb16Ror8(wa), acc);
  }
  return TailDot(p0, w0, groups * 4, k, acc);
}

// output[oc] for oc in [0, out_c) of one patch p0; weights [out][k] int8,
// read as stored (dense layers, where each weight is used once).
template <class Stage>
inline void PatchTimesWeightsWith(const Stage& os, const int16_t* p0, int k, int out_c,
                                  const QuantizedWeights& w, int8_t* out) {
  const int8_t* const wd = reinterpret_cast<const int8_t*>(w.data);
  const int32_t* const bias = w.bias;
  int oc = 0;
  for (; oc + 2 <= out_c; oc += 2) {
    const int8_t* w0 = wd + static_cast<size_t>(oc) * k;
    int32_t acc[2] = {bias ? bias[oc] : 0, bias ? bias[oc + 1] : 0};
    Dot1x2(p0, w0, w0 + k, k, acc);
    out[oc] = os(acc[0], oc);
    out[oc + 1] = os(acc[1], oc + 1);
  }
  if (oc < out_c) {
    const int8_t* w0 = wd + static_cast<size_t>(oc) * k;
    out[oc] = os(Dot1x1(p0, w0, k, bias ? bias[oc] : 0), oc);
  }
}

}  // namespace cm4
}  // namespace tm2

#endif  // TM2_KERNELS_CM4_QS8_PAIRS_CM4DSP_H_
