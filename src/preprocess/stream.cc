// StreamPreprocessor: frames computed once from a ring of mixed input
// samples, plus each window's edge frames computed again as the batch path
// computes them on the window's clip (see stream.h for the rule).
#include "preprocess/stream.h"

#include <cstring>
#include <new>

#include "preprocess/pcm_mix.h"
#include "preprocess/pipeline.h"
#include "preprocess/resampler.h"
#include "preprocess/stream_geometry.h"
#include "preprocess/stream_state.h"
#include "preprocess/tile_source.h"
#include "preprocess/workspace_carver.h"

namespace tm2 {

namespace {

using preprocess_internal::Geometry;
using preprocess_internal::InputReach;
using preprocess_internal::MonoSource;
using preprocess_internal::PlanGeometry;
using preprocess_internal::StreamState;
using preprocess_internal::WorkspaceCarver;

// tail_rows / float_tail_rows: a tiled tail's rows (pad Tile with
// tile_history), null otherwise; kept by the StreamPreprocessor, not in
// StreamState, so a stream that zero-pads has the bytes it had before.
void CarveState(StreamState* s, const PreprocessParams& params, const Geometry& g,
                bool float_features, WorkspaceCarver* carver, int8_t** tail_rows,
                float** float_tail_rows) {
  // The stream never crops: no Loudest energy ring.
  PreprocessParams p = params;
  p.crop = CropPolicy::kStart;
  // One input rate per stream: resampler tables and scratch for it alone,
  // none at all when it is the model's rate (a device microphone).
  p.input_rate = g.input_rate;
  s->frame_kept = !g.reach.passthrough;
  s->Carve(p, carver, s->frame_kept);
  const size_t nf = static_cast<size_t>(p.num_features());
  s->history = carver->Take<float>(g.history_size);
  // An edge frame is computed after the stream's frame is done with: the
  // two share a buffer unless the stream keeps its frame.
  s->clip_frame = s->frame_kept ? carver->TakeScratch<float>(p.frame_length + 1) : s->frame;
  const size_t ring = static_cast<size_t>(p.num_frames) * nf;
  const size_t edges = static_cast<size_t>(g.pending) * g.edge_frames * nf;
  s->rows = carver->Take<int8_t>(ring);
  s->edge_rows = carver->Take<int8_t>(edges);
  s->float_rows = float_features ? carver->Take<float>(ring) : nullptr;
  s->float_edge_rows = float_features ? carver->Take<float>(edges) : nullptr;
  // A tiled tail differs from the stream's frames everywhere past the
  // input: its own rows, written by Finish, read by ReadWindow.
  *tail_rows = g.tile_tail ? carver->Take<int8_t>(ring) : nullptr;
  *float_tail_rows = g.tile_tail && float_features ? carver->Take<float>(ring) : nullptr;
}

// Mixed input samples from the history ring as a MonoSource: index i of
// the source is input sample offset + i; indices outside [0, limit) are 0
// (before the stream, or outside a window's clip).
struct HistoryView {
  const float* ring;
  int size;
  int64_t offset;
  int64_t limit;
};

void FillFromHistory(const void* context, int64_t begin, int count, float* dst) {
  const HistoryView& h = *static_cast<const HistoryView*>(context);
  const int64_t end = begin + count;
  int64_t lo = begin < 0 ? 0 : begin;
  if (lo > end) lo = end;
  int64_t hi = end < h.limit ? end : h.limit;
  if (hi < lo) hi = lo;
  for (int64_t i = begin; i < lo; ++i) dst[i - begin] = 0.0f;
  for (int64_t i = hi; i < end; ++i) dst[i - begin] = 0.0f;
  float* out = dst + (lo - begin);
  int64_t pos = h.offset + lo;
  int left = static_cast<int>(hi - lo);
  while (left > 0) {
    const int at = static_cast<int>(pos % h.size);
    const int piece = left < h.size - at ? left : h.size - at;
    std::memcpy(out, h.ring + at, sizeof(float) * piece);
    out += piece;
    pos += piece;
    left -= piece;
  }
}

constexpr int64_t kNoEnd = INT64_MAX;

}  // namespace

namespace {

// Bytes of each part (state, scratch) for these params and options; false
// if they are invalid.
bool MeasureParts(const PreprocessParams& params, const StreamOptions& options, size_t* state,
                  size_t* scratch) {
  Geometry g;
  if (!PlanGeometry(params, options, &g).ok()) return false;
  WorkspaceCarver carver(nullptr, 0, nullptr, 0);
  carver.Take<StreamState>(1);
  StreamState measure;
  int8_t* tail_rows = nullptr;
  float* float_tail_rows = nullptr;
  CarveState(&measure, params, g, options.float_features, &carver, &tail_rows, &float_tail_rows);
  *state = carver.tables_used();
  *scratch = carver.scratch_used();
  return true;
}

}  // namespace

size_t StreamPreprocessor::WorkspaceBytes(const PreprocessParams& params,
                                          const StreamOptions& options) {
  size_t state = 0, scratch = 0;
  if (!MeasureParts(params, options, &state, &scratch)) return 0;
  return state + scratch;
}

size_t StreamPreprocessor::StateBytes(const PreprocessParams& params, const StreamOptions& options) {
  size_t state = 0, scratch = 0;
  return MeasureParts(params, options, &state, &scratch) ? state : 0;
}

size_t StreamPreprocessor::ScratchBytes(const PreprocessParams& params,
                                        const StreamOptions& options) {
  size_t state = 0, scratch = 0;
  return MeasureParts(params, options, &state, &scratch) ? scratch : 0;
}

Status StreamPreprocessor::Prepare(const PreprocessParams& params, const StreamOptions& options,
                                   void* workspace, size_t workspace_bytes) {
  // State first, then scratch, in the one buffer.
  const size_t state = StateBytes(params, options);
  if (!workspace || state == 0 || workspace_bytes < state)
    return Prepare(params, options, workspace, workspace_bytes, nullptr, 0);
  return Prepare(params, options, workspace, state, static_cast<uint8_t*>(workspace) + state,
                 workspace_bytes - state);
}

Status StreamPreprocessor::Prepare(const PreprocessParams& params, const StreamOptions& options,
                                   void* state, size_t state_bytes, void* scratch,
                                   size_t scratch_bytes) {
  state_ = nullptr;
  window_ready_ = false;
  params_ = params;
  options_ = options;
  Geometry g;
  TM2_RETURN_IF_ERROR(PlanGeometry(params, options, &g));
  if (!state) return Status::Error(StatusCode::kInvalidArgument, "stream workspace is null");
  size_t need_state = 0, need_scratch = 0;
  MeasureParts(params, options, &need_state, &need_scratch);
  if (state_bytes < need_state || scratch_bytes < need_scratch)
    return Status::Error(StatusCode::kArenaTooSmall,
                         "stream workspace has %lu bytes, needs %lu",
                         static_cast<unsigned long>(state_bytes + (scratch ? scratch_bytes : 0)),
                         static_cast<unsigned long>(need_state + need_scratch));
  if (!scratch) return Status::Error(StatusCode::kInvalidArgument, "stream scratch is null");
  WorkspaceCarver carver(state, state_bytes, scratch, scratch_bytes);
  StreamState* s = new (carver.Take<StreamState>(1)) StreamState();
  CarveState(s, params, g, options.float_features, &carver, &tail_rows_, &float_tail_rows_);
  if (carver.overflowed())  // cannot happen when MeasureParts agrees
    return Status::Error(StatusCode::kArenaTooSmall, "stream workspace overflow");
  s->FillTables();
  s->resampler.SetInputRate(options.input_rate);
  s->reach = g.reach;
  s->history_size = g.history_size;
  s->edge_left = g.edge_left;
  s->right_start = g.right_start;
  s->pending = g.pending;
  s->clip_model_len = g.clip_model_len;
  hop_frames_ = g.hop_frames;
  hop_unit_frames_ = g.hop_unit;
  hop_samples_ = g.hop_samples;
  window_samples_ = g.window_samples;
  edge_frames_ = g.edge_frames;
  state_ = s;
  Reset();
  return Status::Ok();
}

void StreamPreprocessor::Reset() {
  received_ = 0;
  next_frame_ = 0;
  next_window_ = 0;
  ready_window_ = -1;
  window_ready_ = false;
  tail_samples_ = 0;
  tail_done_ = false;
  tail_tiled_ = false;
  tail_skipped_ = false;
  if (state_) state_->frame_held = false;
}

Status StreamPreprocessor::Push(const PcmView& pcm, size_t* consumed) {
  const StatusCode kArg = StatusCode::kInvalidArgument;
  if (!state_)
    return Status::Error(StatusCode::kNotReady, "stream: Push before a successful Prepare");
  if (!consumed) return Status::Error(kArg, "stream: consumed pointer is null");
  *consumed = 0;
  if (pcm.sample_rate != options_.input_rate || pcm.channels != options_.channels)
    return Status::Error(
        kArg,
        "stream: block is %u Hz x %u channels, the stream was prepared for "
        "%u Hz x %u channels",
        static_cast<unsigned>(pcm.sample_rate), static_cast<unsigned>(pcm.channels),
        static_cast<unsigned>(options_.input_rate), static_cast<unsigned>(options_.channels));
  if (pcm.frames > 0 && !pcm.f32 && !pcm.s16)
    return Status::Error(kArg, "pcm: sample pointer is null");
  if (pcm.f32 && pcm.s16) return Status::Error(kArg, "pcm: both f32 and s16 samples are set");
  window_ready_ = false;
  tail_samples_ = 0;
  tail_done_ = false;
  tail_tiled_ = false;
  tail_skipped_ = false;
  StreamState& s = *state_;
  const PreprocessParams& p = s.params;
  size_t used = 0;
  for (;;) {
    // Input frames the next frame's last sample reads.
    const int64_t need = s.reach.End(next_frame_ * p.frame_step + p.frame_length - 1);
    if (received_ >= need) {
      ComputeFrame();
      if (window_ready_) break;
      continue;
    }
    if (used == pcm.frames) break;
    const uint64_t want = static_cast<uint64_t>(need - received_);
    size_t take = pcm.frames - used;
    if (want < take) take = static_cast<size_t>(want);
    const PcmView chunk =
        pcm.f32 ? PcmView::F32(pcm.f32 + used * pcm.channels, take, pcm.sample_rate, pcm.channels)
                : PcmView::S16(pcm.s16 + used * pcm.channels, take, pcm.sample_rate, pcm.channels);
    if (!preprocess_internal::AllFinite(chunk)) {
      *consumed = used;
      return Status::Error(kArg,
                           "pcm has non-finite samples (inf or NaN) after frame %lu of the block",
                           static_cast<unsigned long>(used));
    }
    // Mix into the ring; it keeps the last history_size samples, all a
    // frame reads.
    size_t from = 0;
    while (from < take) {
      const int at = static_cast<int>(received_ % s.history_size);
      int piece = s.history_size - at;
      if (static_cast<size_t>(piece) > take - from) piece = static_cast<int>(take - from);
      preprocess_internal::MixToMono(chunk, static_cast<int64_t>(from), piece, s.history + at);
      from += piece;
      received_ += piece;
    }
    used += take;
  }
  *consumed = used;
  return Status::Ok();
}

void StreamPreprocessor::ComputeFrame() {
  StreamState& s = *state_;
  const PreprocessParams& p = s.params;
  const int buf = p.frame_length + 1;
  const int64_t t = next_frame_;
  const int64_t first = t * p.frame_step - 1;
  const HistoryView view{s.history, s.history_size, 0, kNoEnd};
  const MonoSource source{&FillFromHistory, &view};
  if (s.frame_kept && s.frame_held && p.frame_step < buf) {
    const int reuse = buf - p.frame_step;
    std::memmove(s.frame, s.frame + p.frame_step, sizeof(float) * reuse);
    s.resampler.Produce(source, first + reuse, buf - reuse, kNoEnd, s.frame + reuse);
  } else {
    s.resampler.Produce(source, first, buf, kNoEnd, s.frame);
  }
  s.frame_held = true;
  const int n = p.num_frames;
  const int64_t at = (t % n) * p.num_features();
  s.FrameFeatures(s.frame, s.row);
  StoreRow(s.row, s.rows + at, s.float_rows ? s.float_rows + at : nullptr);
  // The same frame as an edge frame of the windows it starts or ends.
  const int64_t hop = hop_frames_;
  for (int64_t w = t / hop; w >= 0 && t - w * hop < s.edge_left; --w)
    ComputeEdgeFrame(w, static_cast<int>(t - w * hop));
  const int64_t after_first = t - n + 1;  // windows ending before t are done
  for (int64_t w = after_first <= 0 ? 0 : (after_first + hop - 1) / hop;
       w * hop <= t - s.right_start; ++w)
    ComputeEdgeFrame(w, static_cast<int>(t - w * hop));
  ++next_frame_;
  if (t == next_window_ * hop + n - 1) {
    ready_window_ = next_window_++;
    window_ready_ = true;
  }
}

void StreamPreprocessor::ComputeEdgeFrame(int64_t window, int frame_in_window) {
  StreamState& s = *state_;
  const int64_t at = EdgeSlot(window, frame_in_window) * s.params.num_features();
  ComputeClipFrame(window, frame_in_window, window_samples_, s.clip_model_len, s.edge_rows + at,
                   s.float_edge_rows ? s.float_edge_rows + at : nullptr);
}

void StreamPreprocessor::ComputeClipFrame(int64_t window, int frame_in_window,
                                          int64_t clip_samples, int64_t clip_model_len,
                                          int8_t* q_out, float* f_out) {
  StreamState& s = *state_;
  const PreprocessParams& p = s.params;
  // As the batch path sees the clip: input outside it, and model samples
  // past its model-rate length, are 0. Window starts are whole input
  // samples (Prepare), so clip sample m has the stream's resampling phase.
  const HistoryView view{s.history, s.history_size, window * hop_samples_, clip_samples};
  const MonoSource source{&FillFromHistory, &view};
  s.resampler.Produce(source, static_cast<int64_t>(frame_in_window) * p.frame_step - 1,
                      p.frame_length + 1, clip_model_len, s.clip_frame);
  s.FrameFeatures(s.clip_frame, s.row);
  StoreRow(s.row, q_out, f_out);
}

void StreamPreprocessor::MakeTiledTail(int64_t w, int64_t len) {
  StreamState& s = *state_;
  const PreprocessParams& p = s.params;
  // The batch path's tiled clip (preprocessor.cc, TiledSource) over the
  // tail's samples in the history ring, which holds them all (tile_tail).
  const HistoryView view{s.history, s.history_size, w * hop_samples_, len};
  preprocess_internal::TiledInput tiled;
  tiled.input = MonoSource{&FillFromHistory, &view};
  tiled.frames = len;
  tiled.period = len + static_cast<int64_t>(p.TileGapFrames(options_.input_rate));
  tiled.total = static_cast<int64_t>(p.WindowInputFrames(options_.input_rate));
  const MonoSource source = preprocess_internal::TiledSource(&tiled);
  const uint64_t in = options_.input_rate, out = p.sample_rate;
  const int64_t model_len =
      static_cast<int64_t>((static_cast<uint64_t>(tiled.total) * out + in - 1) / in);
  const int64_t nf = p.num_features();
  for (int i = 0; i < p.num_frames; ++i) {
    s.resampler.Produce(source, static_cast<int64_t>(i) * p.frame_step - 1, p.frame_length + 1,
                        model_len, s.clip_frame);
    s.FrameFeatures(s.clip_frame, s.row);
    StoreRow(s.row, tail_rows_ + i * nf, float_tail_rows_ ? float_tail_rows_ + i * nf : nullptr);
  }
}

int64_t StreamPreprocessor::EdgeSlot(int64_t window, int frame_in_window) const {
  const StreamState& s = *state_;
  const int slot = frame_in_window < s.edge_left ? frame_in_window
                                                 : s.edge_left + frame_in_window - s.right_start;
  return (window % s.pending) * edge_frames_ + slot;
}

void StreamPreprocessor::StoreRow(const float* row, int8_t* q_out, float* f_out) const {
  const PreprocessParams& p = state_->params;
  const int nf = p.num_features();
  // The batch path quantizes each float feature the same way, so an int8
  // ring gives the model input to the bit.
  for (int k = 0; k < nf; ++k)
    q_out[k] = preprocess_internal::QuantizeFeature(row[k], p.input_scale, p.input_zero_point);
  if (f_out) std::memcpy(f_out, row, sizeof(float) * nf);
}

Status StreamPreprocessor::ReadWindow(int8_t* quantized, float* features,
                                      StreamWindow* where) const {
  if (!state_)
    return Status::Error(StatusCode::kNotReady, "stream: ReadWindow before a successful Prepare");
  if (!window_ready_)
    return Status::Error(StatusCode::kNotReady,
                         "stream: no window is ready (Push until window_ready())");
  if (!quantized)
    return Status::Error(StatusCode::kInvalidArgument, "stream: quantized output pointer is null");
  const StreamState& s = *state_;
  if (features && !s.float_rows)
    return Status::Error(StatusCode::kInvalidArgument,
                         "stream: float features were not kept (StreamOptions::float_features)");
  const PreprocessParams& p = s.params;
  const int n = p.num_frames, nf = p.num_features();
  const int64_t w = ready_window_;
  if (tail_tiled_) {
    std::memcpy(quantized, tail_rows_, static_cast<size_t>(n) * nf);
    if (features) std::memcpy(features, float_tail_rows_, sizeof(float) * n * nf);
  }
  for (int i = 0; i < n && !tail_tiled_; ++i) {
    // A tail's frames not computed before Finish are in the ring (MakeTail).
    const bool computed = tail_samples_ == 0 || w * hop_frames_ + i < next_frame_;
    const bool edge = computed && (i < s.edge_left || i >= s.right_start);
    const int64_t at = (edge ? EdgeSlot(w, i) : (w * hop_frames_ + i) % n) * nf;
    std::memcpy(quantized + static_cast<size_t>(i) * nf, (edge ? s.edge_rows : s.rows) + at, nf);
    if (features)
      std::memcpy(features + static_cast<size_t>(i) * nf,
                  (edge ? s.float_edge_rows : s.float_rows) + at, sizeof(float) * nf);
  }
  if (where) {
    where->index = w;
    where->first_sample = w * hop_samples_;
    where->num_samples = tail_samples_ > 0 ? tail_samples_ : window_samples_;
  }
  return Status::Ok();
}

}  // namespace tm2
