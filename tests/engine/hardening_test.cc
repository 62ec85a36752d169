// Regression tests for hostile or unusual models that the verifier accepted
// and the engine then mishandled (issue 15, "Hardening"). Each model is
// built with the project's writer, edited through the test view of the
// schema where the writer refuses the shape of the defect.
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "catch2/catch.hpp"
#include "engine/engine.h"
#include "file_edit.h"
#include "format/tm2_generated.h"  // to corrupt bytes after loading
#include "format/writer.h"
#include "kernels/select.h"
#include "sample_model.h"

namespace {

tm2::LayerSpec Weighted(tm2::LayerKind kind, int out_channels, int weights, int channels,
                        float output_scale) {
  tm2::LayerSpec l;
  l.kind = kind;
  l.out_channels = kind == tm2::LayerKind::kDepthwiseConv2D ? 0 : out_channels;
  for (int i = 0; i < weights; ++i) l.weights.push_back(static_cast<int8_t>((i * 37) % 23 - 11));
  for (int c = 0; c < channels; ++c) {
    l.bias.push_back(100 * c - 50);
    l.multiplier.push_back(0x40000000 + 0x1000 * c);
    l.shift.push_back(-3);
  }
  l.output_scale = output_scale;
  return l;
}

tm2::LayerSpec Softmax() {
  tm2::LayerSpec l;
  l.kind = tm2::LayerKind::kSoftmax;
  return l;
}

// One branch whose input (1 frame x 32 mel bins = 1x32x1) goes straight to
// the head: `head_first` runs on it, then an FC to 2 logits and Softmax.
tm2::ModelSpec OneBranchIntoHead(const tm2::LayerSpec& head_first, int fc_inputs) {
  tm2::ModelSpec spec;
  spec.name = "one-branch";
  spec.labels = {"no", "yes"};
  tm2::BranchSpec b;
  b.name = b.modality = "audio";
  b.preprocess = tm2::test::SamplePreprocess(1, 32);
  spec.branches.push_back(b);
  spec.head = {head_first,
               Weighted(tm2::LayerKind::kFullyConnected, 2, 2 * fc_inputs, 2, 0.25f), Softmax()};
  return spec;
}

// The same file with a well-formed fusion table added: one multiplier and
// shift for the one branch. FORMAT.md 4.3: with one branch it is not used.
std::vector<uint8_t> WithFusionTable(const std::vector<uint8_t>& file) {
  return tm2::test::Edit(file, [](tm2::fbt::ModelT& m) {
    m.fusion = std::make_unique<tm2::fbt::FusionT>();
    m.fusion->multiplier = {0x7FFFFFFF};
    m.fusion->shift = {-6};
    m.fusion->output_zero_point = 9;
    m.fusion->output_scale = 0.5f;
  });
}

struct Loaded {
  std::vector<uint32_t> storage;
  tm2::Model model;
};

// Loads, plans, feeds `features` and invokes with the reference kernels;
// returns the probabilities (empty when a step fails, with the step's
// message in `error`).
std::vector<float> Run(const std::vector<uint8_t>& file, const std::vector<int8_t>& features,
                       std::string* error) {
  Loaded l;
  tm2::Status s = tm2::test::LoadCopy(file, &l.storage, &l.model);
  size_t need = 0;
  if (s.ok()) s = tm2::Engine::ArenaBytes(l.model, &need);
  std::vector<uint8_t> arena(need);
  tm2::Engine engine;
  tm2::EngineOptions options;
  options.kernels = &tm2::ReferenceKernels();
  if (s.ok()) s = engine.Init(l.model, arena.data(), arena.size(), options);
  if (s.ok()) s = engine.SetFeatures(0, features.data(), features.size());
  if (s.ok()) s = engine.Invoke();
  if (!s.ok()) {
    *error = s.message();
    return {};
  }
  return std::vector<float>(engine.probabilities(), engine.probabilities() + engine.num_classes());
}

std::vector<int8_t> Ramp(size_t n) {
  std::vector<int8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<int8_t>(static_cast<int>(i * 7 % 200) - 100);
  return v;
}

}  // namespace

// Issue 15, finding 1: the verifier took the head input of a one-branch
// model to be the branch output (1x32x1), the engine took it to be 1x1x32
// whenever a fusion table was present, and read 32 weights, multipliers
// and shifts where the file holds one (ASan: heap-buffer-overflow).
TEST_CASE("one branch with a fusion table: the engine reads the head input as the verifier does",
          "[engine][hardening]") {
  const tm2::LayerKind kinds[2] = {tm2::LayerKind::kDepthwiseConv2D,
                                   tm2::LayerKind::kPointwiseConv2D};
  for (tm2::LayerKind kind : kinds) {
    // On 1x32x1 both are 1x1 layers on one channel: one weight, one
    // multiplier and shift; the output stays 1x32x1, so the FC takes 32.
    const tm2::LayerSpec first = Weighted(kind, 1, 1, 1, 0.5f);
    std::vector<uint8_t> plain;
    const tm2::Status w = tm2::WriteModel(OneBranchIntoHead(first, 32), &plain);
    INFO(w.message());
    REQUIRE(w.ok());
    const std::vector<uint8_t> fused = WithFusionTable(plain);
    REQUIRE(tm2::test::LoadCopy(fused).ok());

    const std::vector<int8_t> features = Ramp(32);
    std::string error_plain, error_fused;
    const std::vector<float> want = Run(plain, features, &error_plain);
    const std::vector<float> got = Run(fused, features, &error_fused);
    INFO("kind " << static_cast<int>(kind) << ": " << error_plain << " / " << error_fused);
    REQUIRE(want.size() == 2);
    REQUIRE(got.size() == 2);
    CHECK(std::memcmp(want.data(), got.data(), sizeof(float) * 2) == 0);
  }
}

// Finding 4: a subnormal temperature passed "> 0" and scale / T became inf
// in the softmax, so Invoke returned OK with NaN probabilities.
TEST_CASE("a temperature outside the documented bound is rejected at load",
          "[engine][hardening]") {
  for (float t : {1e-40f, 1e-20f, 1e-3f, 1e20f}) {
    tm2::ModelSpec spec = OneBranchIntoHead(Weighted(tm2::LayerKind::kPointwiseConv2D, 1, 1, 1,
                                                     0.5f), 32);
    spec.temperature = t;
    std::vector<uint8_t> file;
    const tm2::Status s = tm2::WriteModel(spec, &file);
    INFO("temperature " << t << ": " << s.message());
    CHECK(s.code() == tm2::StatusCode::kBadModel);
    CHECK(std::string(s.message()).find("temperature") != std::string::npos);
  }
  // Inside the bound, with the largest logit spread: finite probabilities.
  tm2::ModelSpec spec =
      OneBranchIntoHead(Weighted(tm2::LayerKind::kPointwiseConv2D, 1, 1, 1, 0.5f), 32);
  spec.temperature = 0.01f;
  spec.head[1].output_scale = 1e30f;
  std::vector<uint8_t> file;
  const tm2::Status s = tm2::WriteModel(spec, &file);
  INFO(s.message());
  if (s.ok()) {
    std::string error;
    const std::vector<float> p = Run(file, Ramp(32), &error);
    INFO(error);
    REQUIRE(p.size() == 2);
    CHECK(std::isfinite(p[0]));
    CHECK(std::isfinite(p[1]));
  } else {
    // Or the verifier refuses a logit scale whose scale / T is not finite.
    CHECK(std::string(s.message()).find("scale") != std::string::npos);
  }
}

// Finding 5: with one branch ending in FC and a head of only Softmax, the
// engine used a logit scale of 1.0 instead of the FC's output_scale.
TEST_CASE("one branch ending in FC: its output scale reaches the softmax", "[engine][hardening]") {
  tm2::ModelSpec spec;
  spec.name = "fc-in-branch";
  spec.labels = {"no", "yes"};
  spec.temperature = 1.0f;
  tm2::BranchSpec b;
  b.name = b.modality = "audio";
  b.preprocess = tm2::test::SamplePreprocess(1, 32);
  b.layers.push_back(Weighted(tm2::LayerKind::kFullyConnected, 2, 64, 2, 0.0625f));
  spec.branches.push_back(b);
  spec.head = {Softmax()};
  std::vector<uint8_t> file;
  const tm2::Status w = tm2::WriteModel(spec, &file);
  INFO(w.message());
  REQUIRE(w.ok());

  Loaded l;
  REQUIRE(tm2::test::LoadCopy(file, &l.storage, &l.model).ok());
  size_t need = 0;
  REQUIRE(tm2::Engine::ArenaBytes(l.model, &need).ok());
  std::vector<uint8_t> arena(need);
  tm2::Engine engine;
  REQUIRE(engine.Init(l.model, arena.data(), arena.size()).ok());
  const std::vector<int8_t> features = Ramp(32);
  REQUIRE(engine.SetFeatures(0, features.data(), features.size()).ok());
  REQUIRE(engine.Invoke().ok());
  CHECK(engine.logit_scale() == 0.0625f);
  float want[2];
  tm2::SoftmaxLogits(engine.logits(), 2, 0.0625f, engine.logit_zero_point(), 1.0f, want);
  CHECK(std::memcmp(want, engine.probabilities(), sizeof(want)) == 0);
}

// Finding 6: a few KB of file described hours of pooling and passed every
// check: MaxPool 255x255 layers on a 4096x2049 input (63 here, plus the
// global pool that takes the branch to the head, within 64 layers).
TEST_CASE("the verifier bounds a model's compute: hours of pooling are rejected",
          "[engine][hardening]") {
  tm2::ModelSpec spec;
  spec.name = "pool-bomb";
  spec.labels = {"no", "yes"};
  tm2::BranchSpec b;
  b.name = b.modality = "audio";
  b.preprocess = tm2::test::SamplePreprocess(4096, 2049);
  b.preprocess.fft_size = 4096;
  b.preprocess.frame_length = 4096;
  b.preprocess.mel_high_hz = 0.0f;
  for (int i = 0; i < 63; ++i) {
    tm2::LayerSpec pool;
    pool.kind = tm2::LayerKind::kMaxPool2D;
    pool.kernel_h = pool.kernel_w = 255;
    pool.same_padding = true;
    b.layers.push_back(pool);
  }
  tm2::LayerSpec gap;
  gap.kind = tm2::LayerKind::kGlobalAvgPool;
  b.layers.push_back(gap);
  spec.branches.push_back(b);
  spec.head = {Weighted(tm2::LayerKind::kFullyConnected, 2, 2, 2, 0.25f), Softmax()};
  std::vector<uint8_t> file;
  const tm2::Status s = tm2::WriteModel(spec, &file);
  INFO(s.message());
  CHECK(s.code() == tm2::StatusCode::kBadModel);
  const std::string m = s.message();
  CHECK(m.find("branch 0 'audio' layer 0 (MaxPool2D)") != std::string::npos);
  CHECK(m.find("budget") != std::string::npos);
}

// Finding 6, preprocessing: an hour of 48 kHz input scanned for the
// loudest window with a one-sample frame step is a declared cost too.
TEST_CASE("the verifier bounds the preprocessing a model declares", "[engine][hardening]") {
  tm2::ModelSpec spec = OneBranchIntoHead(Weighted(tm2::LayerKind::kPointwiseConv2D, 1, 1, 1,
                                                   0.5f), 32);
  tm2::PreprocessParams& p = spec.branches[0].preprocess;
  p.sample_rate = 48000;
  p.max_seconds = 3600.0f;
  p.crop = tm2::CropPolicy::kLoudest;
  p.frame_step = 1;
  p.fft_size = 4096;
  p.frame_length = 4096;
  p.mel_high_hz = 0.0f;
  std::vector<uint8_t> file;
  const tm2::Status s = tm2::WriteModel(spec, &file);
  INFO(s.message());
  CHECK(s.code() == tm2::StatusCode::kBadModel);
  const std::string m = s.message();
  CHECK(m.find("branch 0 'audio' preprocess") != std::string::npos);
  CHECK(m.find("budget") != std::string::npos);
}

// Finding 8: a copy of an Engine shared its arena with the original. It
// may move: the plan goes with it and the source stops running.
TEST_CASE("an Engine cannot be copied, and a moved-from Engine is not ready",
          "[engine][hardening]") {
  CHECK_FALSE(std::is_copy_constructible<tm2::Engine>::value);
  CHECK_FALSE(std::is_copy_assignable<tm2::Engine>::value);
  CHECK(std::is_nothrow_move_constructible<tm2::Engine>::value);
  CHECK(std::is_nothrow_move_assignable<tm2::Engine>::value);

  std::vector<uint8_t> file;
  REQUIRE(tm2::WriteModel(tm2::test::SmallSpec(), &file).ok());
  Loaded l;
  REQUIRE(tm2::test::LoadCopy(file, &l.storage, &l.model).ok());
  size_t need = 0;
  REQUIRE(tm2::Engine::ArenaBytes(l.model, &need).ok());
  std::vector<uint8_t> arena(need);
  tm2::Engine a;
  REQUIRE(a.Init(l.model, arena.data(), arena.size()).ok());
  const std::vector<int8_t> features = Ramp(a.input_shape(0).size());
  tm2::Engine b(std::move(a));
  CHECK(a.SetFeatures(0, features.data(), features.size()).code() ==
        tm2::StatusCode::kNotReady);
  REQUIRE(b.SetFeatures(0, features.data(), features.size()).ok());
  tm2::Engine c;
  c = std::move(b);
  CHECK(b.Invoke().code() == tm2::StatusCode::kNotReady);
  REQUIRE(c.Invoke().ok());
  CHECK(c.probabilities()[0] + c.probabilities()[1] == Approx(1.0f));
}

// The engine does not take the loader's word: bytes that change after
// LoadModel (a buffer reused, flash rewritten) are caught again at Init with
// a Status, instead of shifting by 40 or reading past a vector in Invoke.
TEST_CASE("Init re-checks lengths and shifts in the model's bytes", "[engine][hardening]") {
  std::vector<uint8_t> file;
  REQUIRE(tm2::WriteModel(tm2::test::SmallSpec(), &file).ok());
  struct Case {
    const char* what;
    const char* message;
  };
  for (const Case& c : {Case{"shift", "shift"}, Case{"weights length", "weight bytes"}}) {
    Loaded l;
    REQUIRE(tm2::test::LoadCopy(file, &l.storage, &l.model).ok());
    const tm2::fb::Layer& fc = *l.model.root()->head()->Get(0);
    if (std::string(c.what) == "shift") {
      *const_cast<int8_t*>(fc.shift()->data()) = -40;  // n = 71
    } else {
      // The vector's length prefix sits just before its first byte.
      uint32_t* length = reinterpret_cast<uint32_t*>(const_cast<uint8_t*>(fc.weights()->data()) - 4);
      *length -= 1;
    }
    size_t need = 0;
    const tm2::Status sized = tm2::Engine::ArenaBytes(l.model, &need);
    std::vector<uint8_t> arena(1 << 16);
    tm2::Engine engine;
    const tm2::Status s = engine.Init(l.model, arena.data(), arena.size());
    INFO(c.what << ": " << s.message());
    CHECK(!sized.ok());
    CHECK(s.code() == tm2::StatusCode::kBadModel);
    CHECK(std::string(s.message()).find("head layer 0 (FullyConnected)") != std::string::npos);
    CHECK(std::string(s.message()).find(c.message) != std::string::npos);
    CHECK(engine.Invoke().code() == tm2::StatusCode::kNotReady);
  }
}

// Found by fuzz_engine: a present but empty bias vector passes the loader
// (length 0 = absent = zeros), and the engine handed its pointer to the
// kernels, which read out_c biases past it (here the stale values that the
// vector held before its length was zeroed).
TEST_CASE("an empty bias vector means zeros, as an absent one does", "[engine][hardening]") {
  // The head FC at a real multiplier of 0.5, so a bias of +-40 moves the
  // logits by +-20.
  tm2::ModelSpec spec = tm2::test::SmallSpec();
  spec.head[0].multiplier = {1 << 30, 1 << 30};
  spec.head[0].shift = {0, 0};
  spec.head[0].bias = {40, -40};
  spec.head[0].weights = {1, 0, 0, 0, 0, 1};  // small logits: no clamping
  std::vector<uint8_t> with_bias;
  REQUIRE(tm2::WriteModel(spec, &with_bias).ok());
  tm2::ModelSpec no_bias_spec = spec;
  no_bias_spec.head[0].bias.clear();
  std::vector<uint8_t> no_bias;
  REQUIRE(tm2::WriteModel(no_bias_spec, &no_bias).ok());

  // The same file as with_bias, the head FC's bias length set to 0.
  std::vector<uint8_t> empty_bias = with_bias;
  {
    Loaded l;
    REQUIRE(tm2::test::LoadCopy(with_bias, &l.storage, &l.model).ok());
    const tm2::fb::Layer& fc = *l.model.root()->head()->Get(0);
    REQUIRE(fc.bias() != nullptr);
    REQUIRE(fc.bias()->size() == 2);
    const uint8_t* base = reinterpret_cast<const uint8_t*>(l.storage.data());
    const size_t length_at = static_cast<size_t>(
        reinterpret_cast<const uint8_t*>(fc.bias()->data()) - base) - 4;
    tm2::test::PutU32(&empty_bias, length_at, 0);
    tm2::test::FixHeader(&empty_bias);
  }
  REQUIRE(tm2::test::LoadCopy(empty_bias).ok());

  const std::vector<int8_t> features = Ramp(6 * 8);
  std::string e1, e2, e3;
  const std::vector<float> want = Run(no_bias, features, &e1);
  const std::vector<float> got = Run(empty_bias, features, &e2);
  const std::vector<float> biased = Run(with_bias, features, &e3);
  INFO(e1 << " / " << e2 << " / " << e3);
  INFO((want.empty() ? 0 : want[0]) << " " << (biased.empty() ? 0 : biased[0]));
  REQUIRE(want.size() == 2);
  REQUIRE(got.size() == 2);
  REQUIRE(biased.size() == 2);
  CHECK(std::memcmp(want.data(), biased.data(), sizeof(float) * 2) != 0);  // the bias matters
  CHECK(std::memcmp(want.data(), got.data(), sizeof(float) * 2) == 0);
}
