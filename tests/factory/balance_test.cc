// train.balance: per-item loss weights that give every label, and within a
// label every source, the same total weight (mean weight 1); and
// train.lr_schedule's learning rate per epoch.
// libtorch first: its glog-style CHECK macro would otherwise replace Catch's
// (the CHECKs below would abort instead of being counted and reported).
#include "train/trainer.h"
#undef CHECK
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

using namespace tm2::factory;

namespace {

TensorSet Set(const std::vector<int64_t>& y, const std::vector<std::string>& source) {
  TensorSet s;
  s.y = torch::tensor(y, torch::kLong);
  s.source = source;
  return s;
}

// Total weight per key of the items.
std::map<std::string, double> Totals(const torch::Tensor& w, const std::vector<std::string>& key) {
  std::map<std::string, double> t;
  for (size_t i = 0; i < key.size(); ++i) t[key[i]] += w[static_cast<int64_t>(i)].item<double>();
  return t;
}

}  // namespace

TEST_CASE("balance none gives no weights; label and label_source share weight equally") {
  // Label 0 (cough): 6 items from source a, 2 from b. Label 1 (speech): 4 from c.
  const std::vector<int64_t> y = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1};
  const std::vector<std::string> src = {"a", "a", "a", "a", "a", "a", "b", "b", "c", "c", "c", "c"};
  const TensorSet s = Set(y, src);
  CHECK(!ItemWeights(s, "none").defined());

  const auto wl = ItemWeights(s, "label");
  REQUIRE(wl.size(0) == 12);
  CHECK(wl.mean().item<double>() == Approx(1.0));
  std::vector<std::string> by_label;
  for (int64_t v : y) by_label.push_back(std::to_string(v));
  const auto tl = Totals(wl, by_label);
  CHECK(tl.at("0") == Approx(6.0));
  CHECK(tl.at("1") == Approx(6.0));
  CHECK(wl[0].item<double>() == Approx(wl[7].item<double>()));  // sources ignored

  const auto ws = ItemWeights(s, "label_source");
  CHECK(ws.mean().item<double>() == Approx(1.0));
  const auto ts = Totals(ws, src);
  CHECK(ts.at("a") == Approx(3.0));  // label 0's 6 split evenly between its two sources
  CHECK(ts.at("b") == Approx(3.0));
  CHECK(ts.at("c") == Approx(6.0));
  CHECK(ws[6].item<double>() == Approx(3 * ws[0].item<double>()));  // b's items count 3x a's
}

TEST_CASE("lr_schedule constant keeps lr; cosine falls from lr to near 0 over the epochs") {
  CHECK(LearningRate("constant", 3e-3, 7, 40) == 3e-3);
  CHECK(LearningRate("cosine", 3e-3, 0, 40) == Approx(3e-3));
  CHECK(LearningRate("cosine", 3e-3, 20, 40) == Approx(1.5e-3));
  CHECK(LearningRate("cosine", 3e-3, 39, 40) == Approx(3e-3 * 0.5 * (1 + std::cos(std::acos(-1.0) * 39 / 40))));
  CHECK(LearningRate("cosine", 3e-3, 39, 40) < 1e-5);
  for (int e = 1; e < 40; ++e) CHECK(LearningRate("cosine", 1.0, e, 40) < LearningRate("cosine", 1.0, e - 1, 40));
}
