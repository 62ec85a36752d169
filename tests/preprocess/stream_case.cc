#include "stream_case.h"

#include "catch2/catch.hpp"

namespace tm2 {
namespace test {

const size_t kBlocks[] = {1, 128, 160, 4096, 7, 333, 2048, 1, 1000};
const int kNumBlocks = sizeof(kBlocks) / sizeof(kBlocks[0]);

WavData ReadClip(const std::string& name) {
  WavData wav;
  std::string error;
  const bool read = ReadWavFile("audio/" + name, &wav, &error);
  INFO(name << ": " << error);
  REQUIRE(read);
  return wav;
}

StreamOptions OptionsFor(const WavData& wav, uint16_t hop_frames) {
  StreamOptions o;
  o.input_rate = wav.sample_rate;
  o.channels = wav.channels;
  o.hop_frames = hop_frames;
  return o;
}

void RequireEqualToBatch(const StreamCheck& r, const StreamPreprocessor& geometry,
                         uint32_t input_rate, const std::string& what, int64_t input_frames) {
  const uint32_t out = geometry.params().sample_rate;
  const int64_t lookahead = 16 * (input_rate > out ? input_rate : out) / out + 8;
  INFO(what << ": " << r.status.message() << ", " << r.windows << " windows, first mismatch "
            << r.first_mismatch << " at frame " << r.first_mismatch_row);
  REQUIRE(r.status.ok());
  CHECK(r.mismatches == 0);
  CHECK(r.left_over >= 0);
  if (r.windows > 0)
    CHECK(r.left_over < geometry.hop_samples() + lookahead);
  else
    CHECK(r.left_over < geometry.window_samples() + lookahead);
  CHECK(r.tails <= 1);
  CHECK(r.covered_to <= input_frames);
  CHECK(input_frames - r.covered_to < lookahead);
  if (r.tails == 1) {
    CHECK(r.tail_samples > 0);
    CHECK(r.tail_samples <= geometry.window_samples());
    CHECK((r.tail_first + r.tail_samples == input_frames ||
           r.tail_samples == geometry.window_samples()));
  } else {
    // No tail: the input ended where the next window would start.
    CHECK(r.covered_to - geometry.window_samples() + geometry.hop_samples() >= input_frames);
  }
}

}  // namespace test
}  // namespace tm2
