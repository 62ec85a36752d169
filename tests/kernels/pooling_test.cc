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

// Max and average pool of `g` against window lists, for the reference and
// every variant.
void CheckPools(const ConvGeometry& g, int lo, int hi, Rng& rng) {
  const int c = g.out_c;
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
    INFO("avg pool " << Describe(g) << " " << FirstDifference(avg_want.data(), got.data(), g.out_h, g.out_w, c));
    REQUIRE(got == avg_want);
  });
}

}  // namespace

TEST_CASE("pools match an independent formulation; variants match the reference") {
  Rng rng(31);
  for (int it = 0; it < 600; ++it) {
    ConvGeometry g;
    // Few channels (ragged vectors), around one vector, several vectors.
    const int c = rng.Chance(40) ? rng.Int(1, 9) : rng.Chance(50) ? rng.Int(10, 40) : rng.Int(41, 70);
    if (!MakeGeometry(rng.Int(1, 12), rng.Int(1, 12), c, c, rng.Int(1, 4), rng.Int(1, 4),
                      rng.Int(1, 3), rng.Int(1, 3), rng.Chance(50) ? Pad::kSame : Pad::kValid, &g))
      continue;
    const int lo = rng.Chance(50) ? -128 : rng.Int(-128, 0), hi = rng.Chance(50) ? 127 : rng.Int(0, 127);
    CheckPools(g, lo, hi, rng);
  }
}

TEST_CASE("pools: every kernel/stride/padding, 1x1 maps, saturating clamps, models' shapes") {
  Rng rng(34);
  ConvGeometry g;
  for (int kh = 1; kh <= 5; ++kh) {
    for (int kw = 1; kw <= 5; ++kw) {
      for (int s = 0; s < 9; ++s) {
        for (int p = 0; p < 2; ++p) {
          const int c = 1 + 2 * rng.Int(0, 20);
          const int sh = 1 + s / 3, sw = 1 + s % 3;
          const Pad pad = p ? Pad::kSame : Pad::kValid;
          if (MakeGeometry(kh + rng.Int(0, 5), kw + rng.Int(0, 5), c, c, kh, kw, sh, sw, pad, &g))
            CheckPools(g, -128, 127, rng);
          if (MakeGeometry(1, 1, c, c, kh, kw, sh, sw, Pad::kSame, &g))
            CheckPools(g, rng.Int(-128, 0), rng.Int(0, 127), rng);
        }
      }
    }
  }
  // Narrow and inverted clamps, all-equal bounds.
  for (int i = 0; i < 40; ++i) {
    const int c = rng.Int(1, 40);
    MakeGeometry(rng.Int(2, 9), rng.Int(2, 9), c, c, 2, 2, 2, 2, Pad::kValid, &g);
    const int lo = rng.Int(-128, 127), hi = rng.Int(-128, 127);
    CheckPools(g, lo, hi, rng);
  }
  // Windows at the int16 limit (16x16 = 256 cells) and past it (17x16).
  for (int c : {1, 8, 33}) {
    MakeGeometry(16, 16, c, c, 16, 16, 1, 1, Pad::kValid, &g);
    CheckPools(g, -128, 127, rng);
    MakeGeometry(17, 16, c, c, 17, 16, 1, 1, Pad::kValid, &g);
    CheckPools(g, -128, 127, rng);
  }
  MakeGeometry(64, 64, 8, 8, 2, 2, 2, 2, Pad::kValid, &g);  // cough max pools
  CheckPools(g, -128, 127, rng);
  MakeGeometry(32, 32, 16, 16, 2, 2, 2, 2, Pad::kValid, &g);
  CheckPools(g, -20, 127, rng);
  MakeGeometry(16, 16, 32, 32, 2, 2, 2, 2, Pad::kValid, &g);
  CheckPools(g, -128, 127, rng);
  MakeGeometry(25, 5, 64, 64, 25, 5, 1, 1, Pad::kValid, &g);  // KWS average pool
  CheckPools(g, -128, 127, rng);
}

namespace {

// All -128 or all 127 inputs: the largest sums an int16 window can hold.
void CheckExtremeInputs(const ConvGeometry& g, int8_t value) {
  std::vector<int8_t> in(static_cast<size_t>(g.in_h) * g.in_w * g.in_c, value);
  const size_t n = static_cast<size_t>(g.out_h) * g.out_w * g.out_c;
  std::vector<int8_t> want(n), got(n);
  ReferenceKernels().avg_pool2d(g, -128, 127, in.data(), want.data());
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    k.avg_pool2d(g, -128, 127, in.data(), got.data());
    INFO(variant << " avg pool of constant " << int(value) << " " << Describe(g));
    REQUIRE(got == want);
  });
}

}  // namespace

TEST_CASE("average pool on constant extreme inputs") {
  ConvGeometry g;
  for (int8_t v : {int8_t{-128}, int8_t{127}, int8_t{-1}}) {
    MakeGeometry(16, 16, 9, 9, 16, 16, 1, 1, Pad::kValid, &g);
    CheckExtremeInputs(g, v);
    MakeGeometry(20, 20, 17, 17, 16, 16, 3, 3, Pad::kSame, &g);
    CheckExtremeInputs(g, v);
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
  // Past one int16 block of cells, and constant extremes over 70000 cells.
  for (int c : {8, 13, 64}) {
    for (int hw : {256, 257, 1000, 70000}) {
      for (int fill = 0; fill < 3; ++fill) {
        std::vector<int8_t> in = RandomInt8(rng, static_cast<size_t>(hw) * c);
        if (fill > 0) std::fill(in.begin(), in.end(), fill == 1 ? int8_t{-128} : int8_t{127});
        std::vector<int8_t> want(c), got(c);
        ReferenceKernels().global_avg_pool(hw, c, -128, 127, in.data(), want.data());
        ForEachVariant([&](const KernelTable& k, const std::string& variant) {
          k.global_avg_pool(hw, c, -128, 127, in.data(), got.data());
          INFO(variant << " hw " << hw << " c " << c << " fill " << fill);
          REQUIRE(got == want);
        });
      }
    }
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
