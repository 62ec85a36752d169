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
#include <vector>

#include "hwy/highway.h"
#include "kernels/hwy/depthwise_layout.h"
#include "kernels/hwy/hwy_kernels.h"
#include "kernels/hwy/qs8_requant-inl.h"
#include "kernels/hwy/requant_row.h"

#if HWY_TARGET == HWY_WASM
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

// Requantizes and stores the 8 channels of a width-8 block: a holds
// channels 0-3, b 4-7, narrowed in order (qs8_requant-inl.h).
template <class D32, class Requant>
HWY_INLINE void DwStoreScaled8(D32 d32, const Requant& vr, hn::Vec<D32> a, hn::Vec<D32> b,
                               const int32_t* mult, const int32_t* rnd, const int32_t* pow,
                               const Requantization& rq, int8_t* out) {
  const v128_t y[2] = {
      vr.Scaled(d32, a, hn::LoadU(d32, mult), hn::LoadU(d32, rnd), hn::LoadU(d32, pow)).raw,
      vr.Scaled(d32, b, hn::LoadU(d32, mult + 4), hn::LoadU(d32, rnd + 4), hn::LoadU(d32, pow + 4)).raw};
  StoreScaledBytes<2>(y, rq, out);
}

}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET == HWY_WASM

#endif  // include guard
