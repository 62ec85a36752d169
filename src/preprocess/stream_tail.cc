// StreamPreprocessor at the end of input (stream.h, Finish): the windows
// still due, then the tail - the first incomplete window cut at the end
// and padded (or, for a model with pad Tile, tiled) as the batch path pads
// (tiles) a short clip.
#include "preprocess/pipeline.h"
#include "preprocess/stream.h"
#include "preprocess/stream_state.h"

namespace tm2 {

using preprocess_internal::StreamState;

Status StreamPreprocessor::Finish() {
  if (!state_)
    return Status::Error(StatusCode::kNotReady, "stream: Finish before a successful Prepare");
  if (tail_done_) {
    window_ready_ = false;
    tail_samples_ = 0;
    tail_tiled_ = false;
    return Status::Ok();
  }
  size_t used = 0;
  TM2_RETURN_IF_ERROR(
      Push(PcmView::S16(nullptr, 0, options_.input_rate, options_.channels), &used));
  if (window_ready_) return Status::Ok();
  tail_done_ = true;
  return MakeTail();
}

// The first incomplete window as the batch path computes its clip, cut at
// the end of input. Its frames already computed (received_ covered all
// they read, so they lie inside the cut) are read where they are, as
// ReadWindow reads a whole window's; the others are computed now from the
// history ring, which holds what the next frame reads and so all later
// frames' input before the end. They go to their ring slots: frames not
// computed yet, whose slots hold frames older than this window.
Status StreamPreprocessor::MakeTail() {
  StreamState& s = *state_;
  const PreprocessParams& p = s.params;
  const int64_t w = next_window_;
  const int64_t start = w * hop_samples_;
  const int64_t avail = received_ - start;
  if (avail <= 0) return Status::Ok();  // the input ends where this window starts: nothing to add
  const int64_t len = avail < window_samples_ ? avail : window_samples_;
  const uint64_t in = options_.input_rate, out = p.sample_rate;
  const int64_t model_len = static_cast<int64_t>((static_cast<uint64_t>(len) * out + in - 1) / in);
  int64_t keep = preprocess_internal::FrameCount(model_len, p.frame_length, p.frame_step);
  const int n = p.num_frames;
  if (p.pad == PadMode::kTile && keep < n) {
    // Shorter than the window, and the model tiles: the batch path reads
    // the tail's samples from its start again, so every frame differs from
    // the stream's past the input.
    if (!tail_rows_) {
      tail_skipped_ = true;
      return Status::Error(StatusCode::kUnsupported,
                           "stream: tail of %lld samples not classifiable: the model tiles "
                           "short input (pad Tile), the stream keeps no history for it "
                           "(tile_history off)",
                           static_cast<long long>(len));
    }
    MakeTiledTail(w, len);
    ready_window_ = w;
    window_ready_ = true;
    tail_samples_ = len;
    tail_tiled_ = true;
    return Status::Ok();
  }
  if (keep > n) keep = n;
  const int64_t nf = p.num_features();
  for (int i = 0; i < n; ++i) {
    const int64_t t = w * hop_frames_ + i;
    if (t < next_frame_) continue;
    const int64_t at = (t % n) * nf;
    float* f_out = s.float_rows ? s.float_rows + at : nullptr;
    if (i < keep) ComputeClipFrame(w, i, len, model_len, s.rows + at, f_out);
    else StoreRow(s.silence, s.rows + at, f_out);  // the batch path's padding
  }
  ready_window_ = w;
  window_ready_ = true;
  tail_samples_ = len;
  return Status::Ok();
}

}  // namespace tm2
