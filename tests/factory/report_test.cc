// The results report names the split its rows were measured on: a recipe
// with a held-out evaluation split (data.holdout) reports on it, not on
// the validation split that chose the epoch and the temperature.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "results/report.h"

using namespace tm2::factory;

namespace {

std::string WriteResults(const std::string& name, int evaluation_items) {
  nlohmann::json row = {{"name", "student W8A8, shipped"}, {"metric", "accuracy"}, {"value", 0.9},
                        {"ci95", {0.8, 0.95}}, {"accuracy", 0.9}, {"ece15", 0.04}, {"n", 40}, {"groups", 20},
                        {"weight_bytes", 1024}, {"arena_bytes", 2048}, {"seconds", 3.0}};
  nlohmann::json j = {{"name", name}, {"metric", "accuracy"}, {"train_items", 100}, {"validation_items", 30},
                      {"duplicates_removed", 0}, {"total_seconds", 5.0}, {"threads", 1}, {"ci", "groups"},
                      {"rows", {row}}};
  if (evaluation_items > 0) j["evaluation_items"] = evaluation_items;
  const auto path = std::filesystem::temp_directory_path() / ("tm2-report-test-" + name + ".json");
  std::ofstream(path) << j.dump();
  return path.string();
}

}  // namespace

TEST_CASE("the report names the held-out evaluation split when rows are measured on it") {
  const std::string held = ResultsMarkdown({WriteResults("held", 40)});
  CHECK(held.find("Held-out evaluation split (every row below): 40 items (100 train, 30 validation") !=
        std::string::npos);
  CHECK(held.find("Validation split:") == std::string::npos);
  const std::string plain = ResultsMarkdown({WriteResults("plain", 0)});
  CHECK(plain.find("Validation split: 30 items (100 train,") != std::string::npos);
}
