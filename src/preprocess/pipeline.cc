#include "preprocess/pipeline.h"

#include <cmath>
#include <cstring>

#include "common/det_math.h"

namespace tm2 {
namespace preprocess_internal {

void Pipeline::Carve(const PreprocessParams& p, WorkspaceCarver* carver, bool frame_kept) {
  params = p;
  const int len = p.frame_length, n = p.fft_size, m = p.mel_bins;
  const int nf = p.num_features();
  window = carver->Take<float>(len);
  fft.Carve(n, carver);
  mel.Carve(m, n, static_cast<float>(p.sample_rate), p.mel_low_hz,
            p.mel_high_hz > 0.0f ? p.mel_high_hz : static_cast<float>(p.sample_rate) * 0.5f, carver);
  dct = p.dct_coefficients > 0 ? carver->Take<float>(static_cast<size_t>(p.dct_coefficients) * m)
                               : nullptr;
  silence = carver->Take<float>(nf);
  const bool fixed = p.normalization == NormalizationType::kFixed;
  norm_mean = fixed ? carver->Take<float>(p.norm_count) : nullptr;
  norm_std = fixed ? carver->Take<float>(p.norm_count) : nullptr;
  resampler.Carve(p.sample_rate, len + 1, p.resampler_cache, p.input_rate, carver);
  frame = frame_kept ? carver->Take<float>(len + 1) : carver->TakeScratch<float>(len + 1);
  fft_in = carver->TakeScratch<float>(n);
  // The power spectrum overwrites the FFT input: PowerSpectrum reads all of
  // it into its own work arrays before it writes the first bin.
  power = fft_in;
  logmel = carver->TakeScratch<float>(m);
  row = carver->TakeScratch<float>(nf);
  const bool loudest = p.crop == CropPolicy::kLoudest;  // only LoudestStart uses these
  energy_pending =
      loudest ? carver->TakeScratch<uint64_t>(LoudestPendingSlots(len, p.frame_step)) : nullptr;
  energy_ring = loudest ? carver->TakeScratch<uint64_t>(p.num_frames) : nullptr;
}

void Pipeline::FillTables() {
  const PreprocessParams& p = params;
  // Periodic windows (the DFT-even form used for spectral analysis):
  // w[n] = a - (1 - a) cos(2 pi n / L), a = 0.5 (Hann) or 0.54 (Hamming).
  const float a = p.window == WindowType::kHamming ? 0.54f : 0.5f;
  for (int i = 0; i < p.frame_length; ++i) {
    float s, c;
    DetSinCosTurns(static_cast<uint64_t>(i), p.frame_length, &s, &c);
    window[i] = a - (1.0f - a) * c;
  }
  fft.FillTables();
  const float nyquist = static_cast<float>(p.sample_rate) * 0.5f;
  mel.FillTables(static_cast<float>(p.sample_rate), p.mel_low_hz,
                 p.mel_high_hz > 0.0f ? p.mel_high_hz : nyquist);
  if (dct) {
    // Orthonormal DCT-II: c_k = s_k sum_n x_n cos(pi k (2n+1) / 2M),
    // s_0 = sqrt(1/M), s_k = sqrt(2/M).
    const int m = p.mel_bins;
    const float s0 = std::sqrt(1.0f / static_cast<float>(m));
    const float sk = std::sqrt(2.0f / static_cast<float>(m));
    for (int k = 0; k < p.dct_coefficients; ++k) {
      for (int i = 0; i < m; ++i) {
        float s, c;
        DetSinCosTurns(static_cast<uint64_t>(k) * (2 * i + 1), 4u * static_cast<uint64_t>(m), &s, &c);
        dct[k * m + i] = (k == 0 ? s0 : sk) * c;
      }
    }
  }
  if (norm_mean) {
    std::memcpy(norm_mean, p.norm_mean, sizeof(float) * p.norm_count);
    std::memcpy(norm_std, p.norm_std, sizeof(float) * p.norm_count);
  }
  // Padding frames are the features of digital silence: every mel band at
  // the floor, through the same DCT and normalisation as a real frame.
  const float floor_log = DetLog(p.log_floor);
  for (int i = 0; i < p.mel_bins; ++i) logmel[i] = floor_log;
  FinishRow(logmel, silence);
}

void Pipeline::FrameFeatures(const float* samples, float* out_row) const {
  const PreprocessParams& p = params;
  const float a = p.pre_emphasis;
  // samples[0] is the sample before the frame, so pre-emphasis runs over
  // the whole signal (x[-1] = 0 at its start), not restarted per frame.
  if (a == 0.0f) {
    // x - 0 * x_prev is x (or a zero of either sign, which the power
    // spectrum squares away): the same features without the multiply.
    for (int i = 0; i < p.frame_length; ++i) fft_in[i] = samples[i + 1] * window[i];
  } else {
    for (int i = 0; i < p.frame_length; ++i) {
      fft_in[i] = (samples[i + 1] - a * samples[i]) * window[i];
    }
  }
  for (int i = p.frame_length; i < p.fft_size; ++i) fft_in[i] = 0.0f;
  fft.PowerSpectrum(fft_in, power);
  mel.Apply(power, logmel);
  for (int b = 0; b < p.mel_bins; ++b) {
    float v = logmel[b] > p.log_floor ? logmel[b] : p.log_floor;
    logmel[b] = DetLog(v);
  }
  FinishRow(logmel, out_row);
}

void Pipeline::FinishRow(const float* lm, float* out_row) const {
  const PreprocessParams& p = params;
  const int m = p.mel_bins;
  const int nf = p.num_features();
  if (dct) {
    for (int k = 0; k < nf; ++k) {
      const float* d = dct + k * m;
      float acc = 0.0f;
      for (int i = 0; i < m; ++i) acc += d[i] * lm[i];
      out_row[k] = acc;
    }
  } else {
    for (int k = 0; k < nf; ++k) out_row[k] = lm[k];
  }
  if (norm_mean) {
    const bool per_bin = p.norm_count > 1;
    for (int k = 0; k < nf; ++k) {
      const int j = per_bin ? k : 0;
      out_row[k] = (out_row[k] - norm_mean[j]) / norm_std[j];
    }
  }
}

int8_t QuantizeFeature(float v, float scale, int zero_point) {
  float x = v / scale;
  // Make the conversion below total: anything beyond +-512 (inf too) ends
  // at an int8 limit anyway, and NaN, which clean input cannot produce,
  // maps to the zero point. A float-to-int cast of NaN or of an
  // out-of-range value is undefined: x86 gives INT32_MIN, aarch64 0.
  if (x > 512.0f) {
    x = 512.0f;
  } else if (x < -512.0f) {
    x = -512.0f;
  } else if (!(x == x)) {
    x = 0.0f;
  }
  int32_t r = static_cast<int32_t>(x);          // toward zero
  float frac = x - static_cast<float>(r);       // exact for |x| < 2^23
  if (frac >= 0.5f) ++r;
  else if (frac <= -0.5f) --r;
  r += zero_point;
  if (r > 127) r = 127;
  if (r < -128) r = -128;
  return static_cast<int8_t>(r);
}

}  // namespace preprocess_internal
}  // namespace tm2
