// Built instead of alsa_source.cc when libasound was not found (e.g. the
// cross-compiled Raspberry Pi build): files and stdin still work.
#include "audio_source.h"

namespace tm2 {
namespace cli {

bool HaveAlsa() { return false; }

bool OpenAlsa(const char* device, int, int, std::unique_ptr<AudioSource>*, std::string* error) {
  *error = std::string("cannot capture from '") + device +
           "': this tinym2 was built without ALSA (libasound2-dev); read a file or raw PCM on "
           "stdin (arecord ... | tinym2 listen -)";
  return false;
}

}  // namespace cli
}  // namespace tm2
