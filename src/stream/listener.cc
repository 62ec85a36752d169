#include "stream/listener.h"

#include <cstring>
#include <initializer_list>

namespace tm2 {
namespace {

uint64_t Gcd(uint64_t a, uint64_t b) {
  while (b) {
    const uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// About a quarter of the gate's window: onsets are placed by the activity
// blocks, but a window must see a sound for the gate to name it, so a
// shorter hop finds short sounds sooner. Hops come in whole input samples
// (the unit rule of StreamPreprocessor::hop_unit_frames()).
uint16_t DefaultGateHop(const PreprocessParams& p, uint32_t input_rate) {
  const uint64_t out = p.sample_rate;
  const uint64_t unit = out / Gcd(static_cast<uint64_t>(p.frame_step) * input_rate, out);
  uint64_t hop = static_cast<uint64_t>(p.num_frames) / 4 / unit * unit;
  if (hop == 0) hop = unit;
  return static_cast<uint16_t>(hop > 65535 ? unit : hop);
}

int FindLabel(const Model& m, const char* name) {
  for (int i = 0; i < m.num_labels(); ++i)
    if (std::strcmp(m.label(i), name) == 0) return i;
  return -1;
}

struct Plan {
  StreamOptions gate, screen;
  size_t gate_bytes = 0, screen_bytes = 0;
};

Status MakePlan(const Model& gate, const Model* screen, const ListenerOptions& o, Plan* plan) {
  if (gate.num_branches() != 1)
    return Status::Error(StatusCode::kInvalidArgument, "listener: the gate model has %d branches",
                         gate.num_branches());
  plan->gate.input_rate = o.input_rate;
  plan->gate.channels = o.channels;
  plan->gate.tile_history = o.tile_history;
  plan->gate.hop_frames =
      o.gate_hop_frames ? o.gate_hop_frames : DefaultGateHop(gate.preprocess(0), o.input_rate);
  TM2_RETURN_IF_ERROR(StreamRunner::ArenaBytes(gate, plan->gate, &plan->gate_bytes, o.engine));
  if (!screen) return Status::Ok();
  if (FindLabel(gate, o.screened_label) < 0)
    return Status::Error(StatusCode::kInvalidArgument,
                         "listener: the gate model has no label '%s' to screen", o.screened_label);
  if (FindLabel(*screen, o.positive_label) < 0)
    return Status::Error(StatusCode::kInvalidArgument,
                         "listener: the screening model has no label '%s'", o.positive_label);
  plan->screen = plan->gate;
  plan->screen.hop_frames = o.screen_hop_frames;
  return StreamRunner::ArenaBytes(*screen, plan->screen, &plan->screen_bytes, o.engine);
}

}  // namespace

Status Listener::ArenaBytes(const Model& gate, const Model* screen, const ListenerOptions& options,
                            size_t* bytes) {
  if (!bytes) return Status::Error(StatusCode::kInvalidArgument, "listener: bytes pointer is null");
  Plan plan;
  TM2_RETURN_IF_ERROR(MakePlan(gate, screen, options, &plan));
  *bytes = plan.gate_bytes + plan.screen_bytes;
  return Status::Ok();
}

Status Listener::Init(const Model& gate, const Model* screen, const ListenerOptions& o,
                      void* arena, size_t arena_bytes) {
  ready_ = false;
  Plan plan;
  TM2_RETURN_IF_ERROR(MakePlan(gate, screen, o, &plan));
  if (!arena) return Status::Error(StatusCode::kInvalidArgument, "listener: arena is null");
  if (arena_bytes < plan.gate_bytes + plan.screen_bytes)
    return Status::Error(StatusCode::kArenaTooSmall, "listener: arena has %lu bytes, needs %lu",
                         static_cast<unsigned long>(arena_bytes),
                         static_cast<unsigned long>(plan.gate_bytes + plan.screen_bytes));
  uint8_t* base = static_cast<uint8_t*>(arena);
  TM2_RETURN_IF_ERROR(gate_.Init(gate, plan.gate, base, plan.gate_bytes, o.engine));
  gate_stream_options_ = plan.gate;
  has_screen_ = screen != nullptr;
  if (has_screen_) {
    TM2_RETURN_IF_ERROR(
        screen_.Init(*screen, plan.screen, base + plan.gate_bytes, plan.screen_bytes, o.engine));
    screened_label_ = FindLabel(gate, o.screened_label);
    positive_ = FindLabel(*screen, o.positive_label);
  }
  TM2_RETURN_IF_ERROR(activity_.Init(o.input_rate, o.channels, o.activity));
  // Onsets are looked up in the activity history from a window's start.
  const int64_t reach = gate_.stream().window_samples() +
                        static_cast<int64_t>(o.events.merge_gap_s * o.input_rate);
  if (reach > activity_.history_samples())
    return Status::Error(StatusCode::kInvalidArgument,
                         "listener: window plus merge gap (%.1f s) exceed the %.0f s of activity "
                         "history",
                         static_cast<double>(reach) / o.input_rate,
                         static_cast<double>(activity_.history_samples()) / o.input_rate);
  EventOptions events = o.events;
  // The slow label's pieces merge across longer silences (event_detector.h);
  // a gate without it merges nothing that way.
  events.slow_label = o.slow_label ? FindLabel(gate, o.slow_label) : -1;
  TM2_RETURN_IF_ERROR(detector_.Init(o.input_rate, gate_.num_classes(), events));
  ready_ = true;
  Reset();
  return Status::Ok();
}

void Listener::Reset() {
  gate_.Reset();
  if (has_screen_) screen_.Reset();
  activity_.Reset();
  detector_.Reset();
  screen_windows_ = gate_windows_ = tail_windows_ = tails_skipped_ = frames_ = heard_until_ = 0;
  num_events_ = 0;
}

Status Listener::FeedScreen(const PcmView& pcm) {
  size_t done = 0;
  do {
    PcmView rest = pcm;
    rest.frames = pcm.frames - done;
    if (rest.f32) rest.f32 += done * rest.channels;
    if (rest.s16) rest.s16 += done * rest.channels;
    size_t used = 0;
    TM2_RETURN_IF_ERROR(screen_.Push(rest, &used));
    done += used;
    if (screen_.result_ready()) {
      KeepScreen();
    } else if (used == 0) {
      break;  // nothing more in this block
    }
  } while (done < pcm.frames);
  return Status::Ok();
}

int Listener::AddWholeWindow(SoundEvent* found) {
  heard_until_ = gate_.window().first_sample + gate_.window().num_samples;
  return detector_.AddWindow(gate_.window(), gate_.probabilities(), activity_, found);
}

void Listener::KeepScreen() {
  ScreenResult& r = screen_ring_[screen_windows_ % kScreenHistory];
  r.first = screen_.window().first_sample;
  r.num = screen_.window().num_samples;  // a tail's: the samples it holds
  r.p = screen_.probabilities()[positive_];
  r.tail = screen_.tail_ready();
  ++screen_windows_;
}

float Listener::Screening(const SoundEvent& e) const {
  // Whole windows first; the tail (padded, so a weaker view) only when none
  // of them holds enough of the event: long inputs keep their values.
  const int64_t kept = screen_windows_ < kScreenHistory ? screen_windows_ : kScreenHistory;
  for (bool tail : {false, true}) {
    double sum = 0;
    int n = 0;
    for (int64_t i = screen_windows_ - kept; i < screen_windows_; ++i) {
      const ScreenResult& r = screen_ring_[i % kScreenHistory];
      if (r.tail != tail) continue;
      const int64_t lo = r.first > e.onset ? r.first : e.onset;
      const int64_t hi = r.first + r.num < e.offset ? r.first + r.num : e.offset;
      const int64_t length = e.offset - e.onset < r.num ? e.offset - e.onset : r.num;
      if (hi > lo && 2 * (hi - lo) >= length) {
        sum += r.p;
        ++n;
      }
    }
    if (n) return static_cast<float>(sum / n);
  }
  return -1.0f;
}

void Listener::TakeWindowEvents(int n, const SoundEvent* found) {
  for (int i = 0; i < n && num_events_ < kMaxEvents; ++i) {
    SoundEvent e = found[i];
    if (has_screen_ && e.label == screened_label_) e.screening = Screening(e);
    events_[num_events_++] = e;
  }
}

Status Listener::Push(const PcmView& pcm, size_t* consumed) {
  if (!consumed) return Status::Error(StatusCode::kInvalidArgument, "listener: consumed is null");
  *consumed = 0;
  num_events_ = 0;
  if (!ready_) return Status::Error(StatusCode::kNotReady, "listener: Push before a successful Init");
  while (*consumed < pcm.frames && num_events_ == 0) {
    PcmView rest = pcm;
    rest.frames = pcm.frames - *consumed;
    if (rest.f32) rest.f32 += *consumed * rest.channels;
    if (rest.s16) rest.s16 += *consumed * rest.channels;
    size_t used = 0;
    TM2_RETURN_IF_ERROR(gate_.Push(rest, &used));
    // The same frames to the activity tracker and the screening model, so
    // both are up to date when the gate's window is judged.
    PcmView taken = rest;
    taken.frames = used;
    activity_.Push(taken);
    if (has_screen_ && used > 0) TM2_RETURN_IF_ERROR(FeedScreen(taken));
    *consumed += used;
    frames_ += static_cast<int64_t>(used);
    if (gate_.result_ready()) {
      ++gate_windows_;
      SoundEvent found[EventDetector::kMaxOut];
      TakeWindowEvents(AddWholeWindow(found), found);
    } else if (used == 0) {
      // The stream takes at least a frame of a non-empty block; a caller
      // looping on *consumed would otherwise spin.
      return Status::Error(StatusCode::kNotReady, "listener: the gate's stream took no frames");
    }
  }
  return Status::Ok();
}

Status Listener::Finish() {
  num_events_ = 0;
  if (!ready_) return Status::Error(StatusCode::kNotReady, "listener: Finish before a successful Init");
  // Screening first, so that the events below find every screening window,
  // the tail (cut at the end, padded as a short clip is) among them.
  if (has_screen_) {
    for (;;) {
      const Status s = screen_.Finish();
      if (!s.ok() && screen_.tail_skipped()) {  // pad Tile without the history: no tail
        ++tails_skipped_;
        break;
      }
      TM2_RETURN_IF_ERROR(s);
      if (!screen_.result_ready()) break;
      KeepScreen();
    }
  }
  for (;;) {
    const Status s = gate_.Finish();
    if (!s.ok() && gate_.tail_skipped()) {  // pad Tile without the history: no tail
      ++tails_skipped_;
      break;
    }
    TM2_RETURN_IF_ERROR(s);
    if (!gate_.result_ready()) break;
    ++gate_windows_;
    SoundEvent found[EventDetector::kMaxOut];
    int n = 0;
    if (gate_.tail_ready()) {
      ++tail_windows_;
      n = detector_.AddTail(gate_.window(), gate_.probabilities(), heard_until_, activity_,
                            found);
    } else {
      n = AddWholeWindow(found);
    }
    TakeWindowEvents(n, found);
  }
  SoundEvent found[EventDetector::kMaxOut];
  TakeWindowEvents(detector_.Flush(activity_, found), found);
  return Status::Ok();
}

}  // namespace tm2
