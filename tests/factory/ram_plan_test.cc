// The bit allocation's RAM model comes from the engine's own planner: its
// buffers reproduce the planned peak, and an allocation the ILP makes under
// a RAM budget fits that budget when the engine plans the model again.
#include <catch2/catch.hpp>

#include "engine/engine.h"
#include "format/model.h"
#include "format/writer.h"
#include "ilp/bit_allocation.h"
#include "ilp/ram_plan.h"
#include "sample_model.h"

using namespace tm2::factory;

TEST_CASE("the RAM model is the engine planner's: buffers, lifetimes and peak") {
  for (const tm2::ModelSpec& spec : {tm2::test::SmallSpec(), tm2::test::MultiBranchSpec()}) {
    const int n = NumWeightedLayers(spec);
    REQUIRE(n > 0);
    tm2::ArenaReport report;
    const int64_t planned = PlannedRamBytes(spec, &report);
    CHECK(planned == static_cast<int64_t>(report.total));
    const RamModel m = BuildRamModel(spec);
    REQUIRE(!m.buffers.empty());
    CHECK(m.fixed_bytes + static_cast<int64_t>(report.shared) == planned);
    CHECK(m.floor_bytes == static_cast<int64_t>(report.preprocess_scratch));
    int tied = 0;
    for (const auto& b : m.buffers) {
      CHECK(b.first <= b.last);
      CHECK(b.bytes4 <= b.bytes8);
      for (int l : b.layers) CHECK((l >= 0 && l < n));
      tied += !b.layers.empty();
    }
    CHECK(tied > 0);
    // Buffers live at one step never share bytes: the step sums bound the
    // planner's region from below, and the greedy planner reaches it here.
    const int64_t bound = RamOf(m, std::vector<int>(n, 8));
    CHECK(bound <= planned);
    CHECK(bound >= planned - 16 * static_cast<int64_t>(m.buffers.size()));
  }
}

TEST_CASE("an allocation under a RAM budget fits when the engine plans it") {
  const tm2::ModelSpec spec = tm2::test::MultiBranchSpec();
  const int n = NumWeightedLayers(spec);
  std::vector<LayerCost> layers(n);
  for (int i = 0; i < n; ++i) {
    layers[i].name = "l" + std::to_string(i);
    layers[i].bytes8 = layers[i].bytes4 = 100;
    layers[i].pinned8 = true;
    layers[i].act_pinned8 = i + 1 == n;
    layers[i].act_sens4 = 1.0 + i;
  }
  const RamModel m = BuildRamModel(spec);
  const int64_t all8 = PlannedRamBytes(WithActBits(spec, std::vector<int>(n, 8)));
  const int64_t least = PlannedRamBytes(WithActBits(spec, [&] {
    std::vector<int> a(n, 4);
    a[n - 1] = 8;
    return a;
  }()));
  CHECK(least <= all8);
  // Tight (the least reachable) and loose (all 8-bit) budgets both fit.
  for (int64_t budget : {least, all8}) {
    const BitAllocation a = SolveBitAllocation(layers, m, BitBudgets{-1, budget});
    REQUIRE(a.feasible);
    CHECK(a.act_bits[n - 1] == 8);
    CHECK(PlannedRamBytes(WithActBits(spec, a.act_bits)) <= budget);
  }
  CHECK_FALSE(SolveBitAllocation(layers, m, BitBudgets{-1, MinimumRam(layers, m) - 1}).feasible);
  // The spec WithActBits gives still loads, with 4-bit clamps where asked.
  const tm2::ModelSpec four = WithActBits(spec, std::vector<int>(n, 4));
  int weighted4 = 0;
  for (const auto& b : four.branches)
    for (const auto& l : b.layers) {
      if (!l.weights.empty()) CHECK(l.act_bits == 4);
      if (l.act_bits == 4) CHECK((l.act_min >= -8 && l.act_max <= 7));
      weighted4 += !l.weights.empty();
    }
  CHECK(weighted4 > 0);
  std::vector<uint8_t> bytes;
  CHECK(tm2::WriteModel(four, &bytes).ok());
}

// Issue 10: with 4-bit outputs the engine packs two per byte and runs those
// layers whole, while its int8 plan runs them in bands; the banded layout
// alone priced no 4-bit output, so a budget at the least RAM the engine
// plans (all outputs 4-bit but the logits) was refused.
TEST_CASE("a RAM budget at the least planned RAM is met when packing beats bands") {
  int reproduced = 0;
  for (const tm2::ModelSpec& spec :
       {tm2::test::SmallSpec(), tm2::test::MultiBranchSpec(), tm2::test::ConvChainSpec()}) {
    const int n = NumWeightedLayers(spec);
    std::vector<LayerCost> layers(n);
    for (int i = 0; i < n; ++i) {
      layers[i].name = "l" + std::to_string(i);
      layers[i].bytes8 = 200;
      layers[i].bytes4 = 100;
      layers[i].sens4 = 0.5 + i;
      layers[i].act_pinned8 = i + 1 == n;
      layers[i].act_sens4 = 1.0 + i;
    }
    std::vector<int> least(n, 4);
    least[n - 1] = 8;
    const int64_t least_planned = PlannedRamBytes(WithActBits(spec, least));
    const int64_t all8 = PlannedRamBytes(WithActBits(spec, std::vector<int>(n, 8)));
    const std::vector<RamModel> layouts = BuildRamModels(spec);
    REQUIRE(!layouts.empty());
    // The banded layout alone cannot reach what the engine plans.
    if (MinimumRam(layers, layouts[0]) > least_planned) {
      ++reproduced;
      REQUIRE(layouts.size() == 2);
      CHECK_FALSE(SolveBitAllocation(layers, layouts[0], BitBudgets{-1, least_planned}).feasible);
    }
    for (int64_t budget : {least_planned, (least_planned + all8) / 2, all8}) {
      int64_t planned = 0;
      int tightenings = 0;
      const BitAllocation a =
          AllocateWithinPlan(layers, spec, layouts, BitBudgets{100 * n, budget}, &planned, &tightenings);
      REQUIRE(a.feasible);
      CHECK(a.act_bits[n - 1] == 8);
      CHECK(a.bytes <= 100 * n);
      CHECK(planned == PlannedRamBytes(WithActBits(spec, a.act_bits)));
      CHECK(planned <= budget);
    }
    int64_t planned = 0;
    int tightenings = 0;
    CHECK_THROWS_WITH(AllocateWithinPlan(layers, spec, layouts, BitBudgets{-1, least_planned - 1}, &planned,
                                         &tightenings),
                      Catch::Contains("no bit allocation fits"));
  }
  CHECK(reproduced > 0);
}
