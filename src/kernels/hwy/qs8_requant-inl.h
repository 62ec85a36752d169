// Internal, per Highway target: the exact output stage in int32 lanes.
//
// RequantizeOne computes y = floor((acc * m + 2^(n-1)) / 2^n). With
// P = acc * m = H * 2^32 + L (H its signed high half, 0 <= L < 2^32) and
// n = 32 + r, r >= 1:  y = floor((H + 2^(r-1)) / 2^r), because L only adds
// a fraction below one to an integer numerator. The division by 2^r is
// again a high half: floor(T / 2^r) = hi32(T * 2^(32-r)), and 2^(32-r)
// fits int32 for r >= 2. So two 32x32->64 high products replace the int64
// arithmetic, bit for bit. For r = 1 (n = 33, common in int4 layers, whose
// weight scales are larger) 2^31 does not fit: those lanes carry pow = 0
// and take (H + 1) >> 1 instead. requant_row.h decides when (n >= 33).
#if defined(TM2_KERNELS_HWY_QS8_REQUANT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TM2_KERNELS_HWY_QS8_REQUANT_INL_H_
#undef TM2_KERNELS_HWY_QS8_REQUANT_INL_H_
#else
#define TM2_KERNELS_HWY_QS8_REQUANT_INL_H_
#endif

#include <cmath>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "kernels/hwy/requant_row.h"

#if HWY_TARGET != HWY_SCALAR
HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Signed high 32 bits of a * b per lane.
template <class D32>
HWY_INLINE hn::Vec<D32> MulHigh32(D32 d32, hn::Vec<D32> a, hn::Vec<D32> b) {
#if HWY_TARGET == HWY_WASM
  // Highway 1.0.3's wasm MulEven(int32) zero-extends its inputs (wrong for
  // negative values); the extending multiplies give both halves directly.
  (void)d32;
  const v128_t lo = wasm_i64x2_extmul_low_i32x4(a.raw, b.raw);
  const v128_t hi = wasm_i64x2_extmul_high_i32x4(a.raw, b.raw);
  return hn::Vec<D32>{wasm_i32x4_shuffle(lo, hi, 1, 3, 5, 7)};
#else
  const auto pe = hn::MulEven(a, b);
  const auto po = hn::MulEven(hn::Shuffle2301(a), hn::Shuffle2301(b));
  return hn::OddEven(hn::BitCast(d32, po), hn::Shuffle2301(hn::BitCast(d32, pe)));
#endif
}

// AVX2 and AVX-512 shift each int32 lane by its own count in one
// instruction (vpsravd): there floor(T / 2^r) is T >> r, and the pack
// step stores r where other targets store 2^(32-r) (kVectorFormat names
// which; a packed header records it, so a layout packed for one target is
// never read by another).
#undef TM2_REQUANT_LANE_SHIFT
#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
#define TM2_REQUANT_LANE_SHIFT 1
constexpr int32_t kVectorFormat = 2;
#else
#define TM2_REQUANT_LANE_SHIFT 0
constexpr int32_t kVectorFormat = 1;
#endif

// hwyk::FillVectorRequant in this target's format.
inline void FillVectorRequantFor(const Requantization& rq, int first, int n, int32_t* mult,
                                 int32_t* rnd, int32_t* pow) {
  hwyk::FillVectorRequant(rq, first, n, mult, rnd, pow);
#if TM2_REQUANT_LANE_SHIFT
  for (int i = 0; i < n; ++i) {
    int r = 1;  // pow 0 stands for r = 1
    if (pow[i] != 0) {
      r = 32;
      for (uint32_t p = static_cast<uint32_t>(pow[i]); p > 1; p >>= 1) --r;
    }
    pow[i] = r;
  }
#endif
}

// WASM only, the "scaled" form (kScaledFormat), in float64 lanes: with
// c = m * 2^-n (exact in a double: m has at most 31 significant bits),
//   y = floor((acc * m + 2^(n-1)) / 2^n) = rne(acc * c)
// whenever no acc * c lies exactly halfway between two integers, and rne
// (round half to even, IEEE's default) is what adding K = 1.5 * 2^52 does:
// the double acc * c + K is K + rne(acc * c), whose low 32 bits are y in
// two's complement. Per vector of 4 channels: two i32 -> f64 conversions
// (one after a lane shuffle), two multiplies, two adds and one shuffle
// that picks the low words: 8 operations where the int32 form (MulHigh32
// and a shift by a count in a register) took 13. Exact, and the same on
// every WebAssembly engine (f64x2 arithmetic is IEEE, no fused forms),
// when for every input of the channel (|acc| <= A, the pack step's bound
// |bias| + 255 sum |w|):
//   - |acc * m| < 2^53: the product acc * c is exact;
//   - A |m| / 2^n + 1 <= 2^30: |y| <= 2^30 (StoreScaledBytes; far inside
//     the 2^51 that K's binade allows);
//   - no halfway case: acc * m = 2^(n-1) mod 2^n needs v2(acc) =
//     n - 1 - v2(m) (v2: the exponent of 2 in it), impossible when
//     2^(n-1-v2(m)) > A.
// ScaledShift checks these per channel (1 when all hold, 0: format 1
// stays). The constants take the int32 arrays' places: per 4 channels of
// an aligned group the "rnd" vector holds c of the first two as doubles,
// the "pow" vector c of the last two (FillScaledRequant); "mult" is unused.
// Natively the other forms are as fast, so they do not change.
#if HWY_TARGET == HWY_WASM
constexpr int32_t kScaledFormat = 4;  // 3 was the int32 scaled form
#else
constexpr int32_t kScaledFormat = -1;  // never in a header
#endif

// 1 when the float64 form is exact for channels [0, n), else 0.
// acc_bound(c) >= |acc| of channel c for every input (|bias| + 255 sum
// |w|). Needs VectorRequantOk (1 <= r <= 30).
template <class Bound>
inline int ScaledShift(const Requantization& rq, int n, Bound acc_bound) {
  for (int c = 0; c < n; ++c) {
    const int nn = 31 - rq.shift[c];
    const int64_t a = acc_bound(c);
    if (a < 0 || a >= (int64_t{1} << 31)) return 0;
    const int64_t m = rq.multiplier[c] < 0 ? -int64_t{rq.multiplier[c]} : rq.multiplier[c];
    if (m == 0) continue;
    if (a * m >= (int64_t{1} << 53)) return 0;
    if (((a * m) >> nn) + 2 > (int64_t{1} << 30)) return 0;
    int v2 = 0;
    while (((m >> v2) & 1) == 0) ++v2;
    const int t = nn - 1 - v2;  // acc with v2(acc) = t would land halfway
    if (t < 31 && (int64_t{1} << t) <= a) return 0;
  }
  return 1;
}

// The float64 form's constants of channels [first, first + n), in groups of
// 4 from the arrays' start (channels past n up to the group's end: 0).
inline void FillScaledRequant(const Requantization& rq, int first, int n, int /*big*/,
                              int32_t* mult, int32_t* rnd, int32_t* pow) {
  for (int g = 0; g < n; g += 4) {
    for (int i = 0; i < 4; ++i) {
      double c = 0.0;
      if (g + i < n) {
        c = std::ldexp(static_cast<double>(rq.multiplier[first + g + i]), rq.shift[first + g + i] - 31);
        mult[g + i] = rq.multiplier[first + g + i];
      }
      std::memcpy((i < 2 ? rnd + g : pow + g) + 2 * (i % 2), &c, sizeof(c));
    }
  }
}

template <class D32>
struct VectorRequant {
  hn::Vec<D32> zp, lo, hi;
  int shift;  // nonzero: the scaled form; 0: format kVectorFormat
#if HWY_TARGET == HWY_WASM
  v128_t k;  // K + zp as a double in both lanes (Scaled)
#endif
  explicit VectorRequant(D32 d32, const Requantization& rq, int scaled_shift = 0)
      : zp(hn::Set(d32, rq.output_zero_point)),
        lo(hn::Set(d32, rq.output_min)),
        hi(hn::Set(d32, rq.output_max)),
        shift(scaled_shift)
#if HWY_TARGET == HWY_WASM
        , k(wasm_f64x2_splat(6755399441055744.0 + rq.output_zero_point))  // 1.5 * 2^52 + zp
#endif
  {}
#if HWY_TARGET == HWY_WASM
  // y + zp of the scaled form, before the clamp: rnd and pow hold c of
  // lanes 0-1 and 2-3 as doubles (FillScaledRequant); adding K + zp
  // instead of K puts the zero point in the same rounding step, exactly
  // (|y + zp| <= 2^30 + 128, far inside K's binade).
  HWY_INLINE hn::Vec<D32> Scaled(D32 /*d32*/, hn::Vec<D32> acc, hn::Vec<D32> /*mult*/,
                                 hn::Vec<D32> rnd, hn::Vec<D32> pow) const {
    const v128_t lo = wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_convert_low_i32x4(acc.raw), rnd.raw), k);
    const v128_t hi = wasm_f64x2_add(
        wasm_f64x2_mul(wasm_f64x2_convert_low_i32x4(wasm_i32x4_shuffle(acc.raw, acc.raw, 2, 3, 2, 3)),
                       pow.raw),
        k);
    return hn::Vec<D32>{wasm_i32x4_shuffle(lo, hi, 0, 2, 4, 6)};
  }
#endif
  // Clamped outputs (still int32 lanes) of acc with per-lane constants.
  HWY_INLINE hn::Vec<D32> Apply(D32 d32, hn::Vec<D32> acc, hn::Vec<D32> mult, hn::Vec<D32> rnd,
                                hn::Vec<D32> pow) const {
#if HWY_TARGET == HWY_WASM
    if (shift != 0) {
      return hn::Min(hn::Max(Scaled(d32, acc, mult, rnd, pow), lo), hi);
    }
#endif
    const auto t = hn::Add(MulHigh32(d32, acc, mult), rnd);
#if TM2_REQUANT_LANE_SHIFT
    const auto y = t >> pow;  // pow holds r here
#else
    auto y = MulHigh32(d32, t, pow);
    y = hn::Add(y, hn::IfThenElseZero(hn::Eq(pow, hn::Zero(d32)), hn::ShiftRight<1>(t)));
#endif
    return hn::Min(hn::Max(hn::Add(y, zp), lo), hi);
  }
};

// Stores the n (<= lanes) low bytes of int32 lanes already inside int8.
template <class D32>
HWY_INLINE void StoreBytes(D32 d32, hn::Vec<D32> v, int n, int8_t* out) {
  const hn::Rebind<int8_t, D32> d8;
  const auto b = hn::DemoteTo(d8, v);
  if (n == static_cast<int>(hn::Lanes(d32))) {
    hn::StoreU(b, d8, out);
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  } else {
    // Masked-off bytes are not written.
    hn::BlendedStore(b, hn::FirstN(d8, static_cast<size_t>(n)), d8, out);
  }
#else
  } else {
    HWY_ALIGN int8_t tmp[HWY_MAX_BYTES / 4];
    hn::Store(b, d8, tmp);
    for (int i = 0; i < n; ++i) out[i] = tmp[i];
  }
#endif
}

#if HWY_TARGET == HWY_WASM
// Stores the 4 * NV bytes clamp(y + zp, lo, hi) of NV whole vectors of
// scaled-form y + zp (Scaled), narrowing first: int32 -> int16 saturating,
// -> int8 saturating, then the clamp in int8 lanes. Equal to the int32
// form because lo and hi lie inside int8: a lane saturated at either step
// stays beyond the same end of the int8 range, where the clamp gives the
// same bound. 5 operations for 16 channels where the int32 form takes 20.
template <int NV>
HWY_INLINE void StoreScaledBytes(const v128_t* y, const Requantization& rq, int8_t* out) {
  static_assert(NV >= 1 && NV <= 4, "one to four vectors");
  const v128_t h0 = wasm_i16x8_narrow_i32x4(y[0], y[NV > 1 ? 1 : 0]);
  const v128_t h1 = NV > 2 ? wasm_i16x8_narrow_i32x4(y[2], y[NV > 3 ? 3 : 2]) : h0;
  v128_t b = wasm_i8x16_narrow_i16x8(h0, h1);
  b = wasm_i8x16_min(wasm_i8x16_max(b, wasm_i8x16_splat(static_cast<int8_t>(rq.output_min))),
                     wasm_i8x16_splat(static_cast<int8_t>(rq.output_max)));
  if (NV == 4) {
    wasm_v128_store(out, b);
  } else if (NV == 1) {
    wasm_v128_store32_lane(out, b, 0);
  } else {
    wasm_v128_store64_lane(out, b, 0);
    if (NV == 3) wasm_v128_store32_lane(out + 8, b, 2);
  }
}
#endif

}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET != HWY_SCALAR

#endif  // include guard
