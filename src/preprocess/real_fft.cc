#include "preprocess/real_fft.h"

#include "preprocess/const_tables.h"
#include "preprocess/real_fft-inl.h"

namespace tm2 {
namespace preprocess_internal {

void RealFft::Carve(int n, WorkspaceCarver* carver) {
  n_ = n;
  half_ = n / 2;
  if (n <= kConstFftMax) {
    twiddle_cos_ = kFftTwiddleCos;
    twiddle_sin_ = kFftTwiddleSin;
    own_cos_ = own_sin_ = nullptr;
  } else {
    twiddle_cos_ = own_cos_ = carver->Take<float>(n);
    twiddle_sin_ = own_sin_ = carver->Take<float>(n);
  }
  // The bit reversal over b bits is the one over 9 bits shifted right by
  // 9 - b (for indices below 2^b): one constant permutation of n/2 =
  // kConstFftMax/2 serves every smaller size.
  bitrev_shift_ = 0;
  if (n <= kConstFftMax) {
    bitrev_ = kFftBitReverse;
    while ((kConstFftMax / 2 >> bitrev_shift_) > half_) ++bitrev_shift_;
    own_bitrev_ = nullptr;
  } else {
    bitrev_ = own_bitrev_ = carver->Take<uint16_t>(half_);
  }
  re_ = carver->TakeScratch<float>(half_);
  im_ = carver->TakeScratch<float>(half_);
}

void RealFft::FillTables() {
  if (own_cos_) ComputeFftTwiddles(n_, own_cos_, own_sin_);
  if (own_bitrev_) ComputeBitReverse(half_, own_bitrev_);
}

void RealFft::PowerSpectrum(const float* in, float* power) const {
  PowerSpectrumWith<kBuildFftStages>(in, power);
}

}  // namespace preprocess_internal
}  // namespace tm2
