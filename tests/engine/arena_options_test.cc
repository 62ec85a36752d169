// The arena options that fit a small part (docs/memory.md): input at one
// fixed rate (input_rate) gives the features any rate gives, in less
// scratch, and refuses another rate; features_only plans no preprocessing,
// refuses SetInput and gives SetInput's logits from SetFeatures; the KWS
// features fixture the 32 KB firmware runs on is SetInput's output.
#include <cstring>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "common/wav.h"
#include "engine/engine.h"
#include "kernels/select.h"

namespace {

struct Run {
  std::vector<int8_t> features, logits;
  tm2::ArenaReport report;
};

Run RunModel(const tm2::Model& model, const tm2::PcmView& pcm, const tm2::EngineOptions& options) {
  Run run;
  REQUIRE(tm2::Engine::ArenaBytes(model, &run.report, options).ok());
  std::vector<uint8_t> arena(run.report.total);
  tm2::Engine engine;
  REQUIRE(engine.Init(model, arena.data(), arena.size(), options).ok());
  const tm2::Status s = engine.SetInput(0, pcm);
  INFO(s.message());
  REQUIRE(s.ok());
  REQUIRE(engine.Invoke().ok());
  run.features.assign(engine.features(0), engine.features(0) + engine.input_shape(0).size());
  run.logits.assign(engine.logits(), engine.logits() + engine.num_classes());
  return run;
}

struct Fixture {
  std::vector<uint8_t> bytes;
  tm2::Model model;
  tm2::test::WavData wav;
  tm2::PcmView pcm;
  Fixture() {
    REQUIRE(tm2::test::ReadFileBytes(std::string(TM2_MODELS_DIR) + "/kws-dscnn.tm2", &bytes));
    REQUIRE(tm2::LoadModel(bytes.data(), bytes.size(), &model).ok());
    std::string error;
    REQUIRE(tm2::test::ReadWavFile("audio/speech_commands_yes_16k.wav", &wav, &error));
    pcm = tm2::PcmView::S16(wav.samples.data(), wav.frames(), wav.sample_rate, wav.channels);
  }
};

}  // namespace

TEST_CASE("input_rate at the model rate: same features, no resampler memory, other rates refused") {
  Fixture f;
  tm2::EngineOptions any;
  any.kernels = &tm2::ReferenceKernels();
  any.resampler_cache = false;
  tm2::EngineOptions fixed = any;
  fixed.input_rate = 16000;
  const Run a = RunModel(f.model, f.pcm, any);
  const Run b = RunModel(f.model, f.pcm, fixed);
  CHECK(a.features == b.features);
  CHECK(a.logits == b.logits);
  // The resampler's scratch is gone (its kernel is a constant either way:
  // preprocess/const_tables.h).
  CHECK(b.report.preprocess_tables <= a.report.preprocess_tables);
  CHECK(b.report.preprocess_scratch < a.report.preprocess_scratch);

  std::vector<uint8_t> arena(b.report.total);
  tm2::Engine engine;
  REQUIRE(engine.Init(f.model, arena.data(), arena.size(), fixed).ok());
  const tm2::PcmView other =
      tm2::PcmView::S16(f.wav.samples.data(), f.wav.frames(), 48000, f.wav.channels);
  const tm2::Status s = engine.SetInput(0, other);
  CHECK(s.code() == tm2::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()).find("16000 Hz input only") != std::string::npos);

  tm2::EngineOptions bad = any;
  bad.input_rate = 96000;
  size_t need = 0;
  CHECK_FALSE(tm2::Engine::ArenaBytes(f.model, &need, bad).ok());
}

TEST_CASE("input_rate other than the model's: the bytes of any rate's scratch, in less") {
  // 48 kHz input resampled to the KWS model's 16 kHz, cached and not.
  Fixture f;
  std::vector<int16_t> up(f.wav.samples.size() * 3);
  for (size_t i = 0; i < up.size(); ++i) up[i] = f.wav.samples[i / 3];
  const tm2::PcmView pcm48 = tm2::PcmView::S16(up.data(), up.size(), 48000, 1);
  for (bool cache : {false, true}) {
    tm2::EngineOptions any;
    any.kernels = &tm2::ReferenceKernels();
    any.resampler_cache = cache;
    tm2::EngineOptions fixed = any;
    fixed.input_rate = 48000;
    const Run a = RunModel(f.model, pcm48, any);
    const Run b = RunModel(f.model, pcm48, fixed);
    CHECK(a.features == b.features);
    CHECK(a.logits == b.logits);
  }
}

TEST_CASE("features_only: no preprocessing memory, SetFeatures gives SetInput's logits") {
  Fixture f;
  tm2::EngineOptions whole;
  whole.kernels = &tm2::ReferenceKernels();
  whole.resampler_cache = false;
  tm2::EngineOptions given = whole;
  given.features_only = true;
  const Run a = RunModel(f.model, f.pcm, whole);
  tm2::ArenaReport r;
  REQUIRE(tm2::Engine::ArenaBytes(f.model, &r, given).ok());
  CHECK(r.preprocess_tables == 0);
  CHECK(r.preprocess_scratch == 0);
  CHECK(r.shared == r.activations);
  CHECK(r.total < a.report.total);
  std::vector<uint8_t> arena(r.total);
  tm2::Engine engine;
  REQUIRE(engine.Init(f.model, arena.data(), arena.size(), given).ok());
  const tm2::Status s = engine.SetInput(0, f.pcm);
  CHECK(s.code() == tm2::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()).find("SetFeatures") != std::string::npos);
  REQUIRE(engine.SetFeatures(0, a.features.data(), a.features.size()).ok());
  REQUIRE(engine.Invoke().ok());
  CHECK(std::vector<int8_t>(engine.logits(), engine.logits() + engine.num_classes()) == a.logits);
  // Too short by a byte beyond ArenaBytes' 16 bytes of slack for an
  // unaligned start: Init fails, naming both sizes.
  tm2::Engine small;
  const tm2::Status t = small.Init(f.model, arena.data(), r.total - 17, given);
  CHECK(t.code() == tm2::StatusCode::kArenaTooSmall);
  // The figure it names counts this arena's own alignment padding, which
  // differs by target (a vector is 8-byte aligned on WASM): check the words.
  CHECK(std::string(t.message()).find("too small, the model needs") != std::string::npos);
}

TEST_CASE("the KWS features fixture (the 32 KB firmware's input) is SetInput's output") {
  Fixture f;
  std::vector<uint8_t> fixture;
  REQUIRE(tm2::test::ReadFileBytes(std::string(TM2_FIXTURES_DIR) +
                                       "/features/kws_yes_features.int8", &fixture));
  tm2::EngineOptions options;
  options.resampler_cache = false;
  const Run a = RunModel(f.model, f.pcm, options);
  REQUIRE(fixture.size() == a.features.size());
  CHECK(std::memcmp(fixture.data(), a.features.data(), fixture.size()) == 0);
}
