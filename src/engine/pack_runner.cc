#include "engine/pack_runner.h"

#include <new>

namespace tm2 {
namespace {

constexpr size_t kAlign = 16;

size_t AlignUp(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

Status CheckOptions(const Pack& pack, const EngineOptions& options) {
  if (pack.num_models() < 1) return Status::Error(StatusCode::kInvalidArgument, "pack: not loaded");
  if (options.shared_region)
    return Status::Error(StatusCode::kInvalidArgument, "pack: the runner places the shared region");
  return Status::Ok();
}

}  // namespace

Status PackRunner::ArenaBytes(const Pack& pack, size_t* bytes, const EngineOptions& options,
                              PackMode mode) {
  if (bytes == nullptr) return Status::Error(StatusCode::kInvalidArgument, "pack: no result pointer");
  PackPlan plan;
  TM2_RETURN_IF_ERROR(ArenaBytes(pack, &plan, options, mode));
  *bytes = plan.bytes;
  return Status::Ok();
}

// Resident layout, from the 16-aligned start: the shared region (the
// largest model's), the engines, then each model's kept part, sized with a
// stand-in shared region so that each model's total leaves it out.
Status PackRunner::ArenaBytes(const Pack& pack, PackPlan* plan, const EngineOptions& options,
                              PackMode mode) {
  if (plan == nullptr) return Status::Error(StatusCode::kInvalidArgument, "pack: no result pointer");
  plan->pack = nullptr;
  TM2_RETURN_IF_ERROR(CheckOptions(pack, options));
  const bool resident = mode == PackMode::kResident;
  EngineOptions o = options;
  uint8_t probe[kAlign];
  if (resident) {
    o.shared_region = probe;
    o.shared_region_bytes = 0;
  }
  size_t most = 0, shared = 0, kept = 0;
  for (int i = 0; i < pack.num_models(); ++i) {
    EnginePlan& p = plan->models[i];
    TM2_RETURN_IF_ERROR(Engine::ArenaBytes(pack.model(i), &p, o));
    if (p.report().total > most) most = p.report().total;
    if (p.report().shared > shared) shared = p.report().shared;
    kept += p.report().total;
  }
  plan->shared = shared;
  plan->engines = AlignUp(sizeof(Engine) * static_cast<size_t>(pack.num_models()));
  plan->bytes = resident ? kAlign + AlignUp(shared ? shared : 1) + plan->engines + kept : most;
  plan->options = options;
  plan->mode = mode;
  plan->pack = &pack;
  return Status::Ok();
}

// Until an Init succeeds the runner has no pack and no model: Select and
// engine() must not reach a pack or resident engines of an earlier Init.
void PackRunner::Unselect() {
  pack_ = nullptr;
  current_ = -1;
  resident_ = nullptr;
  active_ = &engine_;
}

// The arena and settings both Init paths keep (a re-planning runner needs
// nothing more; a resident one then plans every model into the arena).
Status PackRunner::Keep(void* arena, size_t arena_bytes, const EngineOptions& options,
                        PackMode mode) {
  if (arena == nullptr) return Status::Error(StatusCode::kInvalidArgument, "pack: arena is null");
  arena_ = arena;
  arena_bytes_ = arena_bytes;
  options_ = options;
  mode_ = mode;
  return Status::Ok();
}

Status PackRunner::Init(const Pack& pack, void* arena, size_t arena_bytes,
                        const EngineOptions& options, int model, PackMode mode) {
  Unselect();
  TM2_RETURN_IF_ERROR(CheckOptions(pack, options));
  if (mode == PackMode::kResident) {  // every model is sized, then planned once
    PackPlan plan;
    TM2_RETURN_IF_ERROR(ArenaBytes(pack, &plan, options, mode));
    return Init(plan, arena, arena_bytes, model);
  }
  TM2_RETURN_IF_ERROR(Keep(arena, arena_bytes, options, mode));  // each switch plans
  pack_ = &pack;
  return Select(model);
}

Status PackRunner::Init(const PackPlan& plan, void* arena, size_t arena_bytes, int model) {
  Unselect();
  if (plan.pack == nullptr)
    return Status::Error(StatusCode::kInvalidArgument, "pack: the plan was not made (ArenaBytes)");
  TM2_RETURN_IF_ERROR(Keep(arena, arena_bytes, plan.options, plan.mode));
  const Pack& pack = *plan.pack;
  if (mode_ == PackMode::kResident) {
    if (arena_bytes < plan.bytes)
      return Status::Error(StatusCode::kArenaTooSmall,
                           "pack: arena of %lu bytes is too small, resident models need %lu",
                           static_cast<unsigned long>(arena_bytes),
                           static_cast<unsigned long>(plan.bytes));
    const uintptr_t start = reinterpret_cast<uintptr_t>(arena);
    uint8_t* p = static_cast<uint8_t*>(arena) + (kAlign - start % kAlign) % kAlign;
    uint8_t* shared = p;
    p += AlignUp(plan.shared ? plan.shared : 1);
    Engine* engines = reinterpret_cast<Engine*>(p);
    p += plan.engines;
    for (int i = 0; i < pack.num_models(); ++i) {
      Engine* e = new (engines + i) Engine();
      const size_t kept = plan.models[i].report().total;
      TM2_RETURN_IF_ERROR(e->Init(plan.models[i], p, kept, shared, plan.shared));
      p += kept;
    }
    resident_ = engines;
  }
  pack_ = &pack;
  return Select(model);
}

Status PackRunner::Select(int model) {
  if (pack_ == nullptr) return Status::Error(StatusCode::kNotReady, "pack: Init has not succeeded");
  if (model < 0 || model >= pack_->num_models())
    return Status::Error(StatusCode::kInvalidArgument, "pack: model %d out of range (0..%d)", model,
                         pack_->num_models() - 1);
  SwitchCost cost;
  cost.from = current_;
  cost.to = model;
  current_ = -1;
  if (resident_) {
    active_ = resident_ + model;
  } else {
    TM2_RETURN_IF_ERROR(engine_.Init(pack_->model(model), arena_, arena_bytes_, options_));
    active_ = &engine_;
    cost.replanned = true;
  }
  current_ = model;
  const ArenaReport& r = active_->arena_report();
  cost.arena_bytes = active_->arena_used();
  cost.preprocess_tables = r.preprocess_tables + r.resampler_cache;
  cost.packed_weights = r.packed_weights;
  cost.layer_plans = r.layer_plans;
  last_ = cost;
  return Status::Ok();
}

Status PackRunner::Select(const char* name) {
  if (pack_ == nullptr) return Status::Error(StatusCode::kNotReady, "pack: Init has not succeeded");
  const int i = pack_->Find(name);
  if (i < 0) return Status::Error(StatusCode::kInvalidArgument, "pack: no model named '%s'", name ? name : "");
  return Select(i);
}

}  // namespace tm2
