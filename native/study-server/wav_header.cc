#include "wav_header.h"

#include <cstring>

namespace tm2study {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;

uint32_t Le32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

WavHeader Bad(std::string error) {
  WavHeader h;
  h.result = WavHeader::Result::kBad;
  h.error = std::move(error);
  return h;
}

}  // namespace

WavHeader ParseWavHeader(const uint8_t* p, size_t size, size_t total) {
  WavHeader h;
  if (size >= 4 && std::memcmp(p, "RIFF", 4) != 0)
    return Bad("not a WAV file: it does not start with RIFF");
  if (size >= 12 && std::memcmp(p + 8, "WAVE", 4) != 0)
    return Bad("not a WAV file: RIFF but not WAVE");
  if (size < 12) return total < 12 ? Bad("not a WAV file: shorter than a WAV header") : h;
  bool have_fmt = false;
  size_t pos = 12;
  for (;;) {
    if (pos + 8 > total) return Bad("truncated WAV: the file ends before its data chunk");
    if (pos + 8 > size) return pos + 8 > kMaxHeaderBytes ? Bad("WAV header longer than 64 KB") : h;
    const uint32_t chunk = Le32(p + pos + 4);
    if (std::memcmp(p + pos, "data", 4) == 0) {
      if (!have_fmt) return Bad("WAV file without a fmt chunk before its data");
      h.data_offset = pos + 8;
      h.data_bytes = chunk;
      if (h.data_bytes % (2u * h.channels) != 0)
        return Bad("WAV data size is not a whole number of 16-bit frames");
      if (h.data_offset + h.data_bytes > total)
        return Bad("truncated WAV: the header announces " + std::to_string(h.data_bytes) +
                   " bytes of samples but the upload holds " +
                   std::to_string(total - h.data_offset));
      h.result = WavHeader::Result::kOk;
      return h;
    }
    const size_t next = pos + 8 + chunk + (chunk & 1);
    if (std::memcmp(p + pos, "fmt ", 4) == 0) {
      if (chunk < 16) return Bad("WAV fmt chunk shorter than 16 bytes");
      if (pos + 8 + 16 > size) return h;
      const uint8_t* f = p + pos + 8;
      const uint16_t format = Le16(f);
      h.channels = Le16(f + 2);
      h.sample_rate = Le32(f + 4);
      const uint16_t bits = Le16(f + 14);
      // 0xFFFE (extensible) is accepted when its samples are 16-bit PCM.
      if ((format != 1 && format != 0xFFFE) || bits != 16)
        return Bad("WAV must be 16-bit PCM (format " + std::to_string(format) + ", " +
                   std::to_string(bits) + " bits)");
      if (h.channels < 1 || h.channels > 2)
        return Bad("WAV must be mono or stereo, got " + std::to_string(h.channels) + " channels");
      if (h.sample_rate < 8000 || h.sample_rate > 48000)
        return Bad("WAV sample rate must be 8000-48000 Hz, got " + std::to_string(h.sample_rate));
      have_fmt = true;
    }
    if (next > kMaxHeaderBytes) return Bad("WAV header longer than 64 KB");
    pos = next;
  }
}

}  // namespace tm2study
