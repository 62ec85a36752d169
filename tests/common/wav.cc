#include "common/wav.h"

#include <cstdio>
#include <cstring>

namespace tm2 {
namespace test {
namespace {
uint32_t Le32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24); }
uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
}  // namespace

bool ParseWav(const uint8_t* b, size_t size, WavData* out, std::string* error) {
  if (size < 12 || std::memcmp(b, "RIFF", 4) != 0 || std::memcmp(b + 8, "WAVE", 4) != 0) {
    *error = "not a RIFF/WAVE file";
    return false;
  }
  bool have_fmt = false;
  size_t pos = 12;
  while (pos + 8 <= size) {
    const uint32_t len = Le32(b + pos + 4);
    const uint8_t* body = b + pos + 8;
    if (len > size - pos - 8) { *error = "chunk runs past the end of the file"; return false; }
    if (std::memcmp(b + pos, "fmt ", 4) == 0 && len >= 16) {
      const uint16_t format = Le16(body);
      out->channels = Le16(body + 2);
      out->sample_rate = Le32(body + 4);
      const uint16_t bits = Le16(body + 14);
      if ((format != 1 && format != 0xFFFE) || bits != 16 || out->channels == 0) {
        *error = "only 16-bit PCM WAV is supported here";
        return false;
      }
      have_fmt = true;
    } else if (std::memcmp(b + pos, "data", 4) == 0) {
      if (!have_fmt) { *error = "data chunk before fmt chunk"; return false; }
      out->samples.resize(len / 2);
      for (size_t i = 0; i < out->samples.size(); ++i)
        out->samples[i] = static_cast<int16_t>(Le16(body + 2 * i));
      out->samples.resize(out->samples.size() / out->channels * out->channels);
      return true;
    }
    pos += 8 + len + (len & 1);
  }
  *error = "no data chunk";
  return false;
}

bool ReadFileBytes(const std::string& path, std::vector<uint8_t>* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  out->clear();
  uint8_t buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out->insert(out->end(), buf, buf + n);
  std::fclose(f);
  return true;
}

bool ReadWavFile(const std::string& path, WavData* out, std::string* error) {
  std::string full = path;
#ifdef TM2_FIXTURES_DIR
  if (!path.empty() && path[0] != '/') full = std::string(TM2_FIXTURES_DIR) + "/" + path;
#endif
  std::vector<uint8_t> bytes;
  if (!ReadFileBytes(full, &bytes)) { *error = "cannot read " + full; return false; }
  return ParseWav(bytes.data(), bytes.size(), out, error);
}

uint64_t Fnv1a64(const void* data, size_t size, uint64_t h) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) { h ^= p[i]; h *= 0x100000001b3ull; }
  return h;
}

}  // namespace test
}  // namespace tm2
