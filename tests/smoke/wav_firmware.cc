// The WAV fixture reader on the Cortex-M4F, on fixtures compiled into the
// image (no file system): same rates, lengths and sample hashes as
// tests/common/wav_test.cc finds on the hosts, and a truncated file is
// rejected. Exits non-zero on any mismatch.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "common/embedded_files.h"
#include "common/wav.h"

TM2_EMBEDDED_FILE(fixture, speech_commands_yes_16k)
TM2_EMBEDDED_FILE(fixture, covid_callcenter_cough_8k_stereo)

namespace {

int Check(const char* name, const unsigned char* bytes, size_t size, uint32_t rate,
          uint16_t channels, size_t frames, uint64_t fnv) {
  tm2::test::WavData w;
  std::string error;
  if (!tm2::test::ParseWav(bytes, size, &w, &error)) {
    std::printf("FAIL %s: %s\n", name, error.c_str());
    return 1;
  }
  const uint64_t h = tm2::test::Fnv1a64(w.samples.data(), w.samples.size() * sizeof(int16_t));
  std::printf("  %s: %lu Hz, %u ch, %lu frames, fnv %016llx\n", name,
              static_cast<unsigned long>(w.sample_rate), static_cast<unsigned>(w.channels),
              static_cast<unsigned long>(w.frames()), static_cast<unsigned long long>(h));
  int failures = (w.sample_rate != rate) + (w.channels != channels) + (w.frames() != frames) +
                 (h != fnv);
  // Cut halfway through the data chunk: must be refused, not half-read.
  tm2::test::WavData cut;
  if (tm2::test::ParseWav(bytes, size / 2, &cut, &error)) {
    std::printf("FAIL %s: truncated copy accepted\n", name);
    ++failures;
  }
  return failures;
}

}  // namespace

int main() {
  int failures = 0;
  failures += Check("speech_commands_yes_16k", fixture_speech_commands_yes_16k,
                    fixture_speech_commands_yes_16k_size, 16000, 1, 16000, 0x5b17e39bb550e337ull);
  failures += Check("covid_callcenter_cough_8k_stereo", fixture_covid_callcenter_cough_8k_stereo,
                    fixture_covid_callcenter_cough_8k_stereo_size, 8000, 2, 17856,
                    0xbafe5c6b6aee5ce9ull);
  std::printf("wav firmware: %d failed\n", failures);
  return failures == 0 ? 0 : 1;
}
