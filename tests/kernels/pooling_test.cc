// Pools and elementwise requantize: the reference against an independent
// formulation (window lists, std::round for half-away-from-zero), and the
// selected variants against the reference.
#include <algorithm>
#include <cmath>
#include <vector>

#include "catch2/catch.hpp"
#include "kernel_case.h"
#include "kernels/select.h"
#include "variants.h"

namespace tm2 {
namespace test {
namespace {

// Cells of output (oy, ox)'s window inside the input.
std::vector<int> WindowCells(const ConvGeometry& g, int oy, int ox) {
  std::vector<int> cells;
  for (int y = oy * g.stride_h - g.pad_top; y < oy * g.stride_h - g.pad_top + g.kernel_h; ++y)
    for (int x = ox * g.stride_w - g.pad_left; x < ox * g.stride_w - g.pad_left + g.kernel_w; ++x)
      if (y >= 0 && y < g.in_h && x >= 0 && x < g.in_w) cells.push_back(y * g.in_w + x);
  return cells;
}

int8_t Clamp(long v, int lo, int hi) { return static_cast<int8_t>(std::min<long>(std::max<long>(v, lo), hi)); }

}  // namespace

TEST_CASE("pools match an independent formulation; variants match the reference") {
  Rng rng(31);
  for (int it = 0; it < 300; ++it) {
    ConvGeometry g;
    const int c = rng.Int(1, 9);
    if (!MakeGeometry(rng.Int(1, 12), rng.Int(1, 12), c, c, rng.Int(1, 4), rng.Int(1, 4),
                      rng.Int(1, 3), rng.Int(1, 3), rng.Chance(50) ? Pad::kSame : Pad::kValid, &g))
      continue;
    const int lo = rng.Chance(50) ? -128 : rng.Int(-128, 0), hi = rng.Chance(50) ? 127 : rng.Int(0, 127);
    const std::vector<int8_t> in = RandomInt8(rng, static_cast<size_t>(g.in_h) * g.in_w * c);
    const size_t n = static_cast<size_t>(g.out_h) * g.out_w * c;
    std::vector<int8_t> max_want(n), avg_want(n), got(n);
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox) {
        const std::vector<int> cells = WindowCells(g, oy, ox);
        for (int ch = 0; ch < c; ++ch) {
          long m = -1000, s = 0;
          for (int cell : cells) {
            m = std::max<long>(m, in[cell * c + ch]);
            s += in[cell * c + ch];
          }
          const size_t o = (static_cast<size_t>(oy) * g.out_w + ox) * c + ch;
          max_want[o] = Clamp(cells.empty() ? lo : m, lo, hi);
          avg_want[o] = Clamp(cells.empty() ? 0 : std::lround(static_cast<double>(s) / cells.size()), lo, hi);
        }
      }
    }
    ReferenceKernels().max_pool2d(g, lo, hi, in.data(), got.data());
    INFO("max pool " << Describe(g) << " " << FirstDifference(max_want.data(), got.data(), g.out_h, g.out_w, c));
    REQUIRE(got == max_want);
    ReferenceKernels().avg_pool2d(g, lo, hi, in.data(), got.data());
    INFO("avg pool " << Describe(g) << " " << FirstDifference(avg_want.data(), got.data(), g.out_h, g.out_w, c));
    REQUIRE(got == avg_want);
    ForEachVariant([&](const KernelTable& k, const std::string& variant) {
      INFO(variant);
      k.max_pool2d(g, lo, hi, in.data(), got.data());
      REQUIRE(got == max_want);
      k.avg_pool2d(g, lo, hi, in.data(), got.data());
      REQUIRE(got == avg_want);
    });
  }
}

TEST_CASE("global average pool rounds half away from zero") {
  Rng rng(32);
  for (int it = 0; it < 200; ++it) {
    const int hw = rng.Int(1, 300), c = rng.Int(1, 40);
    const std::vector<int8_t> in = RandomInt8(rng, static_cast<size_t>(hw) * c);
    std::vector<int8_t> want(c), got(c);
    for (int ch = 0; ch < c; ++ch) {
      long s = 0;
      for (int i = 0; i < hw; ++i) s += in[i * c + ch];
      want[ch] = Clamp(std::lround(static_cast<double>(s) / hw), -100, 100);
    }
    ForEachVariant([&](const KernelTable& k, const std::string& variant) {
      k.global_avg_pool(hw, c, -100, 100, in.data(), got.data());
      INFO(variant << " hw " << hw << " c " << c);
      REQUIRE(got == want);
    });
  }
  // Exact halves: (1 + 2) / 2 = 1.5 -> 2, (-1 - 2) / 2 = -1.5 -> -2.
  const int8_t pos[2] = {1, 2}, neg[2] = {-1, -2};
  int8_t out = 0;
  ReferenceKernels().global_avg_pool(2, 1, -128, 127, pos, &out);
  CHECK(out == 2);
  ReferenceKernels().global_avg_pool(2, 1, -128, 127, neg, &out);
  CHECK(out == -2);
}

TEST_CASE("elementwise requantize applies RequantizeOne to x - zp") {
  Rng rng(33);
  for (int it = 0; it < 100; ++it) {
    const size_t n = static_cast<size_t>(rng.Int(0, 100));
    const std::vector<int8_t> in = RandomInt8(rng, n);
    const int32_t m = static_cast<int32_t>(rng.Next()), zp = rng.Int(-128, 127);
    const int8_t sh = static_cast<int8_t>(31 - rng.Int(1, 62));
    Requantization rq{&m, &sh, rng.Int(-128, 127), -128, 127};
    std::vector<int8_t> want(n), got(n);
    for (size_t i = 0; i < n; ++i) want[i] = RequantizeOne(in[i] - zp, m, sh, rq.output_zero_point, -128, 127);
    ForEachVariant([&](const KernelTable& k, const std::string& variant) {
      k.requantize(n, zp, rq, in.data(), got.data());
      INFO(variant);
      REQUIRE(got == want);
    });
  }
}

}  // namespace test
}  // namespace tm2

TEST_CASE("variant list") {
  std::string names;
  tm2::test::ForEachVariant([&](const tm2::KernelTable&, const std::string& v) { names += v + " "; });
  WARN("kernel variants under test: " << names);
  CHECK(!names.empty());
}
