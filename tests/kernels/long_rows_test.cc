// Rows past 2048 taps (kh*kw*in_c, or a pointwise conv's input channels)
// and tall single-channel kernels: every variant must finish and equal the
// reference. These shapes once made the Highway channel chunk 0 and the
// kernels loop forever (AVX2 for 2048 < k <= 4096; every SIMD target for
// the band path with a tall 1-channel kernel), so CTest runs them as their
// own test with a short TIMEOUT (tests/kernels/CMakeLists.txt).
#include <vector>

#include "catch2/catch.hpp"
#include "kernel_case.h"
#include "kernels/select.h"
#include "variants.h"

namespace tm2 {
namespace test {
namespace {

void CheckConv(int in_h, int in_w, int in_c, int out_c, int kh, int kw, Pad pad, int bits, Rng& rng,
               const KernelTable& k, const std::string& variant) {
  ConvGeometry g;
  REQUIRE(MakeGeometry(in_h, in_w, in_c, out_c, kh, kw, 1, 1, pad, &g));
  const int taps = kh * kw * in_c;
  LayerCase lc;
  lc.Fill(rng, out_c, taps, out_c, bits, taps, RqStyle::kTypical);
  lc.PackConv(k, g);
  const std::vector<int8_t> input = RandomInt8(rng, static_cast<size_t>(in_h) * in_w * in_c);
  const size_t n = static_cast<size_t>(g.out_h) * g.out_w * g.out_c;
  std::vector<int8_t> want(n), got(n, 0x55);
  ReferenceKernels().conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), want.data());
  k.conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), got.data());
  const std::string diff = FirstDifference(want.data(), got.data(), g.out_h, g.out_w, g.out_c);
  INFO(variant << " conv2d " << Describe(g) << " (k = " << taps << "), int" << bits << ": " << diff);
  REQUIRE(diff.empty());
}

void CheckPointwise(int rows, int in, int out, int bits, Rng& rng, const KernelTable& k,
                    const std::string& variant) {
  LayerCase lc;
  lc.Fill(rng, out, in, out, bits, in, RqStyle::kTypical);
  lc.PackFullyConnected(k, rows, in, out);
  const std::vector<int8_t> input = RandomInt8(rng, static_cast<size_t>(rows) * in);
  std::vector<int8_t> want(static_cast<size_t>(rows) * out), got(want.size(), 0x55);
  ReferenceKernels().fully_connected(rows, in, out, lc.w, lc.input_zero_point, lc.rq, input.data(),
                                     want.data());
  k.fully_connected(rows, in, out, lc.w, lc.input_zero_point, lc.rq, input.data(), got.data());
  const std::string diff = FirstDifference(want.data(), got.data(), 1, rows, out);
  INFO(variant << " pointwise rows " << rows << " in " << in << " out " << out << ", int" << bits
               << ": " << diff);
  REQUIRE(diff.empty());
}

}  // namespace

TEST_CASE("conv2d with rows of 2049..4097 taps equals the reference", "[.long-rows]") {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(41);
    for (int bits : {8, 4}) {
      CheckConv(4, 4, 240, 16, 3, 3, Pad::kSame, bits, rng, k, variant);    // 2160, input band
      CheckConv(3, 12, 240, 9, 3, 3, Pad::kSame, bits, rng, k, variant);    // 2160, patches
      CheckConv(3, 3, 228, 40, 3, 3, Pad::kValid, bits, rng, k, variant);   // 2052
      CheckConv(2, 5, 256, 7, 4, 4, Pad::kSame, bits, rng, k, variant);     // 4096
      CheckConv(2, 2, 4097, 3, 1, 1, Pad::kValid, bits, rng, k, variant);   // 4097: reference
    }
  });
}

TEST_CASE("conv2d with a tall one-channel kernel equals the reference", "[.long-rows]") {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(42);
    for (int bits : {8, 4}) {
      CheckConv(2200, 1, 1, 3, 2100, 1, Pad::kValid, bits, rng, k, variant);
      CheckConv(4100, 1, 1, 5, 4096, 1, Pad::kValid, bits, rng, k, variant);
      CheckConv(1100, 2, 1, 2, 1030, 2, Pad::kSame, bits, rng, k, variant);
    }
  });
}

TEST_CASE("pointwise conv with 2049..4096 input channels equals the reference", "[.long-rows]") {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(43);
    for (int bits : {8, 4}) {
      for (int in : {2049, 2050, 3001, 4096}) CheckPointwise(5, in, 9, bits, rng, k, variant);
      CheckPointwise(2, 2304, 70, bits, rng, k, variant);
    }
  });
}

}  // namespace test
}  // namespace tm2
