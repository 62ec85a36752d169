// Where `tinym2 listen` gets PCM: a decoded audio file (libsndfile), raw
// signed 16-bit little-endian PCM on stdin, or an ALSA capture device
// (libasound, when the build found it). Each is read a block at a time, so
// input of any length streams; a read interrupted by a signal returns an
// empty block with interrupted() set, so SIGINT/SIGTERM stop cleanly.
//
//   std::unique_ptr<tm2::cli::AudioSource> src;
//   std::string error;
//   if (!tm2::cli::OpenAlsa("default", 16000, 1, &src, &error)) Fail(error);
//   tm2::PcmView block;
//   while (src->Next(&block, &error) && block.frames > 0) Push(block);
#ifndef TM2_NATIVE_CLI_AUDIO_SOURCE_H_
#define TM2_NATIVE_CLI_AUDIO_SOURCE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "preprocess/preprocess.h"

namespace tm2 {
namespace cli {

constexpr size_t kBlockFrames = 4096;  // an ALSA-sized read

class AudioSource {
 public:
  virtual ~AudioSource() = default;
  // The next block (0 frames at the end or after a signal); false on a
  // read error, with `error` set. The block is valid until the next call.
  virtual bool Next(PcmView* block, std::string* error) = 0;
  virtual int rate() const = 0;
  virtual int channels() const = 0;
  virtual bool interrupted() const { return false; }
  // Bytes left over that were not a whole frame (stdin).
  virtual size_t trailing_bytes() const { return 0; }
  // Capture overruns (frames lost by the device), ALSA only.
  virtual int overruns() const { return 0; }
};

bool OpenFile(const char* path, std::unique_ptr<AudioSource>* out, std::string* error);
void OpenStdin(int rate, int channels, std::unique_ptr<AudioSource>* out);
// False with a clear error for a missing device, or a rate or channel
// count the device cannot capture; also when built without libasound.
bool OpenAlsa(const char* device, int rate, int channels, std::unique_ptr<AudioSource>* out,
              std::string* error);
bool HaveAlsa();

}  // namespace cli
}  // namespace tm2

#endif  // TM2_NATIVE_CLI_AUDIO_SOURCE_H_
