// PreprocessParams::Validate: every rule the pipeline relies on, checked
// once when a model is loaded, with the offending field in the message.
#include "preprocess/preprocess.h"

namespace tm2 {
namespace {

bool Finite(float v) { return v - v == 0.0f; }  // false for inf and NaN

Status Bad(const char* field, const char* detail) {
  return Status::Error(StatusCode::kBadModel, "preprocess.%s %s", field, detail);
}

}  // namespace

Status PreprocessParams::Validate() const {
  const StatusCode kBad = StatusCode::kBadModel;
  if (sample_rate < 8000 || sample_rate > 48000)
    return Status::Error(kBad, "preprocess.sample_rate %u is outside 8000..48000 Hz",
                         static_cast<unsigned>(sample_rate));
  if (input_rate != 0 && (input_rate < 8000 || input_rate > 48000))
    return Status::Error(StatusCode::kInvalidArgument,
                         "input_rate %u is neither 0 (any) nor inside 8000..48000 Hz",
                         static_cast<unsigned>(input_rate));
  if (!Finite(pre_emphasis) || pre_emphasis < 0.0f || pre_emphasis >= 1.0f)
    return Status::Error(kBad, "preprocess.pre_emphasis %g is outside [0, 1)",
                         static_cast<double>(pre_emphasis));
  if (fft_size < 32 || fft_size > 4096)
    return Status::Error(kBad, "preprocess.fft_size %u is outside 32..4096", fft_size);
  if ((fft_size & (fft_size - 1)) != 0)
    return Status::Error(kBad, "preprocess.fft_size %u is not a power of two", fft_size);
  if (frame_length < 1 || frame_length > fft_size)
    return Status::Error(kBad, "preprocess.frame_length %u is outside 1..fft_size (%u)",
                         frame_length, fft_size);
  if (frame_step < 1) return Bad("frame_step", "0 must be at least 1");
  if (static_cast<uint8_t>(window) > static_cast<uint8_t>(WindowType::kHamming))
    return Status::Error(kBad, "preprocess.window %u is not a known window",
                         static_cast<unsigned>(window));
  if (mel_bins < 1 || mel_bins > fft_size / 2 + 1)
    return Status::Error(kBad, "preprocess.mel_bins %u is outside 1..fft_size/2+1 (%u)",
                         mel_bins, fft_size / 2 + 1);
  const float nyquist = static_cast<float>(sample_rate) * 0.5f;
  if (!Finite(mel_low_hz) || mel_low_hz < 0.0f)
    return Status::Error(kBad, "preprocess.mel_low_hz %g must be finite and >= 0",
                         static_cast<double>(mel_low_hz));
  if (!Finite(mel_high_hz) || mel_high_hz < 0.0f || mel_high_hz > nyquist)
    return Status::Error(kBad, "preprocess.mel_high_hz %g is outside 0..sample_rate/2 (%g)",
                         static_cast<double>(mel_high_hz), static_cast<double>(nyquist));
  const float high = mel_high_hz > 0.0f ? mel_high_hz : nyquist;
  if (!(mel_low_hz < high))
    return Status::Error(kBad, "preprocess.mel_low_hz %g must be below mel_high_hz (%g)",
                         static_cast<double>(mel_low_hz), static_cast<double>(high));
  if (!Finite(log_floor) || !(log_floor > 0.0f))
    return Status::Error(kBad, "preprocess.log_floor %g must be finite and > 0",
                         static_cast<double>(log_floor));
  if (dct_coefficients > mel_bins)
    return Status::Error(kBad, "preprocess.dct_coefficients %u exceeds mel_bins (%u)",
                         dct_coefficients, mel_bins);
  if (num_frames < 1 || num_frames > 4096)
    return Status::Error(kBad, "preprocess.num_frames %u is outside 1..4096", num_frames);
  if (static_cast<uint8_t>(crop) > static_cast<uint8_t>(CropPolicy::kLoudest))
    return Status::Error(kBad, "preprocess.crop %u is not a known crop policy",
                         static_cast<unsigned>(crop));
  if (static_cast<uint8_t>(normalization) > static_cast<uint8_t>(NormalizationType::kFixed))
    return Status::Error(kBad, "preprocess.normalization %u is not a known normalization",
                         static_cast<unsigned>(normalization));
  if (normalization == NormalizationType::kFixed) {
    const int nf = num_features();
    if (norm_count != 1 && norm_count != nf)
      return Status::Error(kBad, "preprocess.norm_count %u must be 1 or num_features (%d)",
                           norm_count, nf);
    if (!norm_mean) return Bad("norm_mean", "is missing (normalization is Fixed)");
    if (!norm_std) return Bad("norm_std", "is missing (normalization is Fixed)");
    for (int i = 0; i < norm_count; ++i) {
      if (!Finite(norm_mean[i]))
        return Status::Error(kBad, "preprocess.norm_mean[%d] %g is not finite", i,
                             static_cast<double>(norm_mean[i]));
      if (!Finite(norm_std[i]) || !(norm_std[i] > 0.0f))
        return Status::Error(kBad, "preprocess.norm_std[%d] %g must be finite and > 0", i,
                             static_cast<double>(norm_std[i]));
    }
  }
  if (static_cast<uint8_t>(pad) > static_cast<uint8_t>(PadMode::kTile))
    return Status::Error(kBad, "preprocess.pad %u is not a known pad mode",
                         static_cast<unsigned>(pad));
  if (tile_gap_ms > 1000)
    return Status::Error(kBad, "preprocess.tile_gap_ms %u is outside 0..1000",
                         static_cast<unsigned>(tile_gap_ms));
  if (!Finite(input_scale) || !(input_scale > 0.0f))
    return Status::Error(kBad, "preprocess.input_scale %g must be finite and > 0",
                         static_cast<double>(input_scale));
  if (!Finite(max_seconds) || !(max_seconds > 0.0f) || max_seconds > 3600.0f)
    return Status::Error(kBad, "preprocess.max_seconds %g is outside (0, 3600]",
                         static_cast<double>(max_seconds));
  if (!Finite(min_seconds) || min_seconds < 0.0f || min_seconds > max_seconds)
    return Status::Error(kBad, "preprocess.min_seconds %g is outside [0, max_seconds (%g)]",
                         static_cast<double>(min_seconds), static_cast<double>(max_seconds));
  return Status::Ok();
}

}  // namespace tm2
