// conv2d and depthwise_conv2d: every variant equals the reference byte for
// byte, on random shapes and on every kernel size / stride / padding
// combination, with int8 and int4 weights and every output-stage style.
#include <vector>

#include "catch2/catch.hpp"
#include "kernel_case.h"
#include "kernels/select.h"
#include "variants.h"

namespace tm2 {
namespace test {
namespace {

enum class Op { kConv, kDepthwise };

// Runs one geometry with fresh random data through `k` and the reference.
void CheckOne(Op op, const ConvGeometry& g, int bits, RqStyle style, Rng& rng,
              const KernelTable& k, const std::string& variant) {
  LayerCase lc;
  if (op == Op::kConv) {
    lc.Fill(rng, g.out_c, g.kernel_h * g.kernel_w * g.in_c, g.out_c, bits,
            g.kernel_h * g.kernel_w * g.in_c, style);
  } else {
    lc.Fill(rng, g.kernel_h * g.kernel_w, g.out_c, g.out_c, bits, g.kernel_h * g.kernel_w, style);
  }
  if (op == Op::kConv) lc.PackConv(k, g);
  else lc.PackDepthwise(k, g);
  const std::vector<int8_t> input = RandomInt8(rng, static_cast<size_t>(g.in_h) * g.in_w * g.in_c);
  const size_t out_n = static_cast<size_t>(g.out_h) * g.out_w * g.out_c;
  std::vector<int8_t> want(out_n), got(out_n, 0x55);
  const ConvFn ref = op == Op::kConv ? ReferenceKernels().conv2d : ReferenceKernels().depthwise_conv2d;
  const ConvFn fn = op == Op::kConv ? k.conv2d : k.depthwise_conv2d;
  ref(g, lc.w, lc.input_zero_point, lc.rq, input.data(), want.data());
  fn(g, lc.w, lc.input_zero_point, lc.rq, input.data(), got.data());
  const std::string diff = FirstDifference(want.data(), got.data(), g.out_h, g.out_w, g.out_c);
  if (!diff.empty()) {
    INFO(variant << (op == Op::kConv ? " conv2d " : " depthwise ") << Describe(g) << ", int"
                 << bits << ", input zp " << lc.input_zero_point << ", style "
                 << static_cast<int>(style) << ": " << diff);
    REQUIRE(diff.empty());
  }
}

RqStyle PickStyle(Rng& rng) {
  const int s = rng.Int(0, 9);
  return s < 5 ? RqStyle::kTypical : s < 7 ? RqStyle::kSaturating : s < 8 ? RqStyle::kRelu6
                                                                            : RqStyle::kExtremeShift;
}

void RandomSweep(Op op, uint64_t seed, int iterations) {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(seed);
    for (int it = 0; it < iterations; ++it) {
      const int in_c = rng.Chance(30) ? rng.Int(1, 3) : rng.Int(1, 40);
      const int out_c = op == Op::kDepthwise ? in_c : rng.Chance(20) ? rng.Int(1, 3) : rng.Int(1, 70);
      ConvGeometry g;
      const bool ok = MakeGeometry(rng.Int(1, 14), rng.Int(1, 14), in_c, out_c, rng.Int(1, 5),
                                   rng.Int(1, 5), rng.Int(1, 2), rng.Int(1, 2),
                                   rng.Chance(50) ? Pad::kSame : Pad::kValid, &g);
      if (!ok) continue;
      CheckOne(op, g, rng.Chance(50) ? 4 : 8, PickStyle(rng), rng, k, variant);
    }
  });
}

// Kernel 1..10 x 1..4, strides 1/2 on each axis, Same and Valid, odd
// channel counts, on a map just big enough, and on 1x1 maps (Same).
void EdgeSweep(Op op, uint64_t seed) {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(seed);
    for (int kh = 1; kh <= 10; ++kh) {
      for (int kw = 1; kw <= 4; ++kw) {
        for (int s = 0; s < 4; ++s) {
          for (int p = 0; p < 2; ++p) {
            const int in_c = (op == Op::kConv) ? 1 + 2 * rng.Int(0, 3) : 1 + 2 * rng.Int(0, 8);
            const int out_c = op == Op::kDepthwise ? in_c : 1 + 2 * rng.Int(0, 5);
            ConvGeometry g;
            if (MakeGeometry(kh + rng.Int(0, 6), kw + rng.Int(0, 6), in_c, out_c, kh, kw, 1 + s / 2,
                             1 + s % 2, p ? Pad::kSame : Pad::kValid, &g)) {
              CheckOne(op, g, (kh + kw) % 2 ? 4 : 8, PickStyle(rng), rng, k, variant);
            }
            if (MakeGeometry(1, 1, in_c, out_c, kh, kw, 1 + s / 2, 1 + s % 2, Pad::kSame, &g)) {
              CheckOne(op, g, p ? 4 : 8, PickStyle(rng), rng, k, variant);
            }
          }
        }
      }
    }
  });
}

}  // namespace

TEST_CASE("conv2d variants equal the reference on random shapes") { RandomSweep(Op::kConv, 11, 300); }
TEST_CASE("conv2d variants equal the reference on every kernel/stride/padding") { EdgeSweep(Op::kConv, 12); }
TEST_CASE("depthwise variants equal the reference on random shapes") {
  RandomSweep(Op::kDepthwise, 13, 300);
}
TEST_CASE("depthwise variants equal the reference on every kernel/stride/padding") {
  EdgeSweep(Op::kDepthwise, 14);
}

TEST_CASE("conv2d and depthwise at the vector output stage's edge, n = 33..35") {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(16);
    for (int it = 0; it < 60; ++it) {
      const Op op = it % 2 ? Op::kDepthwise : Op::kConv;
      const int in_c = rng.Int(1, 70);
      ConvGeometry g;
      if (MakeGeometry(rng.Int(1, 9), rng.Int(1, 9), in_c, op == Op::kDepthwise ? in_c : rng.Int(1, 40),
                       rng.Int(1, 3), rng.Int(1, 3), rng.Int(1, 2), 1, Pad::kSame, &g)) {
        CheckOne(op, g, rng.Chance(50) ? 4 : 8, RqStyle::kShallowShift, rng, k, variant);
      }
    }
  });
}

TEST_CASE("conv2d and depthwise on the shipped models' shapes") {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(15);
    ConvGeometry g;
    for (int bits : {8, 4}) {
      MakeGeometry(64, 64, 1, 8, 3, 3, 1, 1, Pad::kSame, &g);  // cough conv
      CheckOne(Op::kConv, g, bits, RqStyle::kRelu6, rng, k, variant);
      MakeGeometry(49, 10, 1, 64, 10, 4, 2, 2, Pad::kSame, &g);  // KWS conv
      CheckOne(Op::kConv, g, bits, RqStyle::kTypical, rng, k, variant);
      MakeGeometry(16, 16, 8, 16, 3, 3, 1, 1, Pad::kSame, &g);  // 64x64x8 pair, smaller
      CheckOne(Op::kConv, g, bits, RqStyle::kTypical, rng, k, variant);
      MakeGeometry(32, 32, 8, 8, 3, 3, 1, 1, Pad::kSame, &g);  // cough depthwise
      CheckOne(Op::kDepthwise, g, bits, RqStyle::kRelu6, rng, k, variant);
      MakeGeometry(25, 5, 64, 64, 3, 3, 1, 1, Pad::kSame, &g);  // KWS depthwise
      CheckOne(Op::kDepthwise, g, bits, RqStyle::kTypical, rng, k, variant);
      // Channel counts the vector width does not divide: the last block
      // overlaps the one before (cough 24, gate 48 on AVX3, 5 and 13), or
      // on AVX-512 is a narrower block after the full ones, whole (48, 72)
      // or partly masked (44, 100).
      for (int c : {24, 48, 5, 13, 44, 72, 100}) {
        MakeGeometry(c == 48 ? 16 : 24, c == 48 ? 5 : 8, c, c, 3, 3, 1, 1, Pad::kSame, &g);
        CheckOne(Op::kDepthwise, g, bits, RqStyle::kTypical, rng, k, variant);
      }
      MakeGeometry(64, 20, 16, 16, 3, 3, 2, 2, Pad::kSame, &g);  // gate depthwise, stride 2
      CheckOne(Op::kDepthwise, g, bits, RqStyle::kRelu6, rng, k, variant);
      // Rows too wide for the Highway conv's input band (kh * width * in_c
      // past 8192): the per-pixel patch path.
      MakeGeometry(6, 80, 40, 9, 3, 3, 1, 1, Pad::kSame, &g);
      CheckOne(Op::kConv, g, bits, RqStyle::kTypical, rng, k, variant);
      MakeGeometry(5, 70, 63, 5, 2, 3, 2, 1, Pad::kValid, &g);
      CheckOne(Op::kConv, g, bits, RqStyle::kSaturating, rng, k, variant);
      // Odd row widths on the band path: rows in twos, their last pixels
      // paired (even and odd row counts), and rows whose two bands do not
      // fit together (3 x 38 x 40 taps: one band only) running alone.
      for (int h : {4, 7}) {
        MakeGeometry(h, 5, 3, 10, 3, 3, 1, 1, Pad::kSame, &g);
        CheckOne(Op::kConv, g, bits, RqStyle::kTypical, rng, k, variant);
      }
      MakeGeometry(3, 35, 40, 9, 3, 3, 1, 1, Pad::kSame, &g);
      CheckOne(Op::kConv, g, bits, RqStyle::kTypical, rng, k, variant);
    }
  });
}

// 3x3 depthwise of a multiple of 8 channels with int4 weights: the relaxed
// build's column kernel where its dot is emulated
// (qs8_depthwise_dot16_wasm-inl.h; horizontal stride 1, any vertical
// stride), on maps of 1..7 pixels (columns and rows in the padding on both
// sides), strides 1 and 2 on each axis, Same and Valid, every output-stage
// style (kShiftEdges lifts channels).
TEST_CASE("3x3 depthwise of 8k channels, int4, on small maps and both strides") {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(17);
    const RqStyle styles[] = {RqStyle::kTypical, RqStyle::kRelu6, RqStyle::kSaturating,
                              RqStyle::kShallowShift, RqStyle::kShiftEdges};
    for (int it = 0; it < 160; ++it) {
      const int c = 8 * rng.Int(1, 4);
      ConvGeometry g;
      if (MakeGeometry(rng.Int(1, 7), rng.Int(1, 7), c, c, 3, 3, rng.Int(1, 2), rng.Int(1, 2),
                       it % 2 ? Pad::kSame : Pad::kValid, &g)) {
        CheckOne(Op::kDepthwise, g, 4, styles[it % 5], rng, k, variant);
      }
    }
  });
}

// Where the column kernel's int16 sums reach their bound: every weight at
// an end of int4 (sum |w| = 72 or 63 per channel, lifted by 2^k up to the
// pack step's 128 * sum |w| <= 32767) and every input at an end of int8.
TEST_CASE("3x3 int4 depthwise with extreme weights and inputs") {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(18);
    for (int n : {33, 32, 31, 30}) {  // n = 32 + r: lift k = 1 - r below 33
      // All -8, all 7, -8 and 7 by channel, then by tap (the widest spread).
      for (int wbyte : {0x88, 0x77, 0x78, 0x87, -1}) {
        for (int xv : {-128, 127}) {
          for (int zp : {-128, 127}) {
            ConvGeometry g;
            REQUIRE(MakeGeometry(4, 5, 16, 16, 3, 3, 1, 1, Pad::kSame, &g));
            LayerCase lc;
            lc.Fill(rng, 9, 16, 16, 4, 9, RqStyle::kTypical);
            for (size_t i = 0; i < lc.weights.size(); ++i) {
              lc.weights[i] = static_cast<uint8_t>(wbyte >= 0 ? wbyte : (i / 8) % 2 ? 0x88 : 0x77);
            }
            for (int ch = 0; ch < 16; ++ch) {
              lc.shift[ch] = static_cast<int8_t>(31 - n);
              lc.multiplier[ch] = (1 << 30) + 4321 * ch;
            }
            lc.input_zero_point = zp;
            lc.PackDepthwise(k, g);
            const std::vector<int8_t> input(static_cast<size_t>(g.in_h) * g.in_w * g.in_c,
                                            static_cast<int8_t>(xv));
            const size_t out_n = static_cast<size_t>(g.out_h) * g.out_w * g.out_c;
            std::vector<int8_t> want(out_n), got(out_n, 0x55);
            ReferenceKernels().depthwise_conv2d(g, lc.w, zp, lc.rq, input.data(), want.data());
            k.depthwise_conv2d(g, lc.w, zp, lc.rq, input.data(), got.data());
            const std::string diff = FirstDifference(want.data(), got.data(), g.out_h, g.out_w, g.out_c);
            INFO(variant << " n " << n << ", weights " << wbyte
                         << ", x " << xv << ", zp " << zp << ": " << diff);
            REQUIRE(diff.empty());
          }
        }
      }
    }
  });
}

TEST_CASE("packing variants run from their packed weights, and only from matching ones") {
  int packing = 0;
  std::vector<uint8_t> other;  // packed by the previous variant
  ConvGeometry g;
  MakeGeometry(9, 7, 5, 11, 3, 3, 1, 1, Pad::kSame, &g);
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(17);
    LayerCase lc;
    lc.Fill(rng, g.out_c, 45, g.out_c, 8, 45, RqStyle::kTypical);
    const std::vector<int8_t> input = RandomInt8(rng, 9 * 7 * 5);
    std::vector<int8_t> want(9 * 7 * 11), got(want.size());
    ReferenceKernels().conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), want.data());
    lc.PackConv(k, g);
    INFO(variant);
    if (lc.packed.empty()) return;
    ++packing;
    // A packed buffer made for another lane count is refused, not misread.
    if (!other.empty()) {
      std::vector<uint8_t> mine = lc.packed;
      lc.packed = other;
      lc.Bind();
      k.conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), got.data());
      CHECK(FirstDifference(want.data(), got.data(), 9, 7, 11).empty());
      lc.packed = mine;
      lc.Bind();
    }
    other = lc.packed;
    // The weights come from the packed copy: corrupting its tail shows.
    for (size_t i = lc.packed.size() / 2; i < lc.packed.size(); ++i) lc.packed[i] ^= 0x40;
    k.conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), got.data());
    CHECK_FALSE(FirstDifference(want.data(), got.data(), 9, 7, 11).empty());
  });
  if (SelectKernels().conv2d_packed_bytes) CHECK(packing > 0);
}

TEST_CASE("depthwise runs from its packed weights when the table packs them") {
  int packing = 0;
  ConvGeometry g;
  MakeGeometry(9, 7, 24, 24, 3, 3, 1, 1, Pad::kSame, &g);
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(18);
    LayerCase lc;
    lc.Fill(rng, 9, 24, 24, 8, 9, RqStyle::kTypical);
    const std::vector<int8_t> input = RandomInt8(rng, 9 * 7 * 24);
    std::vector<int8_t> want(9 * 7 * 24), got(want.size());
    ReferenceKernels().depthwise_conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(),
                                        want.data());
    lc.PackDepthwise(k, g);
    INFO(variant);
    if (lc.packed.empty()) return;
    ++packing;
    k.depthwise_conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), got.data());
    CHECK(FirstDifference(want.data(), got.data(), 9, 7, 24).empty());
    // The weights come from the packed copy: corrupting its tail shows.
    for (size_t i = lc.packed.size() / 2; i < lc.packed.size(); ++i) lc.packed[i] ^= 0x40;
    k.depthwise_conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), got.data());
    CHECK_FALSE(FirstDifference(want.data(), got.data(), 9, 7, 24).empty());
    // Packed for another shape (8 channels): refused, the reference runs.
    ConvGeometry other;
    MakeGeometry(9, 7, 8, 8, 3, 3, 1, 1, Pad::kSame, &other);
    lc.packed.assign(k.depthwise_conv2d_packed_bytes(other), 0);
    lc.Bind();
    k.depthwise_conv2d_pack(other, lc.w, lc.rq, lc.packed.data());
    k.depthwise_conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), got.data());
    CHECK(FirstDifference(want.data(), got.data(), 9, 7, 24).empty());
  });
  if (SelectKernels().depthwise_conv2d_packed_bytes) CHECK(packing > 0);
}

TEST_CASE("a broken variant is caught") {
  // The comparison itself must be able to fail: corrupt one byte.
  Rng rng(16);
  ConvGeometry g;
  MakeGeometry(5, 4, 3, 6, 3, 3, 1, 1, Pad::kSame, &g);
  LayerCase lc;
  lc.Fill(rng, 6, 27, 6, 8, 27, RqStyle::kTypical);
  const std::vector<int8_t> input = RandomInt8(rng, 5 * 4 * 3);
  std::vector<int8_t> a(5 * 4 * 6), b(5 * 4 * 6);
  ReferenceKernels().conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), a.data());
  SelectKernels().conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), b.data());
  CHECK(FirstDifference(a.data(), b.data(), 5, 4, 6).empty());
  b[37] ^= 1;
  CHECK(FirstDifference(a.data(), b.data(), 5, 4, 6).find("y=1 x=2 c=1") != std::string::npos);
}

}  // namespace test
}  // namespace tm2
