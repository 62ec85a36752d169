// Packed int4 activations in the engine's plan (engine/act_packing.h): a
// 4-bit output takes ceil(n / 2) bytes, the plan keeps packing only when
// the peak falls, a reader that cannot unpack (Softmax, global average
// pool) gets int8, and packed or not the engine gives the same bytes.
#include <cstring>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "engine/engine.h"
#include "format/writer.h"
#include "kernels/select.h"
#include "parity/parity_model.h"

namespace {

struct Built {
  std::vector<uint8_t> bytes;
  tm2::Model model;
  explicit Built(const tm2::ModelSpec& spec) {
    tm2::Status s = tm2::WriteModel(spec, &bytes);
    INFO(s.message());
    REQUIRE(s.ok());
    s = tm2::LoadModel(bytes.data(), bytes.size(), &model);
    REQUIRE(s.ok());
  }
};

tm2::ArenaReport Report(const tm2::Model& m, const tm2::KernelTable& k, bool in_place, bool pack) {
  tm2::EngineOptions o;
  o.kernels = &k;
  o.features_only = true;
  o.in_place = in_place;
  o.pack_int4_activations = pack;
  tm2::ArenaReport r;
  REQUIRE(tm2::Engine::ArenaBytes(m, &r, o).ok());
  CHECK(r.total == r.preprocess_tables + r.resampler_cache + r.features + r.layer_plans +
                       r.packed_weights + r.channel_params + r.pq_scratch + r.outputs + r.shared + r.alignment);
  return r;
}

// Logits of `m` on fixed pseudo-random features.
std::vector<int8_t> Logits(const tm2::Model& m, const tm2::KernelTable& k, bool pack,
                           size_t* packed_outputs) {
  tm2::EngineOptions o;
  o.kernels = &k;
  o.features_only = true;
  o.pack_int4_activations = pack;
  std::vector<uint8_t> arena(1 << 20);
  tm2::Engine e;
  REQUIRE(e.Init(m, arena.data(), arena.size(), o).ok());
  std::vector<int8_t> features(e.input_shape(0).size());
  uint32_t x = 12345;
  for (auto& f : features) {
    x = x * 1664525u + 1013904223u;
    f = static_cast<int8_t>(x >> 24);
  }
  REQUIRE(e.SetFeatures(0, features.data(), features.size()).ok());
  REQUIRE(e.Invoke().ok());
  *packed_outputs = e.arena_report().packed_outputs;
  return std::vector<int8_t>(e.logits(), e.logits() + e.num_classes());
}

TEST_CASE("a packed 4-bit output takes half the bytes: all-A4 model, layers run whole") {
  Built a4(tm2::test::MakeA4ModelSpec(false));
  CHECK(a4.model.cost().int4_outputs == 9);
  const tm2::ArenaReport packed = Report(a4.model, tm2::ReferenceKernels(), false, true);
  const tm2::ArenaReport int8 = Report(a4.model, tm2::ReferenceKernels(), false, false);
  // 8 packed (the branch's last output stays int8); the peak is conv0 ->
  // dw1 -> pw1: 48x16x16 + 48x16x24 values, int8 or packed.
  CHECK(packed.packed_outputs == 8);
  CHECK(int8.packed_outputs == 0);
  CHECK(int8.activations == 12288 + 18432);
  CHECK(packed.activations == (12288 + 18432) / 2);
  CHECK(int8.total - packed.total == int8.activations - packed.activations);
}

TEST_CASE("with bands the plan packs only where the peak falls") {
  Built a4(tm2::test::MakeA4ModelSpec(false));
  Built mixed(tm2::test::MakeA4ModelSpec(true));
  const tm2::ArenaReport a4_packed = Report(a4.model, tm2::ReferenceKernels(), true, true);
  const tm2::ArenaReport a4_int8 = Report(a4.model, tm2::ReferenceKernels(), true, false);
  CHECK(a4_packed.packed_outputs == 8);
  CHECK(a4_packed.activations < a4_int8.activations);
  // Mixed: packing the 4-bit outputs would stop bands that save more, so
  // the plan is the int8 one.
  const tm2::ArenaReport mixed_packed = Report(mixed.model, tm2::ReferenceKernels(), true, true);
  const tm2::ArenaReport mixed_int8 = Report(mixed.model, tm2::ReferenceKernels(), true, false);
  CHECK(mixed_packed.packed_outputs == 0);
  CHECK(mixed_packed.total == mixed_int8.total);
  // Without bands packing always pays.
  CHECK(Report(mixed.model, tm2::ReferenceKernels(), false, true).packed_outputs == 5);
}

TEST_CASE("with the shared region outside the arena the same plan is chosen") {
  // A pack's resident mode measures with a probe region and then plans
  // into a region of exactly that size: the choice must not change.
  Built a4(tm2::test::MakeA4ModelSpec(false));
  const tm2::ArenaReport inside = Report(a4.model, tm2::ReferenceKernels(), true, true);
  std::vector<uint8_t> region(inside.shared + 16);
  uint8_t* aligned = region.data() + (16 - reinterpret_cast<uintptr_t>(region.data()) % 16) % 16;
  tm2::EngineOptions o;
  o.kernels = &tm2::ReferenceKernels();
  o.features_only = true;
  o.shared_region = aligned;
  o.shared_region_bytes = inside.shared;
  tm2::ArenaReport outside;
  REQUIRE(tm2::Engine::ArenaBytes(a4.model, &outside, o).ok());
  CHECK(outside.packed_outputs == inside.packed_outputs);
  CHECK(outside.shared == inside.shared);
  std::vector<uint8_t> arena(outside.total);
  tm2::Engine e;
  const tm2::Status s = e.Init(a4.model, arena.data(), arena.size(), o);
  INFO(s.message());
  CHECK(s.ok());
  CHECK(e.arena_report().packed_outputs == 8);
}

TEST_CASE("Init follows the plan ArenaBytes made") {
  // One load sizes once: ArenaBytes compares packed and int8 and keeps its
  // choice and the preprocessing it measured in the plan; Init plans that.
  Built a4(tm2::test::MakeA4ModelSpec(false));
  Built mixed(tm2::test::MakeA4ModelSpec(true));
  for (const Built* m : {&a4, &mixed}) {
    for (const bool features_only : {true, false}) {
      tm2::EngineOptions o;
      o.kernels = &tm2::ReferenceKernels();
      o.features_only = features_only;
      tm2::EnginePlan plan;
      REQUIRE(tm2::Engine::ArenaBytes(m->model, &plan, o).ok());
      tm2::ArenaReport sized;
      REQUIRE(tm2::Engine::ArenaBytes(m->model, &sized, o).ok());
      CHECK(plan.report().total == sized.total);
      CHECK(plan.report().preprocess_tables == sized.preprocess_tables);
      CHECK((plan.report().preprocess_tables > 0) == !features_only);
      std::vector<uint8_t> arena(plan.report().total);
      tm2::Engine chosen, plain;
      tm2::Status s = chosen.Init(plan, arena.data(), arena.size());
      INFO(s.message());
      REQUIRE(s.ok());
      std::vector<uint8_t> arena2(plan.report().total);
      REQUIRE(plain.Init(m->model, arena2.data(), arena2.size(), o).ok());
      // Totals differ with each arena's start alignment: compare the parts.
      const tm2::ArenaReport& c = chosen.arena_report();
      const tm2::ArenaReport& p = plain.arena_report();
      CHECK(c.packed_outputs == plan.report().packed_outputs);
      CHECK(c.packed_outputs == p.packed_outputs);
      CHECK(c.activations == p.activations);
      CHECK(c.shared == p.shared);
      CHECK(c.preprocess_tables == p.preprocess_tables);
      CHECK(c.preprocess_scratch == p.preprocess_scratch);
      CHECK(c.features == p.features);
      // The same logits from the same features.
      std::vector<int8_t> features(chosen.input_shape(0).size());
      for (size_t i = 0; i < features.size(); ++i) features[i] = static_cast<int8_t>(i * 37 % 23 - 11);
      for (tm2::Engine* e : {&chosen, &plain}) {
        for (int b = 0; b < e->num_branches(); ++b)
          REQUIRE(e->SetFeatures(b, features.data(), features.size()).ok());
        REQUIRE(e->Invoke().ok());
      }
      CHECK(std::memcmp(chosen.logits(), plain.logits(), static_cast<size_t>(chosen.num_classes())) == 0);
    }
  }
  tm2::EngineOptions o;
  o.kernels = &tm2::ReferenceKernels();
  o.features_only = true;
  o.in_place = false;
  std::vector<uint8_t> arena(1 << 20);
  tm2::Engine e;
  // Planned int8 with packing off: Init keeps that, not the default's choice.
  tm2::EnginePlan packed, int8;
  REQUIRE(tm2::Engine::ArenaBytes(a4.model, &packed, o).ok());
  REQUIRE(packed.report().packed_outputs == 8);
  tm2::EngineOptions int8_options = o;
  int8_options.pack_int4_activations = false;
  REQUIRE(tm2::Engine::ArenaBytes(a4.model, &int8, int8_options).ok());
  tm2::Status s = e.Init(int8, arena.data(), arena.size());
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(e.arena_report().packed_outputs == 0);
  CHECK(e.arena_report().activations == int8.report().activations);
  // A plan never made, or left by a failed ArenaBytes, is refused.
  tm2::EnginePlan none;
  s = e.Init(none, arena.data(), arena.size());
  CHECK(s.code() == tm2::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()).find("not made") != std::string::npos);
  CHECK_FALSE(e.Invoke().ok());
  tm2::EnginePlan failed = packed;
  CHECK_FALSE(tm2::Engine::ArenaBytes(tm2::Model(), &failed, o).ok());
  CHECK(e.Init(failed, arena.data(), arena.size()).code() == tm2::StatusCode::kInvalidArgument);
  // Too small an arena, and a shared region for a plan sized without one.
  CHECK(e.Init(packed, arena.data(), packed.report().total - 17).code() ==
        tm2::StatusCode::kArenaTooSmall);
  alignas(16) static uint8_t region[1 << 16];
  CHECK(e.Init(packed, arena.data(), arena.size(), region, sizeof(region)).code() ==
        tm2::StatusCode::kInvalidArgument);
  REQUIRE(e.Init(packed, arena.data(), arena.size()).ok());
  CHECK(e.arena_report().packed_outputs == 8);
}

TEST_CASE("packed or int8, the engine gives the same logits; a 4-bit logits layer stays int8") {
  tm2::ModelSpec spec = tm2::test::MakeA4ModelSpec(false);
  for (const bool logits4 : {false, true}) {
    if (logits4) {
      // The layer before Softmax declared 4-bit: planned packed, then
      // given back as int8 when Softmax turns out to read it.
      tm2::LayerSpec& fc1 = spec.head[1];
      fc1.act_bits = 4;
      fc1.act_min = -8;
      fc1.act_max = 7;
      fc1.output_zero_point = 0;
    }
    Built m(spec);
    for (const tm2::KernelTable* k : {&tm2::ReferenceKernels(), &tm2::SelectKernels()}) {
      INFO(k->name << (logits4 ? ", 4-bit logits" : ""));
      size_t packed_outputs = 0, none = 0;
      const std::vector<int8_t> packed = Logits(m.model, *k, true, &packed_outputs);
      const std::vector<int8_t> int8 = Logits(m.model, *k, false, &none);
      CHECK(packed_outputs == 8);
      CHECK(none == 0);
      CHECK(packed == int8);
      if (logits4)
        for (int8_t v : packed) CHECK((v >= -8 && v <= 7));
    }
  }
}

}  // namespace
