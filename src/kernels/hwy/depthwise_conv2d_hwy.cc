// Highway depthwise convolution: channels in lanes, weights packed once.
//
// The pack step (at Init, in the engine's arena) cuts the channels into
// blocks of W lanes and stores, per block, the bias, the output stage's
// constants and every tap's weights widened to int16. W is the widest of
// the target's vector, 16, 8 or 4 int16 lanes that does not exceed the
// channel count; when W does not divide it, the last block starts at
// channels - W and overlaps the one before (it recomputes a few channels
// and writes the same bytes), so every load and store is a whole vector:
// no scratch copy, no byte-wise store, whatever the channel count. Fewer
// than 4 channels, and calls without packed weights, run the reference.
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
// The packed layout is in depthwise_layout.h; channels of n <= 32 are
// lifted into the vector output stage by scaling their weights
// (depthwise_lift.h); what WASM does differently (the scaled output stage:
// its pack-time plan, the 8-channel store) in qs8_depthwise_wasm-inl.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/depthwise_conv2d_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstddef>
#include <cstring>

#include "hwy/highway.h"
#include "kernels/act4/act4_bands.h"
#include "kernels/hwy/act4_nibbles_hwy.h"
#include "kernels/hwy/depthwise_layout.h"
#include "kernels/hwy/depthwise_lift.h"
#include "kernels/hwy/depthwise_target-inl.h"
#include "kernels/hwy/hwy_kernels.h"
#include "kernels/hwy/qs8_depthwise_relaxed_wasm-inl.h"
#include "kernels/hwy/qs8_depthwise_wasm-inl.h"
#include "kernels/hwy/qs8_requant-inl.h"
#include "kernels/hwy/requant_row.h"

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

// AVX-512 loads and stores bytes under a mask (masked-off lanes are
// neither read nor written), so there the last block of a channel count
// that W does not divide starts at b * W and runs with its lanes past the
// channel count masked off, instead of overlapping the block before: 24
// channels are one 32-lane block, not two 16-lane blocks. Past one full
// vector, a remainder of 16 lanes or fewer runs as one narrower block
// (DwTail): 48 channels are a 32-lane and a 16-lane block, which the EPYC
// ran 17 % faster than two 32-lane blocks, half of the second masked off.
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
constexpr int kDwMasked = 1;
#else
constexpr int kDwMasked = 0;
#endif

static int BlockStart(int b, int channels, int width) {
  return kDwMasked ? b * width : hwyk::DwBlockStart(b, channels, width);
}

// Lanes per block for `channels` on this target; 0: reference.
static int DwWidth(int channels) {
  const hn::ScalableTag<int16_t> d16;
  const int full = static_cast<int>(hn::Lanes(d16));
  if (kDwMasked && channels >= 4) {
    if (channels >= full) return full;
    return channels > 16 ? full : channels > 8 ? 16 : 8;
  }
  if (channels >= full) return full;
  if (channels >= 16 && full > 16) return 16;
  if (channels >= 8 && full > 8) return 8;
  if (channels >= 4 && full > 4) return 4;
  return 0;
}

// Lanes of the narrower last block (masked targets), 0: every block has
// DwWidth lanes.
static int DwTail(int channels) {
  const int full = DwWidth(channels);
  if (!kDwMasked || channels <= full || channels % full == 0) return 0;
  const int rest = channels % full;
  return rest <= 8 ? 8 : rest <= 16 ? 16 : 0;
}

// Blocks of DwWidth lanes: all of them, or all but the tail block.
static int DwWideBlocks(int channels, int width, int tail) {
  return tail != 0 ? channels / width : hwyk::DwBlocks(channels, width);
}

size_t DepthwisePackedBytes(const ConvGeometry& g) {
  const int width = DwWidth(g.out_c);
  if (width == 0 || g.in_c != g.out_c) return 0;
  const int taps = g.kernel_h * g.kernel_w, tail = DwTail(g.out_c);
  const size_t pairs = hwyk::kDwHeaderBytes +
                       static_cast<size_t>(DwWideBlocks(g.out_c, width, tail)) *
                           hwyk::DwBlockBytes(taps, width) +
                       (tail != 0 ? hwyk::DwBlockBytes(taps, tail) : 0);
#if defined(TM2_WASM_RELAXED_DOT)
  // Room for either layout: the pack step picks one from the weights.
  if (DwRelaxedShape(g) && DwRelaxedBytes(g.out_c) > pairs) return DwRelaxedBytes(g.out_c);
#endif
  return pairs;
}

void DepthwisePack(const ConvGeometry& g, const QuantizedWeights& w, const Requantization& rq,
                   void* packed) {
  const int width = DwWidth(g.out_c);
  if (width == 0 || g.in_c != g.out_c) return;
#if defined(TM2_WASM_RELAXED_DOT)
  if (DwRelaxedPack(g, w, rq, packed)) return;
#endif
  const int channels = g.out_c, taps = g.kernel_h * g.kernel_w;
  const size_t tap_bytes = WeightRowBytes(channels, w.bits);
#if HWY_TARGET == HWY_WASM
  const bool vector = hwyk::VectorRequantOk(rq, 0, channels);
  const Requantization& vector_rq = rq;  // lifted channels take the scaled form
  const DwScaledPlan scaled(w, rq, taps, channels, kDwWeightLimit);
  const int shift = scaled.Shift();
  const auto lift = [&](int c) { return scaled.Lift(c); };
#else
  // Channels of scale 1/2 and above lifted into the vector stage
  // (depthwise_lift.h); every channel has k = 0 when none needs it.
  const hwyk::DwLift lifted(w, rq, taps, channels, kDwWeightLimit);
  const bool vector = lifted.ok();
  const Requantization& vector_rq = lifted.rq();
  constexpr int shift = 0;  // the scaled form is WASM's only
  const auto lift = [&](int c) { return lifted.Lift(c); };
#endif
  const auto weight = [&](int t, int c) {
    return hwyk::WeightAt16(w.data + t * tap_bytes, c, w.bits) * (1 << lift(c));
  };
  const auto bias_of = [&](int c) { return w.bias[c] * (1 << lift(c)); };
  uint8_t* base = static_cast<uint8_t*>(packed);
  memset(base, 0, hwyk::kDwHeaderBytes);
  const int tail = DwTail(channels), wide = DwWideBlocks(channels, width, tail);
  const hwyk::DwHeader h{width, taps, channels,
                         shift != 0 ? kScaledFormat : vector ? kVectorFormat : 0, kDwMasked, shift,
                         tail};
  memcpy(base, &h, sizeof(h));
  HWY_ALIGN int32_t m[HWY_MAX_BYTES / 2], r[HWY_MAX_BYTES / 2], p[HWY_MAX_BYTES / 2];
  for (int b = 0; b < wide + (tail != 0); ++b) {
    const int lanes = b < wide ? width : tail;  // the tail block follows the wide ones
    const int c0 = b < wide ? BlockStart(b, channels, width) : wide * width;
    const int live = channels - c0 < lanes ? channels - c0 : lanes;
    uint8_t* block = base + hwyk::kDwHeaderBytes + b * hwyk::DwBlockBytes(taps, width);
    int32_t* bias = reinterpret_cast<int32_t*>(block);
    int32_t* mult = bias + lanes;
    int32_t* rnd = mult + lanes;
    int32_t* pow = rnd + lanes;
    int32_t* wsum = pow + lanes;
    int16_t* wt = reinterpret_cast<int16_t*>(wsum + lanes);
    for (int i = 0; i < lanes; ++i) m[i] = r[i] = p[i] = 0;
#if HWY_TARGET == HWY_WASM
    if (shift != 0) {
      scaled.Fill(c0, live, m, r, p);
    } else
#endif
    if (vector) {
      FillVectorRequantFor(vector_rq, c0, live, m, r, p);
    }
    for (int j = 0; j < lanes; ++j) {
      const int c = hwyk::DwLaneChannel(j, lanes);
      bias[j] = w.bias && c < live ? bias_of(c0 + c) : 0;
      mult[j] = m[c];
      rnd[j] = r[c];
      pow[j] = p[c];
      uint32_t sum = 0;
      for (int t = 0; t < taps && c < live; ++t) {
        sum += static_cast<uint32_t>(weight(t, c0 + c));
      }
      wsum[j] = static_cast<int32_t>(sum);
    }
    for (int pair = 0; pair < hwyk::DwPairs(taps); ++pair) {
      for (int v = 0; v < 2; ++v) {
        for (int lane = 0; lane < lanes; ++lane) {
          int c, which;
          hwyk::DwPairLane(lane, lanes, v == 1, &c, &which);
          const int t = 2 * pair + which;
          wt[(2 * pair + v) * lanes + lane] =
              t < taps && c < live ? weight(t, c0 + c) : 0;
        }
      }
    }
  }
}

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
  if (DwRelaxedRun(g, w.packed, zp, rq, input, output)) return;
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
  // R of WASM's scaled form (kScaledFormat is never in another target's header).
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
HWY_EXPORT(DepthwisePackedBytes);
HWY_EXPORT(DepthwisePack);
#endif
void SetDepthwiseConv2DHwy(KernelTable* t) {
  t->depthwise_conv2d = TM2_HWY_POINTER(DepthwiseAnyStorage);
  t->depthwise_conv2d_packed_bytes = TM2_HWY_POINTER(DepthwisePackedBytes);
  t->depthwise_conv2d_pack = TM2_HWY_POINTER(DepthwisePack);
}
}  // namespace tm2
#endif
