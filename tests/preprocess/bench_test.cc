// Prints how long preprocessing takes (no timed assertion: machines vary)
// and an FNV-1a hash of each clip's float features, to compare targets.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "common/wav.h"
#include "test_helpers.h"

namespace tm2 {
namespace test {
namespace {

// Fastest of `repeats` runs: the machines running the tests are shared,
// and the minimum is the figure least disturbed by other load.
double MsPerRun(Prepared& prep, const PcmView& pcm, int repeats) {
  std::vector<int8_t> q(static_cast<size_t>(prep.pre.num_frames()) * prep.pre.num_features());
  REQUIRE(prep.pre.Run(pcm, q.data(), nullptr).ok());  // warm-up (builds the phase cache)
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    REQUIRE(prep.pre.Run(pcm, q.data(), nullptr).ok());
    auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return best;
}

}  // namespace

TEST_CASE("time: one 5 s clip to 16 kHz log-mel", "[preprocess][bench]") {
  // 5 s of real 48 kHz audio: the telegram cough clip repeated.
  WavData wav;
  std::string err;
  REQUIRE(ReadWavFile("audio/covid_telegram_cough_48k.wav", &wav, &err));
  std::vector<int16_t> pcm48(5 * 48000);
  for (size_t i = 0; i < pcm48.size(); ++i) pcm48[i] = wav.samples[i % wav.samples.size()];
  // 44.1 and 16 kHz versions of a 5 s stretch of real 16 kHz audio.
  WavData c16;
  REQUIRE(ReadWavFile("audio/coswara_counting_16k.wav", &c16, &err));
  std::vector<int16_t> pcm44(5 * 44100);
  for (size_t i = 0; i < pcm44.size(); ++i) pcm44[i] = c16.samples[(i * 16000 / 44100) % c16.samples.size()];

  for (int mels : {40, 64}) {
    PreprocessParams p = LogMel40();
    p.mel_bins = static_cast<uint16_t>(mels);
    p.num_frames = 500;
    Prepared prep(p);
    REQUIRE(prep.status.ok());
    double t48 = MsPerRun(prep, PcmView::S16(pcm48.data(), pcm48.size(), 48000, 1), 5);
    double t44 = MsPerRun(prep, PcmView::S16(pcm44.data(), pcm44.size(), 44100, 1), 5);
    double t16 = MsPerRun(prep, PcmView::S16(c16.samples.data(), c16.frames(), 16000, 1), 5);
    std::printf("5 s clip, 400/160/512, %d mel, 500 frames: 48 kHz %.2f ms, 44.1 kHz %.2f ms, "
                "16 kHz %.2f ms; workspace %lu bytes\n",
                mels, t48, t44, t16, static_cast<unsigned long>(prep.workspace.size()));
  }
}

TEST_CASE("hash: float features of the fixture clips", "[preprocess][hash]") {
  const char* clips[] = {"audio/covid_callcenter_cough_8k_stereo.wav",
                         "audio/covid_telegram_cough_48k.wav", "audio/coswara_cough_16k.wav"};
  PreprocessParams p = LogMel40();
  p.pre_emphasis = 0.97f;
  p.num_frames = 300;
  uint64_t all = 0xcbf29ce484222325ull;
  for (const char* clip : clips) {
    WavData wav;
    std::string err;
    REQUIRE(ReadWavFile(clip, &wav, &err));
    Prepared prep(p);
    Status s;
    std::vector<int8_t> q;
    std::vector<float> f = prep.Run(
        PcmView::S16(wav.samples.data(), wav.frames(), wav.sample_rate, wav.channels), &s, &q);
    REQUIRE(s.ok());
    uint64_t h = Fnv1a64(f.data(), f.size() * sizeof(float));
    all = Fnv1a64(f.data(), f.size() * sizeof(float), all);
    std::printf("features %016llx int8 %016llx  %s\n", static_cast<unsigned long long>(h),
                static_cast<unsigned long long>(Fnv1a64(q.data(), q.size())), clip);
  }
  std::printf("features of all clips %016llx\n", static_cast<unsigned long long>(all));
}

}  // namespace test
}  // namespace tm2
