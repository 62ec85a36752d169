// The WASM output stage's scaled form (qs8_requant-inl.h, kScaledFormat)
// is exact only while H s + 2^(R-1) stays inside int32; the pack step
// proves that from |bias| + 255 sum |w|. These layers reach that bound
// exactly (every weight -128, every x - zp = -255 or +255, Valid padding)
// and sweep it across the limit for several spreads of per-channel shifts,
// so a bound that is too loose shows as a wrong byte. r below 1 (n <= 32)
// is lifted on every target's depthwise (weights and bias times 2^k,
// depthwise_lift.h) up to k = 7, into the scaled form on WASM and the
// vector stage natively, while |2^k acc| keeps inside int32: the larger
// biases here cross that limit too; r = -7 stays out. Every variant runs
// them.
#include <vector>

#include "catch2/catch.hpp"
#include "kernel_case.h"
#include "kernels/select.h"
#include "variants.h"

namespace tm2 {
namespace test {
namespace {

// The first output where the table's conv2d (or depthwise) differs from
// the reference on `input`; empty when every byte matches.
std::string DiffFromReference(const KernelTable& k, const ConvGeometry& g, const LayerCase& lc,
                              bool depthwise, const std::vector<int8_t>& input) {
  const size_t out_n = static_cast<size_t>(g.out_h) * g.out_w * g.out_c;
  std::vector<int8_t> want(out_n), got(out_n, 0x55);
  const ConvFn ref = depthwise ? ReferenceKernels().depthwise_conv2d : ReferenceKernels().conv2d;
  const ConvFn fn = depthwise ? k.depthwise_conv2d : k.conv2d;
  ref(g, lc.w, lc.input_zero_point, lc.rq, input.data(), want.data());
  fn(g, lc.w, lc.input_zero_point, lc.rq, input.data(), got.data());
  return FirstDifference(want.data(), got.data(), g.out_h, g.out_w, g.out_c);
}

void CheckAtBound(const KernelTable& k, const std::string& variant, bool depthwise, int r_base,
                  int r_spread, int bias_log2, int sign) {
  const int c = 16;  // whole vectors on every target
  ConvGeometry g;
  REQUIRE(MakeGeometry(5, 5, depthwise ? c : 1, c, 3, 3, 1, 1, Pad::kValid, &g));
  const int taps = 9;
  Rng rng(static_cast<uint64_t>(r_base * 1000 + r_spread * 100 + bias_log2 * 2 + (sign > 0)));
  LayerCase lc;
  lc.Fill(rng, depthwise ? taps : c, depthwise ? c : taps, c, 8, taps, RqStyle::kTypical);
  lc.has_bias = true;
  for (auto& b : lc.weights) b = 0x80;  // -128
  // x - zp = -255 * sign: every product is +-255 * 128 with the bias's sign.
  lc.input_zero_point = sign > 0 ? 127 : -128;
  const int8_t x = sign > 0 ? -128 : 127;
  for (int ch = 0; ch < c; ++ch) {
    lc.bias[ch] = sign * ((1 << bias_log2) + ch);
    lc.multiplier[ch] = ch % 3 == 0 ? INT32_MAX : ch % 3 == 1 ? -(1 << 30) - ch : (1 << 30) + 12345 * ch;
    const int r = r_base + ch % r_spread;  // n = 32 + r
    lc.shift[ch] = static_cast<int8_t>(31 - (32 + r));
  }
  lc.rq.output_zero_point = static_cast<int32_t>(rng.Int(-20, 20));
  lc.rq.output_min = -128;
  lc.rq.output_max = 127;
  if (depthwise) lc.PackDepthwise(k, g);
  else lc.PackConv(k, g);
  const std::vector<int8_t> input(static_cast<size_t>(g.in_h) * g.in_w * g.in_c, x);
  const std::string diff = DiffFromReference(k, g, lc, depthwise, input);
  INFO(variant << (depthwise ? " depthwise" : " conv2d") << ", r " << r_base << "+" << r_spread
               << ", bias 2^" << bias_log2 << ", sign " << sign << ": " << diff);
  REQUIRE(diff.empty());
}

// acc * m / 2^n lying exactly halfway between two integers rounds up in the
// reference; WASM's float64 form rounds half to even, so its pack step must
// keep such layers out (2^(n-1-v2(m)) <= |acc| bound). m = 2^30 at n = 33
// makes every acc = 4 mod 8 halfway; small weights and inputs near the zero
// point keep those outputs inside the clamp. Fails if the check is dropped.
void CheckHalfway(const KernelTable& k, const std::string& variant, int kind, int32_t mult,
                  int n) {
  const int c = 16;
  const bool depthwise = kind == 2;
  const int in_c = kind == 0 ? 16 : depthwise ? c : 1;
  const int kernel = kind == 0 ? 1 : 3;
  ConvGeometry g;
  REQUIRE(MakeGeometry(6, 6, in_c, c, kernel, kernel, 1, 1, Pad::kValid, &g));
  const int taps = kernel * kernel;
  Rng rng(static_cast<uint64_t>(kind * 7919 + n * 31 + (mult & 0xffff)));
  LayerCase lc;
  const int row = taps * (depthwise ? 1 : in_c);
  lc.Fill(rng, depthwise ? taps : c, depthwise ? c : row, c, 8, row, RqStyle::kTypical);
  lc.has_bias = true;
  for (auto& b : lc.weights) b = static_cast<uint8_t>(static_cast<int8_t>(rng.Int(-3, 3)));
  lc.input_zero_point = 5;
  for (int ch = 0; ch < c; ++ch) {
    lc.bias[ch] = static_cast<int32_t>(rng.Int(-20, 20));
    lc.multiplier[ch] = mult;
    lc.shift[ch] = static_cast<int8_t>(31 - n);
  }
  lc.rq.output_zero_point = 0;
  lc.rq.output_min = -128;
  lc.rq.output_max = 127;
  if (depthwise) lc.PackDepthwise(k, g);
  else lc.PackConv(k, g);
  std::vector<int8_t> input(static_cast<size_t>(g.in_h) * g.in_w * g.in_c);
  for (auto& x : input) x = static_cast<int8_t>(rng.Int(-5, 15));
  const std::string diff = DiffFromReference(k, g, lc, depthwise, input);
  INFO(variant << " kind " << kind << ", m " << mult << ", n " << n << ": " << diff);
  REQUIRE(diff.empty());
}

}  // namespace

TEST_CASE("conv2d and depthwise where the scaled output stage reaches its bound") {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    for (int depthwise = 0; depthwise < 2; ++depthwise) {
      for (int r_base : {-7, -1, 1, 6, 18}) {
        for (int r_spread : {1, 5, 12}) {
          for (int bias_log2 = 10; bias_log2 <= 30; bias_log2 += 2) {
            for (int sign : {1, -1}) {
              CheckAtBound(k, variant, depthwise != 0, r_base, r_spread, bias_log2, sign);
            }
          }
        }
      }
    }
  });
}

TEST_CASE("conv2d and depthwise whose products land halfway between two outputs") {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    for (int kind = 0; kind < 3; ++kind) {  // pointwise, 3x3 conv of 1 channel, depthwise
      for (int32_t mult : {1 << 30, 3 << 28, -(1 << 30), (1 << 30) + (1 << 24)}) {
        for (int n : {33, 36}) CheckHalfway(k, variant, kind, mult, n);
      }
    }
  });
}

}  // namespace test
}  // namespace tm2
