// The pack's per-layer choice (native/factory/pack/layer_choice.h) on the
// tiny test recipe's net: a model compressed with a codebook another pack
// carries is charged only its own bytes, so a budget that the codebook
// alone would exhaust still keeps its sensitive layers uncoded.
// libtorch first: its glog-style CHECK macro would otherwise replace Catch's.
#include "pack/layer_choice.h"
#undef CHECK
#include <catch2/catch.hpp>

#include <string>

#include "recipe/model_stats.h"
#include "recipe/recipe.h"

using namespace tm2::factory;

namespace {

int Count(const LayerPlan& plan, int state) {
  int n = 0;
  for (int s : plan.state) n += s == state;
  return n;
}

}  // namespace

TEST_CASE("layer choice: the codebook is charged only to the models that carry it") {
  Recipe r = LoadRecipe(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json");
  torch::manual_seed(7);
  ChoiceModel m;
  m.net = TinyNet(r);
  m.net->FoldBatchNorm();
  m.float_bytes = ComputeStats(r).params * 4;
  std::vector<ChoiceModel> models{m};

  PackRecipe p;
  p.dim = 2;
  p.centroids = 16;
  p.min_weights = 32;
  p.max_error = 1.0;
  p.keep_bits = 4;
  p.sensitivity_samples = 0;  // reconstruction error alone: no data needed
  // Few, coarse centroids: coding costs more error than int4 on every layer.
  const auto centroids = torch::tensor({-96.0, -96.0, -32.0, 32.0, 32.0, -32.0, 96.0, 96.0}, torch::kFloat64).reshape({4, 2});
  const int k = 4;

  // Every codable layer coded: what the model's own codes and int8 layers take.
  p.min_compression = 1e9;
  long long coded = 0;
  const auto all_coded = ChooseLayers(models, p, centroids, p.dim, k, 0, true, &coded);
  REQUIRE(Count(all_coded[0], kLayerCoded) >= 2);
  CHECK(Count(all_coded[0], kLayerKept) == 0);

  // A budget with room for the model's uncoded layers but not for a 1 KB codebook.
  const long long codebook = 1024;
  const double budget = static_cast<double>(coded) + codebook - 1;
  p.min_compression = static_cast<double>(m.float_bytes) / budget;
  long long with_codebook = 0, own = 0;
  const auto carried = ChooseLayers(models, p, centroids, p.dim, k, codebook, true, &with_codebook);
  CHECK(Count(carried[0], kLayerKept) == 0);  // the codebook alone exceeds the budget
  CHECK(with_codebook == coded + codebook);
  const auto reused = ChooseLayers(models, p, centroids, p.dim, k, 0, true, &own);
  CHECK(Count(reused[0], kLayerKept) >= 1);
  CHECK(Count(reused[0], kLayerKept) + Count(reused[0], kLayerCoded) == Count(all_coded[0], kLayerCoded));
  CHECK(own > coded);
  CHECK(static_cast<double>(own) <= budget);
}
