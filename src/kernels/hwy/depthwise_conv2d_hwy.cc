// Highway depthwise convolution: channels in lanes. Each tap multiplies
// int16 (x - zp) by int16 weights (the product is exact in 16 bits) and
// widens into two int32 accumulators. The weights are widened once per call
// into a stack tile [tap][channel]. A channel count below the full vector
// width (8 channels on AVX2), or a multiple of 8 it does not divide (24),
// runs on 128-bit vectors instead of wasting lanes; a ragged last channel
// block goes through a small zero-filled copy.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/depthwise_conv2d_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstddef>
#include <cstring>

#include "hwy/highway.h"
#include "kernels/hwy/hwy_kernels.h"
#include "kernels/hwy/qs8_requant-inl.h"
#include "kernels/hwy/requant_row.h"

HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
#if HWY_TARGET == HWY_SCALAR
void DepthwiseConv2D(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                     const Requantization& rq, const int8_t* input, int8_t* output) {
  qs8_depthwise_conv2d_ref(g, w, zp, rq, input, output);
}
#else
namespace hn = hwy::HWY_NAMESPACE;

constexpr int kChunk = 512;

template <class D16>
static void DepthwiseWithTag(D16 d16, const ConvGeometry& g, const QuantizedWeights& w,
                             int32_t zp, const Requantization& rq, const int8_t* input,
                             int8_t* output) {
  const hn::Rebind<int8_t, D16> d8;
  const hn::Half<D16> d16h;
  const hn::Rebind<int32_t, decltype(d16h)> d32;
  const int n16 = static_cast<int>(hn::Lanes(d16));
  const int n32 = static_cast<int>(hn::Lanes(d32));
  const int channels = g.out_c;
  const int taps = g.kernel_h * g.kernel_w;
  const size_t tap_bytes = WeightRowBytes(channels, w.bits);
  // Channels per tile pass: a multiple of n16 whose taps fit the tile.
  int chunk = hwyk::kTileElems / taps / n16 * n16;
  const int padded_all = (channels + n16 - 1) / n16 * n16;
  if (chunk > padded_all) chunk = padded_all;
  if (chunk > kChunk) chunk = kChunk;
  HWY_ALIGN int16_t tile[hwyk::kTileElems];
  HWY_ALIGN int32_t acc[HWY_MAX_BYTES / 2];
  HWY_ALIGN int32_t bias[kChunk], mult[kChunk], rnd[kChunk], pow[kChunk];
  const VectorRequant<decltype(d32)> vr(d32, rq);
  HWY_ALIGN int8_t xcopy[HWY_MAX_BYTES];
  memset(xcopy, 0, sizeof(xcopy));
  const auto vzp = hn::Set(d16, static_cast<int16_t>(zp));

  for (int c0 = 0; c0 < channels; c0 += chunk) {
    const int cn = channels - c0 < chunk ? channels - c0 : chunk;
    const int cpad = (cn + n16 - 1) / n16 * n16;
    for (int t = 0; t < taps; ++t) {
      const uint8_t* row = w.data + t * tap_bytes;
      for (int c = 0; c < cpad; ++c) {
        tile[t * cpad + c] = c < cn ? hwyk::WeightAt16(row, c0 + c, w.bits) : 0;
      }
    }
    for (int c = 0; c < cpad; ++c) {
      bias[c] = (c < cn && w.bias) ? w.bias[c0 + c] : 0;
      mult[c] = rnd[c] = pow[c] = 0;
    }
    const bool vector_rq = hwyk::VectorRequantOk(rq, c0, cn);
    if (vector_rq) hwyk::FillVectorRequant(rq, c0, cn, mult, rnd, pow);
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int iy0 = oy * g.stride_h - g.pad_top;
      const auto [ky_lo, ky_hi] = ValidTaps(iy0, g.kernel_h, g.in_h);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int ix0 = ox * g.stride_w - g.pad_left;
        const auto [kx_lo, kx_hi] = ValidTaps(ix0, g.kernel_w, g.in_w);
        int8_t* out = output + (static_cast<size_t>(oy) * g.out_w + ox) * channels + c0;
        for (int cb = 0; cb < cn; cb += n16) {
          const bool ragged = cb + n16 > cn;
          auto acc_lo = hn::Load(d32, bias + cb), acc_hi = hn::Load(d32, bias + cb + n32);
          for (int ky = ky_lo; ky < ky_hi; ++ky) {
            // Signed pixel index: ix0 is negative in the left padding, and
            // only ix0 + kx (kx >= kx_lo) is a real pixel.
            const ptrdiff_t row = static_cast<ptrdiff_t>(iy0 + ky) * g.in_w + ix0;
            const int16_t* wrow = tile + ky * g.kernel_w * cpad + cb;
            for (int kx = kx_lo; kx < kx_hi; ++kx) {
              const int8_t* xp = input + (row + kx) * g.in_c + c0 + cb;
              if (ragged) {
                memcpy(xcopy, xp, static_cast<size_t>(cn - cb));
                xp = xcopy;
              }
              const auto x = hn::Sub(hn::PromoteTo(d16, hn::LoadU(d8, xp)), vzp);
              const auto prod = hn::Mul(x, hn::Load(d16, wrow + kx * cpad));
              acc_lo = hn::Add(acc_lo, hn::PromoteTo(d32, hn::LowerHalf(d16h, prod)));
              acc_hi = hn::Add(acc_hi, hn::PromoteTo(d32, hn::UpperHalf(d16h, prod)));
            }
          }
          const int live = ragged ? cn - cb : n16;
          if (vector_rq) {
            const auto y_lo = vr.Apply(d32, acc_lo, hn::Load(d32, mult + cb), hn::Load(d32, rnd + cb),
                                       hn::Load(d32, pow + cb));
            const auto y_hi = vr.Apply(d32, acc_hi, hn::Load(d32, mult + cb + n32),
                                       hn::Load(d32, rnd + cb + n32), hn::Load(d32, pow + cb + n32));
            StoreBytes(d32, y_lo, live < n32 ? live : n32, out + cb);
            StoreBytes(d32, y_hi, live > n32 ? live - n32 : 0, out + cb + n32);
          } else {
            hn::Store(acc_lo, d32, acc);
            hn::Store(acc_hi, d32, acc + n32);
            hwyk::RequantizeRow(acc, c0 + cb, live, rq, out + cb);
          }
        }
      }
    }
  }
}

void DepthwiseConv2D(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                     const Requantization& rq, const int8_t* input, int8_t* output) {
  const hn::ScalableTag<int16_t> d16;
  if (g.kernel_h * g.kernel_w * static_cast<int>(hn::Lanes(d16)) > hwyk::kTileElems) {
    qs8_depthwise_conv2d_ref(g, w, zp, rq, input, output);  // huge kernels only
    return;
  }
  const hn::CappedTag<int16_t, 8> d16_128;
  // Channel counts the full width does not divide (24 on AVX2) but 128-bit
  // vectors do run on 128-bit vectors: no ragged block (byte copies).
  const int full = static_cast<int>(hn::Lanes(d16)), narrow = static_cast<int>(hn::Lanes(d16_128));
  if (narrow < full && (g.out_c < full || (g.out_c % full != 0 && g.out_c % narrow == 0))) {
    DepthwiseWithTag(d16_128, g, w, zp, rq, input, output);
  } else {
    DepthwiseWithTag(d16, g, w, zp, rq, input, output);
  }
}

#endif  // HWY_TARGET == HWY_SCALAR
}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(DepthwiseConv2D);
#endif
void qs8_depthwise_conv2d_hwy(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                              const Requantization& rq, const int8_t* input, int8_t* output) {
  TM2_HWY_DISPATCH(DepthwiseConv2D)(g, w, zp, rq, input, output);
}
}  // namespace tm2
#endif
