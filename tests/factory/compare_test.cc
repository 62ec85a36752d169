// `tm2-factory compare` on the repository's saved 5-fold COVID results
// (models/results/covid-cough.cv.json, 873 out-of-fold predictions): the
// pairing, the point figures against the rows' own values, and the refusals.
#include <catch2/catch.hpp>

#include <fstream>

#include "results/compare.h"
#include "results/text.h"

using namespace tm2::factory;

namespace {

nlohmann::json Load(const char* name) {
  std::ifstream in(std::string(TM2_RESULTS_DIR) + "/" + name);
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

const nlohmann::json& Row(const nlohmann::json& results, const std::string& start) {
  for (const auto& row : results["rows"])
    if (row["name"].get<std::string>().rfind(start, 0) == 0) return row;
  FAIL("no row " << start);
  throw;
}

bool Has(const std::string& text, const std::string& part) {
  INFO(text);
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a run against itself differs by exactly zero and keeps its own figure") {
  const nlohmann::json cv = Load("covid-cough.cv.json");
  const std::string md = CompareMarkdown({cv, "", "a"}, {cv, "", "b"}, 200, 7);
  const double shipped = Row(cv, "student mixed")["value"];
  CHECK(Has(md, "| all | 873 | " + F3(shipped) + " ["));
  CHECK(Has(md, "| +0.000 [+0.000, +0.000] | 0.000 |"));
  CHECK(Has(md, "| call-center | 555 |"));
  CHECK(Has(md, "| telegram | 318 |"));
}

TEST_CASE("two rows: the point difference is the difference of the rows' values") {
  const nlohmann::json cv = Load("covid-cough.cv.json");
  const double a = Row(cv, "student mixed")["value"], b = Row(cv, "student W8A8")["value"];
  const std::string md = CompareMarkdown({cv, "", "a"}, {cv, "student W8A8", "b"}, 200, 7);
  const std::string d = (a - b >= 0 ? "+" : "") + F3(a - b);
  CHECK(Has(md, "| " + F3(a) + " ["));
  CHECK(Has(md, "| " + F3(b) + " ["));
  CHECK(Has(md, "| " + d + " ["));
}

TEST_CASE("runs on other units, rows without predictions and unknown rows are refused") {
  const nlohmann::json cv = Load("covid-cough.cv.json");
  nlohmann::json fewer = cv, moved = cv;
  for (auto& row : fewer["rows"]) row["predictions"].erase(row["predictions"].begin());
  for (auto& row : moved["rows"]) row["predictions"][5]["group"] = "someone-else";
  CHECK_THROWS_WITH(CompareMarkdown({cv, "", "a"}, {fewer, "", "b"}, 10, 7),
                    Catch::Contains("a has 873 predictions, b 872: not the same units"));
  CHECK_THROWS_WITH(CompareMarkdown({cv, "", "a"}, {moved, "", "b"}, 10, 7),
                    Catch::Contains("unit 5 differs") && Catch::Contains("someone-else"));
  const nlohmann::json single = Load("covid-cough.json");  // a plain run: no per-unit predictions
  CHECK_THROWS_WITH(CompareMarkdown({cv, "", "a"}, {single, "", "b"}, 10, 7),
                    Catch::Contains("b: row 'student mixed") && Catch::Contains("has no per-unit predictions"));
  CHECK_THROWS_WITH(CompareMarkdown({cv, "no such row", "a"}, {cv, "", "b"}, 10, 7),
                    Catch::Contains("a: no row named 'no such row'"));
  CHECK_THROWS_WITH(CompareMarkdown({cv, "student", "a"}, {cv, "", "b"}, 10, 7),
                    Catch::Contains("more than one row matches 'student'"));
  const nlohmann::json gate = Load("coswara-sound-gate.json");
  CHECK_THROWS_WITH(CompareMarkdown({cv, "", "a"}, {gate, "", "b"}, 10, 7),
                    Catch::Contains("a reports auc, b balanced_accuracy"));
}

TEST_CASE("refusals count the units whose true label's probability is below each side's threshold") {
  const nlohmann::json cv = Load("covid-cough.cv.json");
  const auto& preds = Row(cv, "student mixed")["predictions"];
  int below_half = 0, below_tenth = 0, telegram_half = 0, telegram = 0;
  for (const auto& p : preds) {
    const double q = p["p"][p["label"].get<int>()];
    below_half += q < 0.5;
    below_tenth += q < 0.1;
    if (p["source"] == "telegram") telegram_half += q < 0.5, ++telegram;
  }
  REQUIRE(below_tenth < below_half);
  const std::string md = CompareMarkdown({cv, "", "a", 0.5}, {cv, "", "b", 0.1}, 10, 7);
  CHECK(Has(md, "Refused, P(true label) below the threshold (A 0.500, B 0.100)"));
  CHECK(Has(md, "| all | 873 | " + std::to_string(below_half) + " (" + Fmt("%.3f", below_half / 873.0) + ") | " +
                    std::to_string(below_tenth) + " ("));
  CHECK(Has(md, "| telegram | " + std::to_string(telegram) + " | " + std::to_string(telegram_half) + " ("));
  CHECK(!Has(CompareMarkdown({cv, "", "a"}, {cv, "", "b"}, 10, 7), "Refused"));
}
