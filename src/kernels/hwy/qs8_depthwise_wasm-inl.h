// Internal, WASM SIMD128 only: what the int8 depthwise kernel
// (depthwise_conv2d_hwy.cc) does differently there -- the "scaled" output
// stage (qs8_requant-inl.h): its shift R chosen at pack time, channels of
// scale 1/2 and above lifted into it, and the store of 8 channels.
//
// Lifting: a channel with n = 32 + r, r < 1 (a scale of at least 1/2, as in
// some distilled int4 layers) has no vector form: its rounding needs bit 31
// of the product's low half. But acc * m / 2^n = (2^k acc) * m / 2^(n + k)
// exactly, so the pack step multiplies that channel's weights and bias by
// 2^k (k = 1 - r; the int16 weights still fit for k <= 7) and the channel
// runs the scaled form with r = 1, when |2^k acc| keeps inside the form's
// int32 bound for every input (ScaledShift proves it as for any channel).
// Without it one such channel sends the whole layer through the scalar
// output stage (KWS's last depthwise: 24.8 instead of 11 us).
#if defined(TM2_KERNELS_HWY_QS8_DEPTHWISE_WASM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TM2_KERNELS_HWY_QS8_DEPTHWISE_WASM_INL_H_
#undef TM2_KERNELS_HWY_QS8_DEPTHWISE_WASM_INL_H_
#else
#define TM2_KERNELS_HWY_QS8_DEPTHWISE_WASM_INL_H_
#endif

#include <cstdint>
#include <cstring>
#include <vector>

#include "hwy/highway.h"
#include "kernels/hwy/depthwise_layout.h"
#include "kernels/hwy/hwy_kernels.h"
#include "kernels/hwy/qs8_requant-inl.h"
#include "kernels/hwy/requant_row.h"

#if HWY_TARGET == HWY_WASM
// Lambdas called from several places are otherwise outlined by clang,
// their captures then read through memory per pixel.
#ifndef HWY_ATTR_INLINE
#define HWY_ATTR_INLINE __attribute__((always_inline))
#endif
HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The layer's requantization with every channel lifted to r >= 1, and the
// scaled form's R for it (Shift() 0: the layer keeps its unlifted vector
// or scalar stage and its weights as they are).
class DwScaledPlan {
 public:
  DwScaledPlan(const QuantizedWeights& w, const Requantization& rq, int taps, int channels)
      : shift_(channels), lift_(channels, 0), rq_(rq) {
    for (int c = 0; c < channels; ++c) {
      const int r = -1 - rq.shift[c];
      const int k = r >= 1 ? 0 : 1 - r;
      if (k > 7) return;
      lift_[c] = static_cast<int8_t>(k);
      shift_[c] = static_cast<int8_t>(rq.shift[c] - k);
    }
    rq_.shift = shift_.data();
    if (!hwyk::VectorRequantOk(rq_, 0, channels)) return;
    const size_t tap_bytes = WeightRowBytes(channels, w.bits);
    big_ = ScaledShift(rq_, channels, [&](int c) {
      int64_t sum = 0;
      for (int t = 0; t < taps; ++t) {
        const int v = hwyk::WeightAt16(w.data + t * tap_bytes, c, w.bits);
        sum += v < 0 ? -v : v;
      }
      const int64_t b = w.bias ? w.bias[c] : 0;
      return ((b < 0 ? -b : b) + 255 * sum) << lift_[c];
    });
  }
  int Shift() const { return big_; }
  // k of channel c: the pack step multiplies its weights and bias by 2^k.
  int Lift(int c) const { return big_ != 0 ? lift_[c] : 0; }
  void Fill(int first, int n, int32_t* mult, int32_t* rnd, int32_t* pow) const {
    FillScaledRequant(rq_, first, n, big_, mult, rnd, pow);
  }

 private:
  std::vector<int8_t> shift_, lift_;
  Requantization rq_;
  int big_ = 0;
};

// The output stage's layer-wide vectors, splatted once per call: read
// per pixel from `rq`, V8 reloads them after every store (it cannot rule
// out that the store wrote them).
struct DwOutVectors {
  v128_t zp16, lo8, hi8;
  explicit DwOutVectors(const Requantization& rq)
      : zp16(wasm_i16x8_splat(static_cast<int16_t>(rq.output_zero_point))),
        lo8(wasm_i8x16_splat(static_cast<int8_t>(rq.output_min))),
        hi8(wasm_i8x16_splat(static_cast<int8_t>(rq.output_max))) {}
};

// Requantizes and stores the 8 channels of a width-8 block: a holds
// channels 0-3, b 4-7, narrowed in order (as StoreScaledBytes in
// qs8_requant-inl.h).
template <class D32, class Requant>
HWY_INLINE void DwStoreScaled8(D32 d32, const Requant& vr, hn::Vec<D32> a, hn::Vec<D32> b,
                               const int32_t* mult, const int32_t* rnd, const int32_t* pow,
                               const DwOutVectors& o, int8_t* out) {
  const v128_t ya =
      vr.Scaled(d32, a, hn::LoadU(d32, mult), hn::LoadU(d32, rnd), hn::LoadU(d32, pow)).raw;
  const v128_t yb =
      vr.Scaled(d32, b, hn::LoadU(d32, mult + 4), hn::LoadU(d32, rnd + 4), hn::LoadU(d32, pow + 4)).raw;
  const v128_t h = wasm_i16x8_add_sat(wasm_i16x8_narrow_i32x4(ya, yb), o.zp16);
  const v128_t bytes = wasm_i8x16_min(wasm_i8x16_max(wasm_i8x16_narrow_i16x8(h, h), o.lo8), o.hi8);
  wasm_v128_store64_lane(out, bytes, 0);
}

// The int16-sum form (DwHeader::sums16): where 128 sum_t |w_t| <= 32767
// for every channel (always for int4 weights, |w| <= 8), sum_t x_t w_t
// cannot leave int16 for any int8 input, so each tap is one load8x8_s, one
// i16x8.mul and one i16x8.add for 8 channels, and the sum is widened once
// per pixel: 3 operations per tap instead of the pairs' 4, no interleave,
// no zero-weight tenth tap. Weights are then packed [tap][8] in channel
// order (for 8-lane blocks the int32 arrays' order is channel order too).
template <class Weight>
inline bool DwSums16Ok(int taps, int channels, int width, int shift, const Weight& weight) {
  if (width != 8 || shift == 0 || taps != 9) return false;
  for (int c = 0; c < channels; ++c) {
    int sum = 0;
    for (int t = 0; t < taps; ++t) sum += weight(t, c) < 0 ? -weight(t, c) : weight(t, c);
    if (128 * sum > 32767) return false;
  }
  return true;
}

// A 3x3 layer in the int16-sum form, blocks of 8 channels (the last
// overlapping the one before when 8 does not divide the channel count).
// Interior pixels run a loop of their own, the padding's another: in one
// loop clang selected every tap's address. (The pairs of taps in this
// loop ran at half speed: V8 compiled their shuffles differently.)
template <class D32, class Requant>
HWY_NOINLINE void DepthwiseSums16(D32 d32, const Requant& vr, const ConvGeometry& g,
                                  const uint8_t* packed, int32_t zp, const Requantization& rq,
                                  const int8_t* input, int8_t* output) {
  using V = hn::Vec<D32>;
  const int channels = g.out_c;
  const ptrdiff_t pixel = channels, row = static_cast<ptrdiff_t>(g.in_w) * pixel;
  HWY_ALIGN int8_t zero_row[16];
  memset(zero_row, static_cast<int8_t>(zp), sizeof(zero_row));
  const v128_t vzp = wasm_i32x4_splat(zp);
  const DwOutVectors o(rq);
  const Requant vl = vr;  // a local copy: its shift stays in a register
  for (int b = 0; b < hwyk::DwBlocks(channels, 8); ++b) {
    const int c0 = hwyk::DwBlockStart(b, channels, 8);
    const uint8_t* block = packed + hwyk::kDwHeaderBytes + b * hwyk::DwBlockBytes(9, 8);
    const int32_t* bias = reinterpret_cast<const int32_t*>(block);
    const int32_t* mult = bias + 8;
    const int32_t* rnd = mult + 8;
    const int32_t* pow = rnd + 8;
    const int32_t* wsum = pow + 8;
    const int16_t* wt = reinterpret_cast<const int16_t*>(wsum + 8);
    v128_t w[9];
    for (int t = 0; t < 9; ++t) w[t] = wasm_v128_load(wt + 8 * t);
    const v128_t bias_a = wasm_i32x4_sub(wasm_v128_load(bias), wasm_i32x4_mul(wasm_v128_load(wsum), vzp));
    const v128_t bias_b =
        wasm_i32x4_sub(wasm_v128_load(bias + 4), wasm_i32x4_mul(wasm_v128_load(wsum + 4), vzp));
    const int8_t* in_c0 = input + c0;
    // The 9 taps' int16 sum, widened into the two int32 halves, stored.
    const auto finish = [&](const int8_t* const* at, int8_t* out) HWY_ATTR_INLINE {
      v128_t s = wasm_i16x8_mul(wasm_i16x8_load8x8(at[0]), w[0]);
      for (int t = 1; t < 9; ++t) s = wasm_i16x8_add(s, wasm_i16x8_mul(wasm_i16x8_load8x8(at[t]), w[t]));
      const v128_t a = wasm_i32x4_add(bias_a, wasm_i32x4_extend_low_i16x8(s));
      const v128_t b = wasm_i32x4_add(bias_b, wasm_i32x4_extend_high_i16x8(s));
      DwStoreScaled8(d32, vl, V{a}, V{b}, mult, rnd, pow, o, out);
    };
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int iy0 = oy * g.stride_h - g.pad_top;
      int8_t* orow = output + static_cast<size_t>(oy) * g.out_w * channels + c0;
      // Kernel rows' starts, null in the padding.
      const int8_t* rp[3];
      for (int k = 0; k < 3; ++k) {
        rp[k] = iy0 + k >= 0 && iy0 + k < g.in_h ? in_c0 + (iy0 + k) * row : nullptr;
      }
      // Taps in the padding read zero points: zp w, cancelled by the
      // bias's - zp sum w.
      const auto border = [&](int ox) HWY_ATTR_INLINE {
        const int ix0 = ox * g.stride_w - g.pad_left;
        const int8_t* at[9];
        for (int t = 0; t < 9; ++t) {
          const int ix = ix0 + t % 3;
          at[t] = rp[t / 3] && ix >= 0 && ix < g.in_w ? rp[t / 3] + ix * pixel : zero_row;
        }
        finish(at, orow + static_cast<size_t>(ox) * channels);
      };
      // Output columns whose taps are all inside: [lo, hi), none in a
      // padding row. A loop of their own, so clang keeps selects out of it.
      int lo = g.out_w, hi = g.out_w;
      if (rp[0] && rp[2]) {
        lo = (g.pad_left + g.stride_w - 1) / g.stride_w;
        const int last = g.in_w - 3 + g.pad_left;
        hi = last >= 0 ? last / g.stride_w + 1 : 0;
        hi = hi < g.out_w ? hi : g.out_w;
        lo = lo < hi ? lo : hi;
      }
      int ox = 0;
      for (; ox < lo; ++ox) border(ox);
      const ptrdiff_t step = g.stride_w * pixel;
      const int8_t* p = in_c0 + (iy0 * row) + (ox * g.stride_w - g.pad_left) * pixel;
      for (; ox < hi; ++ox, p += step) {
        const int8_t* at[9] = {p,       p + pixel,       p + 2 * pixel,       p + row,
                               p + row + pixel, p + row + 2 * pixel, p + 2 * row,
                               p + 2 * row + pixel, p + 2 * row + 2 * pixel};
        finish(at, orow + static_cast<size_t>(ox) * channels);
      }
      for (; ox < g.out_w; ++ox) border(ox);
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET == HWY_WASM

#endif  // include guard
