// Highway depthwise convolution: channels in lanes, weights packed once.
//
// The pack step (at Init, in the engine's arena) cuts the channels into
// blocks of W lanes and stores, per block, the bias, the output stage's
// constants and every tap's weights widened to int16. W is the widest of
// the target's vector, 16, 8 or 4 int16 lanes that does not exceed the
// channel count; when W does not divide it, the last block starts at channels - W
// and overlaps the one before (it recomputes a few channels and writes the
// same bytes), so every load and store is a whole vector: no scratch copy,
// no byte-wise store, whatever the channel count. Fewer than 4 channels,
// and calls without packed weights, run the reference.
//
// Per block the kernel walks every output pixel. A 3x3 kernel keeps its
// nine weight vectors in registers and runs interior pixels unrolled; edge
// pixels (and other kernel sizes) read the taps from the packed block,
// which stays in L1. Each tap multiplies int16 (x - zp) by the weights (the
// product is exact in 16 bits) and widens into two int32 accumulators.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/depthwise_conv2d_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstddef>
#include <cstring>

#include "hwy/highway.h"
#include "kernels/hwy/hwy_kernels.h"
#include "kernels/hwy/qs8_requant-inl.h"
#include "kernels/hwy/requant_row.h"

#ifndef TM2_KERNELS_HWY_DEPTHWISE_PACKED_ONCE_
#define TM2_KERNELS_HWY_DEPTHWISE_PACKED_ONCE_
namespace tm2 {
namespace hwyk {
// Packed layout: header (64 bytes) then per block
//   bias[W] | mult[W] | rnd[W] | pow[W] (int32) | weights[taps][W] (int16).
// The header names the width and shape it was made for, so a table
// switched after packing (tests force Highway targets) is noticed.
struct DwHeader {
  int32_t width, taps, channels, vector;
};
constexpr size_t kDwHeaderBytes = 64;
inline int DwBlocks(int channels, int width) { return (channels + width - 1) / width; }
inline int DwBlockStart(int b, int channels, int width) {
  return b * width + width <= channels ? b * width : channels - width;
}
inline size_t DwBlockBytes(int taps, int width) {
  return 4 * sizeof(int32_t) * width + sizeof(int16_t) * static_cast<size_t>(taps) * width;
}
}  // namespace hwyk
}  // namespace tm2
#endif

HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
#if HWY_TARGET == HWY_SCALAR
size_t DepthwisePackedBytes(const ConvGeometry&) { return 0; }
void DepthwisePack(const ConvGeometry&, const QuantizedWeights&, const Requantization&, void*) {}
void DepthwiseConv2D(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                     const Requantization& rq, const int8_t* input, int8_t* output) {
  qs8_depthwise_conv2d_ref(g, w, zp, rq, input, output);
}
#else
namespace hn = hwy::HWY_NAMESPACE;

// Lanes per block for `channels` on this target; 0: reference.
static int DwWidth(int channels) {
  const hn::ScalableTag<int16_t> d16;
  const int full = static_cast<int>(hn::Lanes(d16));
  if (channels >= full) return full;
  if (channels >= 16 && full > 16) return 16;
  if (channels >= 8 && full > 8) return 8;
  if (channels >= 4 && full > 4) return 4;
  return 0;
}

size_t DepthwisePackedBytes(const ConvGeometry& g) {
  const int width = DwWidth(g.out_c);
  if (width == 0 || g.in_c != g.out_c) return 0;
  const int taps = g.kernel_h * g.kernel_w;
  return hwyk::kDwHeaderBytes +
         static_cast<size_t>(hwyk::DwBlocks(g.out_c, width)) * hwyk::DwBlockBytes(taps, width);
}

void DepthwisePack(const ConvGeometry& g, const QuantizedWeights& w, const Requantization& rq,
                   void* packed) {
  const int width = DwWidth(g.out_c);
  if (width == 0 || g.in_c != g.out_c) return;
  const int channels = g.out_c, taps = g.kernel_h * g.kernel_w;
  const size_t tap_bytes = WeightRowBytes(channels, w.bits);
  const bool vector = hwyk::VectorRequantOk(rq, 0, channels);
  uint8_t* base = static_cast<uint8_t*>(packed);
  memset(base, 0, hwyk::kDwHeaderBytes);
  const hwyk::DwHeader h{width, taps, channels, vector ? 1 : 0};
  memcpy(base, &h, sizeof(h));
  for (int b = 0; b < hwyk::DwBlocks(channels, width); ++b) {
    const int c0 = hwyk::DwBlockStart(b, channels, width);
    uint8_t* block = base + hwyk::kDwHeaderBytes + b * hwyk::DwBlockBytes(taps, width);
    int32_t* bias = reinterpret_cast<int32_t*>(block);
    int32_t* mult = bias + width;
    int32_t* rnd = mult + width;
    int32_t* pow = rnd + width;
    int16_t* wt = reinterpret_cast<int16_t*>(pow + width);
    for (int i = 0; i < width; ++i) {
      bias[i] = w.bias ? w.bias[c0 + i] : 0;
      mult[i] = rnd[i] = pow[i] = 0;
    }
    if (vector) hwyk::FillVectorRequant(rq, c0, width, mult, rnd, pow);
    for (int t = 0; t < taps; ++t) {
      for (int i = 0; i < width; ++i) {
        wt[t * width + i] = hwyk::WeightAt16(w.data + t * tap_bytes, c0 + i, w.bits);
      }
    }
  }
}

// Every block of W = Lanes(d16) channels; KH x KW > 0: that kernel size,
// its weights held in registers for interior pixels.
template <int KH, int KW, class D16>
static void DepthwiseBlocks(D16 d16, const ConvGeometry g, const uint8_t* packed, bool vector,
                            int32_t zp, const Requantization& rq, const int8_t* input,
                            int8_t* output) {
  const hn::Rebind<int8_t, D16> d8;
  const hn::Half<D16> d16h;
  const hn::Rebind<int32_t, decltype(d16h)> d32;
  const int width = static_cast<int>(hn::Lanes(d16));
  const int n32 = width / 2;
  const int channels = g.out_c, taps = g.kernel_h * g.kernel_w;
  const VectorRequant<decltype(d32)> vr(d32, rq);
  const auto vzp = hn::Set(d16, static_cast<int16_t>(zp));
  const ptrdiff_t pixel = channels;
  for (int b = 0; b < hwyk::DwBlocks(channels, width); ++b) {
    const int c0 = hwyk::DwBlockStart(b, channels, width);
    const uint8_t* block = packed + hwyk::kDwHeaderBytes + b * hwyk::DwBlockBytes(taps, width);
    const int32_t* bias = reinterpret_cast<const int32_t*>(block);
    const int32_t* mult = bias + width;
    const int32_t* rnd = mult + width;
    const int32_t* pow = rnd + width;
    const int16_t* wt = reinterpret_cast<const int16_t*>(pow + width);
    hn::Vec<D16> wreg[KH * KW > 0 ? KH * KW : 1];
    for (int t = 0; t < KH * KW; ++t) wreg[t] = hn::LoadU(d16, wt + t * width);
    const auto bias_lo = hn::LoadU(d32, bias), bias_hi = hn::LoadU(d32, bias + n32);
    const int8_t* in_c0 = input + c0;
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int iy0 = oy * g.stride_h - g.pad_top;
      const auto [ky_lo, ky_hi] = ValidTaps(iy0, g.kernel_h, g.in_h);
      const bool rows_whole = ky_lo == 0 && ky_hi == KH;
      int8_t* orow = output + static_cast<size_t>(oy) * g.out_w * channels + c0;
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int ix0 = ox * g.stride_w - g.pad_left;
        auto acc_lo = bias_lo, acc_hi = bias_hi;
        // ix0 is negative in the left padding: only ix0 + kx for valid kx
        // is a real pixel, so the pointer arithmetic stays signed.
        const int8_t* at = in_c0 + (static_cast<ptrdiff_t>(iy0) * g.in_w + ix0) * pixel;
        const auto tap = [&](const int8_t* xp, hn::Vec<D16> wv) {
          const auto x = hn::Sub(hn::PromoteTo(d16, hn::LoadU(d8, xp)), vzp);
          const auto prod = hn::Mul(x, wv);
          acc_lo = hn::Add(acc_lo, hn::PromoteTo(d32, hn::LowerHalf(d16h, prod)));
          acc_hi = hn::Add(acc_hi, hn::PromoteTo(d32, hn::UpperHalf(d16h, prod)));
        };
        if (KH * KW > 0 && rows_whole && ix0 >= 0 && ix0 + KW <= g.in_w) {
          for (int ky = 0; ky < KH; ++ky) {
            for (int kx = 0; kx < KW; ++kx) {
              tap(at + (static_cast<ptrdiff_t>(ky) * g.in_w + kx) * pixel, wreg[ky * KW + kx]);
            }
          }
        } else {
          const auto [kx_lo, kx_hi] = ValidTaps(ix0, g.kernel_w, g.in_w);
          for (int ky = ky_lo; ky < ky_hi; ++ky) {
            for (int kx = kx_lo; kx < kx_hi; ++kx) {
              tap(at + (static_cast<ptrdiff_t>(ky) * g.in_w + kx) * pixel,
                  hn::LoadU(d16, wt + (ky * g.kernel_w + kx) * width));
            }
          }
        }
        int8_t* out = orow + static_cast<size_t>(ox) * channels;
        if (vector) {
          StoreBytes(d32, vr.Apply(d32, acc_lo, hn::LoadU(d32, mult), hn::LoadU(d32, rnd),
                                   hn::LoadU(d32, pow)), n32, out);
          StoreBytes(d32, vr.Apply(d32, acc_hi, hn::LoadU(d32, mult + n32),
                                   hn::LoadU(d32, rnd + n32), hn::LoadU(d32, pow + n32)),
                     n32, out + n32);
        } else {
          HWY_ALIGN int32_t acc[HWY_MAX_BYTES / 2];
          hn::Store(acc_lo, d32, acc);
          hn::Store(acc_hi, d32, acc + n32);
          hwyk::RequantizeRow(acc, c0, width, rq, out);
        }
      }
    }
  }
}

template <class D16>
static void DepthwiseWidth(D16 d16, const ConvGeometry& g, const uint8_t* packed, bool vector,
                           int32_t zp, const Requantization& rq, const int8_t* input,
                           int8_t* output) {
  if (g.kernel_h == 3 && g.kernel_w == 3) {
    DepthwiseBlocks<3, 3>(d16, g, packed, vector, zp, rq, input, output);
  } else {
    DepthwiseBlocks<0, 0>(d16, g, packed, vector, zp, rq, input, output);
  }
}

void DepthwiseConv2D(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                     const Requantization& rq, const int8_t* input, int8_t* output) {
  const int width = DwWidth(g.out_c);
  hwyk::DwHeader h{};
  if (w.packed) memcpy(&h, w.packed, sizeof(h));
  if (width == 0 || !w.packed || h.width != width || h.taps != g.kernel_h * g.kernel_w ||
      h.channels != g.out_c || g.in_c != g.out_c) {
    qs8_depthwise_conv2d_ref(g, w, zp, rq, input, output);
    return;
  }
  const uint8_t* packed = static_cast<const uint8_t*>(w.packed);
  const hn::ScalableTag<int16_t> d16;
  if (width == static_cast<int>(hn::Lanes(d16))) {
    DepthwiseWidth(d16, g, packed, h.vector != 0, zp, rq, input, output);
    return;
  }
#if HWY_MAX_BYTES > 32
  if (width == 16) {
    DepthwiseWidth(hn::CappedTag<int16_t, 16>(), g, packed, h.vector != 0, zp, rq, input, output);
    return;
  }
#endif
#if HWY_MAX_BYTES > 16
  if (width == 8) {
    DepthwiseWidth(hn::CappedTag<int16_t, 8>(), g, packed, h.vector != 0, zp, rq, input, output);
    return;
  }
#endif
  DepthwiseWidth(hn::CappedTag<int16_t, 4>(), g, packed, h.vector != 0, zp, rq, input, output);
}

#endif  // HWY_TARGET == HWY_SCALAR
}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(DepthwiseConv2D);
HWY_EXPORT(DepthwisePackedBytes);
HWY_EXPORT(DepthwisePack);
#endif
size_t qs8_depthwise_conv2d_packed_bytes_hwy(const ConvGeometry& g) {
  return TM2_HWY_DISPATCH(DepthwisePackedBytes)(g);
}
void qs8_depthwise_conv2d_pack_hwy(const ConvGeometry& g, const QuantizedWeights& w,
                                   const Requantization& rq, void* packed) {
  TM2_HWY_DISPATCH(DepthwisePack)(g, w, rq, packed);
}
void qs8_depthwise_conv2d_hwy(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                              const Requantization& rq, const int8_t* input, int8_t* output) {
  TM2_HWY_DISPATCH(DepthwiseConv2D)(g, w, zp, rq, input, output);
}
}  // namespace tm2
#endif
