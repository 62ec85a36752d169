// tinym2 listener: always-on listening in one arena. A sound-type gate runs
// over a PCM stream, its windows become events (stream/event_detector.h),
// and each event of the screened label (a cough) gets the screening model's
// probability, computed on the same stream.
//
// Push PCM in blocks of any size; the gate model runs every gate hop, the
// screening model every screening hop on its own window, an activity
// tracker (stream/activity.h) places onsets and offsets to ~16 ms. An event
// comes out once it is final (merge gap + a window after its offset), or
// from Finish() at the end. A cough event's screening probability is the
// mean of the screening model's positive-label probability over its
// windows that hold at least half of the event (half of the window, for
// events longer than one), among the last kScreenHistory windows; the
// screening tail at the end of input counts only for an event no whole
// screening window holds enough of (a recording shorter than a window).
// Allocates nothing after Init; memory is the caller's arena.
//
//   tm2::ListenerOptions o;                // 16 kHz mono, default hops
//   size_t need = 0;
//   TM2_RETURN_IF_ERROR(tm2::Listener::ArenaBytes(gate, &screen, o, &need));
//   std::vector<uint8_t> arena(need);
//   tm2::Listener listener;
//   TM2_RETURN_IF_ERROR(listener.Init(gate, &screen, o, arena.data(), arena.size()));
//   size_t done = 0, used = 0;
//   while (done < n) {
//     TM2_RETURN_IF_ERROR(listener.Push(tm2::PcmView::S16(pcm + done, n - done, 16000, 1), &used));
//     done += used;
//     for (int i = 0; i < listener.num_events(); ++i) Print(listener.event(i));
//   }
//   TM2_RETURN_IF_ERROR(listener.Finish());   // end of input: what it holds
//   for (int i = 0; i < listener.num_events(); ++i) Print(listener.event(i));
#ifndef TM2_STREAM_LISTENER_H_
#define TM2_STREAM_LISTENER_H_

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "engine/engine.h"
#include "format/model.h"
#include "preprocess/stream.h"
#include "stream/activity.h"
#include "stream/event_detector.h"
#include "stream/stream_runner.h"

namespace tm2 {

struct ListenerOptions {
  uint32_t input_rate = 16000;  // Hz, 8000..48000
  uint16_t channels = 1;
  uint16_t gate_hop_frames = 0;    // 0 = about a quarter of the gate's window
  uint16_t screen_hop_frames = 0;  // 0 = about half of the screening window
  const char* screened_label = "cough";     // gate label whose events are screened
  const char* positive_label = "positive";  // screening label reported
  // Gate label whose pieces become one event across silences up to
  // events.merge_same_label_gap_s (breathing pauses between breaths);
  // null or a label the gate lacks: none.
  const char* slow_label = "breathing";
  ActivityOptions activity;
  EventOptions events;
  EngineOptions engine;
  // StreamOptions::tile_history for both models: off on a microcontroller
  // without the RAM, where a model that tiles short input (pad Tile) then
  // has its tail skipped at Finish (tails_skipped()) instead of classified.
  bool tile_history = true;
};

class Listener {
 public:
  static constexpr int kScreenHistory = 64;
  static constexpr int kMaxEvents = 2 * EventDetector::kMaxOut;

  // `screen` may be null (events are then not screened).
  static Status ArenaBytes(const Model& gate, const Model* screen, const ListenerOptions& options,
                           size_t* bytes);
  Status Init(const Model& gate, const Model* screen, const ListenerOptions& options, void* arena,
              size_t arena_bytes);

  // Takes frames until one or more events are final or the block is used
  // up; *consumed = frames taken (push the rest again). Same block rules as
  // StreamPreprocessor::Push (the Init rate and channels).
  Status Push(const PcmView& pcm, size_t* consumed);
  // End of input (or a stop): runs the windows still due, then the tail -
  // the first gate window not completed, cut at the end of input and
  // padded with silence exactly as the page and the factory pad a short
  // clip (StreamRunner::Finish) - and makes the events held final. A
  // recording shorter than one window is classified this way as one clip.
  // The tail votes only for sounds that reach past the last whole window
  // (EventDetector::AddTail); the screening model's tail is kept the same
  // way for the events' screening. Push may follow (the stream goes on).
  Status Finish();
  // Starts a new stream at sample 0, dropping what is held.
  void Reset();

  // Events made final by the last Push or Finish.
  int num_events() const { return num_events_; }
  const SoundEvent& event(int i) const { return events_[i]; }

  const StreamRunner& gate() const { return gate_; }
  bool screening() const { return has_screen_; }
  int screened_label() const { return screened_label_; }
  int64_t frames_pushed() const { return frames_; }
  int64_t gate_windows() const { return gate_windows_; }  // tails included
  int64_t tail_windows() const { return tail_windows_; }  // gate tails run by Finish
  // Tails Finish could not classify (pad Tile without tile_history), gate
  // and screening model together.
  int64_t tails_skipped() const { return tails_skipped_; }
  int64_t screen_windows() const { return screen_windows_; }
  const ActivityTracker& activity() const { return activity_; }
  const EventDetector& detector() const { return detector_; }

 private:
  struct ScreenResult {
    int64_t first = 0, num = 0;
    float p = 0;
    bool tail = false;  // the padded tail Finish ran
  };
  Status FeedScreen(const PcmView& pcm);
  void TakeWindowEvents(int n, const SoundEvent* found);
  float Screening(const SoundEvent& e) const;
  void KeepScreen();  // the screening runner's result into the ring
  int AddWholeWindow(SoundEvent* found);  // the gate's whole window to the detector

  StreamRunner gate_;
  StreamOptions gate_stream_options_;
  StreamRunner screen_;
  ActivityTracker activity_;
  EventDetector detector_;
  bool has_screen_ = false;
  bool ready_ = false;
  int screened_label_ = -1;
  int positive_ = 0;
  ScreenResult screen_ring_[kScreenHistory];
  int64_t screen_windows_ = 0;
  int64_t gate_windows_ = 0;
  int64_t tail_windows_ = 0;
  int64_t tails_skipped_ = 0;
  int64_t heard_until_ = 0;  // end of the last whole gate window, in input frames
  int64_t frames_ = 0;
  SoundEvent events_[kMaxEvents];
  int num_events_ = 0;
};

}  // namespace tm2

#endif  // TM2_STREAM_LISTENER_H_
