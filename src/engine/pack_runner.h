// Run the models of a pack (format/pack.h) one at a time in one
// caller-owned arena. Two ways to switch (PackMode):
//   kReplan    a switch re-plans the engine for another model into the same
//              arena (sized for the pack's largest model): its layer plans
//              and its few model-specific preprocessing tables (window,
//              mel, DCT; FFT twiddles and the resampler kernel are
//              constants, preprocess/const_tables.h). Least memory.
//   kResident  Init plans every model once, each with its own tables,
//              plans and features, all sharing one region for
//              preprocessing scratch and activations (the largest model's);
//              a switch only changes which engine runs: no work at all.
// Weights and codebooks are never copied: they stay in the file's bytes
// (flash on the MCU, the ArrayBuffer on the page), and product-quantized
// layers decode into a scratch of the largest such layer at each Invoke.
//
// Sizing measures every model (its preprocessing, its packing choice); a
// PackPlan keeps what it measured, so that Init plans each model once more
// into the arena and measures nothing again.
//
//   tm2::Pack pack;
//   TM2_RETURN_IF_ERROR(tm2::LoadPack(bytes, size, &pack));
//   static tm2::PackPlan plan;                   // ~8 KB: off a small stack
//   TM2_RETURN_IF_ERROR(tm2::PackRunner::ArenaBytes(pack, &plan, {}, tm2::PackMode::kResident));
//   tm2::PackRunner runner;
//   TM2_RETURN_IF_ERROR(runner.Init(plan, arena, plan.bytes));   // arena of plan.bytes
//   TM2_RETURN_IF_ERROR(runner.Select(pack.Find("kws-dscnn-kd")));
//   runner.engine().SetInput(0, pcm); runner.engine().Invoke();
//   printf("switch planned %lu arena bytes\n", (unsigned long)runner.last_switch().arena_bytes);
#ifndef TM2_ENGINE_PACK_RUNNER_H_
#define TM2_ENGINE_PACK_RUNNER_H_

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "engine/engine.h"
#include "format/pack.h"

namespace tm2 {

enum class PackMode : uint8_t { kReplan = 0, kResident = 1 };

// What the last switch did: the engine's Init for the new model (the
// front ends time it; the MCU firmware counts its instructions).
struct SwitchCost {
  int from = -1, to = -1;
  bool replanned = false;        // false: resident, nothing was rebuilt
  size_t arena_bytes = 0;        // the new model's plan (Engine::arena_used)
  size_t preprocess_tables = 0;  // of which rebuilt preprocessing tables
  size_t packed_weights = 0;     // of which kernel-packed weights
  size_t layer_plans = 0;        // of which layer plans
};

// What PackRunner::ArenaBytes measured, for Init: the arena bytes and
// each model's EnginePlan (resident mode plans every model from them; a
// re-planning runner plans at each switch). Points at the pack, which must
// outlive it. 7,896 bytes on a 64-bit host.
struct PackPlan {
  size_t bytes = 0;  // the arena Init needs
  const Pack* pack = nullptr;
  EngineOptions options;
  PackMode mode = PackMode::kReplan;
  // Resident layout (pack_runner.cc): the shared region (the largest
  // model's), the engines, then each model's kept part (its plan's total).
  size_t shared = 0;
  size_t engines = 0;
  EnginePlan models[kMaxPackModels];
};

class PackRunner {
 public:
  PackRunner() = default;
  // It points at its own engine: neither copied nor moved.
  PackRunner(const PackRunner&) = delete;
  PackRunner& operator=(const PackRunner&) = delete;

  // The arena a runner needs: kReplan, the largest any model of `pack`
  // needs; kResident, every model's kept part plus the largest shared part
  // and the engines themselves.
  static Status ArenaBytes(const Pack& pack, size_t* bytes,
                           const EngineOptions& options = EngineOptions(),
                           PackMode mode = PackMode::kReplan);
  // The same, kept as a plan for Init(plan, ...).
  static Status ArenaBytes(const Pack& pack, PackPlan* plan,
                           const EngineOptions& options = EngineOptions(),
                           PackMode mode = PackMode::kReplan);

  // Keeps `pack` by pointer (it must outlive the runner) and selects
  // `model`. options.shared_region must be null (the runner places it).
  Status Init(const Pack& pack, void* arena, size_t arena_bytes,
              const EngineOptions& options = EngineOptions(), int model = 0,
              PackMode mode = PackMode::kReplan);
  // The same for the plan ArenaBytes made (its pack, options and mode).
  Status Init(const PackPlan& plan, void* arena, size_t arena_bytes, int model = 0);
  // Switches to model `model` (0 <= model < num_models) in the same arena.
  // On failure no model is selected (current() is -1).
  Status Select(int model);
  Status Select(const char* name);

  int current() const { return current_; }
  const Model& model() const { return pack_->model(current_); }
  PackMode mode() const { return mode_; }
  Engine& engine() { return *active_; }
  const Engine& engine() const { return *active_; }
  const SwitchCost& last_switch() const { return last_; }

 private:
  void Unselect();  // the state before any Init: no pack, no model
  Status Keep(void* arena, size_t arena_bytes, const EngineOptions& options, PackMode mode);

  const Pack* pack_ = nullptr;
  void* arena_ = nullptr;
  size_t arena_bytes_ = 0;
  EngineOptions options_;
  PackMode mode_ = PackMode::kReplan;
  Engine engine_;               // kReplan
  Engine* resident_ = nullptr;  // kResident: one per model, in the arena
  Engine* active_ = &engine_;
  int current_ = -1;
  SwitchCost last_;
};

}  // namespace tm2

#endif  // TM2_ENGINE_PACK_RUNNER_H_
