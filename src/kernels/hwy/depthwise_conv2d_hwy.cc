// Highway depthwise convolution: channels in lanes, weights packed once.
//
// The pack step (depthwise_pack_hwy.cc; at Init, in the engine's arena)
// cuts the channels into blocks of W lanes and stores, per block, the bias,
// the output stage's constants and every tap's weights widened to int16. W
// is the widest of the target's vector, 16, 8 or 4 int16 lanes that does
// not exceed the channel count; when W does not divide it, the last block
// starts at channels - W and overlaps the one before (it recomputes a few
// channels and writes the same bytes), so every load and store is a whole
// vector: no scratch copy, no byte-wise store, whatever the channel count.
// Fewer than 4 channels, and calls without packed weights, run the
// reference.
//
// Taps go in pairs, like the GEMM's: the int16 x of two taps are
// interleaved and one pair multiply-add (pmaddwd, i32x4.dot_i16x8_s) sums
// both products of a channel into its int32 lane. Interleaving works per
// 128-bit block, so within each block of B = min(W, 8) channels the "a"
// accumulator holds the first B/2 channels and "b" the rest; the packed
// weights and constants follow that order, and the final int32 -> int16
// narrowing of a and b (ReorderDemote2To, packssdw per block) puts the
// channels back in order (4-channel blocks store a and b apart). A 3x3 kernel keeps its ten pair vectors in
// registers. The zero point is not subtracted per tap: sum (x - zp) w =
// sum x w - zp sum w, and the pack step stores sum w per channel so each
// call folds the last term into the bias. Taps in the padding read a row
// of zero points, whose zp w cancels against that term, so every pixel
// runs the same pairs.
//
// The packed layout is in depthwise_layout.h, the block widths both sides
// use in depthwise_target-inl.h; channels of n <= 32 are lifted into the
// vector output stage by scaling their weights (depthwise_lift.h); what
// WASM does differently (the scaled output stage: its pack-time plan, the
// 8-channel store) in qs8_depthwise_wasm-inl.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/depthwise_conv2d_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstddef>
#include <cstring>

#include "hwy/highway.h"
#include "kernels/act4/act4_bands.h"
#include "kernels/hwy/act4_nibbles_hwy.h"
#include "kernels/hwy/depthwise_layout.h"
#include "kernels/hwy/depthwise_target-inl.h"
#include "kernels/hwy/hwy_kernels.h"
#include "kernels/hwy/qs8_depthwise_dot16_wasm-inl.h"
#include "kernels/hwy/qs8_depthwise_relaxed_wasm-inl.h"
#include "kernels/hwy/qs8_depthwise_wasm-inl.h"
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

// acc += a[2i] * b[2i] + a[2i+1] * b[2i+1] per int32 lane, for any lane count.
template <class D32, class V16>
HWY_INLINE hn::Vec<D32> DwMulAddPairs(D32 d32, V16 a, V16 b, hn::Vec<D32> acc) {
#if TM2_DW_WIDENING_PAIRS
  hn::Vec<D32> unused = hn::Zero(d32);
  return hn::ReorderWidenMulAccumulate(d32, a, b, acc, unused);
#else
  // Every product fits int16 (|x| <= 128, |w| <= kDwWeightLimit = 255):
  // multiply in int16 and add the two sign-extended halves of each int32 lane.
  const hn::Vec<D32> prod = hn::BitCast(d32, hn::Mul(a, b));
  return hn::Add(acc, hn::Add(hn::ShiftRight<16>(hn::ShiftLeft<16>(prod)), hn::ShiftRight<16>(prod)));
#endif
}

// Every block of W = Lanes(d16) channels; KH x KW > 0: that kernel size,
// its pair vectors held in registers.
// blocks: the first block's bytes; its channels start at c_first.
template <int KH, int KW, class D16>
static void DepthwiseBlocks(D16 d16, const ConvGeometry g, const uint8_t* blocks, int c_first,
                            int num_blocks, bool vector, int shift, int32_t zp,
                            const Requantization& rq, const int8_t* input, int8_t* output) {
  const hn::Rebind<int8_t, D16> d8;
  const hn::Repartition<int32_t, D16> d32;
  const int width = static_cast<int>(hn::Lanes(d16));
  const int n32 = width / 2;
  const int channels = g.out_c, taps = g.kernel_h * g.kernel_w, pairs = hwyk::DwPairs(taps);
  const VectorRequant<decltype(d32)> vr(d32, rq, shift);
  const ptrdiff_t pixel = channels;
  // Padded taps read this row: zp * w, cancelled by the bias term.
  HWY_ALIGN int8_t zero_row[HWY_MAX_BYTES];
  memset(zero_row, static_cast<int8_t>(zp), sizeof(zero_row));
  constexpr int kFixedPairs = (KH * KW + 1) / 2;
  for (int b = 0; b < num_blocks; ++b) {
    const int c0 = c_first + BlockStart(b, channels - c_first, width);
    const int live = channels - c0 < width ? channels - c0 : width;
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
    const bool partial = live < width;
    const auto m8 = hn::FirstN(d8, static_cast<size_t>(live));
#endif
    const uint8_t* block = blocks + b * hwyk::DwBlockBytes(taps, width);
    const int32_t* bias = reinterpret_cast<const int32_t*>(block);
    const int32_t* mult = bias + width;
    const int32_t* rnd = mult + width;
    const int32_t* pow = rnd + width;
    const int32_t* wsum = pow + width;
    const int16_t* wt = reinterpret_cast<const int16_t*>(wsum + width);
    hn::Vec<D16> wreg[kFixedPairs > 0 ? 2 * kFixedPairs : 1];
    for (int i = 0; i < 2 * kFixedPairs; ++i) wreg[i] = hn::LoadU(d16, wt + i * width);
    // sum (x - zp) * w = sum x * w - zp * sum w: the zero point leaves the
    // pixel loop (padded taps read zp and cancel against sum w as before).
    const auto vzp32 = hn::Set(d32, zp);
    const auto bias_a = hn::Sub(hn::LoadU(d32, bias), hn::Mul(hn::LoadU(d32, wsum), vzp32));
    const auto bias_b =
        hn::Sub(hn::LoadU(d32, bias + n32), hn::Mul(hn::LoadU(d32, wsum + n32), vzp32));
    const int8_t* in_c0 = input + c0;
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int iy0 = oy * g.stride_h - g.pad_top;
      int8_t* orow = output + static_cast<size_t>(oy) * g.out_w * channels + c0;
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int ix0 = ox * g.stride_w - g.pad_left;
        auto acc_a = bias_a, acc_b = bias_b;
        const auto pair = [&](const int8_t* p0, const int8_t* p1, hn::Vec<D16> wa,
                              hn::Vec<D16> wb) {
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
          const auto x0 = hn::PromoteTo(d16, partial ? hn::MaskedLoad(m8, d8, p0) : hn::LoadU(d8, p0));
          const auto x1 = hn::PromoteTo(d16, partial ? hn::MaskedLoad(m8, d8, p1) : hn::LoadU(d8, p1));
#else
          const auto x0 = hn::PromoteTo(d16, hn::LoadU(d8, p0));
          const auto x1 = hn::PromoteTo(d16, hn::LoadU(d8, p1));
#endif
          acc_a = DwMulAddPairs(d32, hn::InterleaveLower(d16, x0, x1), wa, acc_a);
          acc_b = DwMulAddPairs(d32, hn::InterleaveUpper(d16, x0, x1), wb, acc_b);
        };
        // Where tap t of this pixel reads: the input, or the zero-point
        // row when it falls in the padding. ix0 is negative in the left
        // padding, so the arithmetic stays signed.
        const auto tap_at = [&](int t) -> const int8_t* {
          const int ky = t / g.kernel_w, kx = t % g.kernel_w;
          const int iy = iy0 + ky, ix = ix0 + kx;
          if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) return zero_row;
          return in_c0 + (static_cast<ptrdiff_t>(iy) * g.in_w + ix) * pixel;
        };
        if (kFixedPairs > 0) {
          const bool inside = iy0 >= 0 && iy0 + KH <= g.in_h && ix0 >= 0 && ix0 + KW <= g.in_w;
          const int8_t* at[KH * KW > 0 ? KH * KW + 1 : 1];
          if (inside) {
            const int8_t* p0 = in_c0 + (static_cast<ptrdiff_t>(iy0) * g.in_w + ix0) * pixel;
            for (int t = 0; t < KH * KW; ++t) {
              at[t] = p0 + (static_cast<ptrdiff_t>(t / KW) * g.in_w + t % KW) * pixel;
            }
          } else {
            for (int t = 0; t < KH * KW; ++t) at[t] = tap_at(t);
          }
          at[KH * KW] = at[KH * KW - 1];  // partner of an odd last tap (weight 0)
          for (int i = 0; i < kFixedPairs; ++i) {
            pair(at[2 * i], at[2 * i + 1], wreg[2 * i], wreg[2 * i + 1]);
          }
        } else {
          for (int i = 0; i < pairs; ++i) {
            const int8_t* p0 = tap_at(2 * i);
            const int8_t* p1 = 2 * i + 1 < taps ? tap_at(2 * i + 1) : p0;
            pair(p0, p1, hn::LoadU(d16, wt + (2 * i) * width), hn::LoadU(d16, wt + (2 * i + 1) * width));
          }
        }
        int8_t* out = orow + static_cast<size_t>(ox) * channels;
#if HWY_TARGET == HWY_WASM
        if (shift != 0 && width == 8) {
          DwStoreScaled8(d32, vr, acc_a, acc_b, mult, rnd, pow, rq, out);
          continue;
        }
#endif
        if (vector) {
          const auto ya = vr.Apply(d32, acc_a, hn::LoadU(d32, mult), hn::LoadU(d32, rnd),
                                   hn::LoadU(d32, pow));
          const auto yb = vr.Apply(d32, acc_b, hn::LoadU(d32, mult + n32),
                                   hn::LoadU(d32, rnd + n32), hn::LoadU(d32, pow + n32));
          if (width >= 8) {
            const auto bytes = hn::DemoteTo(d8, hn::ReorderDemote2To(d16, ya, yb));
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
            if (partial) {
              hn::BlendedStore(bytes, m8, d8, out);
            } else {
              hn::StoreU(bytes, d8, out);
            }
#else
            hn::StoreU(bytes, d8, out);
#endif
          } else {
            // Partial vectors' ReorderDemote2To orders lanes per target:
            // store the two halves (channels 0-1 and 2-3) instead.
            const hn::Rebind<int8_t, decltype(d32)> d8h;
            hn::StoreU(hn::DemoteTo(d8h, ya), d8h, out);
            hn::StoreU(hn::DemoteTo(d8h, yb), d8h, out + n32);
          }
        } else {
          HWY_ALIGN int32_t lanes[HWY_MAX_BYTES / 2];
          int32_t acc[HWY_MAX_BYTES / 2];
          hn::Store(acc_a, d32, lanes);
          hn::Store(acc_b, d32, lanes + n32);
          for (int j = 0; j < width; ++j) acc[hwyk::DwLaneChannel(j, width)] = lanes[j];
          hwyk::RequantizeRow(acc, c0, live, rq, out);
        }
      }
    }
  }
}

template <class D16>
static void DepthwiseWidth(D16 d16, const ConvGeometry& g, const uint8_t* blocks, int c_first,
                           int num_blocks, bool vector, int shift, int32_t zp,
                           const Requantization& rq, const int8_t* input, int8_t* output) {
  if (g.kernel_h == 3 && g.kernel_w == 3) {
    DepthwiseBlocks<3, 3>(d16, g, blocks, c_first, num_blocks, vector, shift, zp, rq, input, output);
  } else {
    DepthwiseBlocks<0, 0>(d16, g, blocks, c_first, num_blocks, vector, shift, zp, rq, input, output);
  }
}

void DepthwiseConv2D(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                     const Requantization& rq, const int8_t* input, int8_t* output) {
#if defined(TM2_WASM_RELAXED_DOT)
  if (DwRelaxedRun(g, w.packed, zp, rq, input, output) ||
      DwDot16Run(g, w.packed, zp, rq, input, output)) {
    return;
  }
#endif
  const int width = DwWidth(g.out_c);
  hwyk::DwHeader h{};
  if (w.packed) memcpy(&h, w.packed, sizeof(h));
  if (width == 0 || !w.packed || h.width != width || h.taps != g.kernel_h * g.kernel_w ||
      h.channels != g.out_c || g.in_c != g.out_c || h.masked != kDwMasked ||
      h.tail != DwTail(g.out_c) ||
      (h.vector != 0 && h.vector != kVectorFormat && h.vector != kScaledFormat)) {
    qs8_depthwise_conv2d_ref(g, w, zp, rq, input, output);
    return;
  }
  const uint8_t* packed = static_cast<const uint8_t*>(w.packed);
  const bool vector = h.vector != 0;
  // WASM's scaled form (kScaledFormat is never in another target's header).
  const int shift = h.vector == kScaledFormat ? h.shift : 0;
  // The blocks of `lanes` lanes starting at `blocks`, channel c_first.
  const auto run = [&](int lanes, const uint8_t* blocks, int c_first, int num_blocks) {
    const hn::ScalableTag<int16_t> d16;
    if (lanes == static_cast<int>(hn::Lanes(d16))) {
      DepthwiseWidth(d16, g, blocks, c_first, num_blocks, vector, shift, zp, rq, input, output);
      return;
    }
#if HWY_MAX_BYTES > 32
    if (lanes == 16) {
      DepthwiseWidth(hn::CappedTag<int16_t, 16>(), g, blocks, c_first, num_blocks, vector, shift,
                     zp, rq, input, output);
      return;
    }
#endif
#if HWY_MAX_BYTES > 16
    if (lanes == 8) {
      DepthwiseWidth(hn::CappedTag<int16_t, 8>(), g, blocks, c_first, num_blocks, vector, shift,
                     zp, rq, input, output);
      return;
    }
#endif
    DepthwiseWidth(hn::CappedTag<int16_t, 4>(), g, blocks, c_first, num_blocks, vector, shift, zp,
                   rq, input, output);
  };
  const int taps = g.kernel_h * g.kernel_w, wide = DwWideBlocks(g.out_c, width, h.tail);
  const uint8_t* blocks = packed + hwyk::kDwHeaderBytes;
  run(width, blocks, 0, wide);
  if (h.tail != 0) run(h.tail, blocks + wide * hwyk::DwBlockBytes(taps, width), wide * width, 1);
}

#endif  // HWY_TARGET == HWY_SCALAR

// The table's entry (select.cc): int8 storage straight to DepthwiseConv2D,
// packed int4 layers band by band over it (act4_bands.h).
void DepthwiseAnyStorage(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                         const Requantization& rq, const int8_t* input, int8_t* output) {
  act4::DepthwiseConv2D<DepthwiseConv2D, act4::kHwyBudget, act4_unpack_hwy, act4_pack_hwy>(
      g, w, zp, rq, input, output);
}
}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(DepthwiseAnyStorage);
#endif
void SetDepthwiseConv2DHwy(KernelTable* t) {
  t->depthwise_conv2d = TM2_HWY_POINTER(DepthwiseAnyStorage);
  SetDepthwisePackHwy(t);  // depthwise_pack_hwy.cc
}
}  // namespace tm2
#endif
