#include "data/tile_pad.h"

#include <cmath>

namespace tm2 {
namespace factory {

size_t WindowInputFrames(const PreprocessParams& p, uint32_t input_rate) {
  const uint64_t window = static_cast<uint64_t>(p.num_frames - 1) * p.frame_step + p.frame_length;
  // ceil(n * out / in) >= window  <=>  n * out > (window - 1) * in.
  return static_cast<size_t>((window - 1) * input_rate / p.sample_rate + 1);
}

int KeptFrames(const PreprocessParams& p, size_t input_frames, uint32_t input_rate) {
  const uint64_t model_len = (static_cast<uint64_t>(input_frames) * p.sample_rate + input_rate - 1) / input_rate;
  int64_t frames = 0;
  if (model_len > 0) frames = model_len < p.frame_length ? 1 : 1 + static_cast<int64_t>((model_len - p.frame_length) / p.frame_step);
  return static_cast<int>(frames < p.num_frames ? frames : p.num_frames);
}

int GapRows(const PreprocessParams& p, double gap_seconds) {
  return static_cast<int>(std::lround(gap_seconds * p.sample_rate / p.frame_step));
}

Audio TileToWindow(const Audio& a, const PreprocessParams& p, double gap_seconds) {
  const size_t n = a.frames();
  const size_t want = WindowInputFrames(p, a.sample_rate);
  if (n == 0 || n >= want) return a;
  const size_t gap = static_cast<size_t>(std::lround(gap_seconds * a.sample_rate));
  const size_t period = n + gap;
  Audio t;
  t.sample_rate = a.sample_rate;
  t.channels = a.channels;
  t.samples.assign(want * a.channels, 0.0f);
  for (size_t f = 0; f < want; ++f) {
    const size_t k = f % period;
    if (k >= n) continue;  // the gap: silence
    for (uint16_t c = 0; c < a.channels; ++c) t.samples[f * a.channels + c] = a.samples[k * a.channels + c];
  }
  return t;
}

}  // namespace factory
}  // namespace tm2
