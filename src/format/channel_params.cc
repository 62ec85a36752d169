// Narrow per-channel parameters (FORMAT.md 4.5): size, checks, decoding.
// Reads byte by byte, so the block needs no alignment inside the file.
#include "format/channel_params.h"

#include <cinttypes>

namespace tm2 {
namespace {

int BiasWidth(uint8_t header) {
  static constexpr int kWidth[4] = {0, 1, 2, 4};
  return kWidth[header & 3u];
}

inline int32_t Read32(const uint8_t* p) {
  return static_cast<int32_t>(static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                              static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24);
}

inline int32_t Read16(const uint8_t* p) {
  return static_cast<int16_t>(static_cast<uint16_t>(p[0] | p[1] << 8));
}

struct Layout {
  size_t bias, shift, multiplier;  // offsets
  int width;
  bool shared_shift, shared_multiplier;
};

Layout LayoutOf(uint8_t header, size_t channels) {
  Layout l;
  l.width = BiasWidth(header);
  l.shared_shift = (header & kNarrowSharedShift) != 0;
  l.shared_multiplier = (header & kNarrowSharedMultiplier) != 0;
  l.bias = 1;
  l.shift = l.bias + channels * static_cast<size_t>(l.width);
  l.multiplier = l.shift + (l.shared_shift ? 1 : channels);
  return l;
}

}  // namespace

size_t NarrowChannelBytes(uint8_t header, size_t channels) {
  const Layout l = LayoutOf(header, channels);
  return l.multiplier + 4 * (l.shared_multiplier ? 1 : channels);
}

Status CheckNarrowChannels(const uint8_t* params, size_t bytes, int channels) {
  if (params == nullptr || bytes == 0) {
    return Status::Error(StatusCode::kBadModel, "narrow channel_params: empty");
  }
  const uint8_t header = params[0];
  if (header & 0xF0u) {
    return Status::Error(StatusCode::kBadModel,
                         "narrow channel_params: header 0x%02x has unknown bits 4-7", header);
  }
  const size_t c = static_cast<size_t>(channels);
  const size_t expected = NarrowChannelBytes(header, c);
  if (bytes != expected) {
    return Status::Error(StatusCode::kBadModel,
                         "narrow channel_params: %lu bytes, expected %lu for %d channels "
                         "(header 0x%02x)",
                         static_cast<unsigned long>(bytes), static_cast<unsigned long>(expected),
                         channels, header);
  }
  const Layout l = LayoutOf(header, c);
  for (size_t i = 0; i < (l.shared_multiplier ? 1 : c); ++i) {
    const int32_t m = Read32(params + l.multiplier + 4 * i);
    if (m < 0) {
      return Status::Error(StatusCode::kBadModel, "channel %lu: multiplier %" PRId32 " is negative",
                           static_cast<unsigned long>(i), m);
    }
  }
  for (size_t i = 0; i < (l.shared_shift ? 1 : c); ++i) {
    const int s = static_cast<int8_t>(params[l.shift + i]);
    if (31 - s < 1 || 31 - s > 62) {
      return Status::Error(StatusCode::kBadModel,
                           "channel %lu: shift %d gives n = 31 - shift = %d, outside [1, 62]",
                           static_cast<unsigned long>(i), s, 31 - s);
    }
  }
  return Status::Ok();
}

void DecodeNarrowChannels(const uint8_t* params, int channels, int32_t* bias, int32_t* multiplier,
                          int8_t* shift) {
  // One loop per part, each with a fixed width: a re-planning pack switch
  // decodes every layer of the model it selects (M4: a few instructions a
  // channel).
  const size_t c = static_cast<size_t>(channels);
  const Layout l = LayoutOf(params[0], c);
  const uint8_t* p = params + l.bias;
  if (bias != nullptr) {
    switch (l.width) {
      case 1:
        for (size_t i = 0; i < c; ++i) bias[i] = static_cast<int8_t>(p[i]);
        break;
      case 2:
        for (size_t i = 0; i < c; ++i) bias[i] = Read16(p + 2 * i);
        break;
      case 4:
        for (size_t i = 0; i < c; ++i) bias[i] = Read32(p + 4 * i);
        break;
      default:
        break;
    }
  }
  p = params + l.shift;
  for (size_t i = 0; i < c; ++i) shift[i] = static_cast<int8_t>(p[l.shared_shift ? 0 : i]);
  p = params + l.multiplier;
  if (l.shared_multiplier) {
    const int32_t m = Read32(p);
    for (size_t i = 0; i < c; ++i) multiplier[i] = m;
  } else {
    for (size_t i = 0; i < c; ++i) multiplier[i] = Read32(p + 4 * i);
  }
}

}  // namespace tm2
