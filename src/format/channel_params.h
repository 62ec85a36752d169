// Narrow per-channel requantization parameters (FORMAT.md 4.5, format 1.2):
// the bias, multiplier and shift of a layer's output channels in fewer
// bytes, decoded to exactly the int32 / int32 / int8 values the wide
// vectors would hold. The loader checks a layer's bytes with
// CheckNarrowChannels; the engine decodes them once at Init into its arena
// (DecodeNarrowChannels), so kernels read the same arrays as for a wide
// layer. The writer encodes (EncodeNarrowChannels, format/writer_pack.h).
//
//   if (CheckNarrowChannels(p, n, channels).ok()) {
//     int32_t* bias = NarrowChannelsHaveBias(p) ? ... : nullptr;  // c values
//     DecodeNarrowChannels(p, channels, bias, multiplier, shift);
//   }
#ifndef TM2_FORMAT_CHANNEL_PARAMS_H_
#define TM2_FORMAT_CHANNEL_PARAMS_H_

#include <cstddef>
#include <cstdint>

#include "common/status.h"

namespace tm2 {

// Header byte: bits 0-1 the bias width code (0 none, 1 / 2 / 3 = 1 / 2 / 4
// bytes), bit 2 one shift for all channels, bit 3 one multiplier; bits 4-7
// zero. Then channels x width biases, the shift(s), the multiplier(s)
// (4 bytes each); all little-endian two's complement.
constexpr uint8_t kNarrowSharedShift = 1u << 2;
constexpr uint8_t kNarrowSharedMultiplier = 1u << 3;

// Bytes of a narrow block with this header for `channels` channels.
size_t NarrowChannelBytes(uint8_t header, size_t channels);

// Every rule of FORMAT.md 4.5: header bits, exact length, multipliers >= 0,
// n = 31 - shift in [1, 62] (the wide vectors' rules).
Status CheckNarrowChannels(const uint8_t* params, size_t bytes, int channels);

inline bool NarrowChannelsHaveBias(const uint8_t* params) { return (params[0] & 3u) != 0; }

// Decodes a checked block. `bias` may be null when the block has none.
void DecodeNarrowChannels(const uint8_t* params, int channels, int32_t* bias, int32_t* multiplier,
                          int8_t* shift);

}  // namespace tm2

#endif  // TM2_FORMAT_CHANNEL_PARAMS_H_
