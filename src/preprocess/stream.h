// tinym2 streaming preprocessing: PCM pushed in blocks of any size -> the
// model's input window every hop, for always-on listening.
//
// The stream turns unbounded PCM (any rate 8000..48000 Hz, any channel
// count, fixed per stream) into feature frames, each computed once into a
// ring of num_frames frames, and offers a window of num_frames frames every
// hop_frames frames. Memory is the caller's workspace, sized by
// WorkspaceBytes(); Push allocates nothing and never fails on length: an
// hour or a year of input streams through the same bytes.
//
// Equivalence with the batch path (docs/preprocessing.md, "Streaming"):
// window w is byte for byte what Preprocessor::Run gives (same params) on
// exactly the input samples [w * hop_samples(), w * hop_samples() +
// window_samples()) of the stream, int8 and float. That clip always gives
// exactly num_frames frames, so the model's crop policy never applies.
// The batch path sees zeros outside its clip; the stream sees the real
// neighbours, so the first and last frame or two of each window (those the
// resampler's kernel or pre-emphasis reach across the clip's edges) are
// computed again per window with the clip's edges: edge_frames() of them.
//
//   tm2::PreprocessParams p = model.preprocess(0);   // or by hand
//   tm2::StreamOptions o;
//   o.input_rate = 48000; o.channels = 2; o.hop_frames = 25;
//   std::vector<uint8_t> ws(tm2::StreamPreprocessor::WorkspaceBytes(p, o));
//   tm2::StreamPreprocessor stream;
//   TM2_RETURN_IF_ERROR(stream.Prepare(p, o, ws.data(), ws.size()));
//   std::vector<int8_t> window(stream.num_frames() * stream.num_features());
//   // for each captured block of `n` frames (interleaved int16 here):
//   size_t done = 0;
//   while (done < n) {
//     size_t used = 0;
//     TM2_RETURN_IF_ERROR(stream.Push(
//         tm2::PcmView::S16(block + done * 2, n - done, 48000, 2), &used));
//     done += used;
//     tm2::StreamWindow where;                   // which input samples
//     if (stream.window_ready()) {
//       TM2_RETURN_IF_ERROR(stream.ReadWindow(window.data(), nullptr, &where));
//       // engine.SetFeatures(0, window.data(), window.size()); engine.Invoke();
//     }
//   }
#ifndef TM2_PREPROCESS_STREAM_H_
#define TM2_PREPROCESS_STREAM_H_

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "preprocess/preprocess.h"

namespace tm2 {
namespace preprocess_internal {
struct StreamState;  // tables, rings and edge rows, in the caller's workspace
}  // namespace preprocess_internal

struct StreamOptions {
  uint32_t input_rate = 16000;  // Hz, 8000..48000; every pushed block has it
  uint16_t channels = 1;        // interleaved channels of every pushed block
  // Frames between the starts of two windows; 0 = the largest whole number
  // of input samples not above half the window (see hop_unit_frames()).
  uint16_t hop_frames = 0;
  // Keep each frame's float features too, for ReadWindow's `features`
  // (tests comparing with the batch path). Off, the rings hold only the
  // int8 model input, quantized once per frame: a quarter of the bytes.
  bool float_features = false;
  // For a model whose pad is Tile (a short input is tiled, not
  // zero-padded): keep the mixed input of a whole window (window_samples()
  // floats, about 132 KB at 16 kHz for a 2.064 s window) and a window of
  // rows, so that Finish can tile the tail as the batch path tiles a short
  // clip. Off (a microcontroller without the RAM), Finish refuses such a
  // tail with kUnsupported ("not classifiable") and tail_skipped() is set.
  // No effect, and no bytes, for a model that zero-pads.
  bool tile_history = true;
};

// Where a window lies in the stream, in input frames (samples per channel)
// counted from the first sample pushed after Prepare or Reset.
struct StreamWindow {
  int64_t index = 0;         // 0, 1, 2, ...
  int64_t first_sample = 0;  // index * hop_samples()
  int64_t num_samples = 0;   // window_samples()
};

class StreamPreprocessor {
 public:
  // Bytes of workspace Prepare() needs (0 if params or options are invalid).
  static size_t WorkspaceBytes(const PreprocessParams& params, const StreamOptions& options);
  // The same in two parts: state kept from Push to Push (tables, rings),
  // and scratch each frame fills before it reads it, free for other uses
  // between Pushes (StreamRunner lends it to the engine's activations).
  static size_t StateBytes(const PreprocessParams& params, const StreamOptions& options);
  static size_t ScratchBytes(const PreprocessParams& params, const StreamOptions& options);

  // Validates, builds the tables in `workspace` (which must outlive this
  // object) and starts an empty stream. Refuses a hop that is not a whole
  // number of input samples, as no batch clip could then match a window.
  Status Prepare(const PreprocessParams& params, const StreamOptions& options, void* workspace,
                 size_t workspace_bytes);
  // The same with the two parts apart (StateBytes, ScratchBytes): `state`
  // must keep its contents between Pushes; `scratch` need not.
  Status Prepare(const PreprocessParams& params, const StreamOptions& options, void* state,
                 size_t state_bytes, void* scratch, size_t scratch_bytes);

  // Takes samples from `pcm` until a window is complete or the block is
  // used up; *consumed = frames taken. Push again with the rest after
  // reading the window: a ready window stays readable until the next Push
  // or Reset. `pcm` must have the options' rate and channels; a block of 0
  // frames only finishes frames whose input is already in. Non-finite
  // float samples: an error, with *consumed = the frames taken before the
  // chunk that holds them (the stream stays usable). Allocates nothing.
  Status Push(const PcmView& pcm, size_t* consumed);

  // End of input: call after the last Push, again until no window is
  // ready. Each call readies the next whole window whose input is all in
  // (as a 0-frame Push would), and once none is left the tail: the first
  // window not yet complete, cut at the end of input, byte for byte what
  // Preprocessor::Run gives on exactly the input samples [first_sample,
  // first_sample + num_samples) - frames past the cut are the batch path's
  // silence padding (a short clip). `where->num_samples` of a tail is the
  // samples it holds (< window_samples() unless the input ended inside the
  // right edge); no tail when the input ends where a window starts. Push
  // may follow (the stream goes on; the tail was a look ahead). Allocates
  // nothing. A model with pad Tile gets its tail tiled as the batch path
  // tiles a clip shorter than the window (from the history the stream kept
  // for it, StreamOptions::tile_history); without that history the tail is
  // refused with kUnsupported (tail_skipped()), once: the next call returns
  // Ok with no window.
  Status Finish();

  // Finish met a tail it cannot compute: the model tiles (pad Tile) and the
  // stream keeps no history for it (StreamOptions::tile_history off). Set
  // until the next Push or Reset.
  bool tail_skipped() const { return tail_skipped_; }

  bool window_ready() const { return window_ready_; }
  // The ready window is the tail (Finish) rather than a whole window.
  bool tail_ready() const { return window_ready_ && tail_samples_ > 0; }

  // The ready window: num_frames x num_features int8 features (the model
  // input) and, when `features` is not null, their float values (only if
  // the options kept them: float_features); `where` (may be null) says
  // which input samples it covers.
  Status ReadWindow(int8_t* quantized, float* features, StreamWindow* where) const;

  // Starts a new stream at sample 0 (e.g. after a capture gap), keeping
  // the tables.
  void Reset();

  int num_frames() const { return params_.num_frames; }
  int num_features() const { return params_.num_features(); }
  int hop_frames() const { return hop_frames_; }
  // Input frames between window starts, and the input frames one window's
  // batch clip holds: ceil(((num_frames - 1) * frame_step + frame_length)
  // * input_rate / sample_rate).
  int64_t hop_samples() const { return hop_samples_; }
  int64_t window_samples() const { return window_samples_; }
  // Hops must be a multiple of this many frames at the stream's rate.
  int hop_unit_frames() const { return hop_unit_frames_; }
  // Frames of each window computed again with the clip's edges.
  int edge_frames() const { return edge_frames_; }
  const PreprocessParams& params() const { return params_; }

 private:
  void ComputeFrame();
  void ComputeEdgeFrame(int64_t window, int frame_in_window);
  // Frame `frame_in_window` of the clip [window start, + clip_samples)
  // that the batch path would compute, from the history ring, into `q_out`
  // (and `f_out` if not null).
  void ComputeClipFrame(int64_t window, int frame_in_window, int64_t clip_samples,
                        int64_t clip_model_len, int8_t* q_out, float* f_out);
  Status MakeTail();
  // The tail of `len` samples at window `w`, tiled (pad Tile), into the
  // tail rows.
  void MakeTiledTail(int64_t w, int64_t len);
  int64_t EdgeSlot(int64_t window, int frame_in_window) const;
  // Quantizes the float row into the int8 ring (and keeps it if asked).
  void StoreRow(const float* row, int8_t* q_out, float* f_out) const;

  PreprocessParams params_;
  StreamOptions options_;
  preprocess_internal::StreamState* state_ = nullptr;
  int hop_frames_ = 0;
  int hop_unit_frames_ = 0;
  int64_t hop_samples_ = 0;
  int64_t window_samples_ = 0;
  int edge_frames_ = 0;
  // Stream position.
  int64_t received_ = 0;      // input frames taken so far
  int64_t next_frame_ = 0;    // the next frame to compute
  int64_t next_window_ = 0;   // the next window to complete
  int64_t ready_window_ = -1;
  bool window_ready_ = false;
  int64_t tail_samples_ = 0;  // > 0: the ready window is the tail of this many samples
  bool tail_done_ = false;    // Finish gave the tail (or found none) since the last Push
  bool tail_tiled_ = false;   // the ready tail is in the tail rows (pad Tile)
  bool tail_skipped_ = false; // see tail_skipped()
  // pad Tile with tile_history: a tiled tail's rows, in the workspace
  // (null otherwise).
  int8_t* tail_rows_ = nullptr;
  float* float_tail_rows_ = nullptr;
};

}  // namespace tm2

#endif  // TM2_PREPROCESS_STREAM_H_
