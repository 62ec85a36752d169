// Internal, WASM SIMD128 only: what the int8 depthwise kernel
// (depthwise_conv2d_hwy.cc) does differently there -- the "scaled" output
// stage (qs8_requant-inl.h): its shift R chosen at pack time over the
// layer's channels as lifted by depthwise_lift.h, and the store of 8
// channels.
#if defined(TM2_KERNELS_HWY_QS8_DEPTHWISE_WASM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TM2_KERNELS_HWY_QS8_DEPTHWISE_WASM_INL_H_
#undef TM2_KERNELS_HWY_QS8_DEPTHWISE_WASM_INL_H_
#else
#define TM2_KERNELS_HWY_QS8_DEPTHWISE_WASM_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"
#include "kernels/hwy/depthwise_layout.h"
#include "kernels/hwy/depthwise_lift.h"
#include "kernels/hwy/hwy_kernels.h"
#include "kernels/hwy/qs8_requant-inl.h"
#include "kernels/hwy/requant_row.h"

#if HWY_TARGET == HWY_WASM
HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The layer's requantization with every channel lifted to r >= 1
// (hwyk::DwLift), and whether the scaled form is exact for it (Shift() 0:
// the layer keeps its unlifted vector or scalar stage and its weights as
// they are).
class DwScaledPlan {
 public:
  // weight_limit: kDwWeightLimit (depthwise_target-inl.h).
  DwScaledPlan(const QuantizedWeights& w, const Requantization& rq, int taps, int channels,
               int weight_limit)
      : lift_(w, rq, taps, channels, weight_limit) {
    if (!lift_.ok()) return;
    big_ = ScaledShift(lift_.rq(), channels, [&](int c) { return lift_.AccBound(c); });
  }
  int Shift() const { return big_; }
  // k of channel c: the pack step multiplies its weights and bias by 2^k.
  int Lift(int c) const { return big_ != 0 ? lift_.Lift(c) : 0; }
  void Fill(int first, int n, int32_t* mult, int32_t* rnd, int32_t* pow) const {
    FillScaledRequant(lift_.rq(), first, n, big_, mult, rnd, pow);
  }

 private:
  hwyk::DwLift lift_;
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
