#include "engine/pack_runner.h"

namespace tm2 {
Status PackRunner::ArenaBytes(const Pack& pack, size_t* bytes, const EngineOptions& options) {
  if (bytes == nullptr) return Status::Error(StatusCode::kInvalidArgument, "pack: no result pointer");
  if (pack.num_models() < 1) return Status::Error(StatusCode::kInvalidArgument, "pack: not loaded");
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
                        const EngineOptions& options, int model) {
  if (pack.num_models() < 1) return Status::Error(StatusCode::kInvalidArgument, "pack: not loaded");
  pack_ = &pack;
  arena_ = arena;
  arena_bytes_ = arena_bytes;
  options_ = options;
  current_ = -1;
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
  TM2_RETURN_IF_ERROR(engine_.Init(pack_->model(model), arena_, arena_bytes_, options_));
  current_ = model;
  const ArenaReport& r = engine_.arena_report();
  cost.arena_bytes = engine_.arena_used();
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
