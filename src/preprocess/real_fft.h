// Power spectrum of a real frame: an n/2-point complex radix-2 FFT of the
// even/odd samples packed as (re, im), then the split step that turns it
// into the n/2 + 1 bins of the real FFT. Twiddles and the bit-reversal
// permutation are tables built once from det_math, so every target runs
// the same sequence of float operations. Real and imaginary parts live in
// separate arrays and each stage has its own contiguous twiddles, so the
// butterflies are element-wise loops a compiler can vectorise without
// changing any result (no reductions, no contraction).
#ifndef TM2_PREPROCESS_REAL_FFT_H_
#define TM2_PREPROCESS_REAL_FFT_H_

#include <cstdint>

#include "preprocess/workspace_carver.h"

namespace tm2 {
namespace preprocess_internal {

class RealFft {
 public:
  void Carve(int n, WorkspaceCarver* carver);  // n: power of two, 32..4096
  void FillTables();
  // power[k] = |X[k]|^2, k = 0..n/2, for the real input in[0..n).
  void PowerSpectrum(const float* in, float* power) const;
  int size() const { return n_; }

 private:
  int n_ = 0;
  int half_ = 0;
  float* cos_ = nullptr;   // cos(2 pi k / n), k < n/2 (split step)
  float* sin_ = nullptr;   // sin(2 pi k / n)
  float* stage_cos_ = nullptr;  // [hl + j] = cos(2 pi j / 2hl), hl = 1, 2, 4, .. n/4
  float* stage_sin_ = nullptr;
  uint16_t* bitrev_ = nullptr;
  float* re_ = nullptr;    // n/2 complex values
  float* im_ = nullptr;
};

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_REAL_FFT_H_
