// fully_connected (dense rows = 1, pointwise rows = H*W): every variant
// equals the reference byte for byte.
#include <vector>

#include "catch2/catch.hpp"
#include "kernel_case.h"
#include "kernels/select.h"
#include "variants.h"

namespace tm2 {
namespace test {
namespace {

// Int8 weights narrowed to 7 bits ([-64, 63], the relaxed-SIMD WASM
// GEMM's range: qs8_quad_relaxed_wasm-inl.h), with both ends present;
// `outlier` puts one weight just outside (-65 or 64), which must send the
// layer back to the pair GEMM with the same bytes.
enum class Narrow { kNo, kSevenBits, kOneOutlier };

void CheckFc(int rows, int in, int out, int bits, RqStyle style, Rng& rng, const KernelTable& k,
             const std::string& variant, Narrow narrow = Narrow::kNo) {
  LayerCase lc;
  lc.Fill(rng, out, in, out, bits, in, style);
  if (narrow != Narrow::kNo) {
    for (auto& b : lc.weights) b = static_cast<uint8_t>(static_cast<int8_t>(b) >> 1);
    lc.weights[0] = static_cast<uint8_t>(-64);
    lc.weights[lc.weights.size() - 1] = 63;
    if (narrow == Narrow::kOneOutlier) {
      lc.weights[rng.Int(0, static_cast<int>(lc.weights.size()) - 1)] =
          static_cast<uint8_t>(rng.Chance(50) ? -65 : 64);
    }
  }
  lc.PackFullyConnected(k, rows, in, out);
  const std::vector<int8_t> input = RandomInt8(rng, static_cast<size_t>(rows) * in);
  std::vector<int8_t> want(static_cast<size_t>(rows) * out), got(want.size(), 0x55);
  ReferenceKernels().fully_connected(rows, in, out, lc.w, lc.input_zero_point, lc.rq, input.data(),
                                     want.data());
  k.fully_connected(rows, in, out, lc.w, lc.input_zero_point, lc.rq, input.data(), got.data());
  const std::string diff = FirstDifference(want.data(), got.data(), 1, rows, out);
  if (!diff.empty()) {
    INFO(variant << " fully_connected rows " << rows << " in " << in << " out " << out << " int"
                 << bits << " input zp " << lc.input_zero_point << " style "
                 << static_cast<int>(style) << ": " << diff << " (x = row, c = output)");
    REQUIRE(diff.empty());
  }
}

}  // namespace

TEST_CASE("fully_connected variants equal the reference on random shapes") {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(21);
    for (int it = 0; it < 400; ++it) {
      const int rows = rng.Chance(40) ? 1 : rng.Chance(50) ? rng.Int(2, 5) : rng.Int(1, 70);
      const int in = rng.Chance(20) ? rng.Int(1, 9) : rng.Int(1, 200);
      const int out = rng.Chance(20) ? rng.Int(1, 3) : rng.Int(1, 80);
      const int s = rng.Int(0, 9);
      const RqStyle style = s < 5 ? RqStyle::kTypical : s < 7 ? RqStyle::kSaturating
                                  : s < 8 ? RqStyle::kRelu6 : RqStyle::kExtremeShift;
      CheckFc(rows, in, out, rng.Chance(50) ? 4 : 8, style, rng, k, variant);
    }
  });
}

TEST_CASE("fully_connected edge cases: odd int4 rows, long rows, models' shapes") {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(22);
    for (int bits : {4, 8}) {
      for (int in = 1; in <= 70; ++in) {
        CheckFc(1, in, 3, bits, RqStyle::kTypical, rng, k, variant);
        CheckFc(3, in, 5, bits, RqStyle::kSaturating, rng, k, variant);
      }
      CheckFc(1, 5000, 4, bits, RqStyle::kTypical, rng, k, variant);    // past the patch limit
      CheckFc(3, 4097, 3, bits, RqStyle::kTypical, rng, k, variant);
      CheckFc(2, 2000, 40, bits, RqStyle::kTypical, rng, k, variant);   // several tile chunks
      CheckFc(2, 3, 1300, bits, RqStyle::kTypical, rng, k, variant);    // >512 channels
      CheckFc(1024, 8, 16, bits, RqStyle::kRelu6, rng, k, variant);     // cough pointwise 1
      CheckFc(125, 64, 64, bits, RqStyle::kTypical, rng, k, variant);   // KWS pointwise
      CheckFc(1, 32, 16, bits, RqStyle::kTypical, rng, k, variant);     // dense 16
      CheckFc(1, 16, 2, bits, RqStyle::kExtremeShift, rng, k, variant); // dense 2
      // One row with shifts past the 32-bit vector stage (extreme n 1..62,
      // INT32_MIN multipliers): VNNI's 64-bit output stage, read straight
      // from the input; the shipped dense shapes and partial blocks.
      for (int out : {2, 4, 12, 16, 17, 40, 64, 70}) {
        for (int in : {16, 32, 48, 64, 8, 12}) {
          CheckFc(1, in, out, bits, RqStyle::kExtremeShift, rng, k, variant);
          CheckFc(1, in, out, bits, RqStyle::kSaturating, rng, k, variant);
        }
      }
      for (int out : {1, 7, 24, 64}) {                                  // n = 33..35
        CheckFc(125, 64, out, bits, RqStyle::kShallowShift, rng, k, variant);
        CheckFc(3, 9, out, bits, RqStyle::kShallowShift, rng, k, variant);
      }
    }
  });
}

TEST_CASE("fully_connected: int8 weights inside 7 bits, and one weight outside") {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(23);
    for (Narrow narrow : {Narrow::kSevenBits, Narrow::kOneOutlier}) {
      for (int it = 0; it < 60; ++it) {
        const int rows = rng.Int(2, 70);
        const int in = rng.Chance(30) ? rng.Int(1, 9) : rng.Int(1, 200);
        const int out = rng.Int(1, 80);
        const int s = rng.Int(0, 9);
        const RqStyle style = s < 5 ? RqStyle::kTypical : s < 7 ? RqStyle::kSaturating
                                    : s < 8 ? RqStyle::kShallowShift : RqStyle::kExtremeShift;
        CheckFc(rows, in, out, 8, style, rng, k, variant, narrow);
      }
      CheckFc(125, 64, 64, 8, RqStyle::kTypical, rng, k, variant, narrow);  // KWS pointwise
      CheckFc(80, 48, 48, 8, RqStyle::kTypical, rng, k, variant, narrow);   // gate pointwise
    }
  });
}

}  // namespace test
}  // namespace tm2
