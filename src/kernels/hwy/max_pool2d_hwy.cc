// Highway max pool: channels in int8 lanes, one vector max per window cell.
// Pools keep scale and zero point, so the stored bytes are compared
// directly. The vector width follows the channel count (8, 16 or the full
// width) so that 8-channel maps do not waste three quarters of an AVX2
// register; a ragged last channel block goes through a small zeroed copy.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/max_pool2d_hwy.cc"
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
void MaxPool2D(const ConvGeometry& g, int32_t lo, int32_t hi, const int8_t* input, int8_t* output) {
  s8_max_pool2d_ref(g, lo, hi, input, output);
}
#else
namespace hn = hwy::HWY_NAMESPACE;

template <class D8>
static void MaxPoolWithTag(D8 d8, const ConvGeometry& g, int32_t lo, int32_t hi,
                           const int8_t* input, int8_t* output) {
  const int n8 = static_cast<int>(hn::Lanes(d8));
  const int c = g.out_c;
  // An empty window gives INT32_MIN clamped, i.e. lo: starting from -128
  // and clamping gives the same byte.
  const auto vinit = hn::Set(d8, int8_t{-128});
  const auto vlo = hn::Set(d8, static_cast<int8_t>(lo));
  const auto vhi = hn::Set(d8, static_cast<int8_t>(hi));
  HWY_ALIGN int8_t xcopy[HWY_MAX_BYTES];
  HWY_ALIGN int8_t ycopy[HWY_MAX_BYTES];
  memset(xcopy, 0, sizeof(xcopy));
  for (int oy = 0; oy < g.out_h; ++oy) {
    const int iy0 = oy * g.stride_h - g.pad_top;
    const auto [ky_lo, ky_hi] = ValidTaps(iy0, g.kernel_h, g.in_h);
    for (int ox = 0; ox < g.out_w; ++ox) {
      const int ix0 = ox * g.stride_w - g.pad_left;
      const auto [kx_lo, kx_hi] = ValidTaps(ix0, g.kernel_w, g.in_w);
      int8_t* out = output + (static_cast<size_t>(oy) * g.out_w + ox) * c;
      for (int cb = 0; cb < c; cb += n8) {
        const int live = c - cb < n8 ? c - cb : n8;
        auto m = vinit;
        for (int ky = ky_lo; ky < ky_hi; ++ky) {
          // Starts at the first real pixel: ix0 is negative in the left padding.
          const int8_t* xrow =
              input + (static_cast<ptrdiff_t>(iy0 + ky) * g.in_w + ix0 + kx_lo) * c + cb;
          for (int kx = kx_lo; kx < kx_hi; ++kx) {
            const int8_t* xp = xrow + static_cast<ptrdiff_t>(kx - kx_lo) * c;
            if (live < n8) {
              memcpy(xcopy, xp, static_cast<size_t>(live));
              xp = xcopy;
            }
            m = hn::Max(m, hn::LoadU(d8, xp));
          }
        }
        m = hn::Min(hn::Max(m, vlo), vhi);
        if (live < n8) {
          hn::Store(m, d8, ycopy);
          memcpy(out + cb, ycopy, static_cast<size_t>(live));
        } else {
          hn::StoreU(m, d8, out + cb);
        }
      }
    }
  }
}

void MaxPool2D(const ConvGeometry& g, int32_t lo, int32_t hi, const int8_t* input, int8_t* output) {
  // Clamp bounds outside int8 make the reference's cast wrap: keep it.
  if (lo < -128 || lo > 127 || hi < -128 || hi > 127) {
    s8_max_pool2d_ref(g, lo, hi, input, output);
    return;
  }
  const hn::ScalableTag<int8_t> dfull;
  const hn::CappedTag<int8_t, 16> d16;
  const hn::CappedTag<int8_t, 8> d8;
  if (g.out_c >= static_cast<int>(hn::Lanes(dfull))) {
    MaxPoolWithTag(dfull, g, lo, hi, input, output);
  } else if (g.out_c >= 16) {
    MaxPoolWithTag(d16, g, lo, hi, input, output);
  } else {
    MaxPoolWithTag(d8, g, lo, hi, input, output);
  }
}

#endif  // HWY_TARGET == HWY_SCALAR

// The table's entry (select.cc): int8 storage straight to MaxPool2D,
// packed int4 layers band by band over it (act4_bands.h).
void MaxPool2DAnyStorage(const ConvGeometry& g, int32_t lo, int32_t hi, const int8_t* input,
                         int8_t* output) {
  act4::MaxPool2D<MaxPool2D, act4::kHwyBudget, act4_unpack_hwy, act4_pack_hwy>(
      g, lo, hi, input, output);
}
}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(MaxPool2DAnyStorage);
#endif
void SetMaxPool2DHwy(KernelTable* t) {
  t->max_pool2d = TM2_HWY_POINTER(MaxPool2DAnyStorage);
}
}  // namespace tm2
#endif
