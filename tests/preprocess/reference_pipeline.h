// An independent float64 model of the preprocessing pipeline for tests:
// <cmath> double, a direct DFT, and the resampling kernel evaluated
// exactly (sin and Bessel I0 in double) at real-valued positions. It
// shares no code with src/preprocess, only the documented definitions.
#ifndef TM2_TESTS_PREPROCESS_REFERENCE_PIPELINE_H_
#define TM2_TESTS_PREPROCESS_REFERENCE_PIPELINE_H_

#include <cstdint>
#include <vector>

#include "preprocess/preprocess.h"

namespace tm2 {
namespace test {

// Mono mix of interleaved int16 (average of channels, scaled by 1/32768).
std::vector<double> RefMixS16(const int16_t* pcm, size_t frames, int channels);

// Resampled signal, ceil(n * out / in) samples (equal rates: a copy).
std::vector<double> RefResample(const std::vector<double>& x, uint32_t in_rate, uint32_t out_rate);

struct RefFeatures {
  int64_t total_frames = 0;  // frames of the whole signal
  int64_t start = 0;         // first kept frame
  std::vector<double> features;  // num_frames x num_features
  std::vector<int8_t> quantized;
  std::vector<double> window_energy;  // Loudest: energy of each window start
};

// The whole pipeline on mono samples at `rate`.
RefFeatures RefPreprocess(const PreprocessParams& p, const std::vector<double>& mono, uint32_t rate);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_PREPROCESS_REFERENCE_PIPELINE_H_
