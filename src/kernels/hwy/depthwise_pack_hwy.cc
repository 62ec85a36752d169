// Highway depthwise convolution, the pack step (at Init, in the engine's
// arena): the channels cut into blocks of W lanes (depthwise_target-inl.h)
// and, per block, the bias, the output stage's constants, the sum of each
// channel's weights and every pair of taps' weights widened to int16 and
// interleaved as the kernel (depthwise_conv2d_hwy.cc) reads them. The
// layout is in depthwise_layout.h; channels of n <= 32 are lifted into the
// vector output stage by scaling their weights (depthwise_lift.h); WASM's
// scaled output stage plans its shift here too (qs8_depthwise_wasm-inl.h),
// and the relaxed-SIMD build may pick its own layouts
// (qs8_depthwise_relaxed_wasm-inl.h where its i32x4 dot is native,
// qs8_depthwise_dot16_wasm-inl.h where it is emulated).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/depthwise_pack_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstddef>
#include <cstring>

#include "hwy/highway.h"
#include "kernels/hwy/depthwise_layout.h"
#include "kernels/hwy/depthwise_lift.h"
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
size_t DepthwisePackedBytes(const ConvGeometry&) { return 0; }
void DepthwisePack(const ConvGeometry&, const QuantizedWeights&, const Requantization&, void*) {}
#else
size_t DepthwisePackedBytes(const ConvGeometry& g) {
  const int width = DwWidth(g.out_c);
  if (width == 0 || g.in_c != g.out_c) return 0;
  const int taps = g.kernel_h * g.kernel_w, tail = DwTail(g.out_c);
  const size_t pairs = hwyk::kDwHeaderBytes +
                       static_cast<size_t>(DwWideBlocks(g.out_c, width, tail)) *
                           hwyk::DwBlockBytes(taps, width) +
                       (tail != 0 ? hwyk::DwBlockBytes(taps, tail) : 0);
#if defined(TM2_WASM_RELAXED_DOT)
  // Room for any layout: the pack step picks one from the weights.
  size_t bytes = pairs;
  if (DwRelaxedShape(g) && DwRelaxedBytes(g.out_c) > bytes) bytes = DwRelaxedBytes(g.out_c);
  if (DwDot16Shape(g) && DwDot16Bytes(g.out_c) > bytes) bytes = DwDot16Bytes(g.out_c);
  return bytes;
#else
  return pairs;
#endif
}

void DepthwisePack(const ConvGeometry& g, const QuantizedWeights& w, const Requantization& rq,
                   void* packed) {
  const int width = DwWidth(g.out_c);
  if (width == 0 || g.in_c != g.out_c) return;
  const int channels = g.out_c, taps = g.kernel_h * g.kernel_w;
  const size_t tap_bytes = WeightRowBytes(channels, w.bits);
#if HWY_TARGET == HWY_WASM
  const bool vector = hwyk::VectorRequantOk(rq, 0, channels);
  const Requantization& vector_rq = rq;  // lifted channels take the scaled form
  const DwScaledPlan scaled(w, rq, taps, channels, kDwWeightLimit);
#if defined(TM2_WASM_RELAXED_DOT)
  // One plan for every layout (the engine's size).
  if (DwRelaxedPack(g, w, scaled, packed) || DwDot16Pack(g, w, scaled, packed)) return;
#endif
  // The scaled form's constants are doubles over 4 int32 lanes: blocks of
  // 4 channels (2-lane vectors) keep the vector or scalar stage.
  const int shift = width == 8 ? scaled.Shift() : 0;
  const auto lift = [&](int c) { return shift != 0 ? scaled.Lift(c) : 0; };
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

#endif  // HWY_TARGET == HWY_SCALAR
}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(DepthwisePackedBytes);
HWY_EXPORT(DepthwisePack);
#endif
void SetDepthwisePackHwy(KernelTable* t) {
  t->depthwise_conv2d_packed_bytes = TM2_HWY_POINTER(DepthwisePackedBytes);
  t->depthwise_conv2d_pack = TM2_HWY_POINTER(DepthwisePack);
}
}  // namespace tm2
#endif
