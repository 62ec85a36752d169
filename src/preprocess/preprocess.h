// tinym2 preprocessing: PCM at any rate -> the model's input features.
//
// Pipeline (every parameter comes from the model file's Preprocess table):
//   mix to mono -> resample to sample_rate (windowed-sinc, random access)
//   -> pre-emphasis -> frame + window -> real FFT -> power spectrum
//   -> mel filterbank -> log(max(p, floor)) -> [DCT-II -> MFCC]
//   -> normalise -> quantize to int8 (input_scale, input_zero_point)
//   -> crop to num_frames; a shorter input is zero-padded (PadMode::kZero)
//   or, before resampling, tiled: input, gap, input, ... (PadMode::kTile).
//
// Deterministic: identical float32 bits on x86-64, WASM, aarch64 and
// Cortex-M4. Only IEEE-754 single-precision +,-,*,/ and comparisons are used
// in per-sample paths; sin/cos/log/exp come from det_math.h (the project's
// own approximations, no platform libm); the build disables FMA contraction
// and fast-math (see CMakeLists.txt). Summation order is fixed by the code.
//
// Memory: Prepare() computes the tables it needs into caller-supplied
// workspace; Run() allocates nothing. The workspace has two parts: tables
// and state kept from Run to Run (TablesBytes), and scratch that each Run
// fills before reading (ScratchBytes), free for other uses between Runs.
//
//   tm2::PreprocessParams p = ...;              // from the model (engine) or by hand
//   size_t bytes = tm2::Preprocessor::WorkspaceBytes(p);
//   std::vector<uint8_t> ws(bytes);
//   tm2::Preprocessor pre;
//   tm2::Status s = pre.Prepare(p, ws.data(), ws.size());
//   std::vector<int8_t> q(pre.num_frames() * pre.num_features());
//   std::vector<float> f(q.size());               // optional float features
//   s = pre.Run(tm2::PcmView::F32(samples, n, 44100, 1), q.data(), f.data());
#ifndef TM2_PREPROCESS_PREPROCESS_H_
#define TM2_PREPROCESS_PREPROCESS_H_

#include <cstddef>
#include <cstdint>

#include "common/status.h"

namespace tm2 {

enum class WindowType : uint8_t { kHann = 0, kHamming = 1 };
enum class CropPolicy : uint8_t { kStart = 0, kCenter = 1, kLoudest = 2 };
enum class NormalizationType : uint8_t { kNone = 0, kFixed = 1 };
// How an input shorter than the window (num_frames frames) fills it.
// kZero: the frames past the input are the feature row of digital silence.
// kTile: the input is repeated with tile_gap_ms of silence between repeats
// (input, gap, input, ...), at its own rate and channel count, and cut at
// the fewest input frames that fill the window (WindowInputFrames); the
// window is then computed from that as from any recording of that length.
enum class PadMode : uint8_t { kZero = 0, kTile = 1 };

// Mirrors the model file's Preprocess table (models/tm2.fbs).
struct PreprocessParams {
  uint32_t sample_rate = 16000;
  float pre_emphasis = 0.0f;
  uint16_t frame_length = 400;
  uint16_t frame_step = 160;
  uint16_t fft_size = 512;
  WindowType window = WindowType::kHann;
  uint16_t mel_bins = 40;
  float mel_low_hz = 0.0f;
  float mel_high_hz = 0.0f;  // 0 = sample_rate / 2
  float log_floor = 1e-6f;
  uint16_t dct_coefficients = 0;  // 0 = log-mel
  uint16_t num_frames = 100;
  CropPolicy crop = CropPolicy::kStart;
  NormalizationType normalization = NormalizationType::kNone;
  // kFixed: either 1 value (global) or num_features() values (per bin).
  const float* norm_mean = nullptr;
  const float* norm_std = nullptr;
  uint16_t norm_count = 0;
  float input_scale = 1.0f;
  int8_t input_zero_point = 0;
  // (Here, in the bytes input_zero_point leaves before the next float, so
  // the struct keeps its size.)
  PadMode pad = PadMode::kZero;
  uint16_t tile_gap_ms = 100;  // kTile: 0..1000
  float min_seconds = 0.0f;
  float max_seconds = 10.0f;
  // Runtime choice, not stored in the file: keep the resampler's per-phase
  // weights for the input rate in the workspace (~60 KB at a 16 kHz model
  // rate). Faster for 44.1/48 kHz input; a device that records at the
  // model rate saves the memory. Results are identical either way.
  bool resampler_cache = true;
  // Runtime choice too: 0 = Run accepts any input rate of 8000..48000 Hz;
  // otherwise the only rate Run accepts, and the scratch is sized for it.
  // At sample_rate itself the resampler needs no tables or scratch at all
  // (a device whose microphone records at the model rate).
  uint32_t input_rate = 0;

  // Model-rate samples of the window: (num_frames - 1) * frame_step + frame_length.
  uint64_t WindowSamples() const {
    return static_cast<uint64_t>(num_frames - 1) * frame_step + frame_length;
  }
  // The fewest input frames at `input_rate` whose model-rate length
  // ceil(n * sample_rate / input_rate) covers WindowSamples(): a kTile
  // input shorter than this is tiled to exactly this length.
  uint64_t WindowInputFrames(uint32_t input_rate) const {
    return (WindowSamples() - 1) * input_rate / sample_rate + 1;
  }
  // kTile: silence between repeats in input frames at `input_rate`,
  // round-half-up(tile_gap_ms * input_rate / 1000).
  uint64_t TileGapFrames(uint32_t input_rate) const {
    return (static_cast<uint64_t>(tile_gap_ms) * input_rate + 500) / 1000;
  }
  // Features per frame: dct_coefficients if > 0, else mel_bins.
  int num_features() const { return dct_coefficients > 0 ? dct_coefficients : mel_bins; }
  // Checks ranges and consistency; the message names the bad field.
  Status Validate() const;
};

// Interleaved PCM, float in [-1, 1] or int16. Stereo (or more) is mixed
// down by averaging channels.
struct PcmView {
  const float* f32 = nullptr;
  const int16_t* s16 = nullptr;
  size_t frames = 0;       // samples per channel
  uint32_t sample_rate = 0;  // 8000..48000
  uint16_t channels = 1;

  static PcmView F32(const float* d, size_t frames, uint32_t rate, uint16_t ch) {
    PcmView v; v.f32 = d; v.frames = frames; v.sample_rate = rate; v.channels = ch; return v;
  }
  static PcmView S16(const int16_t* d, size_t frames, uint32_t rate, uint16_t ch) {
    PcmView v; v.s16 = d; v.frames = frames; v.sample_rate = rate; v.channels = ch; return v;
  }
};

class Preprocessor {
 public:
  // Bytes of workspace Prepare() needs for these params (0 if invalid):
  // TablesBytes + ScratchBytes.
  static size_t WorkspaceBytes(const PreprocessParams& params);
  static size_t TablesBytes(const PreprocessParams& params);
  static size_t ScratchBytes(const PreprocessParams& params);
  // Both parts from one measuring pass (0 and 0 if invalid): for planners
  // that need both, since measuring builds the mel edges to count weights.
  static void PartBytes(const PreprocessParams& params, size_t* tables, size_t* scratch);
  // Bytes of the constant tables every Preprocessor reads and none builds
  // (FFT twiddles and bit reversal up to 1024 points, the resampler's
  // kernel): read-only data, flash on a microcontroller, never workspace.
  static size_t ConstTablesBytes();

  // Validates params and builds tables (window, FFT twiddles, mel weights,
  // DCT, resampling kernel) in `workspace`, which must outlive this object.
  Status Prepare(const PreprocessParams& params, void* workspace, size_t workspace_bytes);
  // The same with the two parts apart: `tables` must keep its contents
  // between Runs; `scratch` may be overwritten by others between Runs.
  Status Prepare(const PreprocessParams& params, void* tables, size_t tables_bytes, void* scratch,
                 size_t scratch_bytes);

  // Computes num_frames() x num_features() features, row-major (frame-major).
  // `quantized` receives the int8 model input; `features` (optional, may be
  // null) receives the float features before quantization.
  // Errors: empty/too long input, unsupported rate (outside 8000..48000),
  // channels == 0, non-finite samples (inf, NaN). Float samples outside
  // [-1, 1] are clipped to +-1 and subnormals read as 0 (see
  // docs/preprocessing.md). Not const: it writes the workspace's scratch
  // and fills the resampler's phase cache, so one Run at a time per
  // Preprocessor (and per workspace).
  Status Run(const PcmView& pcm, int8_t* quantized, float* features);

  int num_frames() const;
  int num_features() const;
  const PreprocessParams& params() const { return params_; }

 private:
  PreprocessParams params_;
  // Internal tables point into the caller's workspace.
  struct Tables;
  Tables* tables_ = nullptr;
};

}  // namespace tm2

#endif  // TM2_PREPROCESS_PREPROCESS_H_
