// Manifest reading, deduplication by content and group-wise splits
// (with a held-out evaluation split).
#include <catch2/catch.hpp>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "data/dataset.h"
#include "data/feature_cache.h"
#include "data/items.h"
#include "data/split.h"
#include "recipe/model_stats.h"
#include "recipe/recipe.h"

using namespace tm2::factory;

namespace {

// A manifest row with only what splitting looks at.
Example Row(const std::string& path, const std::string& label, const std::string& group) {
  Example e;
  e.path = path;
  e.label = label;
  e.group = group;
  return e;
}

}  // namespace

TEST_CASE("manifest rows resolve paths and keep their split") {
  const auto rows = ReadManifest(std::string(TM2_FIXTURES_DIR) + "/audio/factory/manifest.csv");
  REQUIRE(rows.size() == 12);
  CHECK(rows[0].label == "no");
  CHECK(rows[0].group == "03401e93");
  CHECK(rows[0].path.find("/audio/factory/no_03401e93_nohash_0.flac") != std::string::npos);
}

TEST_CASE("identical recordings are kept once; conflicting labels drop both") {
  std::vector<Example> rows = {Row("b", "x", "g1"), Row("a", "x", "g2"), Row("c", "y", "g3"), Row("d", "z", "g4"),
                               Row("e", "y", "g5")};
  std::vector<uint64_t> h = {1, 1, 2, 3, 3};
  int dropped = 0;
  const auto kept = Deduplicate(rows, h, &dropped);
  CHECK(kept == std::vector<size_t>{1, 2});  // "a" wins over "b" (path order); 3 conflicts
  CHECK(dropped == 3);
}

TEST_CASE("splits never put a group on both sides and are seeded") {
  std::vector<Example> rows;
  for (int i = 0; i < 200; ++i) rows.push_back(Row("p" + std::to_string(i), "l", "g" + std::to_string(i % 37)));
  auto a = rows, b = rows;
  SplitByGroup(&a, 0.25, 5);
  SplitByGroup(&b, 0.25, 5);
  std::map<std::string, std::set<std::string>> sides;
  int val = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].split == b[i].split);
    sides[a[i].group].insert(a[i].split);
    val += a[i].split == "validation";
  }
  for (const auto& s : sides) CHECK(s.second.size() == 1);
  CHECK(val >= 50);
  CHECK(val < 60);
}

TEST_CASE("rows with a named split leave the seeded draw of the other rows unchanged") {
  // models/kws-extra-unknown.sh relies on it: extra training-only rows
  // (another dataset's speakers) must not move any Speech Commands clip
  // between training and validation.
  std::vector<Example> rows;
  for (int i = 0; i < 200; ++i) rows.push_back(Row("p" + std::to_string(i), "l", "g" + std::to_string(i % 37)));
  auto extra = rows;
  for (int i = 0; i < 60; ++i) {
    Example e = Row("x" + std::to_string(i), "l", "other/" + std::to_string(i % 4));
    e.split = "train";
    extra.push_back(e);
  }
  SplitByGroup(&rows, 0.25, 5);
  SplitByGroup(&extra, 0.25, 5);
  int val = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    CHECK(extra[i].split == rows[i].split);
    val += rows[i].split == "validation";
  }
  CHECK(val > 0);
  for (size_t i = rows.size(); i < extra.size(); ++i) CHECK(extra[i].split == "train");
}

TEST_CASE("a split of a few uneven groups always leaves both sides non-empty") {
  // Two participants, 3 and 4 recordings (a small research-mode export):
  // whichever group is drawn first, training keeps the other.
  for (uint64_t seed = 0; seed < 64; ++seed) {
    std::vector<Example> rows;
    for (int i = 0; i < 3; ++i) rows.push_back(Row("a" + std::to_string(i), "l", "small"));
    for (int i = 0; i < 4; ++i) rows.push_back(Row("b" + std::to_string(i), "l", "large"));
    SplitByGroup(&rows, 0.5, seed);
    int val = 0;
    for (const auto& e : rows) val += e.split == "validation";
    INFO("seed " << seed);
    CHECK(val > 0);
    CHECK(val < 7);
  }
}

// The cache tests' setting: 20 frames of 10 MFCCs of one clip, cached in a
// fresh folder per run, outside the source tree.
struct CacheCase {
  tm2::PreprocessParams p;
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("tm2-factory-cache-" + std::to_string(std::random_device{}()))).string();
  std::string clip = std::string(TM2_FIXTURES_DIR) + "/audio/factory/yes_022cd682_nohash_0.flac";
  uint64_t h = FeatureCache::ContentHash(clip);
  CacheCase() {
    p.dct_coefficients = 10;
    p.num_frames = 20;
    std::filesystem::remove_all(dir);
  }
  ~CacheCase() { std::filesystem::remove_all(dir); }
};

TEST_CASE_METHOD(CacheCase, "feature cache returns the core's features and hits on a re-run") {
  FeatureCache first(p, dir);
  const Features a = first.Get(clip, h);
  FeatureCache second(p, dir);
  const Features b = second.Get(clip, h);
  CHECK(second.hits() == 1);
  CHECK(a.values == b.values);
  CHECK(a.frames == 20);
  CHECK(a.bins == 10);
}

TEST_CASE_METHOD(CacheCase, "two feature caches writing one folder at once leave whole entries and no temporary files") {
  const Features want = FeatureCache(p, "").Get(clip, h);
  // Two runs sharing the cache compute the same 24 entries at the same
  // time: both start each entry together (the transform waits for the
  // other), so their writes overlap.
  constexpr int kEntries = 24;
  std::atomic<int> arrived{0};
  const auto together = [&](const Audio& a) {
    const int me = ++arrived;
    while (arrived.load() < (me + 1) / 2 * 2) std::this_thread::yield();
    return a;
  };
  std::vector<Features> got[2];
  std::vector<std::thread> runs;
  for (int r = 0; r < 2; ++r)
    runs.emplace_back([&, r] {
      FeatureCache cache(p, dir);
      for (int v = 1; v <= kEntries; ++v) got[r].push_back(cache.Get(clip, h, together, static_cast<uint64_t>(v)));
    });
  for (auto& t : runs) t.join();
  const auto same = [](const Audio& a) { return a; };
  FeatureCache after(p, dir);
  for (int v = 1; v <= kEntries; ++v) {
    CHECK(got[0][v - 1].values == want.values);
    CHECK(got[1][v - 1].values == want.values);
    CHECK(after.Get(clip, h, same, static_cast<uint64_t>(v)).values == want.values);
  }
  CHECK(after.hits() == kEntries);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    INFO(e.path().string());
    CHECK(e.path().extension() == ".f32");
    ++files;
  }
  CHECK(files == kEntries);
  // A temporary file of another run writing the same entry (here at the
  // entry's name + ".tmp") is neither written into nor renamed away.
  const std::string entry = (std::filesystem::directory_iterator(dir))->path().string();
  std::filesystem::remove(entry);
  {
    std::ofstream other(entry + ".tmp");
    other << "another run's bytes\n";
  }
  FeatureCache third(p, dir);
  CHECK(third.Get(clip, h, same, std::stoull(entry.substr(entry.rfind('-') + 1), nullptr, 16)).values == want.values);
  CHECK(third.misses() == 1);
  std::ifstream foreign(entry + ".tmp");
  std::string text;
  std::getline(foreign, text);
  CHECK(text == "another run's bytes");
}

TEST_CASE("cross-validation folds hold out every group exactly once, stratified by label") {
  std::vector<Example> rows;
  // 23 groups: 16 of label m, 7 of label f, 1 to 3 recordings each.
  for (int g = 0; g < 23; ++g)
    for (int k = 0; k <= g % 3; ++k)
      rows.push_back(Row("g" + std::to_string(g) + "_" + std::to_string(k), g < 16 ? "m" : "f", "g" + std::to_string(g)));
  const int folds = 5;
  std::map<std::string, int> held_out;
  std::vector<int> f_per_fold;
  for (int fold = 0; fold < folds; ++fold) {
    auto a = rows, b = rows;
    AssignFold(&a, folds, fold, 0.25, 9);
    AssignFold(&b, folds, fold, 0.25, 9);
    std::map<std::string, std::set<std::string>> sides;
    std::set<std::string> eval_groups, f_groups;
    for (size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].split == b[i].split);  // seeded
      sides[a[i].group].insert(a[i].split);
      if (a[i].split == "evaluation") {
        eval_groups.insert(a[i].group);
        if (a[i].label == "f") f_groups.insert(a[i].group);
      }
    }
    int train = 0, validation = 0;
    for (const auto& s : sides) {
      REQUIRE(s.second.size() == 1);  // a group is on one side only
      train += *s.second.begin() == "train";
      validation += *s.second.begin() == "validation";
    }
    CHECK(train > 0);
    CHECK(validation > 0);
    CHECK((eval_groups.size() == 4 || eval_groups.size() == 5));  // 23 groups in 5 folds
    for (const auto& g : eval_groups) ++held_out[g];
    f_per_fold.push_back(static_cast<int>(f_groups.size()));
  }
  CHECK(held_out.size() == 23);
  for (const auto& h : held_out) CHECK(h.second == 1);
  // 7 groups of label f over 5 folds: 1 or 2 in each.
  for (int f : f_per_fold) CHECK((f == 1 || f == 2));
  // Another seed deals differently.
  auto c = rows, d = rows;
  AssignFold(&c, folds, 0, 0.25, 9);
  AssignFold(&d, folds, 0, 0.25, 10);
  bool differs = false;
  for (size_t i = 0; i < c.size(); ++i) differs = differs || c[i].split != d[i].split;
  CHECK(differs);
  CHECK_THROWS(AssignFold(&c, 30, 0, 0.25, 1));  // fewer groups than folds
  CHECK_THROWS(AssignFold(&c, 5, 5, 0.25, 1));   // no such fold
}

TEST_CASE("holdout: a plain split's validation groups are only measured, validation is drawn from the rest") {
  // The fixture clips as a manifest with no splits, except one group the
  // manifest itself names evaluation (as models/gate-sources.sh does).
  const auto fixture = ReadManifest(std::string(TM2_FIXTURES_DIR) + "/audio/factory/manifest.csv");
  const auto dir = std::filesystem::path(TM2_FACTORY_WORK_DIR);
  std::filesystem::create_directories(dir);
  std::vector<Example> rows = fixture;
  for (auto& e : rows) e.split = e.group == "105a0eea" ? "evaluation" : "";
  WriteManifest((dir / "holdout.csv").string(), rows);
  Recipe r = LoadRecipe(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json");
  r.data.validation_fraction = 0.25;
  r.data.split_seed = 5;
  ItemOptions io;
  const auto plain = LoadItems(r, (dir / "holdout.csv").string(), io, nullptr);
  r.data.holdout = true;
  const auto held = LoadItems(r, (dir / "holdout.csv").string(), io, nullptr);
  REQUIRE(plain.size() == held.size());
  std::map<std::string, std::set<std::string>> sides;
  std::set<std::string> plain_validation, evaluation, validation, train;
  for (size_t i = 0; i < held.size(); ++i) {
    REQUIRE(plain[i].paths == held[i].paths);
    if (plain[i].split == "validation") plain_validation.insert(plain[i].group);
    sides[held[i].group].insert(held[i].split);
    (held[i].split == "evaluation" ? evaluation : held[i].split == "validation" ? validation : train)
        .insert(held[i].group);
  }
  for (const auto& s : sides) CHECK(s.second.size() == 1);
  plain_validation.insert("105a0eea");  // named in the manifest
  CHECK(evaluation == plain_validation);
  CHECK(!validation.empty());
  CHECK(!train.empty());
}

TEST_CASE("a manifest split other than train, validation, evaluation or test is refused") {
  const auto dir = std::filesystem::path(TM2_FACTORY_WORK_DIR);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad-split.csv") << "path,label,group,split\na.flac,x,g,eval\n";
  CHECK_THROWS_WITH(ReadManifest((dir / "bad-split.csv").string()), Catch::Contains("split 'eval'"));
}
