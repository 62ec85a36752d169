// PadMode::kTile on every target (a plain program, so the Cortex-M4 runs it
// too): Run with Tile on a clip shorter than the window gives, bit for bit,
// the features and int8 input of Run with Zero on the clip tiled by the
// factory's rule (native/factory/data/tile_pad.cc, TileToWindow: the clip,
// round(gap * rate) frames of silence, the clip again, ..., cut at the
// fewest input frames whose model-rate length fills the window; every
// channel alike, at the clip's own rate). A clip that fills the window is
// left alone: Tile equals Zero on it.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/fixture_bytes.h"
#include "common/wav.h"
#include "preprocess/preprocess.h"

#if defined(TM2_EMBEDDED_FILES)
TM2_EMBEDDED_FILE(tile, coswara_cough_16k)
TM2_EMBEDDED_FILE(tile, covid_telegram_cough_48k)
TM2_EMBEDDED_FILE(tile, covid_callcenter_cough_8k_stereo)
#endif

namespace {

// The clips: compiled in on the MCU, read from tests/fixtures elsewhere.
#if defined(TM2_EMBEDDED_FILES)
const tm2::test::EmbeddedFile kEmbedded[] = {
    TM2_EMBEDDED_ENTRY(tile, coswara_cough_16k),
    TM2_EMBEDDED_ENTRY(tile, covid_telegram_cough_48k),
    TM2_EMBEDDED_ENTRY(tile, covid_callcenter_cough_8k_stereo),
};
const tm2::test::FileSource kFiles(kEmbedded);
#else
const tm2::test::FileSource kFiles;
#endif

// The factory's TileToWindow on interleaved samples of `frames` frames,
// written out independently of the core (tile_pad.cc's arithmetic).
template <typename T>
std::vector<T> TileByRule(const T* x, size_t frames, uint16_t ch, uint32_t rate,
                          const tm2::PreprocessParams& p, double gap_seconds) {
  const uint64_t window = static_cast<uint64_t>(p.num_frames - 1) * p.frame_step + p.frame_length;
  const size_t want = static_cast<size_t>((window - 1) * rate / p.sample_rate + 1);
  if (frames >= want) return std::vector<T>(x, x + frames * ch);
  const size_t gap = static_cast<size_t>(gap_seconds * rate + 0.5);
  const size_t period = frames + gap;
  std::vector<T> t(want * ch, T(0));
  for (size_t f = 0; f < want; ++f) {
    const size_t k = f % period;
    if (k >= frames) continue;
    for (uint16_t c = 0; c < ch; ++c) t[f * ch + c] = x[k * ch + c];
  }
  return t;
}

struct Output {
  std::vector<int8_t> q;
  std::vector<float> f;
  tm2::Status status;
};

Output RunOnce(const tm2::PreprocessParams& p, const tm2::PcmView& pcm) {
  Output o;
  std::vector<uint8_t> ws(tm2::Preprocessor::WorkspaceBytes(p));
  tm2::Preprocessor pre;
  o.status = pre.Prepare(p, ws.data(), ws.size());
  if (!o.status.ok()) return o;
  o.q.resize(static_cast<size_t>(pre.num_frames()) * pre.num_features());
  o.f.resize(o.q.size());
  o.status = pre.Run(pcm, o.q.data(), o.f.data());
  return o;
}

bool Same(const Output& a, const Output& b) {
  return a.status.ok() && b.status.ok() && a.q == b.q &&
         std::memcmp(a.f.data(), b.f.data(), sizeof(float) * a.f.size()) == 0;
}

// The gate's front end (16 kHz, 512 / 256, 128 frames = 2.064 s, Loudest)
// and an 8 kHz MFCC one with pre-emphasis, a 37 ms gap and Center crop.
tm2::PreprocessParams Gate() {
  tm2::PreprocessParams p;
  p.sample_rate = 16000;
  p.frame_length = 512;
  p.frame_step = 256;
  p.fft_size = 512;
  p.mel_bins = 40;
  p.mel_low_hz = 20.0f;
  p.num_frames = 128;
  p.crop = tm2::CropPolicy::kLoudest;
  p.input_scale = 0.1f;
  p.input_zero_point = 20;
  p.max_seconds = 30.0f;
  return p;
}

tm2::PreprocessParams Mfcc8k() {
  tm2::PreprocessParams p;
  p.sample_rate = 8000;
  p.pre_emphasis = 0.97f;
  p.frame_length = 200;
  p.frame_step = 80;
  p.fft_size = 256;
  p.mel_bins = 32;
  p.dct_coefficients = 13;
  p.num_frames = 60;
  p.crop = tm2::CropPolicy::kCenter;
  p.input_scale = 0.25f;
  p.input_zero_point = -3;
  p.tile_gap_ms = 37;
  return p;
}

}  // namespace

int main() {
  int failures = 0, tiled_cases = 0, whole_cases = 0;
  const char* clips[] = {"covid_callcenter_cough_8k_stereo", "coswara_cough_16k",
                         "covid_telegram_cough_48k"};
  for (const char* clip : clips) {
    tm2::test::FileBytes bytes;
    tm2::test::WavData wav;
    std::string error;
    if (!kFiles.Get(clip, tm2::test::ClipPath(clip), &bytes) ||
        !tm2::test::ParseWav(bytes.data, bytes.size, &wav, &error)) {
      std::printf("FAIL %s: cannot load %s\n", clip, error.c_str());
      return 1;
    }
    const uint32_t rate = wav.sample_rate;
    const uint16_t ch = wav.channels;
    std::vector<float> f32(wav.samples.size());
    for (size_t i = 0; i < f32.size(); ++i) f32[i] = 0.9f * static_cast<float>(wav.samples[i]) / 32768.0f;
    for (const tm2::PreprocessParams& base : {Gate(), Mfcc8k()}) {
      tm2::PreprocessParams zero = base, tile = base;
      zero.pad = tm2::PadMode::kZero;
      zero.tile_gap_ms = 100;
      tile.pad = tm2::PadMode::kTile;
      const uint64_t want = tile.WindowInputFrames(rate);
      // Shorter than one frame, 0.3 s, 1 s, one frame short of the window,
      // exactly the window, the whole clip (may be shorter or longer).
      const uint64_t cuts[] = {rate / 100, rate * 3 / 10, rate, want - 1, want, wav.frames()};
      for (uint64_t cut : cuts) {
        if (cut == 0 || cut > wav.frames()) continue;
        for (int as_float = 0; as_float < 2; ++as_float) {
          Output t, z, plain;
          if (as_float) {
            const std::vector<float> ref =
                TileByRule(f32.data(), cut, ch, rate, base, base.tile_gap_ms / 1000.0);
            t = RunOnce(tile, tm2::PcmView::F32(f32.data(), cut, rate, ch));
            z = RunOnce(zero, tm2::PcmView::F32(ref.data(), ref.size() / ch, rate, ch));
            plain = RunOnce(zero, tm2::PcmView::F32(f32.data(), cut, rate, ch));
          } else {
            const std::vector<int16_t> ref =
                TileByRule(wav.samples.data(), cut, ch, rate, base, base.tile_gap_ms / 1000.0);
            t = RunOnce(tile, tm2::PcmView::S16(wav.samples.data(), cut, rate, ch));
            z = RunOnce(zero, tm2::PcmView::S16(ref.data(), ref.size() / ch, rate, ch));
            plain = RunOnce(zero, tm2::PcmView::S16(wav.samples.data(), cut, rate, ch));
          }
          const bool shorter = cut < want;
          if (!Same(t, z)) {
            std::printf("FAIL %s %u Hz model, %llu of %llu frames, %s: Tile differs from Zero on "
                        "the tiled clip (%s)\n",
                        clip, static_cast<unsigned>(base.sample_rate),
                        static_cast<unsigned long long>(cut), static_cast<unsigned long long>(want),
                        as_float ? "f32" : "s16", t.status.ok() ? "ok" : t.status.message());
            ++failures;
          }
          // A clip that fills the window is untouched; one of 0.3 or 1 s
          // is really tiled (the repeat is not silence). (The first 10 ms
          // may be digital silence, and a clip one frame short of the
          // window gets only gap.)
          const bool audible = cut == rate * 3 / 10 || cut == rate;
          if ((!shorter && !Same(t, plain)) || (shorter && audible && Same(t, plain))) {
            std::printf("FAIL %s %u Hz model, %llu frames: Tile %s Zero on the clip itself\n",
                        clip, static_cast<unsigned>(base.sample_rate),
                        static_cast<unsigned long long>(cut), shorter ? "equals" : "differs from");
            ++failures;
          }
          if (shorter) {
            ++tiled_cases;
          } else {
            ++whole_cases;
          }
        }
      }
    }
  }
  std::printf("tile_pad: %d tiled and %d whole-window cases, %d failures\n", tiled_cases,
              whole_cases, failures);
  if (tiled_cases < 20 || whole_cases < 4) {
    std::printf("FAIL too few cases\n");
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
