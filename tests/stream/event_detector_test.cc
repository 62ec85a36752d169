// EventDetector's rules: merging of a slow label's pieces (breathing): two
// bursts of sound 2.5 s apart, longer than the merge gap, with gate windows
// that say "class 0" or "class 1". Class 0 is the slow label: one event
// across the silence; class 1 is not: two events; with the rule off: two
// events. The background taken out of the votes, and the minimum duration
// counted in sound. Activity comes from a real ActivityTracker on
// synthetic tones, the probabilities are given, so the detector's rules
// alone are under test.
#include "stream/event_detector.h"

#include <cmath>
#include <functional>
#include <vector>

#include "catch2/catch.hpp"

namespace tm2 {
namespace test {
namespace {

constexpr int kRate = 16000;

// Silence with 440 Hz tones at -20 dBFS in [start, end) seconds.
std::vector<int16_t> Bursts(double seconds, const std::vector<std::pair<double, double>>& on) {
  std::vector<int16_t> x(static_cast<size_t>(seconds * kRate));
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = static_cast<double>(i) / kRate;
    for (const auto& b : on)
      if (t >= b.first && t < b.second) x[i] = static_cast<int16_t>(3277 * std::sin(2 * M_PI * 440 * t));
  }
  return x;
}

// The gate's probabilities for a window, given the share of its ~16 ms
// activity blocks that are active.
using Gate = std::function<void(double active_share, float* p)>;

// Streams `x` through an activity tracker and the detector, a 2.064 s gate
// window every 0.512 s whose probabilities come from `gate`.
std::vector<SoundEvent> Detect(const std::vector<int16_t>& x, const Gate& gate,
                               const EventOptions& o) {
  ActivityTracker activity;
  REQUIRE(activity.Init(kRate, 1, ActivityOptions()).ok());
  EventDetector detector;
  REQUIRE(detector.Init(kRate, 4, o).ok());
  float p[4];
  const int64_t window = 33024, hop = 8192;
  std::vector<SoundEvent> events;
  SoundEvent out[EventDetector::kMaxOut];
  int64_t pushed = 0;
  for (int64_t w = 0; w * hop + window <= static_cast<int64_t>(x.size()); ++w) {
    const int64_t end = w * hop + window;
    activity.Push(PcmView::S16(x.data() + pushed, static_cast<size_t>(end - pushed), kRate, 1));
    pushed = end;
    StreamWindow where;
    where.index = w;
    where.first_sample = w * hop;
    where.num_samples = window;
    const int64_t blocks = (window + activity.block_samples() - 1) / activity.block_samples();
    gate(static_cast<double>(activity.CountActive(w * hop, end)) / static_cast<double>(blocks), p);
    const int n = detector.AddWindow(where, p, activity, out);
    events.insert(events.end(), out, out + n);
  }
  const int n = detector.Flush(activity, out);
  events.insert(events.end(), out, out + n);
  return events;
}

// Every window, sound or not, says `label` at 0.85.
std::vector<SoundEvent> Detect(const std::vector<int16_t>& x, int label, const EventOptions& o) {
  return Detect(x, [label](double, float* p) {
    for (int c = 0; c < 4; ++c) p[c] = c == label ? 0.85f : 0.05f;
  }, o);
}

}  // namespace

TEST_CASE("a slow label's pieces become one event across the longer gap", "[stream]") {
  // Bursts 3.0-4.0 s and 6.5-7.5 s: 2.5 s apart, merge gap 1.5 s.
  const std::vector<int16_t> x = Bursts(16.0, {{3.0, 4.0}, {6.5, 7.5}});
  EventOptions o;
  o.merge_same_label_gap_s = 3.0f;
  o.slow_label = 0;
  const std::vector<SoundEvent> slow = Detect(x, 0, o);
  REQUIRE(slow.size() == 1);
  CHECK(slow[0].label == 0);
  CHECK(std::fabs(slow[0].onset / double(kRate) - 3.0) < 0.05);
  CHECK(std::fabs(slow[0].offset / double(kRate) - 7.5) < 0.05);
  CHECK(slow[0].confidence == Approx(0.85f));
  // Another label, or the rule off, or a gap past it: two events.
  CHECK(Detect(x, 1, o).size() == 2);
  EventOptions off = o;
  off.slow_label = -1;
  CHECK(Detect(x, 0, off).size() == 2);
  EventOptions shorter = o;
  shorter.merge_same_label_gap_s = 2.0f;
  CHECK(Detect(x, 0, shorter).size() == 2);
  // A negative gap is refused.
  EventDetector d;
  EventOptions bad = o;
  bad.merge_same_label_gap_s = -1.0f;
  CHECK(d.Init(kRate, 4, bad).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("the gate's answer to the background is taken out of the votes", "[stream]") {
  // A gate without a background class that names room noise "class 0"
  // (0.97) and a short sound "class 1", mixed by how much of the window
  // the sound fills: p = s * q + (1 - s) * b. A 0.5 s sound in 2 s
  // windows is mostly background, so the raw vote says class 0.
  const std::vector<int16_t> x = Bursts(16.0, {{6.0, 6.5}});
  const Gate mixing = [](double s, float* p) {
    const float b[4] = {0.97f, 0.01f, 0.01f, 0.01f}, q[4] = {0.05f, 0.9f, 0.03f, 0.02f};
    for (int c = 0; c < 4; ++c) p[c] = static_cast<float>(s * q[c] + (1 - s) * b[c]);
  };
  EventOptions o;
  const std::vector<SoundEvent> out = Detect(x, mixing, o);
  REQUIRE(out.size() == 1);
  CHECK(out[0].label == 1);
  CHECK(out[0].confidence == Approx(0.9f).margin(0.02));
  EventOptions raw = o;
  raw.subtract_background = false;
  const std::vector<SoundEvent> raw_out = Detect(x, mixing, raw);
  REQUIRE(raw_out.size() == 1);
  CHECK(raw_out[0].label == 0);
  // A gate that says the same with or without sound keeps its label.
  const std::vector<SoundEvent> same = Detect(x, 0, o);
  REQUIRE(same.size() == 1);
  CHECK(same[0].label == 0);
}

TEST_CASE("the minimum duration counts sound, not the span", "[stream]") {
  // Two 0.1 s clicks 1 s apart span 1.1 s but hold 0.2 s of sound: dropped
  // at a 0.3 s minimum; a 0.4 s burst is kept.
  EventOptions o;
  CHECK(Detect(Bursts(12.0, {{4.0, 4.1}, {5.0, 5.1}}), 1, o).empty());
  const std::vector<SoundEvent> kept = Detect(Bursts(12.0, {{4.0, 4.4}}), 1, o);
  REQUIRE(kept.size() == 1);
  CHECK(std::fabs(kept[0].onset / double(kRate) - 4.0) < 0.05);
  o.min_duration_s = 0.15f;
  CHECK(Detect(Bursts(12.0, {{4.0, 4.1}, {5.0, 5.1}}), 1, o).size() == 1);
}

}  // namespace test
}  // namespace tm2
