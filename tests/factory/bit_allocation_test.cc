// The GLPK bit allocation respects the budget and finds the brute-force
// optimum on small random cases.
#include <catch2/catch.hpp>
#include <random>

#include "ilp/bit_allocation.h"
#include "ilp/budget.h"

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

namespace {

using tm2::factory::BitBudgets;
using tm2::factory::RamModel;

// A chain of layer outputs, each live for its step and the next, as the
// planner makes them; every third buffer holds two layers (a banded chain);
// a fixed buffer (features) at the start.
RamModel ChainRam(std::mt19937& rng, int n, bool halves) {
  std::uniform_int_distribution<int> size(64, 4000);
  RamModel m;
  m.fixed_bytes = size(rng);
  m.floor_bytes = size(rng) / 2;
  RamModel::Buffer in;
  in.bytes8 = in.bytes4 = size(rng);
  in.first = 0;
  in.last = 1;
  m.buffers.push_back(in);
  for (int i = 0; i < n; ++i) {
    RamModel::Buffer b;
    b.bytes8 = size(rng);
    b.bytes4 = halves ? (b.bytes8 + 1) / 2 : b.bytes8;
    b.first = i + 1;
    b.last = i + 2;
    b.layers = {i};
    if (i % 3 == 2) b.layers.push_back(i - 1);
    m.buffers.push_back(b);
  }
  return m;
}

}  // namespace

TEST_CASE("ILP matches brute force under a flash and a RAM budget") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  int feasible = 0, infeasible = 0, act4 = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int n = 2 + trial % 5;  // up to 12 free bits
    std::vector<LayerCost> layers(n);
    for (int i = 0; i < n; ++i) {
      LayerCost& c = layers[i];
      c.name = "l" + std::to_string(i);
      c.bytes8 = 16 + static_cast<int64_t>(u(rng) * 2000);
      c.bytes4 = (c.bytes8 + 1) / 2;
      c.sens8 = u(rng) * 1e-3;
      c.sens4 = c.sens8 + u(rng);
      c.act_sens4 = u(rng);
      c.pinned8 = trial % 4 == 0 && i == 0;
      c.act_pinned8 = i == n - 1;
    }
    const RamModel ram = ChainRam(rng, n, trial % 3 != 0);
    std::vector<int> all8(n, 8);
    const int64_t hi = tm2::factory::RamOf(ram, all8), lo = tm2::factory::MinimumRam(layers, ram);
    CHECK(lo <= hi);
    int64_t w8 = 0;
    for (const auto& c : layers) w8 += c.bytes8;
    const int64_t wlo = tm2::factory::MinimumFlash(layers);
    // Budgets from a little below the least reachable to the all-8-bit figure.
    BitBudgets b;
    b.ram = lo - 50 + static_cast<int64_t>(u(rng) * (hi - lo + 60));
    b.flash = trial % 5 == 0 ? -1 : wlo - 20 + static_cast<int64_t>(u(rng) * (w8 - wlo + 30));
    const BitAllocation ilp = tm2::factory::SolveBitAllocation(layers, ram, b);
    const BitAllocation brute = tm2::factory::BruteForceBitAllocation(layers, ram, b);
    REQUIRE(ilp.feasible == brute.feasible);
    if (!ilp.feasible) {
      ++infeasible;
      CHECK((b.ram < lo || (b.flash >= 0 && b.flash < wlo)));
      continue;
    }
    ++feasible;
    CHECK(ilp.ram == tm2::factory::RamOf(ram, ilp.act_bits));
    CHECK(ilp.ram <= b.ram);
    if (b.flash >= 0) CHECK(ilp.bytes <= b.flash);
    CHECK(ilp.sensitivity == Approx(brute.sensitivity).epsilon(1e-9));
    for (int i = 0; i < n; ++i) {
      if (layers[i].pinned8) CHECK(ilp.bits[i] == 8);
      if (layers[i].act_pinned8) CHECK(ilp.act_bits[i] == 8);
      act4 += ilp.act_bits[i] == 4;
    }
  }
  // The sweep reaches both answers and really uses 4-bit outputs.
  CHECK(feasible > 10);
  CHECK(infeasible > 3);
  CHECK(act4 > 10);
}

TEST_CASE("a RAM budget is a constraint even when 4-bit outputs take as many bytes as 8-bit ones") {
  std::vector<LayerCost> layers(2);
  layers[0] = {"a", 1.0, 0.0, 50, 100, false, 0.5, 0.0, false};
  layers[1] = {"b", 1.0, 0.0, 50, 100, false, 0.5, 0.0, true};
  RamModel ram;
  ram.fixed_bytes = 1000;
  ram.buffers.push_back({400, 400, 0, 1, {0}});  // A4 = A8 (unpacked activations)
  const int64_t all8 = tm2::factory::RamOf(ram, {8, 8});
  CHECK(all8 == 1400);
  CHECK(tm2::factory::MinimumRam(layers, ram) == 1400);
  CHECK_FALSE(tm2::factory::SolveBitAllocation(layers, ram, BitBudgets{-1, 1399}).feasible);
  const BitAllocation ok = tm2::factory::SolveBitAllocation(layers, ram, BitBudgets{-1, 1400});
  REQUIRE(ok.feasible);
  CHECK(ok.act_bits == std::vector<int>{8, 8});  // 4 bits would cost accuracy for nothing
  // Once 4-bit outputs are packed, the same budget picks them.
  ram.buffers[0].bytes4 = 200;
  const BitAllocation packed = tm2::factory::SolveBitAllocation(layers, ram, BitBudgets{-1, 1300});
  REQUIRE(packed.feasible);
  CHECK(packed.act_bits == std::vector<int>{4, 8});
  CHECK(packed.ram == 1200);
  // The preprocessing scratch is a floor no bit width lowers.
  ram.floor_bytes = 500;
  CHECK_FALSE(tm2::factory::SolveBitAllocation(layers, ram, BitBudgets{-1, 1450}).feasible);
}

TEST_CASE("budgets parse as people write them, and bad ones are refused by name") {
  using tm2::factory::ParseBudgets;
  const BitBudgets b = ParseBudgets("ram=32K,flash=16K");
  CHECK(b.ram == 32768);
  CHECK(b.flash == 16384);
  CHECK(ParseBudgets("flash=20000").flash == 20000);
  CHECK(ParseBudgets("flash=20000").ram == -1);
  CHECK(ParseBudgets("ram=1MB").ram == 1048576);
  CHECK(ParseBudgets("ram=24kb").ram == 24576);
  auto refused = [](const std::string& text, const std::string& what) {
    try {
      ParseBudgets(text);
    } catch (const std::invalid_argument& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).find(what) != std::string::npos);
      return;
    }
    FAIL("accepted " << text);
  };
  refused("", "empty");
  refused("ram", "key=size");
  refused("disk=3K", "unknown key 'disk'");
  refused("ram=32Q", "unknown unit 'Q'");
  refused("ram=K", "expected a size");
  refused("ram=0", "above 0");
  refused("ram=1K,ram=2K", "ram given twice");
  refused("ram=1K,", "key=size");
  refused("ram=99999999999999999999", "too large");
}

TEST_CASE("an infeasible budget's message gives the least reachable RAM and flash") {
  const std::string m = tm2::factory::InfeasibleMessage(BitBudgets{16384, 8192}, 12000, 20480);
  CHECK(m.find("ram 8.0 KB (8192 B)") != std::string::npos);
  CHECK(m.find("the least any 4/8-bit allocation reaches is ram 20.0 KB (20480 B)") != std::string::npos);
  CHECK(m.find("flash 11.7 KB (12000 B) of weights") != std::string::npos);
}
