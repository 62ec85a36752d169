// Engine behaviour: arena planning, errors instead of overflows, no
// allocation during inference, reference == selected kernels on real clips.
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "common/loaded_model.h"
#include "common/wav.h"
#include "engine/engine.h"
#include "format/writer.h"
#include "kernels/select.h"
#include "parity/parity_model.h"

// Counts heap allocations so a test can prove SetInput/Invoke make none.
static std::atomic<long> g_allocations{0};
void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ++g_allocations;
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

struct Fixture : tm2::test::LoadedModel {
  Fixture() : LoadedModel(std::string(TM2_FIXTURES_DIR) + "/models/parity_multibranch.tm2") {}
};

// An engine on an arena of the size its plan gave (Engine::ArenaBytes).
struct Ready {
  std::vector<uint8_t> arena;
  tm2::Engine engine;
  explicit Ready(const tm2::Model& model) {
    tm2::EnginePlan plan;
    REQUIRE(tm2::Engine::ArenaBytes(model, &plan).ok());
    arena.resize(plan.report().total);
    REQUIRE(engine.Init(plan, arena.data(), arena.size()).ok());
  }
};

tm2::test::WavData Clip(const char* name) {
  tm2::test::WavData wav;
  std::string error;
  INFO(name << ": " << error);
  REQUIRE(tm2::test::ReadWavFile(std::string("audio/") + name, &wav, &error));
  return wav;
}

tm2::PcmView View(const tm2::test::WavData& w) {
  return tm2::PcmView::S16(w.samples.data(), w.frames(), w.sample_rate, w.channels);
}

}  // namespace

TEST_CASE("the arena is planned exactly: one byte less is an error, not an overflow") {
  Fixture f;
  size_t need = 0;
  REQUIRE(tm2::Engine::ArenaBytes(f.model, &need).ok());
  REQUIRE(need > 0);
  std::vector<uint8_t> arena(need + 1);
  tm2::Engine engine;
  // Odd start address: the engine aligns inside the arena.
  const tm2::Status ok = engine.Init(f.model, arena.data() + 1, need);
  INFO(ok.message());
  REQUIRE(ok.ok());
  CHECK(engine.arena_used() <= need);

  // The planner's slack covers alignment; take away more than that.
  tm2::Engine small;
  const tm2::Status s = small.Init(f.model, arena.data(), engine.arena_used() - 64);
  CHECK(s.code() == tm2::StatusCode::kArenaTooSmall);
  CHECK(std::string(s.message()).find("too small") != std::string::npos);
  CHECK(small.Invoke().code() == tm2::StatusCode::kNotReady);
}

TEST_CASE("packed weights are planned in the arena for the table that packs them") {
  Fixture f;
  tm2::EngineOptions ref;
  ref.kernels = &tm2::ReferenceKernels();
  size_t need_ref = 0, need_sel = 0;
  REQUIRE(tm2::Engine::ArenaBytes(f.model, &need_ref, ref).ok());
  REQUIRE(tm2::Engine::ArenaBytes(f.model, &need_sel).ok());
  INFO(tm2::SelectKernels().name << ": " << need_sel << " bytes, reference " << need_ref);
  if (tm2::SelectKernels().conv2d_packed_bytes) {
    CHECK(need_sel > need_ref);
    // Sized for the reference, the arena cannot hold the packed weights.
    std::vector<uint8_t> arena(need_ref);
    tm2::Engine engine;
    CHECK(engine.Init(f.model, arena.data(), arena.size()).code() ==
          tm2::StatusCode::kArenaTooSmall);
  } else {
    CHECK(need_sel == need_ref);
  }
}

TEST_CASE("calls out of order and bad inputs give errors") {
  Fixture f;
  Ready ready(f.model);
  tm2::Engine& engine = ready.engine;
  const tm2::Status no_input = engine.Invoke();
  CHECK(no_input.code() == tm2::StatusCode::kNotReady);
  CHECK(std::string(no_input.message()).find("cough") != std::string::npos);

  const auto wav = Clip("coswara_cough_16k.wav");
  CHECK(engine.SetInput(3, View(wav)).code() == tm2::StatusCode::kInvalidArgument);
  CHECK(engine.SetInput(-1, View(wav)).code() == tm2::StatusCode::kInvalidArgument);
  CHECK(!engine.SetInput(0, tm2::PcmView::S16(wav.samples.data(), 0, 16000, 1)).ok());
  CHECK(!engine.SetInput(0, tm2::PcmView::S16(wav.samples.data(), wav.frames(), 96000, 1)).ok());
  std::vector<int8_t> features(10);
  const tm2::Status wrong = engine.SetFeatures(0, features.data(), features.size());
  CHECK(wrong.code() == tm2::StatusCode::kInvalidArgument);
  CHECK(std::string(wrong.message()).find("64 frames") != std::string::npos);
}

TEST_CASE("inference on real clips allocates nothing and gives probabilities") {
  Fixture f;
  Ready ready(f.model);
  tm2::Engine& engine = ready.engine;
  const auto cough = Clip("coswara_cough_16k.wav");
  const auto speech = Clip("coswara_counting_16k.wav");
  const auto breath = Clip("covid_callcenter_cough_8k_stereo.wav");

  const long before = g_allocations.load();
  REQUIRE(engine.SetInput(0, View(cough)).ok());
  REQUIRE(engine.SetInput(1, View(speech)).ok());
  REQUIRE(engine.SetInput(2, View(breath)).ok());
  REQUIRE(engine.Invoke().ok());
  CHECK(g_allocations.load() == before);

  float sum = 0;
  for (int i = 0; i < engine.num_classes(); ++i) {
    const float p = engine.probabilities()[i];
    CHECK(std::isfinite(p));
    CHECK(p >= 0.0f);
    sum += p;
  }
  CHECK(sum == Approx(1.0f).epsilon(1e-5));
}

TEST_CASE("reference and selected kernels agree inside the engine") {
  Fixture f;
  size_t need = 0;
  REQUIRE(tm2::Engine::ArenaBytes(f.model, &need).ok());
  std::vector<uint8_t> arena_a(need), arena_b(need);
  tm2::EngineOptions ref;
  ref.kernels = &tm2::ReferenceKernels();
  tm2::Engine a, b;
  REQUIRE(a.Init(f.model, arena_a.data(), need, ref).ok());
  REQUIRE(b.Init(f.model, arena_b.data(), need).ok());
  const char* clips[3] = {"covid_telegram_cough_48k.wav", "coswara_counting_16k.wav",
                          "coswara_breathing_16k.wav"};
  for (int i = 0; i < 3; ++i) {
    const auto wav = Clip(clips[i]);
    REQUIRE(a.SetInput(i, View(wav)).ok());
    REQUIRE(b.SetInput(i, View(wav)).ok());
  }
  REQUIRE(a.Invoke().ok());
  REQUIRE(b.Invoke().ok());
  for (int i = 0; i < a.num_classes(); ++i) CHECK(a.logits()[i] == b.logits()[i]);
}

TEST_CASE("a single-branch model without fusion runs and SetFeatures feeds it directly") {
  tm2::ModelSpec spec = tm2::test::MakeParityModelSpec();
  spec.branches.resize(1);  // cough only: 24 outputs after global pooling
  spec.fusion = tm2::FusionSpec();
  tm2::LayerSpec fc;
  fc.kind = tm2::LayerKind::kFullyConnected;
  fc.out_channels = 2;
  fc.weights.assign(2 * 24, 3);
  fc.weights[5] = -7;
  fc.bias = {10, -10};
  fc.multiplier = {1 << 30, 1 << 30};
  fc.shift = {-4, -4};
  fc.weight_scales = {0.01f, 0.01f};
  fc.output_scale = 0.1f;
  tm2::LayerSpec softmax;
  softmax.kind = tm2::LayerKind::kSoftmax;
  spec.head = {fc, softmax};
  spec.labels = {"no", "yes"};
  std::vector<uint8_t> bytes;
  tm2::Status s = tm2::WriteModel(spec, &bytes);
  INFO(s.message());
  REQUIRE(s.ok());
  tm2::Model model;
  REQUIRE(tm2::LoadModel(bytes.data(), bytes.size(), &model).ok());
  size_t need = 0;
  REQUIRE(tm2::Engine::ArenaBytes(model, &need).ok());
  std::vector<uint8_t> arena(need);
  tm2::Engine engine;
  REQUIRE(engine.Init(model, arena.data(), need).ok());
  std::vector<int8_t> features(engine.input_shape(0).size(), 5);
  REQUIRE(engine.SetFeatures(0, features.data(), features.size()).ok());
  CHECK(engine.float_features(0) == nullptr);
  REQUIRE(engine.Invoke().ok());
  CHECK(engine.probabilities()[0] + engine.probabilities()[1] == Approx(1.0f));
}

TEST_CASE("without the resampler cache the arena shrinks and the features are identical") {
  Fixture f;
  tm2::EngineOptions cached, uncached;
  cached.keep_float_features = uncached.keep_float_features = true;
  uncached.resampler_cache = false;
  size_t need_cached = 0, need_uncached = 0;
  REQUIRE(tm2::Engine::ArenaBytes(f.model, &need_cached, cached).ok());
  REQUIRE(tm2::Engine::ArenaBytes(f.model, &need_uncached, uncached).ok());
  CHECK(need_uncached + 3 * 50000 < need_cached);  // three branches' caches
  std::vector<uint8_t> arena_a(need_cached), arena_b(need_uncached);
  tm2::Engine a, b;
  REQUIRE(a.Init(f.model, arena_a.data(), arena_a.size(), cached).ok());
  REQUIRE(b.Init(f.model, arena_b.data(), arena_b.size(), uncached).ok());
  // 48 kHz and 8 kHz stereo inputs: both paths resample.
  const char* clips[3] = {"covid_telegram_cough_48k.wav", "coswara_counting_16k.wav",
                          "covid_callcenter_cough_8k_stereo.wav"};
  for (int i = 0; i < 3; ++i) {
    const auto wav = Clip(clips[i]);
    REQUIRE(a.SetInput(i, View(wav)).ok());
    REQUIRE(b.SetInput(i, View(wav)).ok());
    const size_t n = a.input_shape(i).size();
    CHECK(std::memcmp(a.float_features(i), b.float_features(i), n * sizeof(float)) == 0);
  }
}
