// Streaming on every target (a plain program, so the Cortex-M4 runs it
// too): the shipped models' front ends stream real clips in blocks of
// varied sizes; every window must equal the batch path on its samples on
// this target, and the hash of all windows must equal the pinned one, the
// same on x86-64, aarch64, WASM and the Cortex-M4F.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/fixture_bytes.h"
#include "common/wav.h"
#include "format/model.h"
#include "stream_check.h"

#if defined(TM2_EMBEDDED_FILES)
// Compiled in on the MCU (tm2_embed_files in CMakeLists.txt).
TM2_EMBEDDED_FILE(stream, sound_gate)
TM2_EMBEDDED_FILE(stream, kws_dscnn)
TM2_EMBEDDED_FILE(stream, covid_cough)
TM2_EMBEDDED_FILE(stream, coswara_counting_16k)
TM2_EMBEDDED_FILE(stream, coswara_cough_16k)
TM2_EMBEDDED_FILE(stream, covid_telegram_cough_48k)
TM2_EMBEDDED_FILE(stream, covid_callcenter_cough_8k_stereo)
#endif

namespace {

struct Case {
  const char* name;
  const char* model;  // models/<model>.tm2
  const char* clip;   // tests/fixtures/audio/<clip>.wav
  uint16_t hop_frames;
  bool as_float;      // push float samples instead of int16
  uint64_t expected;  // FNV-1a 64 of every window (stream_check.h)
  // The model with pad Tile: a clip shorter than the window is one tiled
  // tail, whose hash (finish_hash) is `expected` instead.
  bool tile = false;
};

// No resampling; 48 kHz -> 16 kHz as float; 16 kHz -> 8 kHz with
// pre-emphasis; 8 kHz stereo -> 16 kHz MFCC.
const Case kCases[] = {
    {"gate_16k", "sound-gate", "coswara_counting_16k", 16, false, 0x0689afa8401bef6aull},
    {"kws_48k_float", "kws-dscnn", "covid_telegram_cough_48k", 2, true, 0x2a6e56a33fd7840cull},
    {"cough_16k_to_8k", "covid-cough", "coswara_cough_16k", 24, false, 0xb2e6f03f999bd87bull},
    {"kws_8k_stereo", "kws-dscnn", "covid_callcenter_cough_8k_stereo", 5, false,
     0x5fc5ea7251a7528bull},
    // The gate (pad Tile since models/REPORT.md (b10)) on a 1.128 s clip at 48 kHz: no
    // whole window, one tail tiled from the stream's history.
    {"gate_tile_48k", "sound-gate", "covid_telegram_cough_48k", 16, true, 0x3b89c5140bd4fde8ull, true},
};

const size_t kBlocks[] = {1, 128, 160, 4096, 7, 333, 2048, 1, 1000};

// The models and clips: compiled in on the MCU, read from the source tree
// elsewhere.
#if defined(TM2_EMBEDDED_FILES)
const tm2::test::EmbeddedFile kEmbedded[] = {
    TM2_EMBEDDED_ENTRY(stream, sound_gate),
    TM2_EMBEDDED_ENTRY(stream, kws_dscnn),
    TM2_EMBEDDED_ENTRY(stream, covid_cough),
    TM2_EMBEDDED_ENTRY(stream, coswara_counting_16k),
    TM2_EMBEDDED_ENTRY(stream, coswara_cough_16k),
    TM2_EMBEDDED_ENTRY(stream, covid_telegram_cough_48k),
    TM2_EMBEDDED_ENTRY(stream, covid_callcenter_cough_8k_stereo),
};
const tm2::test::FileSource kFiles(kEmbedded);
std::string ModelPath(const char*) { return std::string(); }
#else
const tm2::test::FileSource kFiles;
std::string ModelPath(const char* name) { return std::string(TM2_MODELS_DIR) + "/" + name + ".tm2"; }
#endif

int RunCase(const Case& c) {
  tm2::test::FileBytes model_bytes, clip_bytes;
  tm2::Model model;
  tm2::test::WavData wav;
  std::string error;
  if (!kFiles.Get(c.model, ModelPath(c.model), &model_bytes) ||
      !tm2::LoadModel(model_bytes.data, model_bytes.size, &model).ok() ||
      !kFiles.Get(c.clip, tm2::test::ClipPath(c.clip), &clip_bytes) ||
      !tm2::test::ParseWav(clip_bytes.data, clip_bytes.size, &wav, &error)) {
    std::printf("FAIL %s: cannot load %s or %s %s\n", c.name, c.model, c.clip, error.c_str());
    return 1;
  }
  std::vector<float> as_float;
  tm2::PcmView pcm =
      tm2::PcmView::S16(wav.samples.data(), wav.frames(), wav.sample_rate, wav.channels);
  if (c.as_float) {
    for (int16_t s : wav.samples) as_float.push_back(s / 32768.0f);
    pcm = tm2::PcmView::F32(as_float.data(), wav.frames(), wav.sample_rate, wav.channels);
  }
  tm2::StreamOptions options;
  options.hop_frames = c.hop_frames;
  tm2::PreprocessParams params = model.preprocess(0);
  if (c.tile) params.pad = tm2::PadMode::kTile;
  const tm2::test::StreamCheck r =
      tm2::test::StreamAndCompare(params, options, pcm, kBlocks,
                                  static_cast<int>(sizeof(kBlocks) / sizeof(kBlocks[0])), 0);
  const uint64_t got = c.tile ? r.finish_hash : r.hash;
  std::printf("stream_parity %-16s %3lld windows %016llx\n", c.name,
              static_cast<long long>(c.tile ? r.tails : r.windows), static_cast<unsigned long long>(got));
  int failures = 0;
  if (!r.status.ok()) {
    std::printf("FAIL %s: %s\n", c.name, r.status.message());
    return 1;
  }
  if (r.mismatches != 0) {
    std::printf("FAIL %s: %lld windows differ from the batch path, first %lld at frame %lld\n",
                c.name, static_cast<long long>(r.mismatches),
                static_cast<long long>(r.first_mismatch),
                static_cast<long long>(r.first_mismatch_row));
    ++failures;
  }
  if (c.tile ? (r.windows != 0 || r.tails != 1) : r.windows < 2) {
    std::printf("FAIL %s: %lld windows and %lld tails\n", c.name, static_cast<long long>(r.windows),
                static_cast<long long>(r.tails));
    ++failures;
  }
  if (got != c.expected) {
    std::printf("FAIL %s: hash %016llx, expected %016llx\n", c.name,
                static_cast<unsigned long long>(got),
                static_cast<unsigned long long>(c.expected));
    ++failures;
  }
  return failures;
}

}  // namespace

int main() {
  int failures = 0;
  for (const Case& c : kCases) failures += RunCase(c);
  std::printf("stream_parity: %d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
