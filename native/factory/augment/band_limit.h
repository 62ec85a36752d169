// Band limiting and resampling of mono PCM for augmentation (telephone
// channel simulation). Not the core's resampler: the augmented PCM is
// handed to the core's Preprocessor afterwards, which resamples it to the
// model's rate exactly as the engine will.
#ifndef TM2_FACTORY_AUGMENT_BAND_LIMIT_H_
#define TM2_FACTORY_AUGMENT_BAND_LIMIT_H_

#include <cstdint>
#include <vector>

namespace tm2 {
namespace factory {

// Windowed-sinc (Blackman, 32 zero crossings of the cutoff each side)
// resampling from `from` Hz to `to` Hz with a low-pass at `cutoff_hz`
// (<= min(from, to) / 2).
std::vector<float> Resample(const std::vector<float>& x, uint32_t from, uint32_t to, double cutoff_hz);

// Second-order Butterworth high-pass (RBJ biquad), applied in place.
void HighPass(std::vector<float>& x, uint32_t rate, double cutoff_hz);

// A telephone channel: 300 Hz high-pass, 3400 Hz low-pass, 8 kHz. The
// result is at 8000 Hz.
std::vector<float> TelephoneBand(const std::vector<float>& x, uint32_t rate);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_AUGMENT_BAND_LIMIT_H_
