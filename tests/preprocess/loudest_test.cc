// The Loudest crop's window search: linear in the input (running sums of
// exact fixed-point squares), the same windows as the previous float
// implementation (frames x frame_length, kept below as the oracle) and the
// exact two-cursor one on the real fixture clips (int16 and float), and
// fast on an hour of input with frame_step 1.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "common/wav.h"
#include "preprocess/pcm_mix.h"
#include "preprocess/pipeline.h"
#include "test_helpers.h"

namespace tm2 {
namespace test {
namespace {

using preprocess_internal::FrameCount;
using preprocess_internal::LoudestStart;
using preprocess_internal::MixToMono;
using preprocess_internal::Pipeline;
using preprocess_internal::WorkspaceCarver;

// A pipeline laid out in its own workspace, as Preprocessor::Prepare does.
struct Pipe {
  std::vector<uint8_t> ws;
  Pipeline pipe;
  explicit Pipe(const PreprocessParams& p) : ws(Preprocessor::WorkspaceBytes(p)) {
    WorkspaceCarver carver(ws.data(), ws.size());
    pipe.Carve(p, &carver);
    pipe.FillTables();
  }
};

// The previous implementation: each frame's float sum of squares anew,
// a float running window sum recomputed once per window.
int64_t OldLoudestStart(const Pipeline& pipe, const PcmView& pcm, int64_t frames) {
  const PreprocessParams& p = pipe.params;
  const int64_t window = p.num_frames;
  const int64_t n = static_cast<int64_t>(pcm.frames);
  const int64_t kChunk = 256;
  std::vector<float> ring(window), chunk(kChunk);
  float running = 0.0f, best = -1.0f;
  int64_t best_start = 0;
  for (int64_t f = 0; f < frames; ++f) {
    int64_t a = pipe.resampler.InputIndexOf(f * p.frame_step);
    int64_t b = pipe.resampler.InputIndexOf(f * p.frame_step + p.frame_length);
    if (b > n) b = n;
    float e = 0.0f;
    for (int64_t k = a; k < b; k += kChunk) {
      int count = static_cast<int>(b - k < kChunk ? b - k : kChunk);
      MixToMono(pcm, k, count, chunk.data());
      for (int i = 0; i < count; ++i) e += chunk[i] * chunk[i];
    }
    const int64_t slot = f % window;
    const float old = ring[slot];
    ring[slot] = e;
    if (slot == window - 1) {
      running = 0.0f;
      for (int64_t i = 0; i < window; ++i) running += ring[i];
    } else if (f >= window) {
      running = (running - old) + e;
    } else {
      running += e;
    }
    if (f >= window - 1 && running > best) {
      best = running;
      best_start = f - window + 1;
    }
  }
  return best_start;
}

// The exact implementation before the single pass: two cursors over the
// mixed samples (each sample mixed twice), the same fixed-point squares.
int64_t TwoCursorLoudestStart(const Pipeline& pipe, const PcmView& pcm, int64_t frames) {
  const PreprocessParams& p = pipe.params;
  const int64_t window = p.num_frames;
  const int64_t n = static_cast<int64_t>(pcm.frames);
  struct Cursor {
    int64_t pos = 0;
    uint64_t sum = 0;
    void AdvanceTo(int64_t to, const PcmView& pcm) {
      float x[256];
      while (pos < to) {
        const int count = static_cast<int>(to - pos < 256 ? to - pos : 256);
        MixToMono(pcm, pos, count, x);
        for (int i = 0; i < count; ++i) {
          const int64_t q = static_cast<int32_t>(x[i] * 32768.0f);
          sum += static_cast<uint64_t>(q * q);
        }
        pos += count;
      }
    }
  } lo, hi;
  std::vector<uint64_t> ring(window);
  uint64_t running = 0, best = 0;
  int64_t best_start = 0;
  for (int64_t f = 0; f < frames; ++f) {
    const int64_t a = pipe.resampler.InputIndexOf(f * p.frame_step);
    int64_t b = pipe.resampler.InputIndexOf(f * p.frame_step + p.frame_length);
    if (b > n) b = n;
    if (b < a) b = a;
    lo.AdvanceTo(a, pcm);
    hi.AdvanceTo(b, pcm);
    const uint64_t e = hi.sum - lo.sum;
    const int64_t slot = f % window;
    if (f >= window) running -= ring[slot];
    ring[slot] = e;
    running += e;
    if (f >= window - 1 && running > best) {
      best = running;
      best_start = f - window + 1;
    }
  }
  return best_start;
}

int64_t Frames(const PreprocessParams& p, const PcmView& pcm) {
  const uint64_t in = pcm.sample_rate, out = p.sample_rate;
  return FrameCount(static_cast<int64_t>((pcm.frames * out + in - 1) / in), p.frame_length,
                    p.frame_step);
}

}  // namespace

TEST_CASE("Loudest picks the same window as the previous implementation on real clips",
          "[preprocess][crop]") {
  struct Config {
    uint32_t rate;
    int length, step, fft, frames;
  };
  const Config configs[] = {
      {16000, 400, 160, 512, 50}, {16000, 400, 1, 512, 300}, {16000, 256, 7, 256, 1000},
      {8000, 200, 3, 256, 700},   {16000, 400, 160, 512, 1}};
  int compared = 0;
  for (const char* clip : {"coswara_cough_16k.wav", "coswara_counting_16k.wav",
                           "coswara_breathing_16k.wav", "covid_telegram_cough_48k.wav",
                           "covid_callcenter_cough_8k_stereo.wav", "speech_commands_yes_16k.wav"}) {
    WavData wav;
    std::string error;
    INFO(clip << ": " << error);
    REQUIRE(ReadWavFile(std::string("audio/") + clip, &wav, &error));
    // The same clip as int16 and as float (a 0.9 gain, so the float mix
    // and its fixed-point squares are not the int16 ones).
    std::vector<float> f32(wav.samples.size());
    for (size_t i = 0; i < f32.size(); ++i) f32[i] = 0.9f * static_cast<float>(wav.samples[i]) / 32768.0f;
    for (const PcmView& pcm :
         {PcmView::S16(wav.samples.data(), wav.frames(), wav.sample_rate, wav.channels),
          PcmView::F32(f32.data(), wav.frames(), wav.sample_rate, wav.channels)}) {
    for (const Config& c : configs) {
      PreprocessParams p = LogMel40();
      p.sample_rate = c.rate;
      p.frame_length = static_cast<uint16_t>(c.length);
      p.frame_step = static_cast<uint16_t>(c.step);
      p.fft_size = static_cast<uint16_t>(c.fft);
      p.mel_bins = 20;
      p.num_frames = static_cast<uint16_t>(c.frames);
      p.crop = CropPolicy::kLoudest;
      REQUIRE(p.Validate().ok());
      Pipe pipe(p);
      pipe.pipe.resampler.SetInputRate(pcm.sample_rate);
      const int64_t frames = Frames(p, pcm);
      if (frames <= c.frames) continue;
      INFO("rate " << c.rate << " step " << c.step << " window " << c.frames << " of " << frames);
      const int64_t start = LoudestStart(pipe.pipe, pcm, frames);
      CHECK(start == TwoCursorLoudestStart(pipe.pipe, pcm, frames));
      if (pcm.s16) CHECK(start == OldLoudestStart(pipe.pipe, pcm, frames));
      ++compared;
    }
    }
  }
  CHECK(compared >= 48);
}

TEST_CASE("Loudest over an hour with frame_step 1 is linear", "[.hour]") {
  // One hour at 16 kHz: quiet noise, one loud second at 2345.6 s. The
  // previous implementation summed 2048 samples for each of 57.6 M frames.
  const size_t n = 3600u * 16000u;
  std::vector<int16_t> pcm(n);
  uint32_t s = 1;
  for (size_t i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    pcm[i] = static_cast<int16_t>(static_cast<int32_t>(s >> 24) - 128);
  }
  const size_t burst = 2345u * 16000u + 9600u;
  for (size_t i = burst; i < burst + 16000u; ++i) pcm[i] = static_cast<int16_t>(pcm[i] * 100);
  PreprocessParams p = LogMel40();
  p.frame_length = 2048;
  p.fft_size = 2048;
  p.frame_step = 1;
  p.num_frames = 4000;
  p.max_seconds = 3600.0f;
  p.crop = CropPolicy::kLoudest;
  Pipe pipe(p);
  const PcmView view = PcmView::S16(pcm.data(), n, 16000, 1);
  pipe.pipe.resampler.SetInputRate(16000);
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t start = LoudestStart(pipe.pipe, view, Frames(p, view));
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("Loudest over 1 h, frame_step 1 (57.6 M frames): %.0f ms\n", ms);
  // The 4000-frame window lies inside the loud second.
  CHECK(start >= static_cast<int64_t>(burst));
  CHECK(start + 4000 + 2048 <= static_cast<int64_t>(burst + 16000));
}

}  // namespace test
}  // namespace tm2
