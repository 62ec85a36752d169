// tinym2 activity tracker: which short blocks of a PCM stream hold sound
// above the background, for placing event onsets and offsets more finely
// than a model window (a 2 s window every 0.5 s) can.
//
// Each block of input_rate / 64 frames (about 16 ms at any rate) is mixed
// to mono and its mean square taken in dB full scale. With hysteresis, a
// block is active when it is at least on_margin_db above a running noise
// floor (which drops at once to a quieter block and rises slowly,
// rise_db_per_s), or off_margin_db above it right after an active block;
// never below min_dbfs. The last kRingBlocks blocks' flags are kept (16 s); older
// blocks read as inactive. No heap: the ring is a member.
//
//   tm2::ActivityTracker act;
//   TM2_RETURN_IF_ERROR(act.Init(16000, 1, tm2::ActivityOptions()));
//   act.Push(tm2::PcmView::S16(pcm, n, 16000, 1));       // every block
//   int64_t onset = act.FirstActive(window_start, now);   // -1 if none
#ifndef TM2_STREAM_ACTIVITY_H_
#define TM2_STREAM_ACTIVITY_H_

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "preprocess/preprocess.h"

namespace tm2 {

struct ActivityOptions {
  float on_margin_db = 12.0f;  // above the noise floor: sound starts
  float off_margin_db = 6.0f;  // ... and goes on while above this
  float min_dbfs = -55.0f;     // never active below this level
  float rise_db_per_s = 3.0f;  // how fast the floor follows louder background
};

class ActivityTracker {
 public:
  static constexpr int kRingBlocks = 1024;  // 16 s of history

  Status Init(uint32_t input_rate, uint16_t channels, const ActivityOptions& options);
  // Takes all of `pcm` (the Init rate and channels; the caller checks).
  void Push(const PcmView& pcm);
  void Reset();

  // Input frames per block, and frames of history kept.
  int64_t block_samples() const { return block_samples_; }
  int64_t history_samples() const { return block_samples_ * kRingBlocks; }
  // Start of the first active block that starts in [from, to), or -1.
  int64_t FirstActive(int64_t from, int64_t to) const;
  // Walks active blocks forward from the block holding `from` up to `to`,
  // across silences of at most max_gap frames; returns the end of the last
  // block reached (at least `from`). The end of a run of sound.
  int64_t ExtendRun(int64_t from, int64_t to, int64_t max_gap) const;
  // Active blocks among those that start in [from, to).
  int CountActive(int64_t from, int64_t to) const;
  float noise_floor_db() const { return floor_db_; }
  // Complete blocks so far, and whether block b (of the last kRingBlocks) was active.
  int64_t blocks_done() const { return blocks_done_; }
  bool Active(int64_t block) const;

 private:
  void EndBlock();

  ActivityOptions options_;
  uint16_t channels_ = 1;
  int64_t block_samples_ = 0;
  int64_t blocks_done_ = 0;  // complete blocks so far
  int64_t in_block_ = 0;     // frames of the current block
  double sum_squares_ = 0;
  float floor_db_ = 0;
  float rise_per_block_ = 0;
  bool last_active_ = false;
  uint64_t ring_[kRingBlocks / 64] = {};
};

}  // namespace tm2

#endif  // TM2_STREAM_ACTIVITY_H_
