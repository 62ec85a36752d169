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

// Sign-extends a little-endian value of `width` bytes (1, 2 or 4).
int32_t ReadSigned(const uint8_t* p, int width) {
  uint32_t u = 0;
  for (int i = 0; i < width; ++i) u |= static_cast<uint32_t>(p[i]) << (8 * i);
  if (width < 4) {
    const uint32_t sign = 1u << (8 * width - 1);
    u = (u ^ sign) - sign;  // two's complement, no implementation-defined shift
  }
  return static_cast<int32_t>(u);
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
    const int32_t m = ReadSigned(params + l.multiplier + 4 * i, 4);
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
  const size_t c = static_cast<size_t>(channels);
  const Layout l = LayoutOf(params[0], c);
  for (size_t i = 0; i < c; ++i) {
    if (bias && l.width) bias[i] = ReadSigned(params + l.bias + i * static_cast<size_t>(l.width), l.width);
    shift[i] = static_cast<int8_t>(params[l.shift + (l.shared_shift ? 0 : i)]);
    multiplier[i] = ReadSigned(params + l.multiplier + 4 * (l.shared_multiplier ? 0 : i), 4);
  }
}

}  // namespace tm2
