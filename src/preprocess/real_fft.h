// Power spectrum of a real frame: an n/2-point complex radix-2 FFT of the
// even/odd samples packed as (re, im), then the split step that turns it
// into the n/2 + 1 bins of the real FFT. Twiddles (one shared constant
// table for every size up to kConstFftMax, const_tables.h) and the
// bit-reversal permutation come from det_math, so every target runs the
// same sequence of float operations. Real and imaginary parts live in
// separate arrays and each stage has its own contiguous twiddles, so the
// butterflies are element-wise loops a compiler can vectorise without
// changing any result (no reductions, no contraction).
#ifndef TM2_PREPROCESS_REAL_FFT_H_
#define TM2_PREPROCESS_REAL_FFT_H_

#include <cstdint>

#include "preprocess/workspace_carver.h"

namespace tm2 {
namespace preprocess_internal {

// How the radix-2 stages run, with the same bits either way: two stages
// per pass over the data (fewer loads and stores: the Cortex-M4, with few
// registers and no cache, and native targets) or one per pass (measured
// faster under WASM, issue 16).
enum class FftStages : uint8_t { kPaired, kSingle };

// This build's choice. The build picks it per target (TM2_FFT_SINGLE_STAGES,
// src/preprocess/CMakeLists.txt), where it picks the other per-target
// preprocessing variants (const tables computed at start-up or compiled in,
// -O2 for the firmware's per-frame steps), as the kernels' variants are
// picked by the build and kernels/select.cc: no ISA test in this code.
#if defined(TM2_FFT_SINGLE_STAGES)
constexpr FftStages kBuildFftStages = FftStages::kSingle;
#else
constexpr FftStages kBuildFftStages = FftStages::kPaired;
#endif

class RealFft {
 public:
  void Carve(int n, WorkspaceCarver* carver);  // n: power of two, 32..4096
  void FillTables();
  // power[k] = |X[k]|^2, k = 0..n/2, for the real input in[0..n), with
  // this build's stages.
  void PowerSpectrum(const float* in, float* power) const;
  // The same with the given stages (same bits either way). Defined in
  // real_fft-inl.h, which only real_fft.cc and the tests include: the page
  // engine holds one stage path.
  template <FftStages kStages>
  void PowerSpectrumWith(const float* in, float* power) const;
  int size() const { return n_; }

 private:
  int n_ = 0;
  int half_ = 0;
  // Twiddles in the layout of const_tables.h: [hl + j] = (cos, sin)(2 pi j / 2hl),
  // the stages at hl = 2, 4, .. n/4 and the split step at hl = n/2. The
  // constant tables for n <= kConstFftMax; larger sizes carve and fill
  // n of each.
  const float* twiddle_cos_ = nullptr;
  const float* twiddle_sin_ = nullptr;
  float* own_cos_ = nullptr;  // non-null when the twiddles live in the workspace
  float* own_sin_ = nullptr;
  const uint16_t* bitrev_ = nullptr;  // kFftBitReverse >> bitrev_shift_, or own_bitrev_
  uint16_t* own_bitrev_ = nullptr;
  int bitrev_shift_ = 0;
  float* re_ = nullptr;    // n/2 complex values
  float* im_ = nullptr;
};

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_REAL_FFT_H_
