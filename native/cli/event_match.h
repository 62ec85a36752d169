// Scoring detected events against known ones (tinym2-listen-eval): a
// detection matches a true event of the same label that it overlaps, one to
// one, greedily in time order; precision = matched / detected, recall =
// matched / true; the onset error is detected minus true onset.
#ifndef TM2_NATIVE_CLI_EVENT_MATCH_H_
#define TM2_NATIVE_CLI_EVENT_MATCH_H_

#include <algorithm>
#include <cstdint>
#include <vector>

namespace tm2 {
namespace cli {

struct TimedEvent {
  int label = 0;
  int64_t onset = 0, offset = 0;  // frames
};

struct MatchResult {
  int detected = 0, truth = 0, matched = 0;
  std::vector<int64_t> onset_errors;  // frames, one per match
  double precision() const { return detected ? static_cast<double>(matched) / detected : 1.0; }
  double recall() const { return truth ? static_cast<double>(matched) / truth : 1.0; }
};

// label < 0 scores every label; any_label ignores labels when matching.
inline MatchResult MatchEvents(const std::vector<TimedEvent>& truth,
                               const std::vector<TimedEvent>& found, int label, bool any_label) {
  MatchResult r;
  std::vector<bool> used(found.size(), false);
  for (const TimedEvent& f : found) r.detected += label < 0 || f.label == label;
  for (const TimedEvent& t : truth) {
    if (label >= 0 && t.label != label) continue;
    ++r.truth;
    int best = -1;
    int64_t best_overlap = 0;
    for (size_t i = 0; i < found.size(); ++i) {
      const TimedEvent& f = found[i];
      if (used[i] || (!any_label && f.label != t.label)) continue;
      const int64_t overlap = std::min(f.offset, t.offset) - std::max(f.onset, t.onset);
      if (overlap > best_overlap) {
        best_overlap = overlap;
        best = static_cast<int>(i);
      }
    }
    if (best < 0) continue;
    used[best] = true;
    ++r.matched;
    r.onset_errors.push_back(found[best].onset - t.onset);
  }
  return r;
}

// The q-quantile (0..1) of |errors|.
inline int64_t AbsQuantile(std::vector<int64_t> errors, double q) {
  if (errors.empty()) return 0;
  for (int64_t& e : errors) e = e < 0 ? -e : e;
  std::sort(errors.begin(), errors.end());
  const size_t i = std::min(errors.size() - 1, static_cast<size_t>(q * (errors.size() - 1) + 0.5));
  return errors[i];
}

}  // namespace cli
}  // namespace tm2

#endif  // TM2_NATIVE_CLI_EVENT_MATCH_H_
