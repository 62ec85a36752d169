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

namespace {

// Sum of squares of the mixed input samples before `pos`, as a cursor that
// only moves forward. Samples are taken in 16-bit fixed point
// (q = trunc(x * 32768), |q| <= 32768, exact for int16 input), so sums are
// exact integers and a frame's energy is a difference of two cursors:
// O(1) per frame whatever its length, where summing each frame anew cost
// frames x frame_length (frame_step 1 over an hour). Sums wrap modulo 2^64;
// differences stay exact because a window's true energy is below 2^57
// (q^2 <= 2^30, a frame spans <= 4096 * 6 input samples, <= 4096 frames).
struct SquareCursor {
  int64_t pos = 0;
  uint64_t sum = 0;
  void AdvanceTo(int64_t to, const PcmView& pcm, float* chunk) {
    while (pos < to) {
      const int count = static_cast<int>(to - pos < kEnergyChunk ? to - pos : kEnergyChunk);
      MixToMono(pcm, pos, count, chunk);
      for (int i = 0; i < count; ++i) {
        // |x| <= 1 after mixing, so the conversion is in range.
        const int64_t q = static_cast<int32_t>(chunk[i] * 32768.0f);
        sum += static_cast<uint64_t>(q * q);
      }
      pos += count;
    }
  }
};

}  // namespace

int64_t LoudestStart(const Pipeline& pipe, const PcmView& pcm, int64_t frames) {
  const PreprocessParams& p = pipe.params;
  const int64_t window = p.num_frames;
  const int64_t n = static_cast<int64_t>(pcm.frames);
  uint64_t* ring = pipe.energy_ring;
  SquareCursor lo, hi;
  uint64_t running = 0, best = 0;
  int64_t best_start = 0;
  for (int64_t f = 0; f < frames; ++f) {
    // Energy of the mixed input samples under frame f: input indices
    // [floor(f*step*in/out), floor((f*step + L)*in/out)), clipped to the input.
    const int64_t a = pipe.resampler.InputIndexOf(f * p.frame_step);
    int64_t b = pipe.resampler.InputIndexOf(f * p.frame_step + p.frame_length);
    if (b > n) b = n;
    if (b < a) b = a;
    lo.AdvanceTo(a, pcm, pipe.energy_mono);
    hi.AdvanceTo(b, pcm, pipe.energy_mono);
    const uint64_t e = hi.sum - lo.sum;
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
