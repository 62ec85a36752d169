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

int64_t LoudestStart(const Pipeline& pipe, const PcmView& pcm, int64_t frames) {
  const PreprocessParams& p = pipe.params;
  const int64_t window = p.num_frames;
  const int64_t n = static_cast<int64_t>(pcm.frames);
  float* ring = pipe.energy_ring;
  float* chunk = pipe.energy_mono;
  float running = 0.0f, best = -1.0f;
  int64_t best_start = 0;
  for (int64_t f = 0; f < frames; ++f) {
    // Energy of the mixed input samples under frame f: input indices
    // [floor(f*step*in/out), floor((f*step + L)*in/out)), clipped to the input.
    int64_t a = pipe.resampler.InputIndexOf(f * p.frame_step);
    int64_t b = pipe.resampler.InputIndexOf(f * p.frame_step + p.frame_length);
    if (b > n) b = n;
    float e = 0.0f;
    for (int64_t k = a; k < b; k += kEnergyChunk) {
      int count = static_cast<int>(b - k < kEnergyChunk ? b - k : kEnergyChunk);
      MixToMono(pcm, k, count, chunk);
      for (int i = 0; i < count; ++i) e += chunk[i] * chunk[i];
    }
    const int64_t slot = f % window;
    const float old = ring[slot];
    ring[slot] = e;
    if (slot == window - 1) {
      // Whole window in slot order = frame order: recompute exactly, so
      // the running sum never drifts for more than one window.
      running = 0.0f;
      for (int64_t i = 0; i < window; ++i) running += ring[i];
    } else if (f >= window) {
      running = (running - old) + e;
    } else {
      running += e;
    }
    if (f >= window - 1 && running > best) {
      best = running;
      best_start = f - window + 1;
    }
  }
  return best_start;
}

}  // namespace preprocess_internal
}  // namespace tm2
