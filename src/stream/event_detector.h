// tinym2 event detector: sound in a stream becomes events (a bout of
// coughing, a stretch of counting) with onset, offset and the sound-type
// gate's label.
//
// Rules (docs/streaming.md, "Events"):
// - Where: runs of active ~16 ms blocks (stream/activity.h, whose on/off
//   margins are the onset/offset hysteresis) form a segment; silences up
//   to merge_gap_s stay inside it, a longer one ends it. Onset = its first
//   active block, offset = the end of its last. A segment reaching
//   max_duration_s is cut there (a long stretch of speech becomes several
//   events).
// - What: every gate window that overlaps a segment votes for it with its
//   class probabilities, weighted by the share of the window's active
//   blocks that lie in the segment (a window that mostly hears the previous
//   sound says little about this one). The event's label is the top of the
//   weighted mean, its confidence that mean.
// - Background out of the vote: the gate has no background class and
//   names room noise too (the shipped gate says "breathing", 0.98). A
//   window whose segment fills a share s of it is read as a mixture,
//   p = s * q + (1 - s) * b, where b is the gate's mean answer on the
//   stream's recent windows without any active block; the window votes
//   with the sound's own q = max(0, p - (1 - s) b) / s, renormalised
//   (subtract_background; before any window without sound, q = p).
// - Slow sounds in one piece: consecutive segments both labelled
//   slow_label (breathing), with a silence of at most
//   merge_same_label_gap_s between them, become one event (their votes
//   summed); the last such event waits until no neighbour can follow.
// - Kept: a segment holding less than min_duration_s of sound (active
//   blocks, not its span: two clicks a second apart are not an event), or
//   whose confidence is below min_confidence, is dropped.
// - When: an event is final once its segment has ended and the gate's
//   windows have moved past it (a window length plus the merge gap after
//   its offset).
// The gate has no silence class, so activity (not the gate) says whether
// anything is there. No heap: up to kMaxSegments segments are open or
// waiting for their last windows, with a fixed number of classes.
//
//   tm2::EventDetector det;
//   TM2_RETURN_IF_ERROR(det.Init(16000, gate.num_classes(), tm2::EventOptions()));
//   tm2::SoundEvent done[tm2::EventDetector::kMaxOut];
//   int n = det.AddWindow(runner.window(), runner.probabilities(), activity, done);
//   // ... at the end of the stream: n = det.Flush(activity, done);
#ifndef TM2_STREAM_EVENT_DETECTOR_H_
#define TM2_STREAM_EVENT_DETECTOR_H_

#include <cstdint>

#include "common/status.h"
#include "preprocess/stream.h"
#include "stream/activity.h"

namespace tm2 {

struct EventOptions {
  float min_duration_s = 0.3f;   // segments with less sound (active blocks) are dropped
  float merge_gap_s = 1.5f;      // silences up to this long stay inside an event
  float max_duration_s = 30.0f;  // longer segments are cut here
  float min_confidence = 0.5f;   // events the gate is less sure of are dropped
  // Consecutive segments that the gate gives the label `slow_label` (a
  // class index; -1 = none), this close, become one event (0 = off): deep
  // breathing pauses longer than merge_gap_s between breaths and was
  // reported in pieces. Other labels are not merged this way: two coughs
  // or words 2-3 s apart are two events. Events then come out up to this
  // much later. Listener sets slow_label from ListenerOptions::slow_label.
  float merge_same_label_gap_s = 3.0f;
  int slow_label = -1;
  // Votes without the gate's answer to the background (see above).
  bool subtract_background = true;
};

struct SoundEvent {
  int label = -1;        // the gate's class
  int64_t onset = 0;     // input frames from the stream's start
  int64_t offset = 0;    // one past the last frame
  float confidence = 0;  // weighted mean probability of `label` over its windows
  int windows = 0;       // gate windows that voted
  float screening = -1;  // screening model's probability (cough events), else -1
};

class EventDetector {
 public:
  static constexpr int kMaxSegments = 4;
  static constexpr int kMaxClasses = 16;
  // Events one AddWindow or Flush writes at most: the segments held and
  // the event waiting for a same-label neighbour.
  static constexpr int kMaxOut = kMaxSegments + 1;

  Status Init(uint32_t input_rate, int num_classes, const EventOptions& options);
  void Reset();

  // One gate window (probabilities over num_classes) with the activity of
  // the stream up to at least its end; writes events that became final to
  // `out`, returns how many (0..kMaxOut).
  int AddWindow(const StreamWindow& window, const float* probabilities,
                const ActivityTracker& activity, SoundEvent* out);
  // The tail at the end of input (StreamRunner::Finish: the first window
  // not completed, cut at the end and padded with silence as a short clip
  // is): it votes as a window does, but only for segments with sound at or
  // after `seen_until` (the end of the last whole window, 0 if none), so
  // audio the whole windows heard gets no second vote and a long input's
  // events change only where it ended inside a sound. Not a background
  // sample (its padding is digital silence, not the room).
  int AddTail(const StreamWindow& window, const float* probabilities, int64_t seen_until,
              const ActivityTracker& activity, SoundEvent* out);
  // Ends the stream: every segment held becomes final (0..kMaxOut).
  int Flush(const ActivityTracker& activity, SoundEvent* out);

  int segments_held() const { return count_; }
  int64_t dropped_short() const { return dropped_short_; }
  int64_t dropped_unsure() const { return dropped_unsure_; }

 private:
  struct Segment {
    int64_t onset = 0, offset = 0;
    bool closed = false;
    int windows = 0;
    int64_t sound = 0;  // frames of its active blocks
    double weight = 0;
    double score[kMaxClasses] = {};
  };
  void Scan(const ActivityTracker& a, SoundEvent* out, int* n);
  // AddWindow and AddTail: votes for segments with sound from `seen_until`.
  int Add(const StreamWindow& window, const float* p, int64_t seen_until, bool background,
          const ActivityTracker& a, SoundEvent* out);
  // The window's vote for a segment filling `share` of it (0 < share <= 1).
  void Vote(const float* p, double share, double* q) const;
  void Start(int64_t onset, int64_t offset, SoundEvent* out, int* n);
  // Removes segment i and either merges it into the waiting one (same
  // label, near) or emits the waiting one and waits with i: 0 or 1 events.
  int Finish(int i, SoundEvent* out);
  int Label(const Segment& s) const;
  int Emit(const Segment& s, SoundEvent* out);  // to `out` if kept: 0 or 1
  int Release(const ActivityTracker& a, SoundEvent* out);  // the waiting one, once no neighbour can come

  int num_classes_ = 0;
  float min_confidence_ = 0;
  int64_t min_duration_ = 0, merge_gap_ = 0, max_duration_ = 0;  // frames
  int64_t same_label_gap_ = 0;
  int slow_label_ = -1;
  bool subtract_background_ = true;
  // The gate's mean answer on windows without sound: the first 16 such
  // windows' mean, then a moving mean over about the last 16.
  double background_[kMaxClasses] = {};
  int64_t background_windows_ = 0;
  Segment waiting_;  // finished, held for a same-label neighbour
  bool has_waiting_ = false;
  Segment segments_[kMaxSegments];  // oldest first; only the last may be open
  int count_ = 0;
  int64_t scanned_ = 0;  // activity blocks looked at
  int64_t dropped_short_ = 0, dropped_unsure_ = 0;
};

}  // namespace tm2

#endif  // TM2_STREAM_EVENT_DETECTOR_H_
