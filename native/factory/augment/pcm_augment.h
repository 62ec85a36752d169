// Augmentation of recordings before the core's preprocessing, so every
// augmented view goes through the features the engine computes: gain, a
// start offset of any number of samples (sub-frame), real background mixed
// at a chosen SNR, and a telephone channel. Seeded: the same config, seed
// and input give the same PCM.
//
//   NoisePool pool = NoisePoolOf(training_paths, config);
//   std::mt19937_64 rng(ViewSeed(config.seed, content_hash, copy));
//   Audio view = AugmentPcm(ReadAudio(path), config, pool, rng);
#ifndef TM2_FACTORY_AUGMENT_PCM_AUGMENT_H_
#define TM2_FACTORY_AUGMENT_PCM_AUGMENT_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "data/audio_file.h"
#include "recipe/recipe.h"

namespace tm2 {
namespace factory {

// Background segments (mono, with their rate) to mix into recordings.
struct NoiseSegment {
  std::vector<float> samples;
  uint32_t sample_rate = 0;
};
struct NoisePool {
  std::vector<NoiseSegment> segments;
  uint64_t hash = 0;  // of the recordings it was cut from (feature cache key)
};

std::vector<float> MixToMono(const Audio& a);
// Mean square of the loudest one-second window (the whole clip if shorter):
// a cough's power, not diluted by the silence around it.
double LoudestSecondPower(const std::vector<float>& x, uint32_t rate);
double MeanPower(const std::vector<float>& x);
// A window of `seconds` (on a 10 ms grid) chosen by u in [0, 1) among those
// whose mean square is >= min_ratio x the loudest window's; x itself when
// it is not longer.
std::vector<float> LoudCrop(const std::vector<float>& x, uint32_t rate, double seconds, double min_ratio,
                            double u);
// Delay by `samples` (> 0 prepends silence, < 0 drops the start).
std::vector<float> Shift(const std::vector<float>& x, long samples);
// x += s * noise (looped from `offset`), s chosen so that
// 10 log10(LoudestSecondPower(x) / MeanPower(s * noise)) = snr_db.
// x is left as it is when it or the noise samples it would get are silent.
void MixAtSnr(std::vector<float>& x, uint32_t rate, const std::vector<float>& noise, size_t offset,
              double snr_db);
// The quietest window of `seconds` (by mean square, on a 10 ms grid).
std::vector<float> QuietestSegment(const std::vector<float>& x, uint32_t rate, double seconds);

// Quietest segments of up to config.noise_recordings of `paths` (a seeded
// choice), skipping digital silence (RMS < 1e-4), which adds nothing.
NoisePool NoisePoolOf(const std::vector<std::string>& paths, const AugmentConfig& config);

uint64_t ViewSeed(uint64_t seed, uint64_t content_hash, int copy);
// Hash of the fields that shape augmented PCM (feature cache key).
uint64_t AugmentHash(const AugmentConfig& config, const NoisePool& pool);

// Mono PCM: gain, shift, noise (with config.noise_probability), telephone
// band (with config.telephone_probability; the result is then at 8 kHz),
// clipped to [-1, 1] as a recorder would.
Audio AugmentPcm(const Audio& in, const AugmentConfig& config, const NoisePool& pool, std::mt19937_64& rng);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_AUGMENT_PCM_AUGMENT_H_
