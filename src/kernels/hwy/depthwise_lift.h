// Internal, every Highway target: lifting the depthwise channels whose
// output scale is 1/2 or more into the vector output stage.
//
// The vector stage (qs8_requant-inl.h) needs n = 31 - shift >= 33. A
// channel with n = 32 + r, r < 1 (some distilled int4 layers) has no
// vector form: its rounding needs bit 31 of the product's low half. But
// acc * m / 2^n = (2^k acc) * m / 2^(n + k) exactly, so the pack step
// multiplies that channel's weights and bias by 2^k (k = 1 - r) and the
// channel runs the vector stage with n + k = 33, provided the scaled
// weights stay within what the kernel multiplies exactly (int16, k <= 7,
// where the products widen to int32; |w| <= 255 where they stay in int16
// lanes, NEON) and |2^k acc| stays inside int32 for every input. Without
// it one such channel sends the whole layer through the scalar output
// stage: the shipped KWS model's last depthwise took 20.2 us instead of 3.4
// natively (AVX-512), 24.8 instead of 11 in the browser.
#ifndef TM2_KERNELS_HWY_DEPTHWISE_LIFT_H_
#define TM2_KERNELS_HWY_DEPTHWISE_LIFT_H_

#include <cstdint>
#include <vector>

#include "kernels/hwy/requant_row.h"
#include "kernels/kernels.h"

namespace tm2 {
namespace hwyk {

class DwLift {
 public:
  // weight_limit: the largest |w * 2^k| the kernel multiplies exactly.
  DwLift(const QuantizedWeights& w, const Requantization& rq, int taps, int channels,
         int weight_limit)
      : shift_(static_cast<size_t>(channels)),
        lift_(static_cast<size_t>(channels), 0),
        bound_(static_cast<size_t>(channels)),
        rq_(rq) {
    const size_t tap_bytes = WeightRowBytes(channels, w.bits);
    for (int c = 0; c < channels; ++c) {
      const int r = -1 - rq.shift[c];
      const int k = r >= 1 ? 0 : 1 - r;
      if (k > 7) return;
      lift_[c] = static_cast<int8_t>(k);
      shift_[c] = static_cast<int8_t>(rq.shift[c] - k);
      int64_t sum = 0;
      for (int t = 0; t < taps; ++t) {
        const int v = WeightAt16(w.data + t * tap_bytes, c, w.bits);
        sum += v < 0 ? -v : v;
        if (k > 0 && (v < 0 ? -v : v) << k > weight_limit) return;
      }
      const int64_t b = w.bias ? w.bias[c] : 0;
      // |x - zp| <= 255 for int8 x and zero point.
      bound_[c] = ((b < 0 ? -b : b) + 255 * sum) << k;
      // An unlifted channel's int32 sums wrap as the reference's do.
      if (k > 0 && bound_[c] >= (int64_t{1} << 31)) return;
    }
    rq_.shift = shift_.data();
    ok_ = VectorRequantOk(rq_, 0, channels);
  }
  DwLift(const DwLift&) = delete;
  DwLift& operator=(const DwLift&) = delete;

  // Whether every channel runs the vector stage once lifted.
  bool ok() const { return ok_; }
  // k of channel c: the pack step multiplies its weights and bias by 2^k.
  int Lift(int c) const { return ok_ ? lift_[c] : 0; }
  // The layer's requantization with the lifted shifts (while this lives).
  const Requantization& rq() const { return rq_; }
  // A bound on |2^k acc| of channel c for every input.
  int64_t AccBound(int c) const { return bound_[c]; }

 private:
  std::vector<int8_t> shift_, lift_;
  std::vector<int64_t> bound_;
  Requantization rq_;
  bool ok_ = false;
};

}  // namespace hwyk
}  // namespace tm2

#endif  // TM2_KERNELS_HWY_DEPTHWISE_LIFT_H_
