// Minimal RIFF/WAVE reader for the test fixtures (16-bit PCM only). Native
// tools decode real-world files with libsndfile; the core and its tests on
// every target only need the checked-in fixtures.
#ifndef TM2_TESTS_COMMON_WAV_H_
#define TM2_TESTS_COMMON_WAV_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tm2 {
namespace test {

struct WavData {
  uint32_t sample_rate = 0;
  uint16_t channels = 0;
  std::vector<int16_t> samples;  // interleaved
  size_t frames() const { return channels ? samples.size() / channels : 0; }
};

// Parses WAV bytes; returns false (with `error` set) on anything but 16-bit PCM.
bool ParseWav(const uint8_t* bytes, size_t size, WavData* out, std::string* error);
// Reads `path` (relative paths are taken under TM2_FIXTURES_DIR when defined).
bool ReadWavFile(const std::string& path, WavData* out, std::string* error);
bool ReadFileBytes(const std::string& path, std::vector<uint8_t>* out);

// FNV-1a 64-bit, the hash the parity tests print and compare.
uint64_t Fnv1a64(const void* data, size_t size, uint64_t seed = 0xcbf29ce484222325ull);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_COMMON_WAV_H_
