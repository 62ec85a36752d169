// End to end on twelve fixture clips: a tiny run lowers the loss, the ILP
// keeps the budget, the export loads in the core, and the core's engine
// (from PCM) agrees with the factory's integer model on validation.
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <iterator>

#include "factory.h"
#include "report.h"
#include "format/model.h"

using namespace tm2::factory;

TEST_CASE("tiny factory run: loss falls, export round-trips, engine agrees") {
  Recipe r = LoadRecipe(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json");
  FactoryOptions o;
  o.data_path = std::string(TM2_FIXTURES_DIR) + "/audio/factory/manifest.csv";
  o.out_dir = std::string(TM2_FACTORY_WORK_DIR) + "/tiny";
  o.quiet = true;
  const FactoryResult res = RunFactory(r, o);
  CHECK(res.train_items == 7);
  CHECK(res.validation_items == 5);
  CHECK(res.last_loss < res.first_loss);
  CHECK(res.weight_bytes <= r.quant.weight_budget_bytes);
  CHECK(res.agreement >= 0.99);
  CHECK(res.arena_bytes > 0);
  std::ifstream in(res.model_path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  std::vector<uint32_t> aligned((bytes.size() + 3) / 4);
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  tm2::Model m;
  REQUIRE(tm2::LoadModel(reinterpret_cast<const uint8_t*>(aligned.data()), bytes.size(), &m).ok());
  CHECK(m.num_labels() == 2);
  CHECK(std::string(m.label(1)) == "yes");
}

TEST_CASE("results rows: W8A8, mixed and W4A4 variants with intervals, and the report tables") {
  Recipe r = LoadRecipe(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json");
  FactoryOptions o;
  o.data_path = std::string(TM2_FIXTURES_DIR) + "/audio/factory/manifest.csv";
  o.out_dir = std::string(TM2_FACTORY_WORK_DIR) + "/variants";
  o.quiet = true;
  o.epochs = 4;
  o.qat_epochs = 1;
  o.bootstrap = 50;
  o.variants = {"w8a8", "mixed", "w4a4"};
  const FactoryResult res = RunFactory(r, o);
  REQUIRE(res.rows.size() == 5);  // float, shipped, W8A8, mixed, W4A4
  const ResultRow &w8 = res.rows[2], &mixed = res.rows[3], &w4 = res.rows[4];
  CHECK(w8.name == "student W8A8");
  CHECK(mixed.weight_bytes <= static_cast<long long>(0.7 * w8.weight_bytes));
  CHECK(w4.weight_bytes < w8.weight_bytes);
  for (const ResultRow& row : res.rows) {
    CHECK(row.lo <= row.value);
    CHECK(row.value <= row.hi);
    CHECK(row.n == 5);
    if (row.arena_bytes > 0) CHECK(row.agreement >= 0.99);
  }
  for (const auto& l : w4.weight_bits) CHECK(l.second == 4);
  const std::string report = std::string(TM2_FACTORY_WORK_DIR) + "/variants/REPORT.md";
  std::ofstream(report) << "# Report\n\nprose\n<!-- tables:begin -->\nold\n<!-- tables:end -->\nmore prose\n";
  UpdateReport(report, ResultsMarkdown({o.out_dir + "/results.json"}));
  std::ifstream in(report);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  CHECK(text.find("old") == std::string::npos);
  CHECK(text.find("| student W4A4 |") != std::string::npos);
  CHECK(text.find("more prose") != std::string::npos);
}

TEST_CASE("level check drops recordings the page would reject as too quiet") {
  Recipe r = LoadRecipe(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json");
  FactoryOptions o;
  o.data_path = std::string(TM2_FIXTURES_DIR) + "/audio/factory/manifest.csv";
  o.out_dir = std::string(TM2_FACTORY_WORK_DIR) + "/level";
  o.quiet = true;
  o.epochs = 1;
  o.qat_epochs = 0;
  o.bootstrap = 0;
  r.data.min_peak = 1e-4;  // every fixture clip has speech: nothing is dropped
  const FactoryResult kept = RunFactory(r, o);
  CHECK(kept.quiet_dropped == 0);
  CHECK(kept.train_items + kept.validation_items == 12);
  r.data.min_peak = 2.0;  // above full scale: everything is dropped
  CHECK_THROWS(RunFactory(r, o));
}
