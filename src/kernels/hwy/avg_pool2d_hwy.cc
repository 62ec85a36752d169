// Highway average pool: channels in int16 lanes. A window of at most 256
// cells sums int8 values exactly in int16 (|sum| <= 128 * 256). The
// division by the count of cells inside the input, rounded half away from
// zero, is (|sum| + count/2) / count truncated with |sum|'s sign: in float32
// both operands are exact (< 2^24) and the true quotient is at least 1/256
// from the next integer, far more than float32's rounding error at these
// magnitudes, so truncating the float quotient gives the integer quotient.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/avg_pool2d_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstddef>
#include <cstring>

#include "hwy/highway.h"
#include "kernels/act4/act4_bands.h"
#include "kernels/hwy/act4_nibbles_hwy.h"
#include "kernels/hwy/hwy_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
#if HWY_TARGET == HWY_SCALAR
void AvgPool2D(const ConvGeometry& g, int32_t lo, int32_t hi, const int8_t* input, int8_t* output) {
  qs8_avg_pool2d_ref(g, lo, hi, input, output);
}
#else
namespace hn = hwy::HWY_NAMESPACE;

// Rounded quotient of int32 lanes by count (> 0), as DivRoundHalfAway.
template <class D32>
HWY_INLINE hn::Vec<D32> DivRoundHalfAwayLanes(D32 d32, hn::Vec<D32> sum, int count) {
  const hn::Rebind<float, D32> df;
  const auto sign = hn::ShiftRight<31>(sum);  // 0 or -1
  const auto mag = hn::Add(hn::Abs(sum), hn::Set(d32, count / 2));
  const auto q = hn::ConvertTo(d32, hn::Div(hn::ConvertTo(df, mag),
                                            hn::Set(df, static_cast<float>(count))));
  return hn::Sub(hn::Xor(q, sign), sign);
}

template <class D16>
static void AvgPoolWithTag(D16 d16, const ConvGeometry& g, int32_t lo, int32_t hi,
                           const int8_t* input, int8_t* output) {
  const hn::Rebind<int8_t, D16> d8;
  const hn::Half<D16> d16h;
  const hn::Rebind<int32_t, decltype(d16h)> d32;
  const int n16 = static_cast<int>(hn::Lanes(d16));
  const int c = g.out_c;
  const auto vlo = hn::Set(d32, lo), vhi = hn::Set(d32, hi);
  HWY_ALIGN int8_t xcopy[HWY_MAX_BYTES];
  HWY_ALIGN int8_t ycopy[HWY_MAX_BYTES];
  memset(xcopy, 0, sizeof(xcopy));
  for (int oy = 0; oy < g.out_h; ++oy) {
    const int iy0 = oy * g.stride_h - g.pad_top;
    const auto [ky_lo, ky_hi] = ValidTaps(iy0, g.kernel_h, g.in_h);
    for (int ox = 0; ox < g.out_w; ++ox) {
      const int ix0 = ox * g.stride_w - g.pad_left;
      const auto [kx_lo, kx_hi] = ValidTaps(ix0, g.kernel_w, g.in_w);
      const int count = (ky_hi > ky_lo && kx_hi > kx_lo) ? (ky_hi - ky_lo) * (kx_hi - kx_lo) : 0;
      int8_t* out = output + (static_cast<size_t>(oy) * g.out_w + ox) * c;
      for (int cb = 0; cb < c; cb += n16) {
        const int live = c - cb < n16 ? c - cb : n16;
        auto sum = hn::Zero(d16);
        for (int ky = ky_lo; ky < ky_hi; ++ky) {
          // Starts at the first real pixel: ix0 is negative in the left padding.
          const int8_t* xrow =
              input + (static_cast<ptrdiff_t>(iy0 + ky) * g.in_w + ix0 + kx_lo) * c + cb;
          for (int kx = kx_lo; kx < kx_hi; ++kx) {
            const int8_t* xp = xrow + static_cast<ptrdiff_t>(kx - kx_lo) * c;
            if (live < n16) {
              memcpy(xcopy, xp, static_cast<size_t>(live));
              xp = xcopy;
            }
            sum = hn::Add(sum, hn::PromoteTo(d16, hn::LoadU(d8, xp)));
          }
        }
        auto s_lo = hn::PromoteTo(d32, hn::LowerHalf(d16h, sum));
        auto s_hi = hn::PromoteTo(d32, hn::UpperHalf(d16h, sum));
        if (count > 0) {  // an empty window averages to 0, as in the reference
          s_lo = DivRoundHalfAwayLanes(d32, s_lo, count);
          s_hi = DivRoundHalfAwayLanes(d32, s_hi, count);
        }
        s_lo = hn::Min(hn::Max(s_lo, vlo), vhi);
        s_hi = hn::Min(hn::Max(s_hi, vlo), vhi);
        const auto y16 = hn::Combine(d16, hn::DemoteTo(d16h, s_hi), hn::DemoteTo(d16h, s_lo));
        const auto y = hn::DemoteTo(d8, y16);
        if (live < n16) {
          hn::Store(y, d8, ycopy);
          memcpy(out + cb, ycopy, static_cast<size_t>(live));
        } else {
          hn::StoreU(y, d8, out + cb);
        }
      }
    }
  }
}

void AvgPool2D(const ConvGeometry& g, int32_t lo, int32_t hi, const int8_t* input, int8_t* output) {
  // Wider windows could overflow the int16 sums; bounds outside int8 make
  // the reference's cast wrap. Both are left to the reference.
  if (g.kernel_h * g.kernel_w > 256 || lo < -128 || lo > 127 || hi < -128 || hi > 127) {
    qs8_avg_pool2d_ref(g, lo, hi, input, output);
    return;
  }
  const hn::ScalableTag<int16_t> dfull;
  const hn::CappedTag<int16_t, 8> d8lanes;
  if (g.out_c >= static_cast<int>(hn::Lanes(dfull))) {
    AvgPoolWithTag(dfull, g, lo, hi, input, output);
  } else {
    AvgPoolWithTag(d8lanes, g, lo, hi, input, output);
  }
}

#endif  // HWY_TARGET == HWY_SCALAR

// The table's entry (select.cc): int8 storage straight to AvgPool2D,
// packed int4 layers band by band over it (act4_bands.h).
void AvgPool2DAnyStorage(const ConvGeometry& g, int32_t lo, int32_t hi, const int8_t* input,
                         int8_t* output) {
  act4::AvgPool2D<AvgPool2D, act4::kHwyBudget, act4_unpack_hwy, act4_pack_hwy>(
      g, lo, hi, input, output);
}
}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(AvgPool2DAnyStorage);
#endif
void SetAvgPool2DHwy(KernelTable* t) {
  t->avg_pool2d = TM2_HWY_POINTER(AvgPool2DAnyStorage);
}
}  // namespace tm2
#endif
