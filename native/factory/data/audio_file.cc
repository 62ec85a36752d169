#include "data/audio_file.h"

#include <sndfile.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace tm2 {
namespace factory {

Audio ReadAudio(const std::string& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) throw std::runtime_error(path + ": cannot decode: " + sf_strerror(nullptr));
  Audio a;
  a.sample_rate = static_cast<uint32_t>(info.samplerate);
  a.channels = static_cast<uint16_t>(info.channels);
  std::vector<float> chunk(static_cast<size_t>(4096) * info.channels);
  for (;;) {
    const sf_count_t got = sf_readf_float(f, chunk.data(), 4096);
    if (got <= 0) break;
    a.samples.insert(a.samples.end(), chunk.begin(), chunk.begin() + got * info.channels);
  }
  sf_close(f);
  if (a.samples.empty()) throw std::runtime_error(path + ": no audio frames");
  return a;
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

uint64_t Fnv1a64(const void* data, size_t size, uint64_t h) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace factory
}  // namespace tm2
