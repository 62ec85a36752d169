// EventDetector's merging of a slow label's pieces (breathing): two bursts
// of sound 2.5 s apart, longer than the merge gap, with gate windows that
// say "class 0" or "class 1". Class 0 is the slow label: one event across
// the silence; class 1 is not: two events; with the rule off: two events.
// Activity comes from a real ActivityTracker on synthetic tones, the
// probabilities are given, so the detector's rule alone is under test.
#include "stream/event_detector.h"

#include <cmath>
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

// Streams `x` through an activity tracker and the detector, a 2.064 s gate
// window every 0.512 s whose probabilities all say `label`.
std::vector<SoundEvent> Detect(const std::vector<int16_t>& x, int label, const EventOptions& o) {
  ActivityTracker activity;
  REQUIRE(activity.Init(kRate, 1, ActivityOptions()).ok());
  EventDetector detector;
  REQUIRE(detector.Init(kRate, 4, o).ok());
  float p[4] = {0.05f, 0.05f, 0.05f, 0.05f};
  p[label] = 0.85f;
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
    const int n = detector.AddWindow(where, p, activity, out);
    events.insert(events.end(), out, out + n);
  }
  const int n = detector.Flush(activity, out);
  events.insert(events.end(), out, out + n);
  return events;
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

}  // namespace test
}  // namespace tm2
