// Mixes interleaved PCM down to mono float, the first step of the pipeline.
// Channels are averaged: int16 channels are summed exactly in integers and
// divided once by 32768 * channels (one rounding); float channels are
// summed in channel order and divided by the channel count.
#ifndef TM2_PREPROCESS_PCM_MIX_H_
#define TM2_PREPROCESS_PCM_MIX_H_

#include <cstdint>

#include "preprocess/preprocess.h"

namespace tm2 {
namespace preprocess_internal {

// dst[i] = mono sample (begin + i), 0 outside [0, pcm.frames).
void MixToMono(const PcmView& pcm, int64_t begin, int count, float* dst);

// True when every float sample is finite (int16 input always is).
bool AllFinite(const PcmView& pcm);

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_PCM_MIX_H_
