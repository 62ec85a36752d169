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

template <class D32>
struct VectorRequant {
  hn::Vec<D32> zp, lo, hi;
  explicit VectorRequant(D32 d32, const Requantization& rq)
      : zp(hn::Set(d32, rq.output_zero_point)),
        lo(hn::Set(d32, rq.output_min)),
        hi(hn::Set(d32, rq.output_max)) {}
  // Clamped outputs (still int32 lanes) of acc with per-lane constants.
  HWY_INLINE hn::Vec<D32> Apply(D32 d32, hn::Vec<D32> acc, hn::Vec<D32> mult, hn::Vec<D32> rnd,
                                hn::Vec<D32> pow) const {
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

}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET != HWY_SCALAR

#endif  // include guard
