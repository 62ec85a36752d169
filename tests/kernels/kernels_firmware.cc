// Kernel comparison firmware for the Cortex-M4 (Catch2 is not built there):
// a reduced form of conv_test.cc, fully_connected_test.cc and
// pooling_test.cc and pq_test.cc. Every case
// runs the reference and the selected table (cm4dsp) on the same random
// data; main returns the number of mismatching cases (0 = pass).
#include <cstdio>
#include <vector>

#include "act4_case.h"
#include "kernel_case.h"
#include "kernels/select.h"
#include "pq_case.h"

namespace tm2 {
namespace test {
namespace {

enum class Op { kConv, kDepthwise };

int g_cases = 0, g_failures = 0;

void Report(const char* what, const ConvGeometry& g, int bits, int zp, const int8_t* want,
            const int8_t* got, size_t n) {
  ++g_cases;
  for (size_t i = 0; i < n; ++i) {
    if (want[i] != got[i]) {
      if (++g_failures <= 10) {
        printf("MISMATCH %s %s int%d zp %d: index %lu ref %d got %d\n", what, Describe(g).c_str(),
               bits, zp, static_cast<unsigned long>(i), want[i], got[i]);
      }
      return;
    }
  }
}

RqStyle PickStyle(Rng& rng) {
  const int s = rng.Int(0, 9);
  return s < 5 ? RqStyle::kTypical : s < 7 ? RqStyle::kSaturating : s < 8 ? RqStyle::kRelu6
                                                                            : RqStyle::kExtremeShift;
}

void CheckConv(Op op, const ConvGeometry& g, int bits, RqStyle style, Rng& rng) {
  LayerCase lc;
  const int taps = g.kernel_h * g.kernel_w;
  if (op == Op::kConv) {
    lc.Fill(rng, g.out_c, taps * g.in_c, g.out_c, bits, taps * g.in_c, style);
  } else {
    lc.Fill(rng, taps, g.out_c, g.out_c, bits, taps, style);
  }
  const std::vector<int8_t> input = RandomInt8(rng, static_cast<size_t>(g.in_h) * g.in_w * g.in_c);
  const size_t n = static_cast<size_t>(g.out_h) * g.out_w * g.out_c;
  std::vector<int8_t> want(n), got(n, 0x55);
  const KernelTable& ref = ReferenceKernels();
  const KernelTable& k = SelectKernels();
  const ConvFn rf = op == Op::kConv ? ref.conv2d : ref.depthwise_conv2d;
  const ConvFn kf = op == Op::kConv ? k.conv2d : k.depthwise_conv2d;
  rf(g, lc.w, lc.input_zero_point, lc.rq, input.data(), want.data());
  kf(g, lc.w, lc.input_zero_point, lc.rq, input.data(), got.data());
  Report(op == Op::kConv ? "conv2d" : "depthwise", g, bits, lc.input_zero_point, want.data(),
         got.data(), n);
}

void CheckFc(int rows, int in, int out, int bits, RqStyle style, Rng& rng) {
  LayerCase lc;
  lc.Fill(rng, out, in, out, bits, in, style);
  const std::vector<int8_t> input = RandomInt8(rng, static_cast<size_t>(rows) * in);
  std::vector<int8_t> want(static_cast<size_t>(rows) * out), got(want.size(), 0x55);
  ReferenceKernels().fully_connected(rows, in, out, lc.w, lc.input_zero_point, lc.rq, input.data(),
                                     want.data());
  SelectKernels().fully_connected(rows, in, out, lc.w, lc.input_zero_point, lc.rq, input.data(),
                                  got.data());
  ConvGeometry g{};
  g.in_h = g.out_h = 1;
  g.in_w = g.out_w = rows;
  g.in_c = in;
  g.out_c = out;
  Report("fully_connected", g, bits, lc.input_zero_point, want.data(), got.data(), want.size());
}

// Channel ch moved out of the M4 SIMD output stage's range, keeping its
// scale where it can: kind 0 shift -1 (n = 32), 1 shift 0 (n = 31, the
// reference's other branch), 2 n = 62 with a zero point that puts
// 2^29 + zp * 2^30 outside [-2^30, 2^30) and a large bias.
void ForceSlow(LayerCase& lc, int ch, int kind) {
  const int n = 31 - lc.shift[ch];
  if (kind == 2) {
    lc.shift[ch] = -31;
    lc.multiplier[ch] = INT32_MAX - ch;
    lc.bias[ch] = (ch & 1 ? -1 : 1) * ((1 << 30) + 12345 * ch);
    if (lc.rq.output_zero_point >= -1 && lc.rq.output_zero_point <= 0) lc.rq.output_zero_point = 3;
    return;
  }
  const int target = kind == 0 ? 32 : 31;
  if (n > target) lc.multiplier[ch] >>= n - target;
  lc.shift[ch] = static_cast<int8_t>(31 - target);
}

// The GEMM kernels' per-channel fallback (qs8_quad_out_cm4dsp.h, Mixed):
// layers whose channel set mixes fast and slow channels, the slow ones at
// every position (first, middle, last, a lone channel), in pairs, at tile
// pass boundaries and all slow, through conv2d (direct and gathered
// patches), pointwise (tile), fully connected (tile, int8 dense as
// stored, int4 dense). Every output byte against the reference.
enum class Gemm { kConvDirect, kConv, kPointwise, kFc, kDense8, kDense4 };

void CheckMixed(Gemm op, int out_c, const std::vector<int>& slow, int kind, Rng& rng) {
  ConvGeometry g;
  const int bits = op == Gemm::kDense4 || (op != Gemm::kDense8 && rng.Chance(40)) ? 4 : 8;
  if (op == Gemm::kConvDirect || op == Gemm::kConv) {
    MakeGeometry(5, 4, op == Gemm::kConv ? 6 : 1, out_c, 3, 2, 1, 1, Pad::kSame, &g);
  } else {
    const int rows = op == Gemm::kDense8 || op == Gemm::kDense4 ? 1 : 5;
    MakeGeometry(1, rows, op == Gemm::kFc ? 300 : 19, out_c, 1, 1, 1, 1, Pad::kValid, &g);
  }
  const int k = g.kernel_h * g.kernel_w * g.in_c;
  LayerCase lc;
  lc.Fill(rng, out_c, k, out_c, bits, k, rng.Chance(50) ? RqStyle::kTypical : RqStyle::kRelu6);
  for (int ch : slow) ForceSlow(lc, ch, kind);
  lc.Bind();
  const std::vector<int8_t> input = RandomInt8(rng, static_cast<size_t>(g.in_h) * g.in_w * g.in_c);
  const size_t n = static_cast<size_t>(g.out_h) * g.out_w * out_c;
  std::vector<int8_t> want(n), got(n, 0x55);
  const int32_t zp = lc.input_zero_point;
  if (op == Gemm::kConvDirect || op == Gemm::kConv) {
    ReferenceKernels().conv2d(g, lc.w, zp, lc.rq, input.data(), want.data());
    SelectKernels().conv2d(g, lc.w, zp, lc.rq, input.data(), got.data());
  } else {
    const int rows = g.out_w;
    ReferenceKernels().fully_connected(rows, g.in_c, out_c, lc.w, zp, lc.rq, input.data(), want.data());
    SelectKernels().fully_connected(rows, g.in_c, out_c, lc.w, zp, lc.rq, input.data(), got.data());
  }
  static const char* const kNames[] = {"mixed conv direct", "mixed conv", "mixed pointwise",
                                        "mixed fc (tile)", "mixed dense int8", "mixed dense int4"};
  Report(kNames[static_cast<int>(op)], g, bits, zp, want.data(), got.data(), n);
}

// QuadOutStage takes a layer per channel while at most an eighth of its
// channels are slow (more: the general stage whole), so the sweeps use 8
// channels and more; fewer, and too many slow ones, check that fallback.
void MixedSweep(uint64_t seed) {
  Rng rng(seed);
  const Gemm ops[] = {Gemm::kConvDirect, Gemm::kConv, Gemm::kPointwise, Gemm::kFc, Gemm::kDense8,
                      Gemm::kDense4};
  for (Gemm op : ops) {
    // One slow channel at every position of 8..11 and 17 channels, each kind.
    for (int c : {8, 9, 10, 11, 17}) {
      for (int ch = 0; ch < c; ++ch) CheckMixed(op, c, {ch}, (c + ch) % 3, rng);
    }
    // Pairs, neighbours across a pair, first + last, lone middle ones.
    CheckMixed(op, 16, {2, 3}, 0, rng);
    CheckMixed(op, 16, {7, 8}, 1, rng);
    CheckMixed(op, 17, {0, 16}, 0, rng);
    CheckMixed(op, 40, {1, 6, 7, 12, 39}, 2, rng);
    // The KWS width: first, middle and last channel; eight slow.
    for (int ch : {0, 31, 32, 63}) CheckMixed(op, 64, {ch}, 0, rng);
    CheckMixed(op, 64, {0, 1, 9, 20, 33, 34, 61, 63}, 1, rng);
    // Past an eighth (general stage whole), few channels, all slow.
    CheckMixed(op, 16, {4, 5, 11}, 0, rng);
    CheckMixed(op, 5, {2}, 0, rng);
    CheckMixed(op, 7, {0, 1, 2, 3, 4, 5, 6}, 0, rng);
  }
  // Tile passes of 12 channels (k = 300): slow channels at both sides of
  // a pass boundary and in the short last pass.
  for (int ch : {10, 11, 12, 13, 23, 24, 25}) CheckMixed(Gemm::kFc, 26, {ch}, 0, rng);
  CheckMixed(Gemm::kFc, 26, {11, 12, 25}, 1, rng);
}

void RandomConv(Op op, uint64_t seed, int iterations) {
  Rng rng(seed);
  for (int it = 0; it < iterations; ++it) {
    const int in_c = rng.Chance(30) ? rng.Int(1, 3) : rng.Int(1, 40);
    const int out_c = op == Op::kDepthwise ? in_c : rng.Chance(20) ? rng.Int(1, 3) : rng.Int(1, 70);
    ConvGeometry g;
    if (!MakeGeometry(rng.Int(1, 12), rng.Int(1, 12), in_c, out_c, rng.Int(1, 5), rng.Int(1, 5),
                      rng.Int(1, 2), rng.Int(1, 2), rng.Chance(50) ? Pad::kSame : Pad::kValid, &g))
      continue;
    // int4 rows unpack nibbles in cm4dsp (odd lengths: padding nibble).
    CheckConv(op, g, rng.Chance(60) ? 8 : 4, PickStyle(rng), rng);
  }
}

// Kernel 1..10 x 1..4, strides 1/2 per axis, Same/Valid, odd channels, on
// a map just big enough and on a 1x1 map.
void EdgeConv(Op op, uint64_t seed) {
  Rng rng(seed);
  for (int kh = 1; kh <= 10; ++kh) {
    for (int kw = 1; kw <= 4; ++kw) {
      for (int s = 0; s < 4; ++s) {
        for (int p = 0; p < 2; ++p) {
          const int in_c = op == Op::kConv ? 1 + 2 * rng.Int(0, 3) : 1 + 2 * rng.Int(0, 8);
          const int out_c = op == Op::kDepthwise ? in_c : 1 + 2 * rng.Int(0, 5);
          ConvGeometry g;
          if (MakeGeometry(kh + rng.Int(0, 4), kw + rng.Int(0, 4), in_c, out_c, kh, kw, 1 + s / 2,
                           1 + s % 2, p ? Pad::kSame : Pad::kValid, &g)) {
            CheckConv(op, g, 8, PickStyle(rng), rng);
            CheckConv(op, g, 4, PickStyle(rng), rng);
          }
          if (MakeGeometry(1, 1, in_c, out_c, kh, kw, 1 + s / 2, 1 + s % 2, Pad::kSame, &g)) {
            CheckConv(op, g, 8, PickStyle(rng), rng);
          }
        }
      }
    }
  }
}

// Max and average pool of g, reference vs selected, clamp [lo, hi].
void CheckPools(const ConvGeometry& g, int lo, int hi, Rng& rng) {
  const std::vector<int8_t> input = RandomInt8(rng, static_cast<size_t>(g.in_h) * g.in_w * g.in_c);
  const size_t n = static_cast<size_t>(g.out_h) * g.out_w * g.out_c;
  std::vector<int8_t> want(n), got(n, 0x55);
  ReferenceKernels().max_pool2d(g, lo, hi, input.data(), want.data());
  SelectKernels().max_pool2d(g, lo, hi, input.data(), got.data());
  Report("max_pool2d", g, 8, 0, want.data(), got.data(), n);
  ReferenceKernels().avg_pool2d(g, lo, hi, input.data(), want.data());
  SelectKernels().avg_pool2d(g, lo, hi, input.data(), got.data());
  Report("avg_pool2d", g, 8, 0, want.data(), got.data(), n);
}

// Global average pool of hw cells x c channels, reference vs selected.
void CheckGlobalAvg(int hw, int c, int lo, int hi, const std::vector<int8_t>& input) {
  std::vector<int8_t> want(c), got(c, 0x55);
  ReferenceKernels().global_avg_pool(hw, c, lo, hi, input.data(), want.data());
  SelectKernels().global_avg_pool(hw, c, lo, hi, input.data(), got.data());
  ConvGeometry g{};
  g.in_h = hw, g.in_w = 1, g.in_c = g.out_c = c, g.out_h = g.out_w = 1;
  Report("global_avg_pool", g, 8, 0, want.data(), got.data(), want.size());
}

void GlobalAvgSweep(uint64_t seed) {
  Rng rng(seed);
  for (int it = 0; it < 150; ++it) {
    const int hw = rng.Chance(20) ? rng.Int(250, 300) : rng.Int(1, 140);
    const int c = rng.Chance(30) ? rng.Int(1, 9) : rng.Int(10, 70);
    const int lo = rng.Chance(60) ? -128 : rng.Int(-128, 127);
    const int hi = rng.Chance(60) ? 127 : rng.Int(-128, 127);
    CheckGlobalAvg(hw, c, lo, hi, RandomInt8(rng, static_cast<size_t>(hw) * c));
  }
  for (int hw : {1, 125, 255, 256, 257}) {  // the int16 limit, and past it
    for (int8_t v : {int8_t{-128}, int8_t{127}, int8_t{-1}}) {
      CheckGlobalAvg(hw, 13, -128, 127, std::vector<int8_t>(static_cast<size_t>(hw) * 13, v));
    }
  }
}

void PoolSweep(uint64_t seed) {
  Rng rng(seed);
  ConvGeometry g;
  for (int it = 0; it < 300; ++it) {
    const int c = rng.Chance(40) ? rng.Int(1, 9) : rng.Int(10, 70);
    if (!MakeGeometry(rng.Int(1, 12), rng.Int(1, 12), c, c, rng.Int(1, 4), rng.Int(1, 4),
                      rng.Int(1, 3), rng.Int(1, 3), rng.Chance(50) ? Pad::kSame : Pad::kValid, &g))
      continue;
    const int lo = rng.Chance(50) ? -128 : rng.Int(-128, 127);
    const int hi = rng.Chance(50) ? 127 : rng.Int(-128, 127);
    CheckPools(g, lo, hi, rng);
  }
  for (int kh = 1; kh <= 4; ++kh) {
    for (int kw = 1; kw <= 4; ++kw) {
      for (int s = 1; s <= 3; ++s) {
        const int c = 1 + 2 * rng.Int(0, 12);
        if (MakeGeometry(1, 1, c, c, kh, kw, s, s, Pad::kSame, &g)) CheckPools(g, -128, 127, rng);
        if (MakeGeometry(kh + 3, kw + 3, c, c, kh, kw, s, s, Pad::kSame, &g)) CheckPools(g, -5, 90, rng);
      }
    }
  }
  for (int c : {4, 13}) {
    MakeGeometry(16, 16, c, c, 16, 16, 1, 1, Pad::kValid, &g);  // 256 cells: int16 limit
    CheckPools(g, -128, 127, rng);
    MakeGeometry(17, 16, c, c, 17, 16, 1, 1, Pad::kValid, &g);  // past it: reference
    CheckPools(g, -128, 127, rng);
  }
  // Constant extreme inputs: the largest int16 sums.
  for (int8_t v : {int8_t{-128}, int8_t{127}}) {
    MakeGeometry(16, 16, 8, 8, 16, 16, 1, 1, Pad::kValid, &g);
    std::vector<int8_t> input(16 * 16 * 8, v), want(8), got(8);
    ReferenceKernels().avg_pool2d(g, -128, 127, input.data(), want.data());
    SelectKernels().avg_pool2d(g, -128, 127, input.data(), got.data());
    Report("avg_pool2d constant", g, 8, v, want.data(), got.data(), 8);
  }
  MakeGeometry(25, 5, 64, 64, 25, 5, 1, 1, Pad::kValid, &g);  // KWS average pool
  CheckPools(g, -128, 127, rng);
  MakeGeometry(64, 64, 8, 8, 2, 2, 2, 2, Pad::kValid, &g);  // cough max pool
  CheckPools(g, -128, 127, rng);
}

// Product-quantized layers (pq_case.h): decoder, then cm4dsp on the
// decoded weights against the reference.
void PqSweep(uint64_t seed, int iterations) {
  Rng rng(seed);
  for (int it = 0; it < iterations; ++it) {
    for (PqOp op : {PqOp::kConv, PqOp::kDepthwise, PqOp::kFc}) {
      const std::string diff = CheckPqCase(op, rng, SelectKernels());
      ++g_cases;
      if (!diff.empty() && ++g_failures <= 10) printf("MISMATCH pq %s\n", diff.c_str());
    }
  }
}

void Run() {
  PoolSweep(31);
  GlobalAvgSweep(32);
  PqSweep(41, 40);
  RandomConv(Op::kConv, 11, 150);
  EdgeConv(Op::kConv, 12);
  RandomConv(Op::kDepthwise, 13, 150);
  EdgeConv(Op::kDepthwise, 14);
  Rng rng(21);
  for (int it = 0; it < 200; ++it) {
    const int rows = rng.Chance(40) ? 1 : rng.Chance(50) ? rng.Int(2, 5) : rng.Int(1, 40);
    const int in = rng.Chance(20) ? rng.Int(1, 9) : rng.Int(1, 200);
    const int out = rng.Chance(20) ? rng.Int(1, 3) : rng.Int(1, 80);
    CheckFc(rows, in, out, rng.Chance(60) ? 8 : 4, PickStyle(rng), rng);
  }
  for (int in = 1; in <= 40; ++in) {
    CheckFc(1, in, 3, 8, RqStyle::kTypical, rng);
    CheckFc(3, in, 5, 8, RqStyle::kSaturating, rng);
    CheckFc(1, in, 3, 4, RqStyle::kSaturating, rng);
    CheckFc(3, in, 5, 4, RqStyle::kTypical, rng);
  }
  CheckFc(2, 1100, 3, 8, RqStyle::kTypical, rng);  // past the patch limit
  // Rows at and past the patch and tile limits, and tall 1-channel kernels
  // (tests/kernels/long_rows_test.cc; there they once never finished).
  ConvGeometry g;
  for (int in : {1020, 1024, 1025, 2049, 4096}) {
    CheckFc(3, in, 9, 8, RqStyle::kTypical, rng);
    CheckFc(3, in, 9, 4, RqStyle::kTypical, rng);
    CheckFc(1, in, 5, 4, RqStyle::kTypical, rng);
  }
  MakeGeometry(3, 3, 113, 7, 3, 3, 1, 1, Pad::kSame, &g);  // k = 1017: one tile of 4 rows
  CheckConv(Op::kConv, g, 8, RqStyle::kTypical, rng);
  MakeGeometry(4, 4, 240, 16, 3, 3, 1, 1, Pad::kSame, &g);  // k = 2160
  CheckConv(Op::kConv, g, 8, RqStyle::kTypical, rng);
  MakeGeometry(1100, 1, 1, 3, 1024, 1, 1, 1, Pad::kValid, &g);
  CheckConv(Op::kConv, g, 8, RqStyle::kTypical, rng);
  MakeGeometry(2200, 1, 1, 3, 2100, 1, 1, 1, Pad::kValid, &g);
  CheckConv(Op::kConv, g, 8, RqStyle::kTypical, rng);
  // The shipped models' shapes, int8 and int4.
  MakeGeometry(49, 10, 1, 64, 10, 4, 2, 2, Pad::kSame, &g);  // KWS conv
  CheckConv(Op::kConv, g, 8, RqStyle::kTypical, rng);
  MakeGeometry(25, 5, 64, 64, 3, 3, 1, 1, Pad::kSame, &g);  // KWS depthwise
  CheckConv(Op::kDepthwise, g, 8, RqStyle::kRelu6, rng);
  CheckConv(Op::kDepthwise, g, 4, RqStyle::kRelu6, rng);
  CheckFc(125, 64, 64, 8, RqStyle::kRelu6, rng);  // KWS pointwise
  CheckFc(125, 64, 64, 4, RqStyle::kRelu6, rng);
  CheckFc(1, 32, 16, 4, RqStyle::kTypical, rng);  // cough dense
  CheckFc(1, 64, 12, 8, RqStyle::kTypical, rng);  // KWS dense
  MakeGeometry(32, 32, 1, 8, 3, 3, 1, 1, Pad::kSame, &g);  // cough conv, smaller map
  CheckConv(Op::kConv, g, 8, RqStyle::kRelu6, rng);
  MakeGeometry(16, 16, 16, 16, 3, 3, 1, 1, Pad::kSame, &g);  // cough depthwise
  CheckConv(Op::kDepthwise, g, 8, RqStyle::kRelu6, rng);
  CheckConv(Op::kDepthwise, g, 4, RqStyle::kRelu6, rng);
  MakeGeometry(48, 16, 8, 8, 3, 3, 1, 1, Pad::kSame, &g);
  CheckConv(Op::kDepthwise, g, 4, RqStyle::kShallowShift, rng);
  MakeGeometry(64, 20, 16, 16, 3, 3, 2, 2, Pad::kSame, &g);  // gate depthwise, stride 2
  CheckConv(Op::kDepthwise, g, 4, RqStyle::kRelu6, rng);
  // Depthwise 3x3 on every path: assembly (up to 64 channels, tails),
  // the C band (more channels, stride 3) and the general tile (wide maps).
  for (int c : {4, 60, 64, 66, 68, 70, 132}) {
    for (int s = 1; s <= 3; ++s) {
      MakeGeometry(7, 9, c, c, 3, 3, s, s, Pad::kSame, &g);
      CheckConv(Op::kDepthwise, g, c % 3 ? 8 : 4, RqStyle::kRelu6, rng);
      CheckConv(Op::kDepthwise, g, 8, RqStyle::kShallowShift, rng);
      CheckConv(Op::kDepthwise, g, c % 2 ? 4 : 8, RqStyle::kShiftEdges, rng);
    }
  }
  // Shift -1 channels (the 3x3 assembly doubles their accumulators) and
  // the other edges of the SIMD output stage: the KWS depthwise shape, a
  // pointwise and a dense layer (the GEMM tile's stage).
  MakeGeometry(25, 5, 64, 64, 3, 3, 1, 1, Pad::kSame, &g);
  for (int i = 0; i < 12; ++i) CheckConv(Op::kDepthwise, g, i % 3 ? 8 : 4, RqStyle::kShiftEdges, rng);
  MakeGeometry(13, 7, 24, 24, 3, 3, 2, 2, Pad::kSame, &g);
  for (int i = 0; i < 4; ++i) CheckConv(Op::kDepthwise, g, 8, RqStyle::kShiftEdges, rng);
  MakeGeometry(5, 5, 32, 20, 1, 1, 1, 1, Pad::kSame, &g);
  for (int i = 0; i < 4; ++i) CheckConv(Op::kConv, g, i % 2 ? 4 : 8, RqStyle::kShiftEdges, rng);
  for (int i = 0; i < 4; ++i) CheckFc(9, 64, 13, i % 2 ? 4 : 8, RqStyle::kShiftEdges, rng);
  MixedSweep(51);
  MakeGeometry(5, 60, 16, 16, 3, 3, 1, 1, Pad::kSame, &g);  // band past kBandElems
  CheckConv(Op::kDepthwise, g, 4, RqStyle::kTypical, rng);
  MakeGeometry(9, 7, 24, 24, 3, 3, 1, 1, Pad::kSame, &g);
  CheckConv(Op::kConv, g, 4, RqStyle::kTypical, rng);
}

}  // namespace
}  // namespace test
}  // namespace tm2

int main() {
  using namespace tm2;
  printf("kernels firmware: reference vs '%s'\n", SelectKernels().name);
  test::Run();
  // Packed int4 activations (act4_case.h): the reference and cm4dsp, the
  // same sweep as act4_test.cc with fewer cases.
  const KernelTable* act4_tables[2] = {&ReferenceKernels(), &SelectKernels()};
  for (const KernelTable* k : act4_tables) {
    const std::string diff = test::SweepAct4(*k, 4042, 12);
    test::g_cases += test::kNumAct4Ops * 3 * 12;
    if (!diff.empty()) {
      ++test::g_failures;
      printf("MISMATCH packed int4: %s\n", diff.c_str());
    }
  }
  printf("%d cases, %d mismatching\n", test::g_cases, test::g_failures);
  return test::g_failures > 100 ? 100 : test::g_failures;
}
