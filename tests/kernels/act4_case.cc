#include "act4_case.h"

#include <cstdio>
#include <vector>

#include "kernels/select.h"

namespace tm2 {
namespace test {
namespace {

const char* OpName(Act4Op op) {
  switch (op) {
    case Act4Op::kConv: return "conv2d";
    case Act4Op::kDepthwise: return "depthwise";
    case Act4Op::kFullyConnected: return "fully_connected";
    case Act4Op::kPointwise: return "pointwise";
    case Act4Op::kMaxPool: return "max_pool2d";
    default: return "avg_pool2d";
  }
}

// Packs int8 values in [-8, 7] the way FORMAT.md 3.1 says, written out
// here rather than through StoreAct4.
std::vector<int8_t> Pack(const std::vector<int8_t>& v) {
  std::vector<int8_t> out((v.size() + 1) / 2, 0);
  for (size_t i = 0; i < v.size(); ++i) {
    const unsigned nib = static_cast<unsigned>(v[i]) & 0x0Fu;
    const unsigned byte = static_cast<uint8_t>(out[i / 2]) | (i % 2 ? nib << 4 : nib);
    out[i / 2] = static_cast<int8_t>(byte);
  }
  return out;
}

}  // namespace

std::string CheckAct4(const KernelTable& k, Act4Op op, int in_bits, int out_bits, Rng& rng) {
  const KernelTable& ref = ReferenceKernels();
  const bool windowed = op == Act4Op::kConv || op == Act4Op::kDepthwise ||
                        op == Act4Op::kMaxPool || op == Act4Op::kAvgPool;
  const bool dense = op == Act4Op::kFullyConnected || op == Act4Op::kPointwise;
  ConvGeometry g{};
  int rows = 1, in = 1, out = 1;
  if (windowed) {
    const int in_c = rng.Chance(40) ? rng.Int(1, 5) : rng.Int(1, 33);
    const int out_c = op == Act4Op::kConv ? rng.Int(1, 21) : in_c;
    const int kh = rng.Int(1, 4), kw = rng.Int(1, 4);
    if (!MakeGeometry(rng.Int(kh, 12), rng.Int(kw, 12), in_c, out_c, kh, kw, rng.Int(1, 2),
                      rng.Int(1, 2), rng.Chance(50) ? Pad::kSame : Pad::kValid, &g))
      return "";  // no output for this draw
  } else {
    rows = op == Act4Op::kPointwise ? rng.Int(1, 40) : 1;
    in = rng.Chance(30) ? rng.Int(1, 7) : rng.Int(1, 300);
    out = rng.Int(1, 40);
  }
  const size_t in_n = windowed ? static_cast<size_t>(g.in_h) * g.in_w * g.in_c
                               : static_cast<size_t>(rows) * in;
  const size_t out_n = windowed ? static_cast<size_t>(g.out_h) * g.out_w * g.out_c
                                : static_cast<size_t>(rows) * out;
  // Input values: -8..7 when stored packed, any int8 otherwise.
  std::vector<int8_t> input = RandomInt8(rng, in_n);
  if (in_bits == 4)
    for (auto& x : input) x = static_cast<int8_t>(rng.Int(-8, 7));
  LayerCase lc;
  const int wbits = rng.Chance(50) ? 4 : 8;
  const int taps = g.kernel_h * g.kernel_w;
  if (op == Act4Op::kConv) lc.Fill(rng, g.out_c, taps * g.in_c, g.out_c, wbits, taps * g.in_c, RqStyle::kTypical);
  if (op == Act4Op::kDepthwise) lc.Fill(rng, taps, g.out_c, g.out_c, wbits, taps, RqStyle::kTypical);
  if (dense) lc.Fill(rng, out, in, out, wbits, in, RqStyle::kTypical);
  int lo = -128, hi = 127;
  if (out_bits == 4) {
    // A 4-bit layer's clamp (FORMAT.md 4.2), ReLU-like now and then.
    lo = rng.Chance(30) ? rng.Int(-8, 0) : -8;
    hi = rng.Chance(30) ? rng.Int(lo, 7) : 7;
  }
  lc.rq.output_zero_point = out_bits == 4 ? rng.Int(-8, 7) : lc.rq.output_zero_point;
  lc.rq.output_min = static_cast<int16_t>(out_bits == 4 ? lo : lc.rq.output_min);
  lc.rq.output_max = static_cast<int16_t>(out_bits == 4 ? hi : lc.rq.output_max);
  if (op == Act4Op::kConv) lc.PackConv(k, g);
  if (op == Act4Op::kDepthwise) lc.PackDepthwise(k, g);
  if (dense) lc.PackFullyConnected(k, rows, in, out);
  // The expected values: the reference on int8 storage.
  std::vector<int8_t> want(out_n);
  const Requantization rq8 = lc.rq;
  switch (op) {
    case Act4Op::kConv: ref.conv2d(g, lc.w, lc.input_zero_point, rq8, input.data(), want.data()); break;
    case Act4Op::kDepthwise: ref.depthwise_conv2d(g, lc.w, lc.input_zero_point, rq8, input.data(), want.data()); break;
    case Act4Op::kMaxPool: ref.max_pool2d(g, lo, hi, input.data(), want.data()); break;
    case Act4Op::kAvgPool: ref.avg_pool2d(g, lo, hi, input.data(), want.data()); break;
    default: ref.fully_connected(rows, in, out, lc.w, lc.input_zero_point, rq8, input.data(), want.data()); break;
  }
  // The table under test, on the stored layouts.
  const std::vector<int8_t> stored_in = in_bits == 4 ? Pack(input) : input;
  std::vector<int8_t> got(ActivationBytes(out_n, out_bits), 0x55);
  ConvGeometry gp = g;
  gp.in_bits = static_cast<uint8_t>(in_bits);
  gp.out_bits = static_cast<uint8_t>(out_bits);
  Requantization rqp = lc.rq;
  rqp.in_bits = static_cast<uint8_t>(in_bits);
  rqp.out_bits = static_cast<uint8_t>(out_bits);
  switch (op) {
    case Act4Op::kConv: k.conv2d(gp, lc.w, lc.input_zero_point, rqp, stored_in.data(), got.data()); break;
    case Act4Op::kDepthwise: k.depthwise_conv2d(gp, lc.w, lc.input_zero_point, rqp, stored_in.data(), got.data()); break;
    case Act4Op::kMaxPool: k.max_pool2d(gp, lo, hi, stored_in.data(), got.data()); break;
    case Act4Op::kAvgPool: k.avg_pool2d(gp, lo, hi, stored_in.data(), got.data()); break;
    default: k.fully_connected(rows, in, out, lc.w, lc.input_zero_point, rqp, stored_in.data(), got.data()); break;
  }
  const std::vector<int8_t> expect = out_bits == 4 ? Pack(want) : want;
  for (size_t i = 0; i < expect.size(); ++i) {
    if (expect[i] != got[i]) {
      char buf[224];
      std::snprintf(buf, sizeof(buf), "%s %s %s, A%d -> A%d, W%d: byte %lu of %lu is 0x%02x, want 0x%02x",
                    k.name, OpName(op),
                    windowed ? Describe(g).c_str() : (std::to_string(rows) + "x" + std::to_string(in) + "->" + std::to_string(out)).c_str(),
                    in_bits, out_bits, wbits, static_cast<unsigned long>(i),
                    static_cast<unsigned long>(expect.size()), static_cast<uint8_t>(got[i]),
                    static_cast<uint8_t>(expect[i]));
      return buf;
    }
  }
  return "";
}

std::string SweepAct4(const KernelTable& k, uint64_t seed, int iterations) {
  Rng rng(seed);
  const int layouts[3][2] = {{4, 4}, {4, 8}, {8, 4}};
  for (int op = 0; op < kNumAct4Ops; ++op) {
    for (const auto& l : layouts) {
      for (int it = 0; it < iterations; ++it) {
        const std::string diff = CheckAct4(k, static_cast<Act4Op>(op), l[0], l[1], rng);
        if (!diff.empty()) return diff;
      }
    }
  }
  return "";
}

}  // namespace test
}  // namespace tm2
