// Decoding recordings for the factory (WAV, FLAC, OGG, MP3 via libsndfile).
#ifndef TM2_FACTORY_DATA_AUDIO_FILE_H_
#define TM2_FACTORY_DATA_AUDIO_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tm2 {
namespace factory {

struct Audio {
  std::vector<float> samples;  // interleaved, [-1, 1]
  uint32_t sample_rate = 0;
  uint16_t channels = 0;
  size_t frames() const { return channels ? samples.size() / channels : 0; }
};

// Reads the whole file. Reads until libsndfile returns 0 frames instead of
// trusting the header's frame count (MP3 headers over- or under-state it).
// Throws std::runtime_error naming the file on failure.
Audio ReadAudio(const std::string& path);

// The file's bytes (for content hashing).
std::vector<uint8_t> ReadBytes(const std::string& path);

// FNV-1a 64-bit: content keys for deduplication and the feature cache.
uint64_t Fnv1a64(const void* data, size_t size, uint64_t h = 1469598103934665603ull);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_DATA_AUDIO_FILE_H_
