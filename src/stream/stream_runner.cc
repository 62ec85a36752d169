#include "stream/stream_runner.h"

namespace tm2 {
namespace {

constexpr size_t kAlign = 16;

size_t RoundUp(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

// Layout: [stream state | window features | engine's kept part | shared],
// each part 16-byte aligned from an aligned base; kAlign - 1 bytes of slack
// cover a base of any alignment. The shared part is used in turn by the
// stream's per-frame scratch (FFT, frame buffers) and by the engine's
// activations during Invoke: Push computes frames, then runs the model,
// never both at once.
struct Layout {
  size_t stream_state = 0;
  size_t stream_scratch = 0;
  size_t window_bytes = 0;
  size_t engine_kept = 0;    // the engine's arena without its shared region
  size_t engine_shared = 0;  // activations (features given, no preprocessing)
  size_t shared() const { return stream_scratch > engine_shared ? stream_scratch : engine_shared; }
  size_t total() const {
    return kAlign - 1 + RoundUp(stream_state) + RoundUp(window_bytes) + RoundUp(engine_kept) +
           shared();
  }
};

Status Plan(const Model& model, const StreamOptions& stream_options,
            const EngineOptions& engine_options, PreprocessParams* params, EngineOptions* engine,
            Layout* layout) {
  if (model.num_branches() != 1)
    return Status::Error(StatusCode::kInvalidArgument,
                         "stream runner: the model has %d branches; a stream feeds one",
                         model.num_branches());
  if (engine_options.shared_region)
    return Status::Error(StatusCode::kInvalidArgument,
                         "stream runner: the runner places the engine's shared region");
  *params = model.preprocess(0);
  *engine = engine_options;
  engine->resampler_cache = false;
  // The stream makes the features itself (SetFeatures): the engine needs no
  // preprocessing tables or scratch of its own.
  engine->features_only = true;
  layout->stream_state = StreamPreprocessor::StateBytes(*params, stream_options);
  layout->stream_scratch = StreamPreprocessor::ScratchBytes(*params, stream_options);
  if (layout->stream_state == 0) {
    // StateBytes says 0 for invalid input; Prepare's Status says why.
    StreamPreprocessor probe;
    uint8_t none = 0;
    TM2_RETURN_IF_ERROR(probe.Prepare(*params, stream_options, &none, 0));
  }
  layout->window_bytes = static_cast<size_t>(params->num_frames) * params->num_features();
  // Measure with a stand-in shared region: the total then leaves it out.
  EngineOptions measure = *engine;
  uint8_t probe[kAlign];
  measure.shared_region = probe;
  measure.shared_region_bytes = 0;
  ArenaReport report;
  TM2_RETURN_IF_ERROR(Engine::ArenaBytes(model, &report, measure));
  layout->engine_kept = report.total;
  layout->engine_shared = report.shared;
  return Status::Ok();
}

}  // namespace

Status StreamRunner::ArenaBytes(const Model& model, const StreamOptions& stream_options,
                                size_t* bytes, const EngineOptions& engine_options) {
  if (!bytes)
    return Status::Error(StatusCode::kInvalidArgument, "stream runner: bytes pointer is null");
  PreprocessParams params;
  EngineOptions engine;
  Layout layout;
  TM2_RETURN_IF_ERROR(Plan(model, stream_options, engine_options, &params, &engine, &layout));
  *bytes = layout.total();
  return Status::Ok();
}

Status StreamRunner::Init(const Model& model, const StreamOptions& stream_options, void* arena,
                          size_t arena_bytes, const EngineOptions& engine_options) {
  window_features_ = nullptr;
  result_ready_ = false;
  PreprocessParams params;
  EngineOptions engine;
  Layout layout;
  TM2_RETURN_IF_ERROR(Plan(model, stream_options, engine_options, &params, &engine, &layout));
  if (!arena) return Status::Error(StatusCode::kInvalidArgument, "stream runner: arena is null");
  if (arena_bytes < layout.total())
    return Status::Error(
        StatusCode::kArenaTooSmall, "stream runner: arena has %lu bytes, needs %lu",
        static_cast<unsigned long>(arena_bytes), static_cast<unsigned long>(layout.total()));
  uint8_t* base = static_cast<uint8_t*>(arena);
  base += (kAlign - reinterpret_cast<uintptr_t>(base) % kAlign) % kAlign;
  uint8_t* window = base + RoundUp(layout.stream_state);
  uint8_t* engine_arena = window + RoundUp(layout.window_bytes);
  uint8_t* shared = engine_arena + RoundUp(layout.engine_kept);
  TM2_RETURN_IF_ERROR(stream_.Prepare(params, stream_options, base, layout.stream_state, shared,
                                      layout.shared()));
  engine.shared_region = shared;
  engine.shared_region_bytes = layout.shared();
  TM2_RETURN_IF_ERROR(engine_.Init(model, engine_arena, layout.engine_kept, engine));
  window_features_ = reinterpret_cast<int8_t*>(window);
  window_size_ = layout.window_bytes;
  arena_used_ = static_cast<size_t>(shared - static_cast<uint8_t*>(arena)) + layout.shared();
  return Status::Ok();
}

Status StreamRunner::Push(const PcmView& pcm, size_t* consumed) {
  if (!window_features_)
    return Status::Error(StatusCode::kNotReady, "stream runner: Push before a successful Init");
  result_ready_ = false;
  TM2_RETURN_IF_ERROR(stream_.Push(pcm, consumed));
  return RunWindow();
}

Status StreamRunner::Finish() {
  if (!window_features_)
    return Status::Error(StatusCode::kNotReady, "stream runner: Finish before a successful Init");
  result_ready_ = false;
  TM2_RETURN_IF_ERROR(stream_.Finish());
  return RunWindow();
}

Status StreamRunner::RunWindow() {
  if (!stream_.window_ready()) return Status::Ok();
  TM2_RETURN_IF_ERROR(stream_.ReadWindow(window_features_, nullptr, &window_));
  TM2_RETURN_IF_ERROR(engine_.SetFeatures(0, window_features_, window_size_));
  TM2_RETURN_IF_ERROR(engine_.Invoke());
  result_ready_ = true;
  return Status::Ok();
}

int StreamRunner::top_class() const {
  const float* p = engine_.probabilities();
  int best = 0;
  for (int i = 1; i < engine_.num_classes(); ++i)
    if (p[i] > p[best]) best = i;
  return best;
}

void StreamRunner::Reset() {
  stream_.Reset();
  result_ready_ = false;
}

}  // namespace tm2
