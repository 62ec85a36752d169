// Reads the header of an uploaded take: RIFF/WAVE, a PCM 16-bit `fmt `
// chunk (1 or 2 channels, 8-48 kHz, what the research page writes) and the
// `data` chunk's position and size. Works on a prefix of the file, so a
// non-audio body or a too-long take is refused after its first bytes.
#ifndef TM2_STUDY_SERVER_WAV_HEADER_H_
#define TM2_STUDY_SERVER_WAV_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace tm2study {

struct WavHeader {
  enum class Result { kOk, kNeedMore, kBad };
  Result result = Result::kNeedMore;
  std::string error;  // for kBad: what is wrong, in words for the uploader
  uint32_t sample_rate = 0;
  uint16_t channels = 0;
  size_t data_offset = 0;  // first byte of samples
  size_t data_bytes = 0;
  double seconds() const {
    return sample_rate && channels ? static_cast<double>(data_bytes) / (2.0 * channels * sample_rate)
                                   : 0;
  }
};

// `prefix` holds the file's first `size` bytes; `total` is the whole
// file's length (the upload's Upload-Length). Headers longer than 64 KB
// are refused.
WavHeader ParseWavHeader(const uint8_t* prefix, size_t size, size_t total);

}  // namespace tm2study

#endif  // TM2_STUDY_SERVER_WAV_HEADER_H_
