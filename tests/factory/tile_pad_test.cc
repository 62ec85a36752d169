// Tiling short clips to the window instead of zero padding (recipe
// preprocess.pad_mode "tile", data/tile_pad.h) on real fixture clips: the
// repeats, the silent gap and the cut length at several input rates, what
// the core's preprocessing then computes, the feature cache's keys, and the
// recipe fields.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <utility>

#include "augment/pcm_augment.h"
#include "data/audio_file.h"
#include "data/feature_cache.h"
#include "data/tile_pad.h"
#include "preprocess/preprocess.h"
#include "recipe/recipe.h"

using namespace tm2;
using namespace tm2::factory;

namespace {

std::string Fixture(const char* name) { return std::string(TM2_FIXTURES_DIR) + "/audio/" + name; }

// The sound gate's preprocessing: a 2.064 s window of 128 frames.
PreprocessParams GateParams() {
  PreprocessParams p;
  p.sample_rate = 16000;
  p.frame_length = 512;
  p.frame_step = 256;
  p.fft_size = 512;
  p.mel_bins = 40;
  p.mel_low_hz = 20;
  p.mel_high_hz = 8000;
  p.num_frames = 128;
  p.crop = CropPolicy::kLoudest;
  p.max_seconds = 30;
  REQUIRE(p.Validate().ok());
  return p;
}

// The core's int8 and float features of `a` under `p`.
std::pair<std::vector<int8_t>, std::vector<float>> CoreRun(const PreprocessParams& p, const Audio& a) {
  std::vector<uint8_t> ws(Preprocessor::WorkspaceBytes(p));
  Preprocessor pre;
  REQUIRE(pre.Prepare(p, ws.data(), ws.size()).ok());
  std::vector<int8_t> q(static_cast<size_t>(p.num_frames) * p.num_features());
  std::vector<float> f(q.size());
  REQUIRE(pre.Run(PcmView::F32(a.samples.data(), a.frames(), a.sample_rate, a.channels), q.data(), f.data()).ok());
  return {q, f};
}

// The core's float features of `a` under `p`.
std::vector<float> CoreFeatures(const PreprocessParams& p, const Audio& a) { return CoreRun(p, a).second; }

// tiny_recipe.json with `fields` put first in its "preprocess" object
// ("" leaves the recipe as it is).
Recipe TinyRecipeWith(const std::string& fields) {
  std::ifstream in(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json");
  std::stringstream text;
  text << in.rdbuf();
  std::string t = text.str();
  if (!fields.empty()) {
    const std::string at = "\"preprocess\": {";
    t.insert(t.find(at) + at.size(), fields + ", ");
  }
  return ParseRecipe(t, "r");
}

}  // namespace

TEST_CASE("a short clip is repeated with silence between and cut where the core's window is full") {
  const PreprocessParams p = GateParams();
  const size_t window = 127 * 256 + 512;  // 33,024 model samples
  // The cut is the fewest input frames the core resamples to >= window.
  for (uint32_t rate : {8000u, 11025u, 16000u, 22050u, 44100u, 48000u}) {
    const uint64_t n = WindowInputFrames(p, rate);
    auto model_len = [rate](uint64_t frames) { return (frames * 16000 + rate - 1) / rate; };
    CHECK(model_len(n) >= window);
    CHECK(model_len(n - 1) < window);
  }
  CHECK(WindowInputFrames(p, 16000) == window);

  // Speech Commands "yes": 1 s at 16 kHz, mono.
  const Audio yes = ReadAudio(Fixture("speech_commands_yes_16k.wav"));
  REQUIRE(yes.frames() == 16000);
  const Audio t = TileToWindow(yes, p, 0.1);
  REQUIRE(t.frames() == window);
  CHECK(t.sample_rate == 16000);
  CHECK(std::vector<float>(t.samples.begin(), t.samples.begin() + 16000) == yes.samples);
  CHECK(std::vector<float>(t.samples.begin() + 16000, t.samples.begin() + 17600) == std::vector<float>(1600, 0.0f));
  CHECK(std::vector<float>(t.samples.begin() + 17600, t.samples.end()) ==
        std::vector<float>(yes.samples.begin(), yes.samples.begin() + (window - 17600)));
  // No gap: back to back.
  const Audio tight = TileToWindow(yes, p, 0);
  CHECK(tight.samples[16000] == yes.samples[0]);
  CHECK(tight.samples[window - 1] == yes.samples[window - 1 - 32000]);

  // A 0.98 s call-center cough, 8 kHz stereo: every channel alike, gap 800 frames.
  const Audio cc = ReadAudio(Fixture("covid_callcenter_short_cough_8k_stereo.wav"));
  REQUIRE(cc.channels == 2);
  const size_t n = cc.frames();
  REQUIRE(n < WindowInputFrames(p, 8000));
  const Audio tc = TileToWindow(cc, p, 0.1);
  REQUIRE(tc.channels == 2);
  REQUIRE(tc.frames() == WindowInputFrames(p, 8000));
  bool gap_silent = true;
  for (size_t f = n; f < n + 800; ++f) gap_silent = gap_silent && tc.samples[2 * f] == 0 && tc.samples[2 * f + 1] == 0;
  CHECK(gap_silent);
  for (size_t f : {size_t{0}, size_t{5}, size_t{4000}}) {
    CHECK(tc.samples[2 * (n + 800 + f)] == cc.samples[2 * f]);
    CHECK(tc.samples[2 * (n + 800 + f) + 1] == cc.samples[2 * f + 1]);
  }
  const size_t last = tc.frames() - 1;  // inside the second repeat
  REQUIRE(last < 2 * (n + 800));
  CHECK(tc.samples[2 * last + 1] == cc.samples[2 * (last - n - 800) + 1]);

  // A clip that fills the window (5 s of Coswara cough) and an empty one stay as they are.
  const Audio longer = ReadAudio(Fixture("coswara_cough_16k.wav"));
  CHECK(TileToWindow(longer, p, 0.1).samples == longer.samples);
  Audio empty;
  empty.sample_rate = 16000;
  empty.channels = 1;
  CHECK(TileToWindow(empty, p, 0.1).samples.empty());
}

TEST_CASE("tiled features have no padding frames, and the cache keeps tiled and padded views apart") {
  const PreprocessParams p = GateParams();
  const std::string dir = std::string(TM2_FACTORY_WORK_DIR) + "/tile-cache";
  std::filesystem::remove_all(dir);
  const std::string path = Fixture("speech_commands_yes_16k.wav");
  const uint64_t key = FeatureCache::ContentHash(path);
  FeatureCache padded(p, dir);
  PadConfig tile;
  tile.tile = true;
  FeatureCache tiled(p, dir, tile);
  const Features z = padded.Get(path, key);
  const Features t = tiled.Get(path, key);
  CHECK(padded.misses() == 1);
  CHECK(tiled.misses() == 1);  // not the padded entry
  REQUIRE(z.frames == 128);
  const int bins = z.bins;
  auto row = [bins](const Features& f, int i) {
    return std::vector<float>(f.values.begin() + i * bins, f.values.begin() + (i + 1) * bins);
  };
  // 1 s = 61 whole frames: the same in both (the tiled clip starts with the clip).
  for (int i = 0; i < 61; ++i) REQUIRE(row(z, i) == row(t, i));
  // Zero padding: frames 61-127 are the features of digital silence.
  const std::vector<float> silence = row(z, 127);
  for (int i = 61; i < 128; ++i) REQUIRE(row(z, i) == silence);
  // Tiled: silence only around the 0.1 s gap (frames 63-66 lie wholly in
  // 16000-17600; frame 67 holds only the clip's first, near-silent 64
  // samples at the Hann window's edge); the frames after it hear the clip again.
  int silent = 0;
  for (int i = 61; i < 128; ++i) silent += row(t, i) == silence;
  for (int i = 63; i <= 66; ++i) CHECK(row(t, i) == silence);
  CHECK(silent <= 5);
  for (int i = 68; i < 128; ++i) CHECK(row(t, i) != silence);
  // Served from the cache the second time, the same values.
  FeatureCache again(p, dir, tile);
  CHECK(again.Get(path, key).values == t.values);
  CHECK(again.hits() == 1);
  // The gap is part of the key.
  tile.gap_seconds = 0.2;
  FeatureCache wider(p, dir, tile);
  CHECK(wider.Get(path, key).values != t.values);
  CHECK(wider.misses() == 1);
}

TEST_CASE("tile_frames repeats the clip's feature rows with whole silence rows between") {
  const PreprocessParams p = GateParams();
  const std::string dir = std::string(TM2_FACTORY_WORK_DIR) + "/tile-rows-cache";
  std::filesystem::remove_all(dir);
  const std::string path = Fixture("speech_commands_yes_16k.wav");
  const uint64_t key = FeatureCache::ContentHash(path);
  CHECK(KeptFrames(p, 16000, 16000) == 61);
  CHECK(KeptFrames(p, 8000, 8000) == 61);  // the same second at 8 kHz
  CHECK(KeptFrames(p, 80000, 16000) == 128);
  CHECK(KeptFrames(p, 100, 16000) == 1);
  CHECK(GapRows(p, 0.1) == 6);  // 1600 samples / 256
  PadConfig rows_pad;
  rows_pad.tile = rows_pad.frames = true;
  FeatureCache padded(p, dir), rows(p, dir, rows_pad);
  PadConfig pcm_pad;
  pcm_pad.tile = true;
  FeatureCache pcm(p, dir, pcm_pad);
  const Features z = padded.Get(path, key), t = rows.Get(path, key), u = pcm.Get(path, key);
  CHECK(rows.misses() == 1);  // its own cache entry, neither the padded nor the PCM-tiled one
  CHECK(pcm.misses() == 1);
  const int bins = z.bins;
  auto row = [bins](const Features& f, int i) {
    return std::vector<float>(f.values.begin() + i * bins, f.values.begin() + (i + 1) * bins);
  };
  const std::vector<float> silence = row(z, 127);
  // Period 61 + 6: clip rows, six silence rows, the clip's rows again.
  for (int i = 0; i < 128; ++i) {
    const int j = i % 67;
    REQUIRE(row(t, i) == (j < 61 ? row(z, j) : silence));
  }
  CHECK(t.values != u.values);  // not the PCM-tiled features (seams differ)
  // int8 rows tile the same way.
  std::vector<int8_t> q = {1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0};
  TileRows(q.data(), 6, 2, 2, 1);
  CHECK(q == std::vector<int8_t>{1, 2, 3, 4, 0, 0, 1, 2, 3, 4, 0, 0});
}

TEST_CASE("recipes choose the padding: zero by default, tile with a gap; bad values refused") {
  const auto with = TinyRecipeWith;
  CHECK_FALSE(TinyRecipeWith("").branches[0].pad.tile);
  CHECK_FALSE(with(R"("pad_mode": "zero")").branches[0].pad.tile);
  const Recipe r = with(R"("pad_mode": "tile")");
  CHECK(r.branches[0].pad.tile);
  CHECK(r.branches[0].pad.gap_seconds == Approx(0.1));
  CHECK(with(R"("pad_mode": "tile", "tile_gap_seconds": 0.25)").branches[0].pad.gap_seconds == Approx(0.25));
  CHECK_FALSE(r.branches[0].pad.frames);
  const Recipe rows = with(R"("pad_mode": "tile_frames")");
  CHECK(rows.branches[0].pad.tile);
  CHECK(rows.branches[0].pad.frames);
  CHECK_THROWS_WITH(with(R"("pad_mode": "repeat")"), Catch::Contains("pad_mode 'repeat' (zero, tile, tile_frames)"));
  CHECK_THROWS_WITH(with(R"("tile_gap_seconds": 0.2)"), Catch::Contains("needs pad_mode 'tile'"));
  CHECK_THROWS_WITH(with(R"("pad_mode": "tile", "tile_gap_seconds": -0.1)"), Catch::Contains("[0, 1]"));
}

TEST_CASE("the core's pad Tile is TileToWindow: Run on the clip equals Run with Zero on the tiled clip") {
  // The factory's rule stays the reference; the core tiles by itself
  // (PadMode::kTile), so the feature cache, the engine check and the
  // probe hand it the clip as it is.
  PreprocessParams zero = GateParams();
  PreprocessParams tile = zero;
  tile.pad = PadMode::kTile;
  tile.tile_gap_ms = 100;
  int tiled = 0;
  for (const char* name : {"covid_callcenter_short_cough_8k_stereo.wav", "speech_commands_yes_16k.wav",
                           "covid_telegram_cough_48k.wav", "coswara_cough_16k.wav"}) {
    INFO(name);
    const Audio a = ReadAudio(Fixture(name));
    const Audio t = TileToWindow(a, zero, 0.1);
    tiled += t.frames() != a.frames();
    const auto core = CoreRun(tile, a);
    const auto reference = CoreRun(zero, t);
    CHECK(core.first == reference.first);
    CHECK(std::memcmp(core.second.data(), reference.second.data(), sizeof(float) * core.second.size()) == 0);
  }
  CHECK(tiled == 3);  // all but the 5 s Coswara clip
  // The feature cache hands the core the clip: the same values.
  const std::string dir = std::string(TM2_FACTORY_WORK_DIR) + "/tile-core-cache";
  std::filesystem::remove_all(dir);
  PadConfig pad;
  pad.tile = true;
  FeatureCache cache(zero, dir, pad);
  const std::string path = Fixture("covid_callcenter_short_cough_8k_stereo.wav");
  const Audio a = ReadAudio(path);
  CHECK(cache.Get(path, FeatureCache::ContentHash(path)).values == CoreRun(zero, TileToWindow(a, zero, 0.1)).second);
}

TEST_CASE("a training crop shorter than the window is tiled as the core tiles a clip that short at inference") {
  // augment.crop_seconds_min/max (recipe sound-gate-tile-range): the loud
  // crop of 0.5-2 s is shorter than the 2.064 s window, so the features the
  // model trains on must be the core's pad Tile of the crop (gap 0.1 s),
  // not the crop zero-padded: the same as a clip of that length at inference.
  const PreprocessParams zero = GateParams();
  PreprocessParams tile = zero;
  tile.pad = PadMode::kTile;
  tile.tile_gap_ms = 100;
  const std::string dir = std::string(TM2_FACTORY_WORK_DIR) + "/tile-crop-cache";
  std::filesystem::remove_all(dir);
  PadConfig pad;
  pad.tile = true;
  FeatureCache tiled(zero, dir, pad), padded(zero, dir);
  // 5 s of Coswara cough: it fills the window, so only the crop makes it short.
  const std::string path = Fixture("coswara_cough_16k.wav");
  const uint64_t key = FeatureCache::ContentHash(path);
  const Audio clip = ReadAudio(path);
  REQUIRE(clip.frames() > WindowInputFrames(zero, clip.sample_rate));
  AugmentConfig c;
  c.crop_seconds_min = 0.5;
  c.crop_seconds_max = 2.0;
  const int bins = zero.num_features();
  auto row = [bins](const std::vector<float>& f, int i) {
    return std::vector<float>(f.begin() + i * bins, f.begin() + (i + 1) * bins);
  };
  const std::vector<float> silence = row(CoreFeatures(zero, Audio{{0.0f}, 16000, 1}), 127);
  int views = 0, repeated = 0;
  for (double telephone : {0.0, 1.0}) {  // 16 kHz crops, and 8 kHz telephone-band crops
    c.telephone_probability = telephone;
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      INFO("telephone " << telephone << ", seed " << seed);
      auto view = [&](const Audio& a) {
        std::mt19937_64 rng(seed);
        return AugmentPcm(a, c, NoisePool{}, rng);
      };
      const Audio crop = view(clip);
      CHECK(crop.sample_rate == (telephone > 0 ? 8000u : 16000u));
      REQUIRE(crop.frames() >= static_cast<size_t>(0.5 * crop.sample_rate));
      REQUIRE(crop.frames() < WindowInputFrames(zero, crop.sample_rate));
      const uint64_t variant = Fnv1a64(&seed, sizeof(seed), AugmentHash(c, NoisePool{}));
      const std::vector<float> t = tiled.Get(path, key, view, variant).values;
      // The core's pad Tile of the crop, and the factory's reference rule.
      CHECK(std::memcmp(t.data(), CoreFeatures(tile, crop).data(), sizeof(float) * t.size()) == 0);
      CHECK(t == CoreFeatures(zero, TileToWindow(crop, zero, 0.1)));
      // Not zero-padded: after the crop's own frames the zero-padding
      // recipe's rows are all digital silence; the tiled ones hear the crop
      // again after each 0.1 s gap.
      const std::vector<float> z = padded.Get(path, key, view, variant).values;
      const int kept = KeptFrames(zero, crop.frames(), crop.sample_rate);
      int silent_z = 0, silent_t = 0;
      for (int i = kept; i < 128; ++i) {
        silent_z += row(z, i) == silence;
        silent_t += row(t, i) == silence;
      }
      CHECK(silent_z == 128 - kept);
      if (kept < 96) {  // a quarter of the window or more past the crop
        CHECK(2 * silent_t < silent_z);  // the gaps only (about 6 rows per repeat)
        ++repeated;
      }
      CHECK(t != z);
      ++views;
    }
  }
  CHECK(views == 8);
  CHECK(repeated >= 4);  // most crops leave room for a second repeat
  CHECK(tiled.misses() == 8);
}

TEST_CASE("pad_mode tile sets the model's pad Tile with the gap in whole milliseconds") {
  const auto with = TinyRecipeWith;
  CHECK(TinyRecipeWith("").branches[0].preprocess.pad == PadMode::kZero);
  const Recipe r = with(R"("pad_mode": "tile", "tile_gap_seconds": 0.25)");
  CHECK(r.branches[0].preprocess.pad == PadMode::kTile);
  CHECK(r.branches[0].preprocess.tile_gap_ms == 250);
  CHECK(with(R"("pad_mode": "tile")").branches[0].preprocess.tile_gap_ms == 100);
  // Feature rows stay the factory's: the model file zero-pads.
  CHECK(with(R"("pad_mode": "tile_frames")").branches[0].preprocess.pad == PadMode::kZero);
  CHECK_THROWS_WITH(with(R"("pad_mode": "tile", "tile_gap_seconds": 0.1005)"),
                    Catch::Contains("whole number of milliseconds"));
}
