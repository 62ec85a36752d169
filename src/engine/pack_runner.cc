#include "engine/pack_runner.h"

#include <new>

namespace tm2 {
namespace {

constexpr size_t kAlign = 16;

size_t AlignUp(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

// Resident layout, from the 16-aligned start: the shared region (the
// largest model's), the engines, then each model's kept part. Each model's
// report carries its packing choice into its Init (Engine::Init).
struct ResidentSizes {
  size_t shared = 0;
  size_t engines = 0;
  ArenaReport kept[kMaxPackModels];
  size_t total = 0;
};

Status MeasureResident(const Pack& pack, const EngineOptions& options, ResidentSizes* out) {
  EngineOptions o = options;
  uint8_t probe[kAlign];
  o.shared_region = probe;  // measuring only: leaves the shared part out of each total
  o.shared_region_bytes = 0;
  *out = ResidentSizes();
  for (int i = 0; i < pack.num_models(); ++i) {
    ArenaReport& r = out->kept[i];
    TM2_RETURN_IF_ERROR(Engine::ArenaBytes(pack.model(i), &r, o));
    if (r.shared > out->shared) out->shared = r.shared;
  }
  out->engines = AlignUp(sizeof(Engine) * static_cast<size_t>(pack.num_models()));
  out->total = kAlign + AlignUp(out->shared ? out->shared : 1) + out->engines;
  for (int i = 0; i < pack.num_models(); ++i) out->total += out->kept[i].total;
  return Status::Ok();
}

}  // namespace

Status PackRunner::ArenaBytes(const Pack& pack, size_t* bytes, const EngineOptions& options,
                              PackMode mode) {
  if (bytes == nullptr) return Status::Error(StatusCode::kInvalidArgument, "pack: no result pointer");
  if (pack.num_models() < 1) return Status::Error(StatusCode::kInvalidArgument, "pack: not loaded");
  if (options.shared_region)
    return Status::Error(StatusCode::kInvalidArgument, "pack: the runner places the shared region");
  if (mode == PackMode::kResident) {
    ResidentSizes sizes;
    TM2_RETURN_IF_ERROR(MeasureResident(pack, options, &sizes));
    *bytes = sizes.total;
    return Status::Ok();
  }
  size_t most = 0;
  for (int i = 0; i < pack.num_models(); ++i) {
    size_t need = 0;
    TM2_RETURN_IF_ERROR(Engine::ArenaBytes(pack.model(i), &need, options));
    if (need > most) most = need;
  }
  *bytes = most;
  return Status::Ok();
}

Status PackRunner::Init(const Pack& pack, void* arena, size_t arena_bytes,
                        const EngineOptions& options, int model, PackMode mode) {
  pack_ = nullptr;
  current_ = -1;
  resident_ = nullptr;
  active_ = &engine_;
  if (pack.num_models() < 1) return Status::Error(StatusCode::kInvalidArgument, "pack: not loaded");
  if (arena == nullptr) return Status::Error(StatusCode::kInvalidArgument, "pack: arena is null");
  if (options.shared_region)
    return Status::Error(StatusCode::kInvalidArgument, "pack: the runner places the shared region");
  arena_ = arena;
  arena_bytes_ = arena_bytes;
  options_ = options;
  mode_ = mode;
  if (mode == PackMode::kResident) {
    ResidentSizes sizes;
    TM2_RETURN_IF_ERROR(MeasureResident(pack, options, &sizes));
    if (arena_bytes < sizes.total)
      return Status::Error(StatusCode::kArenaTooSmall,
                           "pack: arena of %lu bytes is too small, resident models need %lu",
                           static_cast<unsigned long>(arena_bytes),
                           static_cast<unsigned long>(sizes.total));
    const uintptr_t start = reinterpret_cast<uintptr_t>(arena);
    uint8_t* p = static_cast<uint8_t*>(arena) + (kAlign - start % kAlign) % kAlign;
    EngineOptions o = options;
    o.shared_region = p;
    o.shared_region_bytes = sizes.shared;
    p += AlignUp(sizes.shared ? sizes.shared : 1);
    Engine* engines = reinterpret_cast<Engine*>(p);
    p += sizes.engines;
    for (int i = 0; i < pack.num_models(); ++i) {
      Engine* e = new (engines + i) Engine();
      TM2_RETURN_IF_ERROR(e->Init(pack.model(i), p, sizes.kept[i].total, o, sizes.kept[i]));
      p += sizes.kept[i].total;
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
