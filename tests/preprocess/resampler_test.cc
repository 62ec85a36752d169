// Resampler on synthetic tones: frequency and amplitude survive, tones
// above the output Nyquist are stopped, and images of upsampling too.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "catch2/catch.hpp"
#include "preprocess/resampler.h"

namespace tm2 {
namespace test {
namespace {

using preprocess_internal::Resampler;
using preprocess_internal::WorkspaceCarver;

const double kPi = 3.14159265358979323846;

struct Resampled { std::vector<float> y; bool cached; };

// `seconds` of a sine at `freq` Hz, amplitude `amp`, at `in_rate`, int16 or
// float, resampled to `out_rate` in runs of 401 samples (as frames do).
Resampled ResampleTone(uint32_t in_rate, uint32_t out_rate, double freq, double amp, double seconds) {
  std::vector<float> x(static_cast<size_t>(in_rate * seconds));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(amp * std::sin(2 * kPi * freq * i / in_rate));
  const int run = 401;
  WorkspaceCarver measure(nullptr, 0);
  Resampler r;
  r.Carve(out_rate, run, /*cache=*/true, /*in_rate=*/0, &measure);
  std::vector<uint8_t> ws(measure.used());
  WorkspaceCarver carver(ws.data(), ws.size());
  r.Carve(out_rate, run, /*cache=*/true, /*in_rate=*/0, &carver);
  REQUIRE_FALSE(carver.overflowed());
  r.SetInputRate(in_rate);
  const int64_t len = (static_cast<int64_t>(x.size()) * out_rate + in_rate - 1) / in_rate;
  Resampled out;
  out.y.assign(len, 0.0f);
  PcmView pcm = PcmView::F32(x.data(), x.size(), in_rate, 1);
  const preprocess_internal::MonoSource source = preprocess_internal::PcmSource(&pcm);
  for (int64_t m = 0; m < len; m += run) {
    int count = static_cast<int>(std::min<int64_t>(run, len - m));
    r.Produce(source, m, count, len, out.y.data() + m);
  }
  out.cached = r.cached();
  return out;
}

struct ToneFit { double amp; double residual_db; };

// Least-squares fit of a sine/cosine at `freq` over the middle of y
// (edges, where the kernel runs off the input, are skipped); residual is
// everything else (aliases, images, noise) relative to the fitted tone.
ToneFit FitTone(const std::vector<float>& y, uint32_t rate, double freq) {
  const size_t lo = y.size() / 8, hi = y.size() - y.size() / 8;
  // Whole number of cycles keeps the sine and cosine orthogonal.
  const double period = rate / freq;
  const size_t n = static_cast<size_t>(std::floor((hi - lo) / period) * period);
  double a = 0, b = 0;
  for (size_t i = lo; i < lo + n; ++i) {
    a += y[i] * std::sin(2 * kPi * freq * i / rate);
    b += y[i] * std::cos(2 * kPi * freq * i / rate);
  }
  a *= 2.0 / n;
  b *= 2.0 / n;
  double res = 0;
  for (size_t i = lo; i < lo + n; ++i) {
    double fit = a * std::sin(2 * kPi * freq * i / rate) + b * std::cos(2 * kPi * freq * i / rate);
    res += (y[i] - fit) * (y[i] - fit);
  }
  double amp = std::sqrt(a * a + b * b);
  double res_rms = std::sqrt(res / n);
  return {amp, 20 * std::log10(res_rms / (amp / std::sqrt(2.0)) + 1e-30)};
}

double RmsDb(const std::vector<float>& y, double ref_amp) {
  const size_t lo = y.size() / 8, hi = y.size() - y.size() / 8;
  double s = 0;
  for (size_t i = lo; i < hi; ++i) s += static_cast<double>(y[i]) * y[i];
  return 20 * std::log10(std::sqrt(s / (hi - lo)) / (ref_amp / std::sqrt(2.0)) + 1e-30);
}

}  // namespace

TEST_CASE("1 kHz keeps its frequency and amplitude through the resampler", "[preprocess][resampler]") {
  for (uint32_t in : {44100u, 48000u, 8000u, 22050u, 11025u, 32000u, 47999u}) {
    Resampled r = ResampleTone(in, 16000, 1000.0, 0.5, 1.0);
    ToneFit fit = FitTone(r.y, 16000, 1000.0);
    std::printf("%5u -> 16000 Hz (%s): 1 kHz amplitude error %.2e, residual %.1f dB\n", in,
                r.cached ? "cached phases" : "per-sample weights", fit.amp / 0.5 - 1, fit.residual_db);
    INFO("input rate " << in);
    CHECK(std::fabs(fit.amp / 0.5 - 1.0) < 1e-3);  // pass-band ripple is ~2e-4
    CHECK(fit.residual_db < -70.0);                 // no other frequency present
  }
}

TEST_CASE("tones above the output Nyquist are attenuated by >= 72 dB", "[preprocess][resampler]") {
  struct Tone { uint32_t in; double freq; };
  const Tone tones[] = {{48000, 8000}, {48000, 9000}, {48000, 12000}, {48000, 20000},
                        {44100, 8100}, {44100, 15000}, {44100, 21000}, {32000, 10000}};
  double worst = -1000;
  for (const Tone& t : tones) {
    Resampled r = ResampleTone(t.in, 16000, t.freq, 0.5, 1.0);
    double db = RmsDb(r.y, 0.5);
    worst = std::max(worst, db);
    INFO(t.in << " Hz input, tone " << t.freq << " Hz: " << db << " dB");
    CHECK(db < -72.0);
  }
  std::printf("worst stop-band level (tones >= 8 kHz into 16 kHz): %.1f dB\n", worst);
}

TEST_CASE("upsampling 8 kHz leaves no image of a 2 kHz tone", "[preprocess][resampler]") {
  Resampled r = ResampleTone(8000, 16000, 2000.0, 0.5, 1.0);
  ToneFit fit = FitTone(r.y, 16000, 2000.0);  // the image would sit at 6 kHz
  std::printf("8000 -> 16000: 2 kHz amplitude error %.2e, residual (image) %.1f dB\n",
              fit.amp / 0.5 - 1, fit.residual_db);
  CHECK(std::fabs(fit.amp / 0.5 - 1.0) < 1e-3);
  CHECK(fit.residual_db < -60.0);
}

TEST_CASE("equal rates pass samples through bit for bit", "[preprocess][resampler]") {
  Resampled r = ResampleTone(16000, 16000, 1234.0, 0.7, 0.2);
  for (size_t i = 0; i < r.y.size(); ++i) {
    float x = static_cast<float>(0.7 * std::sin(2 * kPi * 1234.0 * i / 16000));
    REQUIRE(r.y[i] == x);
  }
}

TEST_CASE("a MonoHold across runs gives the bits of mixing every run anew",
          "[preprocess][resampler]") {
  // Stereo int16 noise, so the mixed values are not the raw samples.
  const int kFrames = 3 * 48000;
  std::vector<int16_t> pcm(2 * kFrames);
  uint32_t s = 3;
  for (int16_t& v : pcm) {
    s = s * 1664525u + 1013904223u;
    v = static_cast<int16_t>(s >> 16);
  }
  for (uint32_t in_rate : {48000u, 44100u, 32000u, 22050u, 8000u}) {
    for (uint32_t out_rate : {16000u, 8000u}) {
      if (in_rate == out_rate) continue;
      INFO(in_rate << " -> " << out_rate);
      const int run = 401;
      // Two resamplers: a hold is only valid with no other Produce() between.
      const bool cache = in_rate != 22050u;  // and one uncached ratio
      WorkspaceCarver measure(nullptr, 0);
      Resampler probe;
      probe.Carve(out_rate, run, cache, /*in_rate=*/0, &measure);
      std::vector<uint8_t> ws_held(measure.used()), ws_fresh(measure.used());
      Resampler r, f;
      WorkspaceCarver carve_held(ws_held.data(), ws_held.size());
      WorkspaceCarver carve_fresh(ws_fresh.data(), ws_fresh.size());
      r.Carve(out_rate, run, cache, 0, &carve_held);
      f.Carve(out_rate, run, cache, 0, &carve_fresh);
      r.SetInputRate(in_rate);
      f.SetInputRate(in_rate);
      const uint32_t frames = kFrames * in_rate / 48000;
      const PcmView view = PcmView::S16(pcm.data(), frames, in_rate, 2);
      const preprocess_internal::MonoSource source = preprocess_internal::PcmSource(&view);
      const int64_t len = (static_cast<int64_t>(frames) * out_rate + in_rate - 1) / in_rate;
      preprocess_internal::MonoHold hold;
      std::vector<float> held(run), fresh(run);
      // Frames as Run asks for them (overlapping, then only the new part),
      // a jump back and one past the end.
      int64_t begin = -1;
      int calls = 0;
      for (int step : {0, 160, 160, 1, 17, 400, 401, 900, -700, 160, 160, 5000}) {
        begin += step;
        for (int count : {run, 160, 3}) {
          r.Produce(source, begin, count, len, held.data(), &hold);
          f.Produce(source, begin, count, len, fresh.data());
          CHECK(std::memcmp(held.data(), fresh.data(), sizeof(float) * count) == 0);
          ++calls;
        }
      }
      begin = len - 100;
      r.Produce(source, begin, run, len, held.data(), &hold);
      f.Produce(source, begin, run, len, fresh.data());
      CHECK(std::memcmp(held.data(), fresh.data(), sizeof(float) * run) == 0);
      CHECK(calls == 36);
    }
  }
}

}  // namespace test
}  // namespace tm2
