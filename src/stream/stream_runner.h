// tinym2 stream runner: a single-branch model run on every window of a
// PCM stream, for always-on listening (the page's sound gate over a
// microphone, keyword spotting on a device).
//
// It joins a StreamPreprocessor (preprocess/stream.h) and an Engine
// (engine/engine.h) in one caller-supplied arena: each window's int8
// features go to the engine with SetFeatures and the model runs once per
// hop. The stream's per-frame scratch and the engine's activations share
// one region of the arena (frames and Invoke never run at once). Window w's probabilities are exactly those Engine::SetInput +
// Invoke give on the window's samples (the rule in stream.h). Push
// allocates nothing; input of any length streams through the same arena.
//
//   tm2::StreamOptions o;
//   o.input_rate = 16000; o.channels = 1; o.hop_frames = 32;
//   size_t need = 0;
//   TM2_RETURN_IF_ERROR(tm2::StreamRunner::ArenaBytes(model, o, &need));
//   std::vector<uint8_t> arena(need);
//   tm2::StreamRunner runner;
//   TM2_RETURN_IF_ERROR(runner.Init(model, o, arena.data(), arena.size()));
//   size_t done = 0, used = 0;
//   while (done < n) {                          // one captured block
//     TM2_RETURN_IF_ERROR(runner.Push(tm2::PcmView::S16(pcm + done, n - done, 16000, 1), &used));
//     done += used;
//     if (runner.result_ready())
//       printf("%.2f s %s %.3f\n", runner.window().first_sample / 16000.0,
//              model.label(runner.top_class()), runner.probabilities()[runner.top_class()]);
//   }
#ifndef TM2_STREAM_STREAM_RUNNER_H_
#define TM2_STREAM_STREAM_RUNNER_H_

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "engine/engine.h"
#include "format/model.h"
#include "preprocess/preprocess.h"
#include "preprocess/stream.h"

namespace tm2 {

class StreamRunner {
 public:
  // Arena bytes Init needs for this model and stream (stream workspace,
  // one window of features, the engine's arena, alignment).
  static Status ArenaBytes(const Model& model, const StreamOptions& stream_options, size_t* bytes,
                           const EngineOptions& engine_options = EngineOptions());

  // The model must have one branch. The engine's own PCM preprocessing is
  // never used, so its resampler cache is left out whatever
  // engine_options say; the stream keeps the model's setting.
  Status Init(const Model& model, const StreamOptions& stream_options, void* arena,
              size_t arena_bytes, const EngineOptions& engine_options = EngineOptions());

  // Takes samples until a window is complete, runs the model on it and
  // stops (result_ready()), or until the block is used up; *consumed =
  // frames taken. Same rules as StreamPreprocessor::Push.
  Status Push(const PcmView& pcm, size_t* consumed);
  // End of input: runs the model on the next window StreamPreprocessor::
  // Finish readies (whole windows still due, then the tail cut at the end
  // and padded as the batch path pads a short clip); call until
  // !result_ready(). A tail's probabilities are exactly Engine::SetInput +
  // Invoke on its samples (tail_ready(); window().num_samples is its
  // length).
  Status Finish();
  bool tail_ready() const { return result_ready_ && stream_.tail_ready(); }
  // Finish refused the tail: the model tiles short input (pad Tile) and the
  // stream keeps no history for it (StreamOptions::tile_history off).
  bool tail_skipped() const { return stream_.tail_skipped(); }

  // The last window's result, valid until the next Push or Reset.
  bool result_ready() const { return result_ready_; }
  const StreamWindow& window() const { return window_; }
  const float* probabilities() const { return engine_.probabilities(); }
  int top_class() const;
  int num_classes() const { return engine_.num_classes(); }

  void Reset();
  const StreamPreprocessor& stream() const { return stream_; }
  size_t arena_used() const { return arena_used_; }

 private:
  Status RunWindow();  // the model on the stream's ready window, if any

  StreamPreprocessor stream_;
  Engine engine_;
  int8_t* window_features_ = nullptr;
  size_t window_size_ = 0;
  StreamWindow window_;
  size_t arena_used_ = 0;
  bool result_ready_ = false;
};

}  // namespace tm2

#endif  // TM2_STREAM_STREAM_RUNNER_H_
