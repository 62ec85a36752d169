// Windowed-sinc resampler from any input rate (8000..48000 Hz) to the
// model rate, with random access: Produce() computes any run of output
// samples directly from the input, so memory does not grow with the
// recording.
//
// Kernel: a Kaiser-windowed sinc (beta 7, 16 zero crossings of the lower
// rate on each side) with its cutoff at 0.42 of the lower of the two rates
// (i.e. 0.84 of the lower Nyquist). Measured response (tests/preprocess):
// stop-band >= 74 dB below the pass-band from the lower Nyquist up, pass-band
// flat within 0.002 dB up to 0.30 of the lower rate, -3 dB at 0.406.
//
// Positions are exact: output m sits at input position m * in / out, kept
// as an integer sample index plus an integer phase numerator. The kernel is
// a table of 128 points per unit of lower-rate time, linearly interpolated
// at the exact phase. Weights of each phase are normalised to sum to 1, so
// DC passes unchanged. For ratios with few phases (48k, 44.1k, 32k, 24k,
// 22.05k, 8k -> 16 kHz...) the per-phase weights are cached in the
// workspace; other ratios compute the same weights per output sample
// (slower, bit-identical). Equal rates pass samples through untouched.
#ifndef TM2_PREPROCESS_RESAMPLER_H_
#define TM2_PREPROCESS_RESAMPLER_H_

#include <cstdint>

#include "preprocess/preprocess.h"
#include "preprocess/workspace_carver.h"

namespace tm2 {
namespace preprocess_internal {

constexpr uint32_t kMinRate = 8000;
constexpr uint32_t kMaxRate = 48000;

// Where Produce() reads its mono input: fill(context, begin, count, dst)
// writes input samples [begin, begin + count) to dst, 0 where there is no
// input. The batch path reads a PcmView (PcmSource); the stream reads its
// history of mixed samples.
struct MonoSource {
  void (*fill)(const void* context, int64_t begin, int count, float* dst);
  const void* context;
};

// The mixed-down samples of `*pcm` (MixToMono), zero outside the recording.
MonoSource PcmSource(const PcmView* pcm);

// A caller's record of the mixed input the resampler's scratch holds
// between its Produce() calls over one source (Preprocessor::Run keeps one
// per recording, on its stack): the kernel's overlap of consecutive runs
// is then mixed once, not once per run. Only for a source whose sample i
// keeps its value (a recording; not a stream's history, whose future
// samples read as 0 until pushed), and no other Produce() in between.
struct MonoHold {
  int64_t begin = 0;
  int64_t end = 0;  // empty when end == begin
};

// The input samples Produce() reads for output sample m >= 0 at a given
// pair of rates: [First(m), End(m)). Sums use every sample of that span
// (the padding taps have weight 0), so two calls whose spans hold the same
// values give the same bits.
struct InputReach {
  uint32_t in_rate = 0;
  uint32_t out_rate = 0;
  int half_taps = 0;  // J: taps of m are Index(m) - J + 1 .. Index(m) + J
  int taps_pad = 0;   // 2J rounded up to the dot product's 8 lanes
  bool passthrough = false;

  static InputReach For(uint32_t in_rate, uint32_t out_rate);
  // floor(m * in / out)
  int64_t Index(int64_t m) const {
    return static_cast<int64_t>(static_cast<uint64_t>(m) * in_rate / out_rate);
  }
  int64_t First(int64_t m) const { return passthrough ? m : Index(m) - half_taps + 1; }
  int64_t End(int64_t m) const { return passthrough ? m + 1 : First(m) + taps_pad; }
};

class Resampler {
 public:
  static constexpr int kHalfWidth = 16;        // lower-rate periods each side
  static constexpr int kTablePerUnit = 128;    // table points per period
  static constexpr int kCutoffNum = 21;        // cutoff = 21/50 of lower rate
  static constexpr int kCutoffDen = 50;
  static constexpr float kKaiserBeta = 7.0f;
  // Cache room: 160 phases of the longest kernel (44.1 kHz -> 16 kHz has
  // 160 phases; 22.05 kHz has 320 shorter ones and fits too).
  static constexpr int kCachePhases = 160;
  static constexpr int kLanes = 8;             // dot-product partial sums
  // Output samples per pass over the mixed input: bounds the mono scratch
  // (about 1.2 KB at 48 -> 16 kHz) whatever run Produce() is asked for.
  static constexpr int kRunChunk = 64;

  // Reserves tables for output rate `out_rate` and runs of up to
  // `max_run` output samples per Produce() call.
  // `cache`: reserve the phase-weight cache (about 60 KB at 16 kHz); without
  // it every ratio takes the per-sample path (slower, same bits).
  // `in_rate`: 0 sizes the scratch for any input rate, else for that one
  // only (SetInputRate must then be given it); in_rate == out_rate takes
  // no memory.
  void Carve(uint32_t out_rate, int max_run, bool cache, uint32_t in_rate,
             WorkspaceCarver* carver);

  // Selects the input rate (builds the phase cache when it fits). Cheap
  // when the rate is the same as last time.
  void SetInputRate(uint32_t in_rate);

  // out[i] = resampled sample (m_begin + i) for i < count; samples outside
  // [0, model_len) are 0. Reads input from `source` (see InputReach). With
  // `hold` (see MonoHold), the samples the last call mixed and this one
  // needs again are kept: each input sample of increasing runs is mixed once.
  void Produce(const MonoSource& source, int64_t m_begin, int count, int64_t model_len,
               float* out, MonoHold* hold = nullptr);

  // Exact floor(m * in / out) for the selected rate.
  int64_t InputIndexOf(int64_t m) const;
  bool cached() const { return cached_; }
  int taps() const { return taps_; }

 private:
  void PhaseWeights(uint32_t phase, float* w) const;
  float Dot(const float* w, const float* x) const;
  // Dot for four outputs at once (each its own weights and input), the
  // same operations per output: four independent chains hide the adds'
  // latency, which bounds a single dot product.
  // kOneWeight: all four share w[0] (one phase: integer ratios such as
  // 48 -> 16 kHz), loaded once.
  template <bool kOneWeight>
  void Dot4(const float* const* w, const float* const* x, float* out) const;
  // Mono input [base, base + span) into mono_[0, span), reusing held samples.
  void FillMono(const MonoSource& source, int64_t base, int span, MonoHold* hold);

  uint32_t out_rate_ = 0;
  int max_run_ = 0;
  int max_taps_pad_ = 0;
  int cache_phases_ = 0;      // kCachePhases, or 0 without a cache
  int mono_capacity_ = 0;
  const float* table_ = nullptr;  // kResamplerKernel (const_tables.h), or null
  float* cache_ = nullptr;    // kCachePhases * max_taps_pad_
  float* weights_ = nullptr;  // max_taps_pad_, uncached path
  float* mono_ = nullptr;     // mono_capacity_

  // Per input rate.
  uint32_t in_rate_ = 0;
  uint32_t gcd_ = 1;
  uint32_t phases_ = 1;     // out / gcd
  uint32_t phase_step_ = 0; // in / gcd
  uint32_t span_ = 0;       // max(in, out): kernel time unit denominator
  int half_taps_ = 0;       // J: taps are k0 - J + 1 .. k0 + J
  int taps_ = 0;
  int taps_pad_ = 0;
  bool cached_ = false;
  bool passthrough_ = false;
};

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_RESAMPLER_H_
