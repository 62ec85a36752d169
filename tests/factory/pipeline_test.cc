// End to end on twelve fixture clips: a tiny run lowers the loss, the ILP
// keeps the budget, the export loads in the core, and the core's engine
// (from PCM) agrees with the factory's integer model on validation.
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <iterator>

#include "factory.h"
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
