// Triangular mel filterbank on the HTK mel scale, mel(f) = 1127 ln(1 + f/700).
// Band b (0-based) rises from edge b to edge b+1 and falls to edge b+2,
// with mel_bins + 2 edges equally spaced in mel from mel_low_hz to
// mel_high_hz; peak weight 1 (no area normalisation), weights evaluated at
// the FFT bin frequencies k * sample_rate / fft_size. Stored sparse: each
// band keeps only its non-zero weights.
#ifndef TM2_PREPROCESS_MEL_FILTERBANK_H_
#define TM2_PREPROCESS_MEL_FILTERBANK_H_

#include <cstdint>

#include "preprocess/workspace_carver.h"

namespace tm2 {
namespace preprocess_internal {

class MelFilterbank {
 public:
  // Carves room for exactly the non-zero weights of these edges (counted
  // by the same loop FillTables runs), not 2 (fft_size/2 + 1): a band
  // limit below Nyquist (KWS: 4 kHz of 8) halves the table.
  void Carve(int bins, int fft_size, float sample_rate, float low_hz, float high_hz,
             WorkspaceCarver* carver);
  void FillTables(float sample_rate, float low_hz, float high_hz);
  // out[b] = sum_k weight[b][k] * power[k], k ascending.
  void Apply(const float* power, float* out) const;
  int first_bin(int b) const { return first_[b]; }
  int bin_count(int b) const { return count_[b]; }

 private:
  int bins_ = 0;
  int fft_size_ = 0;
  uint16_t* first_ = nullptr;
  uint16_t* count_ = nullptr;
  uint32_t* offset_ = nullptr;
  // Runs the weight loop; writes the tables only if `write`. Returns the
  // number of weights (at most `capacity`).
  uint32_t Build(float sample_rate, float low_hz, float high_hz, uint32_t capacity, bool write);

  float* weights_ = nullptr;  // at most 2 * (fft_size/2 + 1): triangles overlap pairwise
  uint32_t capacity_ = 0;     // weights carved
};

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_MEL_FILTERBANK_H_
