// PCM augmentation on real fixture clips: seeded determinism, the SNR a
// mix achieves, shifts (sample-exact, and a whole hop = one frame of the
// core's features), the telephone band's pass and stop bands, loud crops
// of one length or of lengths drawn from a range.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "augment/band_limit.h"
#include "augment/pcm_augment.h"
#include "data/audio_file.h"
#include "preprocess/preprocess.h"
#include "recipe/recipe.h"

using namespace tm2;
using namespace tm2::factory;

namespace {

std::string Fixture(const char* name) { return std::string(TM2_FIXTURES_DIR) + "/audio/" + name; }

AugmentConfig AllOn() {
  AugmentConfig c;
  c.copies = 2;
  c.seed = 5;
  c.gain_db = 6;
  c.shift_ms = 64;
  c.noise_probability = 1;
  c.snr_db_low = 5;
  c.snr_db_high = 20;
  c.telephone_probability = 0.5;
  return c;
}

std::vector<float> Tone(double hz, uint32_t rate, double seconds) {
  std::vector<float> x(static_cast<size_t>(rate * seconds));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(0.5 * std::sin(2 * M_PI * hz * i / rate));
  return x;
}

// Power in dB of the middle half (away from the filters' edge effects).
double MiddleDb(const std::vector<float>& x) {
  const std::vector<float> mid(x.begin() + x.size() / 4, x.end() - x.size() / 4);
  return 10 * std::log10(MeanPower(mid));
}

}  // namespace

TEST_CASE("augmented PCM is a function of the seed, the copy and the input") {
  const Audio cough = ReadAudio(Fixture("coswara_cough_16k.wav"));
  const AugmentConfig c = AllOn();
  const std::vector<std::string> paths = {Fixture("coswara_breathing_16k.wav"),
                                          Fixture("covid_callcenter_cough_8k_stereo.wav"),
                                          Fixture("covid_telegram_cough_48k.wav")};
  const NoisePool pool = NoisePoolOf(paths, c);
  // The breathing clip's quietest half second is near-digital silence (RMS 1.6e-5): skipped.
  REQUIRE(pool.segments.size() == 2);
  auto view = [&](uint64_t seed) {
    std::mt19937_64 rng(seed);
    return AugmentPcm(cough, c, pool, rng);
  };
  const Audio a = view(ViewSeed(c.seed, 42, 0)), b = view(ViewSeed(c.seed, 42, 0));
  CHECK(a.samples == b.samples);
  CHECK(a.sample_rate == b.sample_rate);
  const Audio other = view(ViewSeed(c.seed, 42, 1));
  CHECK(other.samples != a.samples);
  CHECK(ViewSeed(c.seed, 42, 0) != ViewSeed(c.seed + 1, 42, 0));
  CHECK(NoisePoolOf(paths, c).hash == pool.hash);
  // Every field that shapes the PCM names another cache entry.
  AugmentConfig longer = c;
  longer.noise_seconds = 0.25;
  CHECK(AugmentHash(longer, pool) != AugmentHash(c, pool));
  AugmentConfig masked = c;
  masked.time_masks = 2;  // masks act on features after the cache
  CHECK(AugmentHash(masked, pool) == AugmentHash(c, pool));
  for (float v : a.samples) REQUIRE(std::abs(v) <= 1.0f);
}

TEST_CASE("noise is mixed at the requested SNR over the loudest second") {
  const Audio cough = ReadAudio(Fixture("coswara_cough_16k.wav"));
  const Audio breath = ReadAudio(Fixture("coswara_counting_16k.wav"));  // its pauses are room noise
  const std::vector<float> clean = MixToMono(cough);
  const std::vector<float> noise = QuietestSegment(MixToMono(breath), 16000, 0.5);
  REQUIRE(noise.size() == 8000);
  CHECK(MeanPower(noise) <= MeanPower(MixToMono(breath)));
  for (double snr : {0.0, 10.0, 25.0}) {
    std::vector<float> mixed = clean;
    MixAtSnr(mixed, 16000, noise, 1234, snr);
    std::vector<float> added(mixed.size());
    for (size_t i = 0; i < mixed.size(); ++i) added[i] = mixed[i] - clean[i];
    const double got = 10 * std::log10(LoudestSecondPower(clean, 16000) / MeanPower(added));
    CHECK(got == Approx(snr).margin(0.01));
  }
}

TEST_CASE("a clip that lands on a silent stretch of the noise gets no noise, not NaN") {
  // A 0.25 s FSDD-length clip and a 0.5 s noise segment whose first 0.3 s
  // are digital silence (its RMS over the whole segment is well above the
  // pool's 1e-4 floor): from offset 0 the clip would get only silence.
  const Audio yes = ReadAudio(Fixture("speech_commands_yes_16k.wav"));
  const std::vector<float> mono = MixToMono(yes);
  const std::vector<float> clip(mono.begin() + 4000, mono.begin() + 8000);
  REQUIRE(MeanPower(clip) > 0);
  std::vector<float> noise(8000, 0.0f);
  const std::vector<float> cough = MixToMono(ReadAudio(Fixture("coswara_cough_16k.wav")));
  const std::vector<float> burst = LoudCrop(cough, 16000, 0.2, 0.25, 0);
  REQUIRE(burst.size() == 3200);
  std::copy(burst.begin(), burst.end(), noise.begin() + 4800);
  REQUIRE(std::sqrt(MeanPower(noise)) > 1e-4);
  std::vector<float> x = clip;
  MixAtSnr(x, 16000, noise, 0, 10);
  CHECK(x == clip);  // unchanged, every sample finite
  // From an offset that reaches the sound, it is added at the SNR.
  MixAtSnr(x, 16000, noise, 4000, 10);
  CHECK(std::all_of(x.begin(), x.end(), [](float v) { return std::isfinite(v); }));
  std::vector<float> added(x.size());
  for (size_t i = 0; i < x.size(); ++i) added[i] = x[i] - clip[i];
  CHECK(10 * std::log10(LoudestSecondPower(clip, 16000) / MeanPower(added)) == Approx(10).margin(0.01));
}

TEST_CASE("a shift moves the samples exactly, and a whole hop moves the core's features by one frame") {
  const Audio a = ReadAudio(Fixture("speech_commands_yes_16k.wav"));
  const std::vector<float> x = MixToMono(a);
  const std::vector<float> later = Shift(x, 77);  // sub-frame: the hop is 256 samples
  REQUIRE(later.size() == x.size() + 77);
  CHECK(std::vector<float>(later.begin() + 77, later.end()) == x);
  CHECK(Shift(later, -77) == x);

  PreprocessParams p;
  p.sample_rate = 16000;
  p.frame_length = 512;
  p.frame_step = 256;
  p.fft_size = 512;
  p.mel_bins = 40;
  p.mel_high_hz = 8000;
  p.num_frames = 40;
  p.pre_emphasis = 0;  // a filter state carried across the inserted silence would differ
  p.crop = CropPolicy::kStart;
  REQUIRE(p.Validate().ok());
  std::vector<uint8_t> ws(Preprocessor::WorkspaceBytes(p));
  Preprocessor pre;
  REQUIRE(pre.Prepare(p, ws.data(), ws.size()).ok());
  auto features = [&](const std::vector<float>& s) {
    std::vector<float> f(p.num_frames * p.num_features());
    std::vector<int8_t> q(f.size());
    REQUIRE(pre.Run(PcmView::F32(s.data(), s.size(), 16000, 1), q.data(), f.data()).ok());
    return f;
  };
  const auto f0 = features(x), f1 = features(Shift(x, 256));
  const int bins = p.num_features();
  for (int t = 0; t + 1 < p.num_frames; ++t)
    for (int k = 0; k < bins; ++k)
      REQUIRE(f1[(t + 1) * bins + k] == Approx(f0[t * bins + k]).margin(1e-4));
}

TEST_CASE("the telephone band keeps 300-3400 Hz at 8 kHz and removes the rest") {
  for (uint32_t rate : {8000u, 16000u, 44100u, 48000u}) {
    INFO("input rate " << rate);
    const auto pass = TelephoneBand(Tone(1000, rate, 1.0), rate);
    CHECK(pass.size() == Approx(8000).margin(1));
    CHECK(MiddleDb(pass) == Approx(MiddleDb(Tone(1000, rate, 1.0))).margin(0.5));
    CHECK(MiddleDb(TelephoneBand(Tone(60, rate, 1.0), rate)) < MiddleDb(pass) - 20);
    if (rate > 8000) CHECK(MiddleDb(TelephoneBand(Tone(3900, rate, 1.0), rate)) < MiddleDb(pass) - 20);
  }
  AugmentConfig c;
  c.telephone_probability = 1;
  std::mt19937_64 rng(1);
  const Audio out = AugmentPcm(ReadAudio(Fixture("covid_telegram_cough_48k.wav")), c, NoisePool{}, rng);
  CHECK(out.sample_rate == 8000);
  CHECK(out.channels == 1);
}

TEST_CASE("a loud crop is a window among the loud ones, and recipes without crops keep their views") {
  // 1 s quiet, 1 s loud, 1 s quiet, 1 s loud at 8 kHz; 0.5 s windows.
  const uint32_t rate = 8000;
  std::vector<float> x;
  for (int part = 0; part < 4; ++part) {
    const auto t = Tone(440, rate, 1.0);
    for (float v : t) x.push_back(part % 2 ? v : 0.001f * v);
  }
  std::set<size_t> starts;
  for (int k = 0; k < 20; ++k) {
    const auto c = LoudCrop(x, rate, 0.5, 0.25, k / 20.0);
    REQUIRE(c.size() == 4000);
    // The window is one of x's, and its power is at least a quarter of the loudest.
    const auto at = std::search(x.begin(), x.end(), c.begin(), c.end()) - x.begin();
    starts.insert(static_cast<size_t>(at));
    CHECK(MeanPower(c) >= 0.25 * 0.125);
  }
  CHECK(starts.size() >= 10);  // many different crops, not one loudest window
  CHECK(LoudCrop(x, rate, 5.0, 0.25, 0.3) == x);  // shorter than the window: unchanged

  // crop_seconds = 0 leaves the hash and the random draws as before.
  const Audio a = ReadAudio(Fixture("coswara_cough_16k.wav"));
  AugmentConfig off = AllOn(), ratio = AllOn(), on = AllOn();
  ratio.crop_min_power_ratio = 0.5;
  on.crop_seconds = 0.5;
  NoisePool pool;
  CHECK(AugmentHash(off, pool) == AugmentHash(ratio, pool));
  CHECK(AugmentHash(off, pool) != AugmentHash(on, pool));
  std::mt19937_64 r1(7), r2(7), r3(7);
  const Audio v_off = AugmentPcm(a, off, pool, r1), v_ratio = AugmentPcm(a, ratio, pool, r2);
  CHECK(v_off.samples == v_ratio.samples);
  const Audio v_on = AugmentPcm(a, on, pool, r3);
  CHECK(v_on.samples.size() <= static_cast<size_t>(0.5 * a.sample_rate + 0.064 * a.sample_rate + 1));
}

TEST_CASE("crop lengths drawn from a range: seeded, inside the range, many lengths; bad ranges refused") {
  // 4 s of a loud tone at 16 kHz: every window is loud, so the crop's
  // length is the drawn one (no shift, so nothing is added to it).
  const uint32_t rate = 16000;
  Audio a;
  a.channels = 1;
  a.sample_rate = rate;
  a.samples = Tone(440, rate, 4.0);
  AugmentConfig c;
  c.crop_seconds_min = 0.5;
  c.crop_seconds_max = 2.0;
  std::set<size_t> lengths;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    std::mt19937_64 r1(seed), r2(seed);
    const Audio v = AugmentPcm(a, c, NoisePool{}, r1);
    CHECK(v.samples == AugmentPcm(a, c, NoisePool{}, r2).samples);  // same seed, same view
    CHECK(v.samples.size() >= static_cast<size_t>(0.5 * rate));
    CHECK(v.samples.size() <= static_cast<size_t>(2.0 * rate));
    lengths.insert(v.samples.size());
  }
  CHECK(lengths.size() >= 30);  // a length per view, not one length
  size_t shorter = 0;
  for (size_t n : lengths) shorter += n < static_cast<size_t>(1.25 * rate);
  CHECK(shorter >= 10);  // spread over the range, not bunched at one end
  CHECK(shorter <= 30);

  // A range is a different view set from one length and from none.
  AugmentConfig fixed, none;
  fixed.crop_seconds = 1.0;
  NoisePool pool;
  CHECK(AugmentHash(c, pool) != AugmentHash(fixed, pool));
  CHECK(AugmentHash(c, pool) != AugmentHash(none, pool));
  AugmentConfig wider = c;
  wider.crop_seconds_max = 2.5;
  CHECK(AugmentHash(c, pool) != AugmentHash(wider, pool));

  // Recipe parsing: both ends together, 0 < min <= max, not beside crop_seconds.
  // The factory's tiny test recipe with an augment section spliced in.
  std::ifstream in(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_recipe.json");
  std::stringstream text;
  text << in.rdbuf();
  auto with = [&text](const std::string& augment) {
    std::string t = text.str();
    t.insert(t.find('{') + 1, R"("augment": {"copies": 1, )" + augment + "},");
    return ParseRecipe(t, "r");
  };
  const Recipe r = with(R"("crop_seconds_min": 0.5, "crop_seconds_max": 2.0)");
  CHECK(r.augment.crop_seconds_min == Approx(0.5));
  CHECK(r.augment.crop_seconds_max == Approx(2.0));
  CHECK(r.augment.crop_seconds == 0);
  CHECK_THROWS_WITH(with(R"("crop_seconds_max": 2.0)"), Catch::Contains("go together"));
  CHECK_THROWS_WITH(with(R"("crop_seconds_min": 2.0, "crop_seconds_max": 1.0)"),
                    Catch::Contains("crop_seconds_min <= crop_seconds_max"));
  CHECK_THROWS_WITH(with(R"("crop_seconds_min": 0, "crop_seconds_max": 1.0)"), Catch::Contains("crop_seconds_min"));
  CHECK_THROWS_WITH(with(R"("crop_seconds": 1.0, "crop_seconds_min": 0.5, "crop_seconds_max": 2.0)"),
                    Catch::Contains("no crop_seconds beside them"));
}
