// Which frames of a long recording become the model's num_frames.
#include "preprocess/pcm_mix.h"
#include "preprocess/pipeline.h"

namespace tm2 {
namespace preprocess_internal {

int64_t FrameCount(int64_t samples, int frame_length, int frame_step) {
  if (samples <= 0) return 0;
  if (samples < frame_length) return 1;
  return 1 + (samples - frame_length) / frame_step;
}

int LoudestPendingSlots(int frame_length, int frame_step) {
  // Frames whose start the cursor has passed while their end is still
  // ahead: the frames starting within one frame (plus the <= 6 model
  // samples an input sample can span when upsampling) after the current.
  return (frame_length + 8) / frame_step + 3;
}

int64_t LoudestStart(const Pipeline& pipe, const PcmView& pcm, int64_t frames) {
  // One pass over the input: S(x), the sum of q^2 over the mixed samples
  // before x (MonoSquares: 16-bit fixed point, exact integers), read at each
  // frame's first and end input index; frame f's energy is
  // S(end_f) - S(first_f), O(1) per frame whatever its length, where
  // summing each frame anew cost frames x frame_length (frame_step 1 over
  // an hour). Sums wrap modulo 2^64; differences stay exact because a
  // window's true energy is below 2^57 (q^2 <= 2^30, a frame spans
  // <= 4096 * 6 input samples, <= 4096 frames). Frame f spans the input
  // [floor(f*step*in/out), floor((f*step + L)*in/out)), clipped to the
  // input; starts and ends both only grow with f, so one cursor visits
  // them in order and keeps S(first) of the frames it has entered but not
  // finished in a small ring.
  const PreprocessParams& p = pipe.params;
  const int64_t window = p.num_frames;
  const int64_t n = static_cast<int64_t>(pcm.frames);
  const int64_t slots = LoudestPendingSlots(p.frame_length, p.frame_step);
  uint64_t* ring = pipe.energy_ring;
  uint64_t* pending = pipe.energy_pending;
  int64_t pos = 0;      // the cursor: sum == S(pos)
  uint64_t sum = 0;
  int64_t entered = 0;  // frames whose S(first) is in `pending`
  auto advance = [&](int64_t to) {
    if (to > n) to = n;
    if (to > pos) {
      sum += MonoSquares(pcm, pos, to);
      pos = to;
    }
  };
  uint64_t running = 0, best = 0;
  int64_t best_start = 0;
  for (int64_t f = 0; f < frames; ++f) {
    // Unclipped: a frame's first index is below n, so frames entered here
    // start within one frame of f (the ring's bound) even at the input's end.
    const int64_t b = pipe.resampler.InputIndexOf(f * p.frame_step + p.frame_length);
    for (; entered < frames; ++entered) {
      const int64_t a = pipe.resampler.InputIndexOf(entered * p.frame_step);
      if (entered > f && a > b) break;
      advance(a);
      pending[entered % slots] = sum;
    }
    advance(b);
    const uint64_t e = sum - pending[f % slots];
    const int64_t slot = f % window;
    if (f >= window) running -= ring[slot];
    ring[slot] = e;
    running += e;
    if (f >= window - 1 && running > best) {
      best = running;
      best_start = f - window + 1;
    }
  }
  return best_start;
}

}  // namespace preprocess_internal
}  // namespace tm2
