// Crop policies and padding: which frames a long or short recording keeps.
#include <cmath>
#include <vector>

#include "catch2/catch.hpp"
#include "common/det_math.h"
#include "test_helpers.h"

namespace tm2 {
namespace test {
namespace {

// 3 s at 16 kHz: quiet noise-like tone with a loud 1.5 kHz burst at
// [burst_s, burst_s + 0.3 s).
std::vector<float> Signal(double burst_s) {
  std::vector<float> x(48000);
  for (size_t i = 0; i < x.size(); ++i) {
    double t = i / 16000.0;
    double v = 0.01 * std::sin(2 * 3.14159265358979 * 440 * t + 0.3 * std::sin(i * 0.001));
    if (t >= burst_s && t < burst_s + 0.3) v += 0.5 * std::sin(2 * 3.14159265358979 * 1500 * t);
    x[i] = static_cast<float>(v);
  }
  return x;
}

// All frames of the signal (num_frames >= frame count, Start crop).
std::vector<float> AllFrames(const std::vector<float>& x, int* frames) {
  PreprocessParams p = LogMel40();
  p.num_frames = 400;
  Prepared prep(p);
  Status s;
  std::vector<float> f = prep.Run(PcmView::F32(x.data(), x.size(), 16000, 1), &s);
  REQUIRE(s.ok());
  *frames = 1 + (static_cast<int>(x.size()) - p.frame_length) / p.frame_step;
  return f;
}

bool RowsEqual(const std::vector<float>& a, int a_row, const std::vector<float>& b, int b_row,
               int rows, int width) {
  for (int i = 0; i < rows * width; ++i)
    if (a[a_row * width + i] != b[b_row * width + i]) return false;
  return true;
}

}  // namespace

TEST_CASE("Start, Center and Loudest keep the expected frames", "[preprocess][crop]") {
  const std::vector<float> x = Signal(2.2);
  int total = 0;
  const std::vector<float> all = AllFrames(x, &total);
  REQUIRE(total == 298);
  PreprocessParams p = LogMel40();  // num_frames 100
  const int w = p.mel_bins;
  const PcmView pcm = PcmView::F32(x.data(), x.size(), 16000, 1);
  Status s;

  p.crop = CropPolicy::kStart;
  std::vector<float> f = Prepared(p).Run(pcm, &s);
  REQUIRE(s.ok());
  CHECK(RowsEqual(f, 0, all, 0, 100, w));

  p.crop = CropPolicy::kCenter;
  f = Prepared(p).Run(pcm, &s);
  REQUIRE(s.ok());
  CHECK(RowsEqual(f, 0, all, (298 - 100) / 2, 100, w));

  // The burst covers frames ~218..248; the loudest window must contain all
  // of it, and with ties broken towards the start it begins at the first
  // window that does (the quiet background is nearly constant).
  p.crop = CropPolicy::kLoudest;
  f = Prepared(p).Run(pcm, &s);
  REQUIRE(s.ok());
  int found = -1;
  for (int st = 0; st + 100 <= total && found < 0; ++st)
    if (RowsEqual(f, 0, all, st, 100, w)) found = st;
  INFO("loudest window starts at frame " << found);
  REQUIRE(found >= 0);
  CHECK(found <= 2.2 * 100 - 1);         // starts before the burst
  CHECK(found + 100 >= 2.5 * 100 - 2);   // ends after it
}

TEST_CASE("Loudest moves with the burst", "[preprocess][crop]") {
  PreprocessParams p = LogMel40();
  p.crop = CropPolicy::kLoudest;
  p.num_frames = 40;  // longer than the 30-frame burst: the window must hold it
  for (double burst : {0.1, 1.3, 2.6}) {
    const std::vector<float> x = Signal(burst);
    int total = 0;
    const std::vector<float> all = AllFrames(x, &total);
    Status s;
    std::vector<float> f = Prepared(p).Run(PcmView::F32(x.data(), x.size(), 16000, 1), &s);
    REQUIRE(s.ok());
    int found = -1;
    for (int st = 0; st + 40 <= total && found < 0; ++st)
      if (RowsEqual(f, 0, all, st, 40, p.mel_bins)) found = st;
    INFO("burst at " << burst << " s, window at frame " << found);
    CHECK(found <= static_cast<int>(burst * 100));
    CHECK(found + 40 >= static_cast<int>((burst + 0.3) * 100));
  }
}

TEST_CASE("short input is zero-padded with the features of silence", "[preprocess][crop]") {
  PreprocessParams p = LogMel40();
  p.pre_emphasis = 0.9f;
  const std::vector<float> x = Signal(0.0);
  Status s;
  // 0.5 s = 8000 samples -> 1 + (8000 - 400) / 160 = 48 frames, then padding.
  std::vector<float> half = Prepared(p).Run(PcmView::F32(x.data(), 8000, 16000, 1), &s);
  REQUIRE(s.ok());
  std::vector<float> zeros(4000, 0.0f);
  std::vector<float> silent = Prepared(p).Run(PcmView::F32(zeros.data(), zeros.size(), 16000, 1), &s);
  REQUIRE(s.ok());
  const float floor_log = DetLog(p.log_floor);
  for (float v : silent) REQUIRE(v == floor_log);  // digital silence sits at the floor
  CHECK_FALSE(RowsEqual(half, 47, silent, 0, 1, p.mel_bins));  // last real frame has signal
  CHECK(RowsEqual(half, 48, silent, 0, 52, p.mel_bins));  // padding = silence

  // Fewer samples than one frame: one zero-padded frame, then silence.
  std::vector<float> tiny = Prepared(p).Run(PcmView::F32(x.data(), 100, 16000, 1), &s);
  REQUIRE(s.ok());
  CHECK(tiny[0] != floor_log);
  CHECK(RowsEqual(tiny, 1, silent, 0, 99, p.mel_bins));
}

TEST_CASE("int16, float and stereo inputs agree", "[preprocess][crop]") {
  PreprocessParams p = LogMel40();
  const std::vector<float> x = Signal(1.0);
  std::vector<int16_t> s16(x.size()), stereo(2 * x.size());
  std::vector<float> xf(x.size()), f_stereo(2 * x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    s16[i] = static_cast<int16_t>(std::lround(x[i] * 16384));
    xf[i] = s16[i] / 32768.0f;
    stereo[2 * i] = s16[i];
    stereo[2 * i + 1] = s16[i];
    f_stereo[2 * i] = xf[i];
    f_stereo[2 * i + 1] = xf[i];
  }
  Prepared prep(p);
  Status s;
  std::vector<int8_t> q1, q2, q3, q4;
  std::vector<float> a = prep.Run(PcmView::S16(s16.data(), s16.size(), 16000, 1), &s, &q1);
  std::vector<float> b = prep.Run(PcmView::F32(xf.data(), xf.size(), 16000, 1), &s, &q2);
  std::vector<float> c = prep.Run(PcmView::S16(stereo.data(), s16.size(), 16000, 2), &s, &q3);
  std::vector<float> d = prep.Run(PcmView::F32(f_stereo.data(), xf.size(), 16000, 2), &s, &q4);
  REQUIRE(s.ok());
  CHECK(a == b);
  CHECK(a == c);
  CHECK(a == d);
  CHECK(q1 == q3);
  // Features null: quantized output unchanged.
  std::vector<int8_t> q5(q1.size());
  REQUIRE(prep.pre.Run(PcmView::S16(s16.data(), s16.size(), 16000, 1), q5.data(), nullptr).ok());
  CHECK(q5 == q1);
}

}  // namespace test
}  // namespace tm2
