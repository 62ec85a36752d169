// The GLPK bit allocation respects the budget and finds the brute-force
// optimum on small random cases.
#include <catch2/catch.hpp>
#include <random>

#include "ilp/bit_allocation.h"

using tm2::factory::BitAllocation;
using tm2::factory::LayerCost;

TEST_CASE("ILP matches brute force and respects the budget") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 40; ++trial) {
    const int n = 3 + trial % 8;
    std::vector<LayerCost> layers(n);
    int64_t all8 = 0, all4 = 0;
    for (int i = 0; i < n; ++i) {
      LayerCost& c = layers[i];
      c.name = "l" + std::to_string(i);
      c.bytes8 = 16 + static_cast<int64_t>(u(rng) * 2000);
      c.bytes4 = (c.bytes8 + 1) / 2;
      c.sens8 = u(rng) * 1e-3;
      c.sens4 = c.sens8 + u(rng);
      c.pinned8 = (trial % 3 == 0) && (i == 0 || i == n - 1);
      all8 += c.bytes8;
      all4 += c.pinned8 ? c.bytes8 : c.bytes4;
    }
    const int64_t budget = all4 + static_cast<int64_t>(u(rng) * (all8 - all4));
    const BitAllocation ilp = tm2::factory::SolveBitAllocation(layers, budget);
    const BitAllocation brute = tm2::factory::BruteForceBitAllocation(layers, budget);
    REQUIRE(ilp.feasible);
    REQUIRE(brute.feasible);
    CHECK(ilp.bytes <= budget);
    CHECK(ilp.sensitivity == Approx(brute.sensitivity).epsilon(1e-9));
    for (int i = 0; i < n; ++i)
      if (layers[i].pinned8) CHECK(ilp.bits[i] == 8);
  }
}

TEST_CASE("ILP reports an impossible budget") {
  std::vector<LayerCost> layers(2);
  layers[0] = {"a", 1.0, 0.0, 50, 100, true};
  layers[1] = {"b", 1.0, 0.0, 50, 100, false};
  CHECK_FALSE(tm2::factory::SolveBitAllocation(layers, 120).feasible);
  const BitAllocation ok = tm2::factory::SolveBitAllocation(layers, 150);
  CHECK(ok.feasible);
  CHECK(ok.bits == std::vector<int>{8, 4});
  CHECK(tm2::factory::SolveBitAllocation(layers, 1000).bits == std::vector<int>{8, 8});
}
