#include "kernel_case.h"

#include <cstdio>

namespace tm2 {
namespace test {

bool MakeGeometry(int in_h, int in_w, int in_c, int out_c, int kh, int kw, int sh, int sw, Pad pad,
                  ConvGeometry* g) {
  ConvGeometry r{};
  r.in_h = in_h; r.in_w = in_w; r.in_c = in_c; r.out_c = out_c;
  r.kernel_h = kh; r.kernel_w = kw; r.stride_h = sh; r.stride_w = sw;
  if (pad == Pad::kValid) {
    if (kh > in_h || kw > in_w) return false;
    r.out_h = (in_h - kh) / sh + 1;
    r.out_w = (in_w - kw) / sw + 1;
  } else {
    r.out_h = (in_h + sh - 1) / sh;
    r.out_w = (in_w + sw - 1) / sw;
    const int th = (r.out_h - 1) * sh + kh - in_h, tw = (r.out_w - 1) * sw + kw - in_w;
    r.pad_top = th > 0 ? th / 2 : 0;
    r.pad_left = tw > 0 ? tw / 2 : 0;
  }
  *g = r;
  return true;
}

std::string Describe(const ConvGeometry& g) {
  char buf[256];
  snprintf(buf, sizeof(buf),
           "in %dx%dx%d -> out %dx%dx%d, kernel %dx%d, stride %dx%d, pad top %d left %d",
           g.in_h, g.in_w, g.in_c, g.out_h, g.out_w, g.out_c, g.kernel_h, g.kernel_w,
           g.stride_h, g.stride_w, g.pad_top, g.pad_left);
  return buf;
}

std::vector<int8_t> RandomInt8(Rng& rng, size_t n) {
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(rng.Next());
  return v;
}

void LayerCase::Fill(Rng& rng, int rows, int row_len, int channels, int bits_in, int k_sum,
                     RqStyle style) {
  bits = bits_in;
  weights.resize(static_cast<size_t>(rows) * WeightRowBytes(row_len, bits));
  for (auto& b : weights) b = static_cast<uint8_t>(rng.Next());
  has_bias = !rng.Chance(10);
  const int edge = rng.Int(0, 9);
  input_zero_point = edge == 0 ? -128 : edge == 1 ? 127 : rng.Int(-128, 127);
  bias.resize(channels);
  multiplier.resize(channels);
  shift.resize(channels);
  // Typical |acc| is about sqrt(k) * 128 * |w|: choose n so outputs spread
  // over the int8 range.
  int log_acc = 8 + (bits == 8 ? 7 : 3);
  for (int k = k_sum; k > 1; k >>= 2) ++log_acc;
  // kShiftEdges: one layer in six has a shift -1 channel with a large
  // bias: just inside what the M4 3x3 depthwise doubles, or past 2^30.
  const int big_bias_channel = style == RqStyle::kShiftEdges && rng.Chance(16)
                                   ? rng.Int(0, channels - 1)
                                   : -1;
  for (int c = 0; c < channels; ++c) {
    bias[c] = rng.Int(-(1 << 12), 1 << 12);
    multiplier[c] = (1 << 30) + rng.Int(0, (1 << 30) - 1);
    int n = 31 + log_acc - 7 + rng.Int(-2, 2);
    switch (style) {
      case RqStyle::kExtremeShift: {
        const int pick = rng.Int(0, 3);
        n = pick == 0 ? 1 : pick == 1 ? 62 : rng.Int(1, 62);
        const int mp = rng.Int(0, 4);
        multiplier[c] = mp == 0 ? INT32_MAX : mp == 1 ? INT32_MIN : mp == 2 ? 1 : mp == 3 ? -1
                                                                                     : static_cast<int32_t>(rng.Next());
        break;
      }
      case RqStyle::kShallowShift: {
        n = rng.Int(33, 35);
        const int mp = rng.Int(0, 5);
        multiplier[c] = mp == 0 ? INT32_MAX : mp == 1 ? INT32_MIN : mp == 2 ? -multiplier[c]
                                                                            : multiplier[c];
        if (rng.Chance(20)) bias[c] = rng.Chance(50) ? INT32_MAX - rng.Int(0, 1 << 16) : INT32_MIN + rng.Int(0, 1 << 16);
        break;
      }
      case RqStyle::kShiftEdges: {
        const int pick = rng.Int(0, 9);
        if (pick < 4 || c == big_bias_channel) {
          n = 32;
          // hi32(acc * m) inside int8 for typical sums: m below 2^(39 - log_acc).
          const int top = log_acc < 31 ? 39 - log_acc : 8;
          if (rng.Chance(60)) multiplier[c] = rng.Int(1 << (top - 2), (1 << top) - 1);
          if (rng.Chance(20)) multiplier[c] = -multiplier[c];
          if (c == big_bias_channel) {
            // Just inside the bound (doubled) or past 2^30 (2 * acc would wrap).
            const int32_t b = rng.Chance(50) ? (1 << 29) - (1 << 19) - 1 : (1 << 30) + rng.Int(0, 1 << 20);
            bias[c] = rng.Chance(50) ? b : -b;
          }
        } else if (pick < 8) {
          const int edges[4] = {33, 54, 55, 62};
          n = edges[pick - 4];
          if (n > 33) bias[c] = rng.Int(-(1 << 28), 1 << 28);  // outputs away from 0
        }
        break;
      }
      case RqStyle::kSaturating:
        bias[c] = rng.Chance(50) ? rng.Int(1 << 20, 1 << 28) : -rng.Int(1 << 20, 1 << 28);
        if (rng.Chance(10)) bias[c] = rng.Chance(50) ? INT32_MAX : INT32_MIN;  // wraps
        if (rng.Chance(20)) multiplier[c] = -multiplier[c];
        break;
      default:
        break;
    }
    if (n < 1) n = 1;
    if (n > 62) n = 62;
    shift[c] = static_cast<int8_t>(31 - n);
  }
  rq.output_zero_point = style == RqStyle::kShiftEdges && rng.Chance(60) ? 0 : rng.Int(-128, 127);
  rq.output_min = -128;
  rq.output_max = 127;
  if (style == RqStyle::kRelu6) {
    rq.output_min = rq.output_zero_point;
    rq.output_max = rq.output_zero_point + rng.Int(0, 127 - rq.output_zero_point);
  } else if (style == RqStyle::kSaturating && rng.Chance(50)) {
    rq.output_min = rng.Int(-128, 0);
    rq.output_max = rng.Int(0, 127);
  }
  Bind();
}

void LayerCase::PackConv(const KernelTable& k, const ConvGeometry& g) {
  packed.assign(k.conv2d_packed_bytes ? k.conv2d_packed_bytes(g) : 0, 0);
  Bind();
  if (!packed.empty()) k.conv2d_pack(g, w, rq, packed.data());
}

void LayerCase::PackDepthwise(const KernelTable& k, const ConvGeometry& g) {
  packed.assign(k.depthwise_conv2d_packed_bytes ? k.depthwise_conv2d_packed_bytes(g) : 0, 0);
  Bind();
  if (!packed.empty()) k.depthwise_conv2d_pack(g, w, rq, packed.data());
}

void LayerCase::PackFullyConnected(const KernelTable& k, int rows, int in, int out) {
  packed.assign(k.fully_connected_packed_bytes ? k.fully_connected_packed_bytes(rows, in, out) : 0,
                0);
  Bind();
  if (!packed.empty()) k.fully_connected_pack(rows, in, out, w, rq, packed.data());
}

void LayerCase::Bind() {
  w.packed = packed.empty() ? nullptr : packed.data();
  w.data = weights.data();
  w.bits = bits;
  w.bias = has_bias ? bias.data() : nullptr;
  rq.multiplier = multiplier.data();
  rq.shift = shift.data();
}

std::string FirstDifference(const int8_t* want, const int8_t* got, int h, int w, int c) {
  const size_t n = static_cast<size_t>(h) * w * c;
  for (size_t i = 0; i < n; ++i) {
    if (want[i] != got[i]) {
      const int ch = static_cast<int>(i % c), px = static_cast<int>(i / c);
      char buf[160];
      snprintf(buf, sizeof(buf), "first difference at y=%d x=%d c=%d (index %zu): ref %d, got %d",
               px / w, px % w, ch, i, want[i], got[i]);
      return buf;
    }
  }
  return "";
}

}  // namespace test
}  // namespace tm2
