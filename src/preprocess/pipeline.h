// The preprocessing pipeline's tables and per-frame steps, laid out in the
// caller's workspace. Preprocessor (preprocess.h) is the public face; this
// header is internal to src/preprocess.
//
// Workspace layout (each array 16-byte aligned, in this order). Tables,
// kept from Run to Run:
//   Pipeline struct | window[L] | FFT cos/sin[N/2], bitrev[N/2]
//   | mel first/count/offset[M], weights[2(N/2+1)] | dct[K*M] | silence[F]
//   | norm mean/std[count] | resampler table[2049], phase cache[160*T]
// Scratch, written by each Run before it is read:
//   FFT work[N] | resampler weights[T], mono[64*R/rate + T]
//   | frame[L+1] | fft_in[N] = power[N/2+1] | logmel[M] | row[F]
//   | energy_pending[(L+8)/S+3], energy_ring[num_frames] (uint64; Loudest only)
// with L frame_length, N fft_size, M mel_bins, K dct_coefficients,
// F num_features, S frame_step, R the input rate (48 kHz unless input_rate fixes it),
// T padded kernel taps at R. An input_rate equal to the model rate drops
// the resampler table, cache, weights and mono.
#ifndef TM2_PREPROCESS_PIPELINE_H_
#define TM2_PREPROCESS_PIPELINE_H_

#include <cstdint>

#include "preprocess/mel_filterbank.h"
#include "preprocess/preprocess.h"
#include "preprocess/real_fft.h"
#include "preprocess/resampler.h"
#include "preprocess/workspace_carver.h"

namespace tm2 {
namespace preprocess_internal {

struct Pipeline {
  PreprocessParams params;
  RealFft fft;
  MelFilterbank mel;
  Resampler resampler;
  float* window = nullptr;
  float* dct = nullptr;      // K x M, row-major
  float* silence = nullptr;  // the feature row of digital silence
  float* norm_mean = nullptr;
  float* norm_std = nullptr;
  float* frame = nullptr;    // sample before the frame, then the frame
  float* fft_in = nullptr;
  float* power = nullptr;
  float* logmel = nullptr;
  float* row = nullptr;
  uint64_t* energy_pending = nullptr;  // LoudestStart's frames entered, not finished
  uint64_t* energy_ring = nullptr;

  // frame_kept: `frame` is state kept between calls (a stream reuses the
  // overlap of consecutive frames), not scratch.
  void Carve(const PreprocessParams& p, WorkspaceCarver* carver, bool frame_kept = false);
  void FillTables();

  // Features of one frame (pre-emphasis, window, FFT, mel, log, DCT,
  // normalisation) into row[num_features]. `samples` holds frame_length + 1
  // model-rate samples: the one before the frame, then the frame.
  void FrameFeatures(const float* samples, float* out_row) const;
  // log-mel vector (already floored and logged) -> DCT -> normalisation.
  void FinishRow(const float* logmel_in, float* out_row) const;
};

// round-half-away-from-zero(v / scale) + zero_point, saturated to int8.
int8_t QuantizeFeature(float v, float scale, int zero_point);

// Frames of a signal of `samples` model-rate samples: 1 + (samples - L) / step
// when samples >= L, else 1 (one zero-padded frame); 0 for no samples.
int64_t FrameCount(int64_t samples, int frame_length, int frame_step);

// First frame of the num_frames window with the most energy, measured on
// the mixed input samples each frame spans (in 16-bit fixed point, exact);
// the earliest wins a tie. One pass over the input: each sample is mixed
// once, into no buffer.
int64_t LoudestStart(const Pipeline& pipe, const PcmView& pcm, int64_t frames);
// Entries of LoudestStart's ring of frames entered but not finished.
int LoudestPendingSlots(int frame_length, int frame_step);

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_PIPELINE_H_
