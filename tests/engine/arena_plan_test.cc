// The arena plan: the greedy offset planner never gives two buffers that
// live at the same time the same bytes, the engine's activation figure is
// that plan over lifetimes derived here independently, the arena's parts
// are pinned for the shipped models (so a regression shows), and time
// sharing changes no result (logits survive a later SetInput).
#include <cstring>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "common/loaded_model.h"
#include "common/wav.h"
#include "engine/engine.h"
#include "engine/memory_plan.h"
#include "kernels/select.h"

using tm2::engine_internal::BytesOverlap;
using tm2::engine_internal::LifetimesOverlap;
using tm2::engine_internal::PlanBuffers;
using tm2::engine_internal::PlannedBuffer;

namespace {

// Every pair live together is disjoint, every offset aligned, and the
// region is the highest end; returns the region size.
size_t CheckPlan(const std::vector<PlannedBuffer>& b, size_t peak) {
  size_t highest = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    INFO("buffer " << i << ": " << b[i].size << " bytes, steps " << b[i].first << ".."
                   << b[i].last << ", offset " << b[i].offset);
    CHECK(b[i].offset % 16 == 0);
    if (b[i].offset + b[i].size > highest) highest = b[i].offset + b[i].size;
    for (size_t j = i + 1; j < b.size(); ++j) {
      INFO("and buffer " << j << ": " << b[j].size << " bytes, steps " << b[j].first << ".."
                         << b[j].last << ", offset " << b[j].offset);
      if (LifetimesOverlap(b[i], b[j])) CHECK_FALSE(BytesOverlap(b[i], b[j]));
    }
  }
  CHECK(peak == highest);
  return highest;
}

// Bytes live at the busiest step: no plan can be smaller.
size_t LiveBound(const std::vector<PlannedBuffer>& b) {
  size_t bound = 0;
  for (int step = 0; step < 1024; ++step) {
    size_t live = 0;
    for (const PlannedBuffer& x : b)
      if (x.first <= step && step <= x.last) live += x.size;
    if (live > bound) bound = live;
  }
  return bound;
}

// The engine's lifetimes, derived from the model walk as docs/memory.md
// states them: layer outputs live one step, each branch's last output into
// its fusion step, the fusion vector from branch 0's fusion step to the
// head's first layer, the logits not at all (they outlive Invoke).
class Lifetimes final : public tm2::ModelVisitor {
 public:
  tm2::Status BeginStack(int branch, const tm2::TensorInfo&, int) override {
    head_ = branch < 0;
    return tm2::Status::Ok();
  }
  tm2::Status Layer(const tm2::LayerView& v) override {
    if (v.kind == tm2::LayerKind::kSoftmax) return tm2::Status::Ok();
    if (head_ && v.index == 0) fusion.last = step_;
    buffers.push_back({static_cast<uint32_t>(v.out.size()), step_,
                       static_cast<uint16_t>(step_ + 1), 0});
    ++step_;
    return tm2::Status::Ok();
  }
  tm2::Status EndStack(int branch, const tm2::TensorInfo& out) override {
    if (branch < 0) {
      buffers.pop_back();  // the logits
      buffers.insert(buffers.begin(), fusion);  // first, as the engine records it
      return tm2::Status::Ok();
    }
    if (branch == 0) fusion.first = step_;
    fusion.size += static_cast<uint32_t>(out.shape.size());
    ++step_;
    return tm2::Status::Ok();
  }
  std::vector<PlannedBuffer> buffers;
  PlannedBuffer fusion{0, 0, 0, 0};

 private:
  bool head_ = false;
  uint16_t step_ = 0;
};

using Loaded = tm2::test::LoadedModel;

const char* const kModels[] = {"models/covid-cough", "models/sound-gate", "models/kws-dscnn",
                               "fixtures/parity_multibranch"};

std::string ModelPath(const std::string& name) {
  if (name.rfind("models/", 0) == 0) return std::string(TM2_MODELS_DIR) + name.substr(6) + ".tm2";
  return std::string(TM2_FIXTURES_DIR) + "/models" + name.substr(8) + ".tm2";
}

}  // namespace

TEST_CASE("greedy planner: a chain shares two buffers, largest first") {
  // 100 -> 60 -> 100 -> 60, each consumed by the next step: the two
  // 100-byte buffers share offset 0, the 60-byte ones sit above them.
  std::vector<PlannedBuffer> b = {{100, 0, 1, 0}, {60, 1, 2, 0}, {100, 2, 3, 0}, {60, 3, 4, 0}};
  const size_t peak = PlanBuffers(b.data(), static_cast<int>(b.size()), 16);
  CHECK(CheckPlan(b, peak) == 172);  // 100 rounded to 112, + 60
  CHECK(b[0].offset == 0);
  CHECK(b[2].offset == 0);
  CHECK(b[1].offset == 112);
  CHECK(b[3].offset == 112);
}

TEST_CASE("greedy planner: random lifetimes never overlap live buffers") {
  uint32_t seed = 12345;
  auto next = [&seed](uint32_t n) {
    seed = seed * 1664525u + 1013904223u;
    return (seed >> 8) % n;
  };
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<PlannedBuffer> b(1 + next(40));
    for (PlannedBuffer& x : b) {
      x.size = 1 + next(5000);
      x.first = static_cast<uint16_t>(next(30));
      x.last = static_cast<uint16_t>(x.first + next(6));
    }
    INFO("trial " << trial);
    const size_t peak = PlanBuffers(b.data(), static_cast<int>(b.size()), 16);
    CHECK(CheckPlan(b, peak) >= LiveBound(b));
  }
}

TEST_CASE("the engine plans activations over the lifetimes of every branch and the head") {
  for (const char* name : kModels) {
    Loaded m(ModelPath(name));
    Lifetimes lifetimes;
    REQUIRE(tm2::WalkModel(m.model, &lifetimes).ok());
    std::vector<PlannedBuffer> b = lifetimes.buffers;
    const size_t peak = PlanBuffers(b.data(), static_cast<int>(b.size()), 16);
    tm2::ArenaReport report;
    tm2::EngineOptions whole;  // one buffer per layer output (band_test covers bands)
    whole.in_place = false;
    REQUIRE(tm2::Engine::ArenaBytes(m.model, &report, whole).ok());
    INFO(name << ": " << b.size() << " buffers, live bound " << LiveBound(b));
    CHECK(CheckPlan(b, peak) == report.activations);
    // A chain of layers: the plan is the busiest step, up to alignment.
    CHECK(report.activations <= LiveBound(b) + 16 * b.size());
    CHECK(report.shared == std::max(report.activations, report.preprocess_scratch));
    CHECK(report.total == report.preprocess_tables + report.resampler_cache + report.features +
                              report.layer_plans + report.packed_weights + report.channel_params + report.outputs +
                              report.shared + report.alignment);
    CHECK(report.alignment < 16 * 64);
  }
}

// Pinned with the reference table (packs nothing, like the Cortex-M4's):
// {tables 64-bit, cache, features, outputs, scratch, activations, total
// 64-bit, total 32-bit, tables 32-bit}. Layer plans and the preprocessor's
// own struct hold pointers, hence two figures for them. Update with docs/memory.md.
// Since 2026-12-03 the FFT twiddles and bit reversal (up to 1024 points) and
// the resampler kernel are constants (preprocess/const_tables.h), not arena;
// and the mel weights take only the bins inside the band (KWS: 4 of 8 kHz).
// Since 2026-12-04 the Loudest crop's search mixes into no buffer: its 1 KB
// chunk is a 40-byte ring (scratch -976 bytes; totals unchanged, the
// activations are larger).
TEST_CASE("the shipped models' arena, part by part") {
  struct Pin {
    const char* name;
    bool cache;
    size_t tables64, cache_bytes, features, outputs, scratch, activations, total64, total32,
        tables32;
  };
  const Pin pins[] = {
      {"models/covid-cough", true, 2863, 122880, 3072, 10, 7263, 12576, 143552, 142944, 2719},
      {"models/covid-cough", false, 2863, 0, 3072, 10, 7263, 12576, 20672, 20064, 2719},
      {"models/sound-gate", true, 5247, 61440, 5120, 20, 9119, 20848, 94464, 93920, 5103},
      {"models/sound-gate", false, 5247, 0, 5120, 20, 9119, 20848, 33024, 32480, 5103},
      {"models/kws-dscnn", true, 7039, 61440, 490, 60, 12535, 10624, 83703, 83079, 6895},
      {"models/kws-dscnn", false, 7039, 0, 490, 60, 12535, 10624, 22263, 21639, 6895},
      {"fixtures/parity_multibranch", true, 14525, 245760, 8590, 15, 8799, 33048, 305672, 304424,
       14093},
      {"fixtures/parity_multibranch", false, 14525, 0, 8590, 15, 8799, 33048, 59912, 58664,
       14093},
  };
  for (const Pin& pin : pins) {
    Loaded m(ModelPath(pin.name));
    tm2::EngineOptions options;
    options.kernels = &tm2::ReferenceKernels();
    options.resampler_cache = pin.cache;
    tm2::ArenaReport r;
    REQUIRE(tm2::Engine::ArenaBytes(m.model, &r, options).ok());
    INFO(pin.name << (pin.cache ? "" : " without cache") << ": {" << r.preprocess_tables << ", "
                  << r.resampler_cache << ", " << r.features << ", " << r.outputs << ", "
                  << r.preprocess_scratch << ", " << r.activations << ", " << r.total << "}");
    CHECK(r.preprocess_tables == (sizeof(void*) == 8 ? pin.tables64 : pin.tables32));
    CHECK(r.resampler_cache == pin.cache_bytes);
    CHECK(r.features == pin.features);
    CHECK(r.outputs == pin.outputs);
    CHECK(r.preprocess_scratch == pin.scratch);
    CHECK(r.activations == pin.activations);
    CHECK(r.packed_weights == 0);
    CHECK(r.total == (sizeof(void*) == 8 ? pin.total64 : pin.total32));
  }
}

TEST_CASE("SetInput after Invoke reuses the activations' memory, not the results'") {
  Loaded m(ModelPath("fixtures/parity_multibranch"));
  tm2::test::WavData a, b;
  std::string error;
  REQUIRE(tm2::test::ReadWavFile("audio/coswara_cough_16k.wav", &a, &error));
  REQUIRE(tm2::test::ReadWavFile("audio/covid_telegram_cough_48k.wav", &b, &error));
  const tm2::PcmView pa =
      tm2::PcmView::S16(a.samples.data(), a.frames(), a.sample_rate, a.channels);
  const tm2::PcmView pb =
      tm2::PcmView::S16(b.samples.data(), b.frames(), b.sample_rate, b.channels);
  size_t need = 0;
  REQUIRE(tm2::Engine::ArenaBytes(m.model, &need).ok());
  std::vector<uint8_t> arena1(need), arena2(need);
  tm2::Engine engine, fresh;
  REQUIRE(engine.Init(m.model, arena1.data(), need).ok());
  REQUIRE(fresh.Init(m.model, arena2.data(), need).ok());
  for (int i = 0; i < engine.num_branches(); ++i) REQUIRE(engine.SetInput(i, pa).ok());
  REQUIRE(engine.Invoke().ok());
  const int n = engine.num_classes();
  const std::vector<int8_t> logits(engine.logits(), engine.logits() + n);
  const std::vector<float> probs(engine.probabilities(), engine.probabilities() + n);
  // The preprocessing scratch overwrites the activations; the results stay.
  REQUIRE(engine.SetInput(0, pb).ok());
  CHECK(std::memcmp(engine.logits(), logits.data(), n) == 0);
  CHECK(std::memcmp(engine.probabilities(), probs.data(), n * sizeof(float)) == 0);
  // And the next Invoke gives what a fresh engine gives on the same inputs.
  REQUIRE(engine.Invoke().ok());
  REQUIRE(fresh.SetInput(0, pb).ok());
  for (int i = 1; i < fresh.num_branches(); ++i) REQUIRE(fresh.SetInput(i, pa).ok());
  REQUIRE(fresh.Invoke().ok());
  CHECK(std::memcmp(engine.logits(), fresh.logits(), n) == 0);
  for (int i = 0; i < engine.num_branches(); ++i)
    CHECK(std::memcmp(engine.features(i), fresh.features(i), engine.input_shape(i).size()) == 0);
}
