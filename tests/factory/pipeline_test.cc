// End to end on twelve fixture clips: a tiny run lowers the loss, the ILP
// keeps the budget, the export loads in the core, and the core's engine
// (from PCM) agrees with the factory's integer model on validation.
// libtorch first: its glog-style CHECK macro would otherwise replace Catch's.
#include "results/rows.h"
#undef CHECK
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <set>

#include "data/dataset.h"
#include "data/items.h"
#include "factory.h"
#include "format/model.h"
#include "probe.h"
#include "results/report.h"

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

  // The probe's per-source confusion covers every validation clip once,
  // rows by true label, and its diagonal is the accuracy it reports.
  ProbeOptions po;
  po.data_path = o.data_path;
  po.shifts = 1;
  po.bootstrap = 0;
  const ProbeResult p = Probe(r, res.model_path, po);
  REQUIRE(p.clips == 5);
  REQUIRE(p.confusion_by_source.count("speech-commands") == 1);
  int clips = 0, right = 0;
  for (const auto& c : p.confusion_by_source)
    for (size_t t = 0; t < c.second.size(); ++t)
      for (size_t k = 0; k < c.second[t].size(); ++k) clips += c.second[t][k], right += t == k ? c.second[t][k] : 0;
  CHECK(clips == 5);
  CHECK(right == Approx(p.at_zero.accuracy * 5).margin(1e-9));
  CHECK(ProbeMarkdown(r, po, p).find("| speech-commands | yes |") != std::string::npos);
}

TEST_CASE("augmented training: views from PCM are cached, and a rerun from the cache is the same model") {
  Recipe r = LoadRecipe(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json");
  r.augment.copies = 2;
  r.augment.gain_db = 6;
  r.augment.shift_ms = 40;
  r.augment.noise_probability = 0.5;
  r.augment.telephone_probability = 0.5;
  r.augment.time_masks = 1;
  r.augment.time_mask_frames = 5;
  r.augment.freq_masks = 1;
  r.augment.freq_mask_bins = 2;
  FactoryOptions o;
  o.data_path = std::string(TM2_FIXTURES_DIR) + "/audio/factory/manifest.csv";
  o.quiet = true;
  o.epochs = 4;
  o.qat_epochs = 1;
  o.bootstrap = 20;
  o.cache_dir = std::string(TM2_FACTORY_WORK_DIR) + "/augment-cache";
  std::filesystem::remove_all(o.cache_dir);
  auto run = [&](const std::string& name) {
    o.out_dir = std::string(TM2_FACTORY_WORK_DIR) + "/" + name;
    const FactoryResult res = RunFactory(r, o);
    std::ifstream in(res.model_path, std::ios::binary);
    return std::make_pair(res, std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {}));
  };
  const auto [first, first_bytes] = run("augment-1");
  int views = 0;
  for (const auto& e : std::filesystem::directory_iterator(o.cache_dir)) {
    const std::string name = e.path().filename().string();  // params-content[-view].f32
    views += std::count(name.begin(), name.end(), '-') == 2;
  }
  CHECK(views == 2 * first.train_items);
  const auto [second, second_bytes] = run("augment-2");
  CHECK(second.first_loss == first.first_loss);
  CHECK(second.last_loss == first.last_loss);
  CHECK(second_bytes == first_bytes);
  CHECK(first.agreement >= 0.99);
  CHECK(first.rows.back().reliability.bins.size() == 15);
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
  CHECK(text.find("| accuracy | ECE |") != std::string::npos);
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

namespace {

const std::string kFusionManifest = std::string(TM2_FIXTURES_DIR) + "/audio/factory-multimodal/manifest.csv";

Recipe FusionRecipe() { return LoadRecipe(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_fusion_recipe.json"); }

// The fused recipe cut down to one of its branches (same study, same groups).
Recipe OneBranch(size_t b) {
  Recipe r = FusionRecipe();
  r.branches = {r.branches[b]};
  r.data.modalities = {r.branches[0].modality};
  r.name += "-" + r.branches[0].modality;
  return r;
}

std::set<std::string> GroupsOf(const std::vector<Item>& items) {
  std::set<std::string> g;
  for (const Item& it : items) g.insert(it.group);
  return g;
}

}  // namespace

TEST_CASE("multimodal items: every combination per participant, the same participants in every recipe") {
  ItemCounts counts;
  const auto fused = LoadItems(FusionRecipe(), kFusionManifest, {}, &counts);
  CHECK(fused.size() == 16);  // 8 participants x 2 coughs x 1 breathing x 1 counting
  CHECK(GroupsOf(fused).size() == 8);
  for (const Item& it : fused) {
    REQUIRE(it.paths.size() == 3);
    CHECK(it.paths[0].find("_cough-") != std::string::npos);
    CHECK(it.paths[1].find("_breathing-") != std::string::npos);
    CHECK(it.paths[2].find("_counting-") != std::string::npos);
  }
  Recipe first = FusionRecipe();
  first.data.pairing = "first";
  CHECK(LoadItems(first, kFusionManifest, {}, nullptr).size() == 8);
  ItemCounts cough_counts;
  const auto cough = LoadItems(OneBranch(0), kFusionManifest, {}, &cough_counts);
  CHECK(cough.size() == 16);
  CHECK(cough_counts.other_modality == 16);  // the breathing and counting rows
  CHECK(GroupsOf(cough) == GroupsOf(fused));

  // A participant without a counting recording leaves every recipe of the study.
  const std::string partial = std::string(TM2_FACTORY_WORK_DIR) + "/partial.csv";
  {
    std::filesystem::create_directories(TM2_FACTORY_WORK_DIR);
    std::ofstream out(partial);
    out << "path,label,group,modality\n";
    for (const Example& e : ReadManifest(kFusionManifest))
      if (!(e.group == "p8" && e.modality == "counting")) out << e.path << "," << e.label << "," << e.group << "," << e.modality << "\n";
  }
  ItemCounts partial_counts;
  const auto cough7 = LoadItems(OneBranch(0), partial, {}, &partial_counts);
  CHECK(GroupsOf(cough7).size() == 7);
  CHECK(partial_counts.incomplete_groups == 1);
  CHECK(GroupsOf(LoadItems(FusionRecipe(), partial, {}, nullptr)).size() == 7);
}

TEST_CASE("group scoring averages a group's probabilities; intervals resample whole groups") {
  TensorSet set;
  set.y = torch::tensor({0, 0, 1, 1, 1}, torch::kLong);
  set.group = {"a", "a", "b", "b", "c"};
  const auto prob = torch::tensor({0.8, 0.2, 0.4, 0.6, 0.3, 0.7, 0.1, 0.9, 0.7, 0.3}, torch::kFloat64).reshape({5, 2});
  const ResultRow g = MakeRow("by group", "auc", torch::log(prob), set, true, 200, 1);
  REQUIRE(g.predictions.size() == 3);
  CHECK(g.n == 3);
  CHECK(g.predictions[0].prob[1] == Approx(0.4));  // a: (0.2 + 0.6) / 2
  CHECK(g.predictions[1].prob[1] == Approx(0.8));  // b: (0.7 + 0.9) / 2
  CHECK(g.predictions[2].prob[1] == Approx(0.3));  // c
  CHECK(g.value == Approx(0.5));                   // b beats a, c does not
  const ResultRow items = MakeRow("by item", "auc", torch::log(prob), set, false, 200, 1);
  CHECK(items.n == 5);
  CHECK(items.value == Approx(5.0 / 6));  // 0.3 is below a's 0.6 only
  CHECK(items.groups == 3);
  CHECK(items.lo <= items.value);
  CHECK(items.value <= items.hi);
}

TEST_CASE("cross-validation scores every participant once per row from its held-out fold; study table") {
  FactoryOptions o;
  o.data_path = kFusionManifest;
  o.quiet = true;
  o.folds = 4;
  o.bootstrap = 50;
  o.variants = {"w8a8", "w4a4"};  // w8a8 is the recipe's own: not repeated
  o.out_dir = std::string(TM2_FACTORY_WORK_DIR) + "/cv-fused";
  const FactoryResult fused = CrossValidate(FusionRecipe(), o);
  REQUIRE(fused.rows.size() == 3);  // float student, W8A8 (shipped), W4A4
  CHECK(fused.folds == 4);
  CHECK(fused.evaluation_items == 16);  // every participant's 2 items held out once
  for (const ResultRow& row : fused.rows) {
    INFO(row.name);
    CHECK(row.n == 8);
    CHECK(row.groups == 8);
    std::set<std::string> g;
    for (const auto& p : row.predictions) g.insert(p.group);
    CHECK(g.size() == 8);
    CHECK(row.lo <= row.value);
    CHECK(row.value <= row.hi);
    REQUIRE(row.fold_values.size() == 1);
    CHECK(row.fold_values[0] == Approx(row.value));
    if (row.arena_bytes > 0) CHECK(row.agreement >= 0.99);
  }
  o.out_dir = std::string(TM2_FACTORY_WORK_DIR) + "/cv-cough";
  o.variants = {};
  CrossValidate(OneBranch(0), o);
  o.out_dir = std::string(TM2_FACTORY_WORK_DIR) + "/cv-counting";
  CrossValidate(OneBranch(2), o);
  const std::string work = TM2_FACTORY_WORK_DIR;
  const std::string md = ResultsMarkdown({work + "/cv-fused/results.json", work + "/cv-cough/results.json",
                                          work + "/cv-counting/results.json"});
  CHECK(md.find("4-fold cross-validation by group") != std::string::npos);
  CHECK(md.find("### Study: factory-test-fusion") != std::string::npos);
  CHECK(md.find("| cough + breathing + counting (fused) |") != std::string::npos);
  CHECK(md.find("| cough alone |") != std::string::npos);
  CHECK(md.find("| late fusion: mean probability of the one-branch models | factory-test-fusion-cough, "
                "factory-test-fusion-counting |") != std::string::npos);
}
