// Recipe training options: train.label_smoothing, train.lr_schedule,
// train.mixup and augment.noise_label (parsing, the noise sources chosen, and their effect
// on a tiny training run).
// libtorch first: its glog-style CHECK macro would otherwise replace Catch's.
#include "pipeline.h"
#undef CHECK
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "recipe/recipe.h"
#include "train/trainer.h"

using namespace tm2::factory;

namespace {

std::string TinyRecipeText() {
  std::ifstream in(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The tiny recipe with `extra` spliced in as further top-level sections.
Recipe With(const std::string& extra) {
  std::string t = TinyRecipeText();
  t.insert(t.find('{') + 1, extra + ",");
  return ParseRecipe(t, "test recipe");
}

// Two separable classes of 16 toy feature maps, the same for a seed:
// label 1 has a bright first frame band, label 0 a dark one.
TensorSet BrightBandSet(uint64_t seed) {
  torch::manual_seed(seed);
  const int64_t n = 16;
  auto x = torch::randn({n, 1, 49, 10}) * 0.1;
  auto y = torch::zeros({n}, torch::kLong);
  for (int64_t i = 0; i < n; i += 2) {
    y[i] = 1;
    x[i].slice(1, 0, 10) += 2.0;
  }
  TensorSet set;
  set.x = {x};
  set.y = y;
  return set;
}

// The recipe's training settings without augmentation or early stopping,
// so that only the option under test differs between two runs.
TrainConfig Plain(TrainConfig cfg) {
  cfg.gain_db = cfg.noise = 0;
  cfg.shift_frames = 0;
  cfg.patience = 0;
  return cfg;
}

// 40 quiet epochs at a rate that fits BrightBandSet in that time.
TrainRun ShortRun() {
  TrainRun run;
  run.quiet = true;
  run.epochs = 40;
  run.lr = 0.02;
  return run;
}

}  // namespace

TEST_CASE("training options parse and bad values are refused by name") {
  const Recipe plain = LoadRecipe(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json");
  CHECK(plain.train.label_smoothing == 0);
  CHECK(plain.train.lr_schedule == "constant");
  CHECK(plain.augment.noise_label.empty());

  std::string t = TinyRecipeText();
  const std::string key = R"("train": {)";
  t.replace(t.find(key), key.size(), key + R"("label_smoothing": 0.1, "lr_schedule": "cosine", )");
  const Recipe r = ParseRecipe(t, "test recipe");
  CHECK(r.train.label_smoothing == Approx(0.1));
  CHECK(r.train.lr_schedule == "cosine");

  std::string bad = TinyRecipeText();
  bad.replace(bad.find(key), key.size(), key + R"("lr_schedule": "step", )");
  CHECK_THROWS_WITH(ParseRecipe(bad, "r"), Catch::Contains("lr_schedule"));
  bad = TinyRecipeText();
  bad.replace(bad.find(key), key.size(), key + R"("label_smoothing": 1, )");
  CHECK_THROWS_WITH(ParseRecipe(bad, "r"), Catch::Contains("label_smoothing"));
  CHECK(plain.train.mixup == 0);
  bad = TinyRecipeText();
  bad.replace(bad.find(key), key.size(), key + R"("mixup": -0.2, )");
  CHECK_THROWS_WITH(ParseRecipe(bad, "r"), Catch::Contains("train.mixup"));
  t = TinyRecipeText();
  t.replace(t.find(key), key.size(), key + R"("mixup": 0.2, )");
  CHECK(ParseRecipe(t, "r").train.mixup == Approx(0.2));
  CHECK_THROWS_WITH(With(R"("augment": {"copies": 1, "noise_probability": 1, "noise_label": "maybe"})"),
                    Catch::Contains("noise_label 'maybe'"));
  CHECK(With(R"("augment": {"copies": 1, "noise_probability": 1, "noise_label": "no"})").augment.noise_label == "no");
}

TEST_CASE("noise_label takes background only from that label's training recordings") {
  const Recipe all = With(R"("augment": {"copies": 1, "noise_probability": 1})");
  const Recipe no = With(R"("augment": {"copies": 1, "noise_probability": 1, "noise_label": "no"})");
  Item a{{"a.wav"}, 0, "g1", "", "train"}, b{{"b.wav"}, 1, "g2", "", "train"}, c{{"c.wav"}, 0, "g3", "", "train"};
  const std::vector<const Item*> train = {&a, &b, &c};
  CHECK(NoiseSourcePaths(all, train) == std::vector<std::string>{"a.wav", "b.wav", "c.wav"});
  CHECK(NoiseSourcePaths(no, train) == std::vector<std::string>{"a.wav", "c.wav"});
  CHECK_THROWS_WITH(NoiseSourcePaths(no, {&b}), Catch::Contains("labelled 'no'"));
}

TEST_CASE("label smoothing keeps training probabilities off 1; cosine ends with a near-zero step") {
  const Recipe r = LoadRecipe(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json");
  const TensorSet set = BrightBandSet(5);
  TrainConfig cfg = Plain(r.train);
  const TrainRun run = ShortRun();
  auto top_prob = [&](const TrainConfig& c) {
    torch::manual_seed(r.train.seed);
    TinyNet net(r);
    Train(net, set, set, c, run);
    const auto p = torch::softmax(PredictLogits(net, set), 1);
    return std::get<0>(p.max(1)).mean().item<double>();
  };
  const double hard = top_prob(cfg);
  cfg.label_smoothing = 0.4;  // target for the true label: 1 - 0.4 + 0.4 / 2 = 0.8
  const double smooth = top_prob(cfg);
  CHECK(hard > 0.95);
  CHECK(smooth < 0.9);
  CHECK(smooth > 0.6);
}

TEST_CASE("MixBatch blends every branch with the same partners and weight") {
  const auto a = torch::tensor({1.0f, 2.0f, 3.0f}).reshape({3, 1, 1, 1});
  const auto b = torch::tensor({10.0f, 20.0f, 30.0f}).reshape({3, 1, 1, 1});
  const auto partner = torch::tensor({2, 0, 1}, torch::kLong);
  const auto m = MixBatch({a, b}, partner, 0.75);
  REQUIRE(m.size() == 2);
  // Row 0 mixes with row 2: 0.75 * 1 + 0.25 * 3 = 1.5; row 1 with row 0: 1.75.
  CHECK(m[0].flatten()[0].item<float>() == Approx(1.5));
  CHECK(m[0].flatten()[1].item<float>() == Approx(1.75));
  CHECK(m[1].flatten()[2].item<float>() == Approx(0.75 * 30 + 0.25 * 20));
  CHECK(MixBatch({a}, partner, 1.0)[0].equal(a));
}

TEST_CASE("distill.teacher takes one recipe path or a list; bad lists are refused by name") {
  CHECK(LoadRecipe(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json").distill.teachers.empty());
  const Recipe one = With(R"("distill": {"teacher": "t.json"})");
  REQUIRE(one.distill.teachers.size() == 1);
  CHECK(one.distill.teachers[0] == "t.json");
  const Recipe three = With(R"("distill": {"teacher": ["a.json", "b.json", "c.json"], "temperature": 2})");
  REQUIRE(three.distill.teachers.size() == 3);
  CHECK(three.distill.teachers[2] == "c.json");
  CHECK(three.distill.temperature == 2);
  CHECK(With(R"("distill": {"teacher": ""})").distill.teachers.empty());
  CHECK_THROWS_WITH(With(R"("distill": {"teacher": []})"), Catch::Contains("distill.teacher"));
  CHECK_THROWS_WITH(With(R"("distill": {"teacher": ["a.json", 3]})"), Catch::Contains("distill.teacher"));
  CHECK_THROWS_WITH(With(R"("distill": {"teacher": ["a.json", ""]})"), Catch::Contains("distill.teacher"));
  CHECK_THROWS_WITH(With(R"("distill": {"teacher": 7})"), Catch::Contains("distill.teacher"));
}

TEST_CASE("an ensemble of teachers gives the mean of their softened probabilities, and the student follows it") {
  const Recipe r = LoadRecipe(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json");
  // Two separable classes (a bright first band or not); teacher b learns the
  // opposite labels, so the two teachers disagree on every item.
  const TensorSet set = BrightBandSet(7);
  const torch::Tensor& y = set.y;
  const int64_t n = y.size(0);
  TensorSet flipped = set;
  flipped.y = 1 - y;
  const TrainConfig cfg = Plain(r.train);
  const TrainRun run = ShortRun();
  torch::manual_seed(1);
  TinyNet a(r);
  Train(a, set, set, cfg, run);
  torch::manual_seed(2);
  TinyNet b(r);
  Train(b, flipped, flipped, cfg, run);

  const double t = 2.0;
  const auto pa = TeacherSoftTargets({&a}, set.x, t);
  const auto pb = TeacherSoftTargets({&b}, set.x, t);
  CHECK(torch::allclose(pa, torch::softmax(PredictLogits(a, set) / t, 1), 1e-5, 1e-6));
  const auto pab = TeacherSoftTargets({&a, &b}, set.x, t);
  CHECK(torch::allclose(pab, (pa + pb) / 2, 1e-5, 1e-6));
  CHECK(torch::allclose(pab.sum(1), torch::ones({n}), 1e-5, 1e-6));
  CHECK_THROWS(TeacherSoftTargets({}, set.x, t));

  // Pure distillation (weight 1, T 1): from teacher a alone the student is
  // sure of a's labels; from a and b together its targets sit near 0.5.
  auto student_top_prob = [&](const std::vector<TinyNet*>& teachers, double* accuracy) {
    TrainRun kd = run;
    kd.teachers = teachers;
    kd.kd_temperature = 1;
    kd.kd_weight = 1;
    torch::manual_seed(3);
    TinyNet s(r);
    Train(s, set, set, cfg, kd);
    const auto p = torch::softmax(PredictLogits(s, set), 1);
    *accuracy = p.argmax(1).eq(y).to(torch::kDouble).mean().item<double>();
    return std::get<0>(p.max(1)).mean().item<double>();
  };
  double acc_a = 0, acc_ab = 0;
  const double top_a = student_top_prob({&a}, &acc_a);
  const double top_ab = student_top_prob({&a, &b}, &acc_ab);
  CHECK(acc_a == 1.0);
  CHECK(top_a > 0.9);
  CHECK(top_ab < 0.7);
}
