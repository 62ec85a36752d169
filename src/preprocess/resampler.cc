#include "preprocess/resampler.h"

#include <cmath>
#include <cstring>

#include "common/det_math.h"
#include "preprocess/const_tables.h"
#include "preprocess/pcm_mix.h"

namespace tm2 {
namespace preprocess_internal {
namespace {

uint32_t Gcd(uint32_t a, uint32_t b) {
  while (b != 0) { uint32_t t = a % b; a = b; b = t; }
  return a;
}

typedef float F4 __attribute__((vector_size(16)));

F4 Load4(const float* p) {
  F4 v;
  std::memcpy(&v, p, sizeof(v));  // unaligned load
  return v;
}

int RoundUp(int v, int multiple) { return (v + multiple - 1) / multiple * multiple; }

// Half-taps J for a kernel of kHalfWidth lower-rate periods: the taps of
// output m are k0 - J + 1 .. k0 + J around k0 = floor(m * in / out).
int HalfTaps(uint32_t in_rate, uint32_t out_rate) {
  uint64_t span = in_rate > out_rate ? in_rate : out_rate;
  uint64_t wd = static_cast<uint64_t>(Resampler::kHalfWidth) * span;
  return static_cast<int>((wd + out_rate - 1) / out_rate);
}

void FillFromPcm(const void* context, int64_t begin, int count, float* dst) {
  MixToMono(*static_cast<const PcmView*>(context), begin, count, dst);
}

}  // namespace

MonoSource PcmSource(const PcmView* pcm) { return MonoSource{&FillFromPcm, pcm}; }

InputReach InputReach::For(uint32_t in_rate, uint32_t out_rate) {
  InputReach r;
  r.in_rate = in_rate;
  r.out_rate = out_rate;
  r.passthrough = in_rate == out_rate;
  r.half_taps = HalfTaps(in_rate, out_rate);
  r.taps_pad = RoundUp(2 * r.half_taps, Resampler::kLanes);
  return r;
}

void Resampler::Carve(uint32_t out_rate, int max_run, bool cache, uint32_t in_rate,
                      WorkspaceCarver* carver) {
  out_rate_ = out_rate;
  in_rate_ = 0;
  if (in_rate == out_rate) {  // passthrough only: no kernel, no scratch
    cache_phases_ = max_run_ = max_taps_pad_ = mono_capacity_ = 0;
    table_ = nullptr;
    cache_ = weights_ = mono_ = nullptr;
    return;
  }
  const uint32_t top = in_rate ? in_rate : kMaxRate;
  cache_phases_ = cache ? kCachePhases : 0;
  // Runs are cut into chunks: each output's taps read the same input
  // samples whatever the chunk, so the bits do not depend on it.
  max_run_ = max_run < kRunChunk ? max_run : kRunChunk;
  max_taps_pad_ = RoundUp(2 * HalfTaps(top, out_rate), kLanes);
  mono_capacity_ = static_cast<int>(static_cast<uint64_t>(max_run_) * top / out_rate) + 2 +
                   max_taps_pad_;
  // The kernel is a constant (const_tables.h): no workspace, nothing to build.
  table_ = kResamplerKernel;
  cache_ = carver->Take<float>(static_cast<size_t>(cache_phases_) * max_taps_pad_);
  weights_ = carver->TakeScratch<float>(max_taps_pad_);
  mono_ = carver->TakeScratch<float>(mono_capacity_);
}

void Resampler::SetInputRate(uint32_t in_rate) {
  if (in_rate == in_rate_) return;
  in_rate_ = in_rate;
  passthrough_ = in_rate == out_rate_;
  gcd_ = Gcd(in_rate, out_rate_);
  phases_ = out_rate_ / gcd_;
  phase_step_ = in_rate / gcd_;
  span_ = in_rate > out_rate_ ? in_rate : out_rate_;
  const InputReach reach = InputReach::For(in_rate, out_rate_);
  half_taps_ = reach.half_taps;
  taps_ = 2 * half_taps_;
  taps_pad_ = reach.taps_pad;
  cached_ = !passthrough_ && static_cast<uint64_t>(phases_) * taps_pad_ <=
                                 static_cast<uint64_t>(cache_phases_) * max_taps_pad_;
  if (cached_) {
    for (uint32_t p = 0; p < phases_; ++p) PhaseWeights(p, cache_ + p * taps_pad_);
  }
}

int64_t Resampler::InputIndexOf(int64_t m) const {
  return static_cast<int64_t>(static_cast<uint64_t>(m) * in_rate_ / out_rate_);
}

void Resampler::PhaseWeights(uint32_t phase, float* w) const {
  // Tap j sits at (j * out - r) / span lower-rate periods from the output
  // position, r = phase * gcd; the table index and the interpolation
  // fraction come from the same integer numerator.
  const int64_t r = static_cast<int64_t>(phase) * gcd_;
  const int64_t limit = static_cast<int64_t>(kHalfWidth) * span_;
  const float span_f = static_cast<float>(span_);
  float sum = 0.0f;
  for (int t = 0; t < taps_; ++t) {
    int64_t num = static_cast<int64_t>(t - half_taps_ + 1) * out_rate_ - r;
    if (num < 0) num = -num;
    float v = 0.0f;
    if (num < limit) {
      // num < 16 * 48000, so num * 128 fits 32 bits: no 64-bit division on
      // 32-bit cores in this per-tap path.
      uint32_t scaled = static_cast<uint32_t>(num) * kTablePerUnit;
      uint32_t idx = scaled / span_;
      float frac = static_cast<float>(scaled - idx * span_) / span_f;
      float a = table_[idx], b = table_[idx + 1];
      v = a + (b - a) * frac;
    }
    w[t] = v;
    sum += v;
  }
  for (int t = 0; t < taps_; ++t) w[t] = w[t] / sum;
  for (int t = taps_; t < taps_pad_; ++t) w[t] = 0.0f;
}

float Resampler::Dot(const float* w, const float* x) const {
  // Eight fixed partial sums (lanes l and l+4 of two 4-float vectors)
  // combined by a fixed tree. GCC/Clang vector types lower to SSE, NEON,
  // WASM SIMD128 or plain scalar code, and each lane is an ordinary IEEE
  // multiply and add, so every target gets the same bits.
  F4 a0 = {0.0f, 0.0f, 0.0f, 0.0f};
  F4 a1 = a0;
  for (int i = 0; i < taps_pad_; i += kLanes) {
    a0 += Load4(w + i) * Load4(x + i);
    a1 += Load4(w + i + 4) * Load4(x + i + 4);
  }
  return ((a0[0] + a0[1]) + (a0[2] + a0[3])) + ((a1[0] + a1[1]) + (a1[2] + a1[3]));
}

template <bool kOneWeight>
void Resampler::Dot4(const float* const* w, const float* const* x, float* out) const {
  F4 a0 = {0.0f, 0.0f, 0.0f, 0.0f};
  F4 a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
  const float* w0 = w[0];
  const float* w1 = kOneWeight ? w0 : w[1];
  const float* w2 = kOneWeight ? w0 : w[2];
  const float* w3 = kOneWeight ? w0 : w[3];
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  for (int i = 0; i < taps_pad_; i += kLanes) {
    const F4 v0 = Load4(w0 + i), v1 = Load4(w0 + i + 4);
    a0 += v0 * Load4(x0 + i);
    a1 += v1 * Load4(x0 + i + 4);
    b0 += (kOneWeight ? v0 : Load4(w1 + i)) * Load4(x1 + i);
    b1 += (kOneWeight ? v1 : Load4(w1 + i + 4)) * Load4(x1 + i + 4);
    c0 += (kOneWeight ? v0 : Load4(w2 + i)) * Load4(x2 + i);
    c1 += (kOneWeight ? v1 : Load4(w2 + i + 4)) * Load4(x2 + i + 4);
    d0 += (kOneWeight ? v0 : Load4(w3 + i)) * Load4(x3 + i);
    d1 += (kOneWeight ? v1 : Load4(w3 + i + 4)) * Load4(x3 + i + 4);
  }
  out[0] = ((a0[0] + a0[1]) + (a0[2] + a0[3])) + ((a1[0] + a1[1]) + (a1[2] + a1[3]));
  out[1] = ((b0[0] + b0[1]) + (b0[2] + b0[3])) + ((b1[0] + b1[1]) + (b1[2] + b1[3]));
  out[2] = ((c0[0] + c0[1]) + (c0[2] + c0[3])) + ((c1[0] + c1[1]) + (c1[2] + c1[3]));
  out[3] = ((d0[0] + d0[1]) + (d0[2] + d0[3])) + ((d1[0] + d1[1]) + (d1[2] + d1[3]));
}

void Resampler::FillMono(const MonoSource& source, int64_t base, int span, MonoHold* hold) {
  const int64_t end = base + span;
  if (hold && base >= hold->begin && base < hold->end) {
    // Keep the held samples from base on (fewer than mono_capacity_), mix
    // only those past the held end.
    const int keep = static_cast<int>(hold->end - base);
    if (base > hold->begin) std::memmove(mono_, mono_ + (base - hold->begin), sizeof(float) * keep);
    if (end > hold->end)
      source.fill(source.context, hold->end, static_cast<int>(end - hold->end), mono_ + keep);
    hold->begin = base;
    if (end > hold->end) hold->end = end;
    return;
  }
  source.fill(source.context, base, span, mono_);
  if (hold) {
    hold->begin = base;
    hold->end = end;
  }
}

void Resampler::Produce(const MonoSource& source, int64_t m_begin, int count, int64_t model_len,
                        float* out, MonoHold* hold) {
  int64_t ma = m_begin < 0 ? 0 : m_begin;
  int64_t mb = m_begin + count < model_len ? m_begin + count : model_len;
  if (mb <= ma) {
    for (int i = 0; i < count; ++i) out[i] = 0.0f;
    return;
  }
  // Zeros outside [ma, mb) only: a streamed frame is all inside, and this
  // runs for every 10-20 ms frame.
  for (int64_t m = m_begin; m < ma; ++m) out[m - m_begin] = 0.0f;
  for (int64_t m = mb; m < m_begin + count; ++m) out[m - m_begin] = 0.0f;
  if (passthrough_) {
    source.fill(source.context, ma, static_cast<int>(mb - ma), out + (ma - m_begin));
    return;
  }
  // Each output moves phase_step_ phases on: whole input samples and a
  // remainder, so the loop below needs no division per output.
  const uint32_t step_whole = phase_step_ / phases_, step_frac = phase_step_ % phases_;
  int64_t m = ma;
  while (m < mb) {
    int run = static_cast<int>(mb - m < max_run_ ? mb - m : max_run_);
    int64_t k_first = InputIndexOf(m);
    int64_t k_last = InputIndexOf(m + run - 1);
    int64_t base = k_first - half_taps_ + 1;
    int span = static_cast<int>(k_last - k_first) + taps_pad_;
    FillMono(source, base, span, hold);
    uint64_t pos = static_cast<uint64_t>(m) * in_rate_;
    int64_t k0 = static_cast<int64_t>(pos / out_rate_);
    uint32_t phase = static_cast<uint32_t>(pos % out_rate_) / gcd_;
    float* dst = out + (m - m_begin);
    int i = 0;
    if (cached_) {
      for (; i + 4 <= run; i += 4) {
        const float* w[4];
        const float* x[4];
        for (int j = 0; j < 4; ++j) {
          w[j] = cache_ + phase * taps_pad_;
          x[j] = mono_ + (k0 - k_first);
          phase += step_frac;  // phase + phase_step_, without a division
          k0 += step_whole;
          if (phase >= phases_) {
            phase -= phases_;
            ++k0;
          }
        }
        if (phases_ == 1) {
          Dot4<true>(w, x, dst + i);
        } else {
          Dot4<false>(w, x, dst + i);
        }
      }
    }
    for (; i < run; ++i) {
      const float* w;
      if (cached_) {
        w = cache_ + phase * taps_pad_;
      } else {
        PhaseWeights(phase, weights_);
        w = weights_;
      }
      dst[i] = Dot(w, mono_ + (k0 - k_first));
      phase += step_frac;
      k0 += step_whole;
      if (phase >= phases_) {
        phase -= phases_;
        ++k0;
      }
    }
    m += run;
  }
}

}  // namespace preprocess_internal
}  // namespace tm2
