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

// Sum of q * q over the mono samples [begin, end) (inside the recording),
// q = trunc(mono * 32768): the mixed samples in 16-bit fixed point, exact
// for int16 input. Wraps modulo 2^64 (LoudestStart takes differences).
// The same mono values as MixToMono, without writing them anywhere.
uint64_t MonoSquares(const PcmView& pcm, int64_t begin, int64_t end);

// True when every float sample is finite (int16 input always is).
bool AllFinite(const PcmView& pcm);

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_PCM_MIX_H_
