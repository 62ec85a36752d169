// Highway global average pool: channels in int16 lanes, summed exactly in
// int16 over blocks of 256 cells (|sum| <= 128 * 256), then added into int32
// sums. The int32 total is exact for up to 2^24 cells (the format's limit);
// the one division per channel stays scalar, as in the reference, and so
// do the last c % 8 channels.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/global_avg_pool_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstring>

#include "hwy/highway.h"
#include "kernels/hwy/hwy_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
#if HWY_TARGET == HWY_SCALAR
void GlobalAvgPool(int hw, int c, int32_t lo, int32_t hi, const int8_t* input, int8_t* output) {
  qs8_global_avg_pool_ref(hw, c, lo, hi, input, output);
}
#else
namespace hn = hwy::HWY_NAMESPACE;

constexpr int kBlockCells = 256;

void GlobalAvgPool(int hw, int c, int32_t lo, int32_t hi, const int8_t* input, int8_t* output) {
  const hn::CappedTag<int16_t, 8> d16;
  const int n16 = static_cast<int>(hn::Lanes(d16));
  if (hw <= 0 || hw > (1 << 24)) {
    qs8_global_avg_pool_ref(hw, c, lo, hi, input, output);
    return;
  }
  const hn::Rebind<int8_t, decltype(d16)> d8;
  const hn::Half<decltype(d16)> d16h;
  const hn::Rebind<int32_t, decltype(d16h)> d32;
  const int n32 = static_cast<int>(hn::Lanes(d32));
  HWY_ALIGN int32_t sums[HWY_MAX_BYTES / 2];
  int cb = 0;
  for (; cb + n16 <= c; cb += n16) {
    const int c0 = cb;
    auto acc_lo = hn::Zero(d32), acc_hi = hn::Zero(d32);
    for (int i0 = 0; i0 < hw; i0 += kBlockCells) {
      const int i1 = hw - i0 < kBlockCells ? hw : i0 + kBlockCells;
      auto s = hn::Zero(d16);
      const int8_t* x = input + static_cast<size_t>(i0) * c + c0;
      for (int i = i0; i < i1; ++i, x += c) s = hn::Add(s, hn::PromoteTo(d16, hn::LoadU(d8, x)));
      acc_lo = hn::Add(acc_lo, hn::PromoteTo(d32, hn::LowerHalf(d16h, s)));
      acc_hi = hn::Add(acc_hi, hn::PromoteTo(d32, hn::UpperHalf(d16h, s)));
    }
    hn::Store(acc_lo, d32, sums);
    hn::Store(acc_hi, d32, sums + n32);
    for (int l = 0; l < n16; ++l) {
      const int64_t sum = sums[l];
      const int64_t avg = sum >= 0 ? (sum + hw / 2) / hw : -((-sum + hw / 2) / hw);
      int32_t v = static_cast<int32_t>(avg);
      if (v < lo) v = lo;
      if (v > hi) v = hi;
      output[c0 + l] = static_cast<int8_t>(v);
    }
  }
  // The last c % n16 channels, one at a time as in the reference.
  if (cb < c) {
    for (int ch = cb; ch < c; ++ch) {
      int64_t sum = 0;
      for (int i = 0; i < hw; ++i) sum += input[static_cast<size_t>(i) * c + ch];
      const int64_t avg = sum >= 0 ? (sum + hw / 2) / hw : -((-sum + hw / 2) / hw);
      int32_t v = static_cast<int32_t>(avg);
      if (v < lo) v = lo;
      if (v > hi) v = hi;
      output[ch] = static_cast<int8_t>(v);
    }
  }
}

#endif  // HWY_TARGET == HWY_SCALAR
}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(GlobalAvgPool);
#endif
void SetGlobalAvgPoolHwy(KernelTable* t) {
  t->global_avg_pool = TM2_HWY_POINTER(GlobalAvgPool);
}
}  // namespace tm2
#endif
