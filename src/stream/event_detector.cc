#include "stream/event_detector.h"

namespace tm2 {

Status EventDetector::Init(uint32_t input_rate, int num_classes, const EventOptions& o) {
  if (num_classes < 1 || num_classes > kMaxClasses)
    return Status::Error(StatusCode::kInvalidArgument,
                         "events: the gate has %d classes; the detector takes 1..%d", num_classes,
                         kMaxClasses);
  if (!(o.min_duration_s >= 0) || !(o.merge_gap_s >= 0) || !(o.max_duration_s > o.min_duration_s))
    return Status::Error(StatusCode::kInvalidArgument,
                         "events: durations must be >= 0, with the maximum above the minimum");
  if (!(o.merge_same_label_gap_s >= 0))
    return Status::Error(StatusCode::kInvalidArgument, "events: same-label gap must be >= 0");
  if (!(o.min_confidence >= 0 && o.min_confidence <= 1))
    return Status::Error(StatusCode::kInvalidArgument, "events: min_confidence must be in 0..1");
  // Gaps are walked in the activity history (16 s) behind a window.
  if (o.merge_gap_s > 4.0f)
    return Status::Error(StatusCode::kInvalidArgument, "events: merge gap %.2f s is above 4 s",
                         static_cast<double>(o.merge_gap_s));
  num_classes_ = num_classes;
  min_confidence_ = o.min_confidence;
  min_duration_ = static_cast<int64_t>(o.min_duration_s * input_rate);
  merge_gap_ = static_cast<int64_t>(o.merge_gap_s * input_rate);
  max_duration_ = static_cast<int64_t>(o.max_duration_s * input_rate);
  same_label_gap_ = static_cast<int64_t>(o.merge_same_label_gap_s * input_rate);
  slow_label_ = o.slow_label;
  subtract_background_ = o.subtract_background;
  Reset();
  return Status::Ok();
}

void EventDetector::Reset() {
  count_ = 0;
  scanned_ = 0;
  dropped_short_ = dropped_unsure_ = 0;
  has_waiting_ = false;
  background_windows_ = 0;
  for (double& b : background_) b = 0;
}

int EventDetector::Label(const Segment& s) const {
  int best = 0;
  for (int c = 1; c < num_classes_; ++c)
    if (s.score[c] > s.score[best]) best = c;
  return best;
}

int EventDetector::Emit(const Segment& s, SoundEvent* out) {
  if (s.sound < min_duration_) {
    ++dropped_short_;
    return 0;
  }
  const int best = Label(s);
  const float confidence = s.weight > 0 ? static_cast<float>(s.score[best] / s.weight) : 0.0f;
  if (s.weight <= 0 || confidence < min_confidence_) {
    ++dropped_unsure_;
    return 0;
  }
  SoundEvent e;
  e.label = best;
  e.onset = s.onset;
  e.offset = s.offset;
  e.confidence = confidence;
  e.windows = s.windows;
  *out = e;
  return 1;
}

int EventDetector::Finish(int i, SoundEvent* out) {
  const Segment s = segments_[i];
  for (int j = i + 1; j < count_; ++j) segments_[j - 1] = segments_[j];
  --count_;
  if (same_label_gap_ <= 0 || slow_label_ < 0) return Emit(s, out);
  if (s.weight <= 0) {  // no window voted: no label to merge by
    ++dropped_unsure_;
    return 0;
  }
  const int label = Label(s);
  if (has_waiting_ && s.onset - waiting_.offset <= same_label_gap_ && label == slow_label_ &&
      Label(waiting_) == label && s.offset - waiting_.onset <= max_duration_) {
    // One event (no longer than the longest): its votes are both segments' votes.
    waiting_.offset = s.offset;
    waiting_.sound += s.sound;
    waiting_.closed = s.closed;
    waiting_.windows += s.windows;
    waiting_.weight += s.weight;
    for (int c = 0; c < num_classes_; ++c) waiting_.score[c] += s.score[c];
    return 0;
  }
  int n = has_waiting_ ? Emit(waiting_, out) : 0;
  has_waiting_ = false;
  if (label != slow_label_) return n + Emit(s, out + n);  // nothing can join it
  waiting_ = s;
  has_waiting_ = true;
  return n;
}

int EventDetector::Release(const ActivityTracker& a, SoundEvent* out) {
  if (!has_waiting_) return 0;
  // A neighbour would be a segment starting within the gap: none held
  // starts there, and the activity seen has passed it.
  const int64_t limit = waiting_.offset + same_label_gap_;
  if (a.blocks_done() * a.block_samples() <= limit) return 0;
  if (count_ > 0 && segments_[0].onset <= limit) return 0;
  has_waiting_ = false;
  return Emit(waiting_, out);
}

void EventDetector::Start(int64_t onset, int64_t offset, SoundEvent* out, int* n) {
  // Full: the oldest segment is judged on the windows it has.
  if (count_ == kMaxSegments) *n += Finish(0, out + *n);
  Segment& s = segments_[count_++];
  s = Segment();
  s.onset = onset;
  s.offset = offset;
}

// Grows, ends and starts segments from the activity blocks not seen yet.
void EventDetector::Scan(const ActivityTracker& a, SoundEvent* out, int* n) {
  const int64_t block = a.block_samples();
  const int64_t done = a.blocks_done();
  if (scanned_ < done - ActivityTracker::kRingBlocks) scanned_ = done - ActivityTracker::kRingBlocks;
  for (; scanned_ < done; ++scanned_) {
    const int64_t start = scanned_ * block, end = start + block;
    Segment* open = count_ > 0 && !segments_[count_ - 1].closed ? &segments_[count_ - 1] : nullptr;
    if (open && start - open->offset > merge_gap_) {
      open->closed = true;
      open = nullptr;
    }
    if (!a.Active(scanned_)) continue;
    if (open && end - open->onset > max_duration_) {
      open->closed = true;
      open = nullptr;
    }
    if (open) open->offset = end;
    else Start(start, end, out, n);
    segments_[count_ - 1].sound += block;
  }
}

void EventDetector::Vote(const float* p, double share, double* q) const {
  double total = 0;
  for (int c = 0; c < num_classes_; ++c) {
    q[c] = p[c];
    if (subtract_background_ && background_windows_ > 0) {
      q[c] = (p[c] - (1 - share) * background_[c]) / share;
      if (q[c] < 0) q[c] = 0;
    }
    total += q[c];
  }
  // All of it explained by the background: the window's own answer.
  if (!(total > 0)) {
    for (int c = 0; c < num_classes_; ++c) q[c] = p[c];
    return;
  }
  for (int c = 0; c < num_classes_; ++c) q[c] /= total;
}

int EventDetector::AddWindow(const StreamWindow& w, const float* p, const ActivityTracker& a,
                             SoundEvent* out) {
  return Add(w, p, w.first_sample, true, a, out);
}

int EventDetector::AddTail(const StreamWindow& w, const float* p, int64_t seen_until,
                           const ActivityTracker& a, SoundEvent* out) {
  return Add(w, p, seen_until, false, a, out);
}

int EventDetector::Add(const StreamWindow& w, const float* p, int64_t seen_until, bool background,
                       const ActivityTracker& a, SoundEvent* out) {
  int n = 0;
  Scan(a, out, &n);
  const int64_t start = w.first_sample, end = w.first_sample + w.num_samples;
  const int64_t block = a.block_samples();
  const int in_window = static_cast<int>((end - start + block - 1) / block);
  if (background && a.CountActive(start, end) == 0) {
    // Background alone: what the gate says when nothing sounds.
    const double seen = static_cast<double>(background_windows_ + 1);
    const double rate = background_windows_ < 16 ? 1.0 / seen : 1.0 / 16;
    for (int c = 0; c < num_classes_; ++c) background_[c] += rate * (p[c] - background_[c]);
    ++background_windows_;
  }
  for (int i = 0; i < count_; ++i) {
    Segment& s = segments_[i];
    const int64_t lo = s.onset > start ? s.onset : start;
    const int64_t hi = s.offset < end ? s.offset : end;
    if (hi <= lo || hi <= seen_until) continue;
    if (lo < seen_until && a.CountActive(seen_until, hi) == 0) continue;  // heard already
    const int mine = a.CountActive(lo, hi);
    if (mine == 0) continue;
    const double share = static_cast<double>(mine) / in_window;
    const double weight = share * share * share * share;
    double q[kMaxClasses];
    Vote(p, share, q);
    for (int c = 0; c < num_classes_; ++c) s.score[c] += weight * q[c];
    s.weight += weight;
    ++s.windows;
  }
  // Final: ended, and this window starts after it (later ones do too).
  while (count_ > 0 && segments_[0].closed && segments_[0].offset <= start) n += Finish(0, out + n);
  n += Release(a, out + n);
  return n;
}

int EventDetector::Flush(const ActivityTracker& a, SoundEvent* out) {
  int n = 0;
  Scan(a, out, &n);
  while (count_ > 0) n += Finish(0, out + n);
  if (has_waiting_) {
    has_waiting_ = false;
    n += Emit(waiting_, out + n);
  }
  return n;
}

}  // namespace tm2
