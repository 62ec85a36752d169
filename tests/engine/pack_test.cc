// Model packs on the engine (engine/pack_runner.h): every packed model is
// byte-identical to its decoded Dense twin on the reference and the
// selected kernels; switching re-plans into the same arena and gives the
// same results as a fresh Init; the arena grows only by the PQ decode
// scratch; a too-small arena or a bad index is an error, not an overflow.
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "common/wav.h"
#include "engine/pack_runner.h"
#include "engine/pack_runner_host.h"
#include "file_edit.h"
#include "format/pack.h"
#include "format/spec_reader.h"
#include "format/writer.h"
#include "kernels/select.h"
#include "sample_model.h"

namespace {

struct Loaded {
  std::vector<uint32_t> storage;
  tm2::Pack pack;
};

void LoadSamplePack(Loaded* l) {
  std::vector<uint8_t> bytes;
  REQUIRE(tm2::WritePack(tm2::test::SamplePackSpec(), &bytes).ok());
  const tm2::Status st = tm2::test::LoadPackCopy(bytes, &l->storage, &l->pack);
  INFO(st.message());
  REQUIRE(st.ok());
}

// Random features for every branch of `e`, the same for a given seed.
void Feed(tm2::Engine& e, uint32_t seed) {
  std::mt19937 rng(seed);
  for (int b = 0; b < e.num_branches(); ++b) {
    std::vector<int8_t> x(e.input_shape(b).size());
    for (int8_t& v : x) v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
    REQUIRE(e.SetFeatures(b, x.data(), x.size()).ok());
  }
}

// `m` read back into a spec and written as a Dense model by the current
// writer: it computes exactly what `m` computes (format/spec_reader.h).
void LoadDenseTwin(const tm2::Model& m, std::vector<uint32_t>* storage, tm2::Model* twin) {
  tm2::ModelSpec spec;
  REQUIRE(tm2::ReadModelSpec(m, &spec).ok());
  std::vector<uint8_t> dense;
  REQUIRE(tm2::WriteModel(spec, &dense).ok());
  REQUIRE(tm2::test::LoadCopy(dense, storage, twin).ok());
}

std::vector<uint8_t> Run(tm2::Engine& e, uint32_t seed) {
  Feed(e, seed);
  REQUIRE(e.Invoke().ok());
  std::vector<uint8_t> out(reinterpret_cast<const uint8_t*>(e.logits()),
                           reinterpret_cast<const uint8_t*>(e.logits()) + e.num_classes());
  const auto* p = reinterpret_cast<const uint8_t*>(e.probabilities());
  out.insert(out.end(), p, p + sizeof(float) * e.num_classes());
  return out;
}

}  // namespace

TEST_CASE("Pack models equal their decoded Dense twins byte for byte", "[engine][pack]") {
  Loaded l;
  LoadSamplePack(&l);
  for (int m = 0; m < l.pack.num_models(); ++m) {
    std::vector<uint32_t> storage;
    tm2::Model twin;
    LoadDenseTwin(l.pack.model(m), &storage, &twin);
    for (const tm2::KernelTable* k : {&tm2::ReferenceKernels(), &tm2::SelectKernels()}) {
      INFO("model " << l.pack.model(m).name() << ", kernels " << k->name);
      tm2::EngineOptions options;
      options.kernels = k;
      tm2::ArenaReport packed_report, twin_report;
      REQUIRE(tm2::Engine::ArenaBytes(l.pack.model(m), &packed_report, options).ok());
      REQUIRE(tm2::Engine::ArenaBytes(twin, &twin_report, options).ok());
      // The only extra memory: the largest PQ layer decoded, the PQ layer
      // plans, the narrow per-channel parameters decoded (and alignment).
      CHECK(packed_report.pq_scratch > 0);
      CHECK(twin_report.pq_scratch == 0);
      CHECK(packed_report.channel_params > 0);
      CHECK(twin_report.channel_params == 0);
      CHECK(packed_report.total - twin_report.total <=
            packed_report.pq_scratch + packed_report.channel_params + 32);
      CHECK(packed_report.total - twin_report.total >= packed_report.pq_scratch);
      std::vector<uint8_t> arena_a(packed_report.total), arena_b(twin_report.total);
      tm2::Engine a, b;
      REQUIRE(a.Init(l.pack.model(m), arena_a.data(), arena_a.size(), options).ok());
      REQUIRE(b.Init(twin, arena_b.data(), arena_b.size(), options).ok());
      for (uint32_t seed = 1; seed <= 8; ++seed) CHECK(Run(a, seed) == Run(b, seed));
    }
  }
}

TEST_CASE("Narrow per-channel parameters run byte-identical to the wide vectors",
          "[engine][pack]") {
  // The same pack written twice: Narrow where smaller (format 1.2, the
  // default) and with every layer's wide vectors (1.1).
  tm2::PackSpec spec = tm2::test::SamplePackSpec();
  std::vector<uint8_t> narrow_file, wide_file;
  REQUIRE(tm2::WritePack(spec, &narrow_file).ok());
  spec.wide_channels = true;
  REQUIRE(tm2::WritePack(spec, &wide_file).ok());
  CHECK(narrow_file[6] == 2);
  CHECK(wide_file[6] == 1);
  CHECK(narrow_file.size() < wide_file.size());
  std::vector<uint32_t> sa, sb;
  tm2::Pack narrow, wide;
  REQUIRE(tm2::test::LoadPackCopy(narrow_file, &sa, &narrow).ok());
  REQUIRE(tm2::test::LoadPackCopy(wide_file, &sb, &wide).ok());
  for (int m = 0; m < narrow.num_models(); ++m) {
    for (const tm2::KernelTable* k : {&tm2::ReferenceKernels(), &tm2::SelectKernels()}) {
      INFO("model " << narrow.model(m).name() << ", kernels " << k->name);
      tm2::EngineOptions options;
      options.kernels = k;
      tm2::ArenaReport rn, rw;
      REQUIRE(tm2::Engine::ArenaBytes(narrow.model(m), &rn, options).ok());
      REQUIRE(tm2::Engine::ArenaBytes(wide.model(m), &rw, options).ok());
      // 9 bytes a channel (bias, multiplier, shift) at most, in whole
      // 16-byte units per layer: the arena grows by exactly that.
      CHECK(rn.channel_params > 0);
      CHECK(rn.channel_params % 16 == 0);
      CHECK(rw.channel_params == 0);
      CHECK(rn.total - rw.total == rn.channel_params);
      std::vector<uint8_t> arena_a(rn.total), arena_b(rw.total);
      tm2::Engine a, b;
      REQUIRE(a.Init(narrow.model(m), arena_a.data(), arena_a.size(), options).ok());
      REQUIRE(b.Init(wide.model(m), arena_b.data(), arena_b.size(), options).ok());
      CHECK(a.arena_report().channel_params == rn.channel_params);
      for (uint32_t seed = 1; seed <= 8; ++seed) CHECK(Run(a, seed) == Run(b, seed));
      // One byte short of the decoded parameters: an error, not an overflow.
      tm2::Engine tight;
      CHECK(tight.Init(narrow.model(m), arena_a.data(), rw.total, options).code() ==
            tm2::StatusCode::kArenaTooSmall);
    }
  }
  // A runner switching between narrow models re-decodes each time.
  size_t need = 0;
  REQUIRE(tm2::PackRunner::ArenaBytes(narrow, &need).ok());
  std::vector<uint8_t> arena(need);
  tm2::PackRunner runner;
  REQUIRE(runner.Init(narrow, arena.data(), arena.size()).ok());
  const std::vector<uint8_t> first = Run(runner.engine(), 3);
  REQUIRE(runner.Select(1).ok());
  REQUIRE(runner.Select(0).ok());
  CHECK(Run(runner.engine(), 3) == first);
}

TEST_CASE("A pack written by the 1.1 writer still loads and runs as its Dense twins",
          "[engine][pack]") {
  // shipped_v1_1.pack.tm2 is the parity pack (before the distilled KWS
  // model) as tm2-pack wrote it before format 1.2: wide vectors, on disk
  // since then. Each model must still give what the current writer's
  // Dense twin of it gives. (1.2 against 1.1 of the same pack, written at
  // test time, is the Narrow test above.)
  std::vector<uint8_t> bytes;
  REQUIRE(tm2::test::ReadFileBytes(std::string(TM2_FIXTURES_DIR) + "/models/shipped_v1_1.pack.tm2", &bytes));
  CHECK(bytes[6] == 1);
  std::vector<uint32_t> storage;
  tm2::Pack pack;
  REQUIRE(tm2::test::LoadPackCopy(bytes, &storage, &pack).ok());
  REQUIRE(pack.num_models() == 3);
  for (int m = 0; m < pack.num_models(); ++m) {
    std::vector<uint32_t> twin_storage;
    tm2::Model twin;
    LoadDenseTwin(pack.model(m), &twin_storage, &twin);
    for (const tm2::KernelTable* k : {&tm2::ReferenceKernels(), &tm2::SelectKernels()}) {
      INFO("model " << pack.model(m).name() << ", kernels " << k->name);
      tm2::EngineOptions options;
      options.kernels = k;
      size_t na = 0, nb = 0;
      REQUIRE(tm2::Engine::ArenaBytes(pack.model(m), &na, options).ok());
      REQUIRE(tm2::Engine::ArenaBytes(twin, &nb, options).ok());
      std::vector<uint8_t> arena_a(na), arena_b(nb);
      tm2::Engine a, b;
      REQUIRE(a.Init(pack.model(m), arena_a.data(), na, options).ok());
      REQUIRE(b.Init(twin, arena_b.data(), nb, options).ok());
      for (uint32_t seed = 11; seed <= 14; ++seed) CHECK(Run(a, seed) == Run(b, seed));
    }
  }
}

TEST_CASE("PackRunner switches models in place in one arena", "[engine][pack]") {
  Loaded l;
  LoadSamplePack(&l);
  size_t need = 0;
  REQUIRE(tm2::PackRunner::ArenaBytes(l.pack, &need).ok());
  size_t largest = 0;
  for (int m = 0; m < l.pack.num_models(); ++m) {
    size_t n = 0;
    REQUIRE(tm2::Engine::ArenaBytes(l.pack.model(m), &n).ok());
    largest = n > largest ? n : largest;
  }
  CHECK(need == largest);
  std::vector<uint8_t> arena(need);
  tm2::PackRunner runner;
  REQUIRE(runner.Init(l.pack, arena.data(), arena.size()).ok());
  CHECK(runner.current() == 0);
  const std::vector<uint8_t> first = Run(runner.engine(), 5);
  REQUIRE(runner.Select("multi").ok());
  CHECK(runner.current() == 1);
  CHECK(runner.last_switch().from == 0);
  CHECK(runner.last_switch().to == 1);
  CHECK(runner.last_switch().arena_bytes == runner.engine().arena_used());
  CHECK(runner.last_switch().arena_bytes <= need);
  // Everything the engine planned lies in the caller's arena.
  const uint8_t* f = reinterpret_cast<const uint8_t*>(runner.engine().features(0));
  CHECK(f >= arena.data());
  CHECK(f < arena.data() + arena.size());
  const std::vector<uint8_t> multi = Run(runner.engine(), 6);
  // The same as a fresh engine on model 1, and back to model 0 unchanged.
  {
    std::vector<uint8_t> fresh_arena(need);
    tm2::Engine fresh;
    REQUIRE(fresh.Init(l.pack.model(1), fresh_arena.data(), fresh_arena.size()).ok());
    CHECK(Run(fresh, 6) == multi);
  }
  REQUIRE(runner.Select(0).ok());
  CHECK(Run(runner.engine(), 5) == first);
  // Errors, not overflows.
  CHECK(runner.Select(2).code() == tm2::StatusCode::kInvalidArgument);
  CHECK(runner.Select("nope").code() == tm2::StatusCode::kInvalidArgument);
  size_t small_need = 0;
  REQUIRE(tm2::Engine::ArenaBytes(l.pack.model(0), &small_need).ok());
  size_t multi_need = 0;
  REQUIRE(tm2::Engine::ArenaBytes(l.pack.model(1), &multi_need).ok());
  REQUIRE(small_need < multi_need);
  tm2::PackRunner tight;
  REQUIRE(tight.Init(l.pack, arena.data(), small_need).ok());
  CHECK(tight.Select(1).code() == tm2::StatusCode::kArenaTooSmall);
  CHECK(tight.current() == -1);
  CHECK(tight.engine().Invoke().code() == tm2::StatusCode::kNotReady);
  REQUIRE(tight.Select(0).ok());
  CHECK(Run(tight.engine(), 5) == first);
}

TEST_CASE("A resident PackRunner plans every model once and switches without re-planning",
          "[engine][pack]") {
  Loaded l;
  LoadSamplePack(&l);
  size_t replan = 0, need = 0;
  REQUIRE(tm2::PackRunner::ArenaBytes(l.pack, &replan).ok());
  REQUIRE(tm2::PackRunner::ArenaBytes(l.pack, &need, {}, tm2::PackMode::kResident).ok());
  // Every model's kept part, the largest shared part, the engines.
  size_t kept = 0, shared = 0;
  for (int m = 0; m < l.pack.num_models(); ++m) {
    tm2::ArenaReport r;
    REQUIRE(tm2::Engine::ArenaBytes(l.pack.model(m), &r).ok());
    kept += r.total - r.shared;
    shared = r.shared > shared ? r.shared : shared;
  }
  CHECK(need >= kept + shared);
  CHECK(need <= kept + shared + l.pack.num_models() * (sizeof(tm2::Engine) + 64) + 64);
  CHECK(need > replan);
  std::vector<uint8_t> arena(need);
  tm2::PackRunner runner;
  REQUIRE(runner.Init(l.pack, arena.data(), arena.size(), {}, 1, tm2::PackMode::kResident).ok());
  CHECK(runner.current() == 1);
  CHECK_FALSE(runner.last_switch().replanned);
  // Model 1's input stays set across a switch to model 0 and back.
  const std::vector<uint8_t> multi = Run(runner.engine(), 6);
  REQUIRE(runner.Select(0).ok());
  CHECK_FALSE(runner.last_switch().replanned);
  const std::vector<uint8_t> first = Run(runner.engine(), 5);
  REQUIRE(runner.Select(1).ok());
  REQUIRE(runner.engine().Invoke().ok());
  CHECK(std::vector<uint8_t>(runner.engine().logits(),
                             runner.engine().logits() + runner.engine().num_classes()) ==
        std::vector<uint8_t>(multi.begin(), multi.begin() + runner.engine().num_classes()));
  // The same as fresh engines and as the re-planning runner.
  for (int m = 0; m < 2; ++m) {
    std::vector<uint8_t> fresh_arena(replan);
    tm2::Engine fresh;
    REQUIRE(fresh.Init(l.pack.model(m), fresh_arena.data(), fresh_arena.size()).ok());
    CHECK(Run(fresh, m == 0 ? 5 : 6) == (m == 0 ? first : multi));
  }
  const uint8_t* f = reinterpret_cast<const uint8_t*>(runner.engine().features(0));
  CHECK(f >= arena.data());
  CHECK(f < arena.data() + arena.size());
  // Sized once and kept as a plan: the same arena bytes and results.
  tm2::PackPlan plan;
  REQUIRE(tm2::PackRunner::ArenaBytes(l.pack, &plan, {}, tm2::PackMode::kResident).ok());
  CHECK(plan.bytes == need);
  tm2::PackRunner planned;
  std::vector<uint8_t> planned_arena(plan.bytes);
  REQUIRE(planned.Init(plan, planned_arena.data(), planned_arena.size(), 1).ok());
  CHECK(planned.mode() == tm2::PackMode::kResident);
  CHECK(Run(planned.engine(), 6) == multi);
  REQUIRE(planned.Select(0).ok());
  CHECK_FALSE(planned.last_switch().replanned);
  CHECK(Run(planned.engine(), 5) == first);
  CHECK(planned.Init(plan, planned_arena.data(), plan.bytes - 1).code() ==
        tm2::StatusCode::kArenaTooSmall);
  CHECK(planned.Init(tm2::PackPlan(), planned_arena.data(), plan.bytes).code() ==
        tm2::StatusCode::kInvalidArgument);
  CHECK(planned.Select(0).code() == tm2::StatusCode::kNotReady);
  // The host tools' one call (HostPackRunner) sizes as ArenaBytes does, in
  // either mode, and runs the same bytes.
  for (tm2::PackMode mode : {tm2::PackMode::kReplan, tm2::PackMode::kResident}) {
    tm2::HostPackRunner host;
    REQUIRE(host.Init(l.pack, mode).ok());
    CHECK(host.arena_bytes() == (mode == tm2::PackMode::kResident ? need : replan));
    CHECK(host.runner().mode() == mode);
    CHECK(host.runner().current() == 0);
    CHECK(Run(host.runner().engine(), 5) == first);
    REQUIRE(host.runner().Select(1).ok());
    CHECK(Run(host.runner().engine(), 6) == multi);
  }
  // Errors: an arena one byte short, a caller's shared region.
  tm2::PackRunner tight;
  CHECK(tight.Init(l.pack, arena.data(), need - 1, {}, 0, tm2::PackMode::kResident).code() ==
        tm2::StatusCode::kArenaTooSmall);
  CHECK(tight.Select(0).code() == tm2::StatusCode::kNotReady);
  tm2::EngineOptions own;
  own.shared_region = arena.data();
  own.shared_region_bytes = arena.size();
  CHECK(tight.Init(l.pack, arena.data(), need, own, 0, tm2::PackMode::kResident).code() ==
        tm2::StatusCode::kInvalidArgument);
  tm2::HostPackRunner host;
  CHECK(host.Init(l.pack, tm2::PackMode::kResident, own).code() == tm2::StatusCode::kInvalidArgument);
  // The engine's own checks of a caller's shared region: size and alignment.
  tm2::ArenaReport r;
  REQUIRE(tm2::Engine::ArenaBytes(l.pack.model(0), &r).ok());
  std::vector<uint8_t> region(r.shared + 32), own_arena(r.total);
  uint8_t* aligned = region.data() + (16 - reinterpret_cast<uintptr_t>(region.data()) % 16) % 16;
  tm2::EngineOptions o;
  o.shared_region = aligned;
  o.shared_region_bytes = r.shared - 1;
  tm2::Engine e;
  CHECK(e.Init(l.pack.model(0), own_arena.data(), own_arena.size(), o).code() == tm2::StatusCode::kArenaTooSmall);
  o.shared_region = aligned + 1;
  o.shared_region_bytes = r.shared;
  CHECK(e.Init(l.pack.model(0), own_arena.data(), own_arena.size(), o).code() == tm2::StatusCode::kArenaTooSmall);
  o.shared_region = aligned;
  REQUIRE(e.Init(l.pack.model(0), own_arena.data(), own_arena.size(), o).ok());
  // The arena now holds all but the shared part (and its alignment pad).
  CHECK(e.arena_report().total + r.shared <= r.total);
  CHECK(e.arena_report().total + r.shared + 16 > r.total);
  CHECK(Run(e, 5) == first);
}

TEST_CASE("The shipped-model pack fixture runs every model on a real clip", "[engine][pack]") {
  std::vector<uint8_t> bytes;
  REQUIRE(tm2::test::ReadFileBytes(std::string(TM2_FIXTURES_DIR) + "/models/shipped.pack.tm2", &bytes));
  std::vector<uint32_t> storage;
  tm2::Pack pack;
  const tm2::Status st = tm2::test::LoadPackCopy(bytes, &storage, &pack);
  INFO(st.message());
  REQUIRE(st.ok());
  REQUIRE(pack.num_models() == 3);
  CHECK(pack.Find("kws-dscnn-kd") >= 0);
  tm2::test::WavData cough, yes;
  std::string error;
  REQUIRE(tm2::test::ReadWavFile("audio/coswara_cough_16k.wav", &cough, &error));
  REQUIRE(tm2::test::ReadWavFile("audio/speech_commands_yes_16k.wav", &yes, &error));
  size_t need = 0;
  REQUIRE(tm2::PackRunner::ArenaBytes(pack, &need).ok());
  std::vector<uint8_t> arena(need);
  tm2::PackRunner runner;
  REQUIRE(runner.Init(pack, arena.data(), arena.size()).ok());
  for (int m = 0; m < pack.num_models(); ++m) {
    REQUIRE(runner.Select(m).ok());
    tm2::Engine& e = runner.engine();
    const tm2::test::WavData& wav = std::strstr(pack.model(m).name(), "kws") ? yes : cough;
    for (int b = 0; b < e.num_branches(); ++b) {
      const tm2::Status st = e.SetInput(
          b, tm2::PcmView::S16(wav.samples.data(), wav.frames(), wav.sample_rate, wav.channels));
      INFO(pack.model(m).name() << ": " << st.message());
      REQUIRE(st.ok());
    }
    REQUIRE(e.Invoke().ok());
    float sum = 0;
    for (int c = 0; c < e.num_classes(); ++c) sum += e.probabilities()[c];
    CHECK(sum > 0.99f);
    CHECK(sum < 1.01f);
  }
}
