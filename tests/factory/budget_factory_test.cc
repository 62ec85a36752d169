// tm2-factory train under a RAM budget, on twelve fixture clips: a budget
// below the least reachable is refused with that least figure, and at that
// figure the exported model fits it as the engine's planner lays it out.
// libtorch first: its glog-style CHECK macro would otherwise replace Catch's.
#include "results/rows.h"
#undef CHECK
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>

#include "engine/engine.h"
#include "factory.h"
#include "format/model.h"
#include "ilp/ram_plan.h"

using namespace tm2::factory;

TEST_CASE("a RAM budget: refused below the least reachable, met at it by the engine's plan") {
  Recipe r = LoadRecipe(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json");
  FactoryOptions o;
  o.data_path = std::string(TM2_FIXTURES_DIR) + "/audio/factory/manifest.csv";
  o.quiet = true;
  o.epochs = 3;
  o.qat_epochs = 1;
  o.bootstrap = 20;
  o.cache_dir = std::string(TM2_FACTORY_WORK_DIR) + "/budget-cache";
  o.out_dir = std::string(TM2_FACTORY_WORK_DIR) + "/budget-refused";
  o.ram_budget = 1024;
  o.flash_budget = 100;
  std::string message;
  try {
    RunFactory(r, o);
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  INFO(message);
  std::smatch m;
  REQUIRE(std::regex_search(message, m, std::regex(R"(reaches is ram [0-9.]+ KB \(([0-9]+) B\).* flash ([0-9]+) B)")));
  const int64_t least_ram = std::stoll(m[1]), least_flash = std::stoll(m[2]);
  CHECK(least_ram > 1024);
  CHECK(least_flash > 100);

  o.out_dir = std::string(TM2_FACTORY_WORK_DIR) + "/budget-met";
  o.ram_budget = least_ram;
  o.flash_budget = -1;  // the recipe's weight budget
  const FactoryResult res = RunFactory(r, o);
  CHECK(res.ram_budget == least_ram);
  CHECK(res.planned_ram_bytes <= least_ram);
  CHECK(res.weight_bytes <= r.quant.weight_budget_bytes);
  CHECK(res.agreement >= 0.99);
  // The engine plans the exported file within the budget, and runs in it.
  std::ifstream in(res.model_path, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  CHECK(PlannedRamBytes(bytes) == res.planned_ram_bytes);
  std::vector<uint32_t> aligned((bytes.size() + 3) / 4);
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  tm2::Model model;
  REQUIRE(tm2::LoadModel(reinterpret_cast<const uint8_t*>(aligned.data()), bytes.size(), &model).ok());
  std::vector<uint8_t> arena(static_cast<size_t>(least_ram));
  tm2::Engine engine;
  CHECK(engine.Init(model, arena.data(), arena.size(), SmallPartOptions(16000)).ok());
  // The card records the allocation and the planned memory.
  const auto card = nlohmann::json::parse(std::ifstream(o.out_dir + "/" + r.name + ".card.json"));
  CHECK(card["memory"]["planned_ram_bytes"].get<int64_t>() == res.planned_ram_bytes);
  CHECK(card["memory"]["ram_budget_bytes"].get<int64_t>() == least_ram);
  CHECK(card["act_bits"].size() == card["weight_bits"].size());
}
