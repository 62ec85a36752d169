#include "preprocess/mel_filterbank.h"

#include "common/det_math.h"

namespace tm2 {
namespace preprocess_internal {

void MelFilterbank::Carve(int bins, int fft_size, float sample_rate, float low_hz, float high_hz,
                          WorkspaceCarver* carver) {
  bins_ = bins;
  fft_size_ = fft_size;
  first_ = carver->Take<uint16_t>(bins);
  count_ = carver->Take<uint16_t>(bins);
  offset_ = carver->Take<uint32_t>(bins);
  const uint32_t most = static_cast<uint32_t>(2 * (fft_size / 2 + 1));
  capacity_ = Build(sample_rate, low_hz, high_hz, most, /*write=*/false);
  weights_ = carver->Take<float>(capacity_ > 0 ? capacity_ : 1);
}

void MelFilterbank::FillTables(float sample_rate, float low_hz, float high_hz) {
  Build(sample_rate, low_hz, high_hz, capacity_, /*write=*/true);
}

uint32_t MelFilterbank::Build(float sample_rate, float low_hz, float high_hz, uint32_t capacity,
                              bool write) {
  // The mel constant (1127) cancels out of equally spaced edges, so the
  // edges are spaced in ln(1 + f/700) directly.
  const float mel_lo = DetLog(1.0f + low_hz / 700.0f);
  const float mel_hi = DetLog(1.0f + high_hz / 700.0f);
  const int num_bins = fft_size_ / 2 + 1;
  uint32_t used = 0;
  // Edge i of the bins_ + 2: bin b spans edges b, b + 1, b + 2, so each
  // is computed once and handed on to the next bin.
  auto edge_at = [&](int i) {
    if (i == 0) return low_hz;
    if (i == bins_ + 1) return high_hz;
    float mel = mel_lo + (mel_hi - mel_lo) * static_cast<float>(i) / static_cast<float>(bins_ + 1);
    return 700.0f * (DetExp(mel) - 1.0f);
  };
  // The first k in [0, num_bins] where `past(k)` holds, for a condition
  // that, once true, stays true as k grows (f(k) below never decreases):
  // started from k ~ x * N / rate and stepped to the exact answer, which a
  // binary search would also give, in a step or two instead of nine.
  auto FirstBin = [&](float x, auto past) {
    const float guess = x * static_cast<float>(fft_size_) / sample_rate;
    int k = 0;  // also for a NaN edge, which then steps to the end
    if (guess >= 0.0f) k = guess < static_cast<float>(num_bins) ? static_cast<int>(guess) : num_bins;
    while (k > 0 && past(k - 1)) --k;
    while (k < num_bins && !past(k)) ++k;
    return k;
  };
  float edge[3] = {0.0f, edge_at(0), edge_at(1)};
  for (int b = 0; b < bins_; ++b) {
    edge[0] = edge[1];
    edge[1] = edge[2];
    edge[2] = edge_at(b + 2);
    uint16_t first = 0, count = 0;
    const uint32_t offset = used;
    // f(k) below never decreases with k (an exact integer, one monotone
    // rounding, an exact division), so the bins inside (edge0, edge2) are
    // one run: find its start (FirstBin), stop at its end. The same bins and
    // weights as testing every k, without the M x (N/2 + 1) loop.
    auto freq = [&](int k) {
      // k * rate is an integer below 2^27; one rounding, then an exact
      // division by the power-of-two FFT size.
      return static_cast<float>(static_cast<uint32_t>(k) * static_cast<uint32_t>(sample_rate)) /
             static_cast<float>(fft_size_);
    };
    const int lo = FirstBin(edge[0], [&](int k) { return freq(k) > edge[0]; });
    if (!write) {
      // Counting only (Carve, run for every workspace measurement): every
      // k of the run below has f(k) > edge0, and its weight is > 0 exactly
      // when f(k) < edge2 (f - edge0 and edge2 - f are differences of
      // distinct floats, at least about 1e-7 Hz, over spans of at most
      // 24 kHz: never a zero quotient). So the run ends at the first k with
      // !(f(k) < edge2), which FirstBin finds as well.
      int end = FirstBin(edge[2], [&](int k) { return !(freq(k) < edge[2]); });
      if (end < lo) end = lo;  // an edge2 at or below edge0: an empty run
      const uint32_t run = static_cast<uint32_t>(end - lo);
      used = run < capacity - used ? used + run : capacity;
      continue;
    }
    for (int k = lo; k < num_bins; ++k) {
      float f = freq(k);
      if (!(f < edge[2])) break;
      float w = 0.0f;
      if (f > edge[0] && f < edge[2]) {
        float up = f <= edge[1] ? (f - edge[0]) / (edge[1] - edge[0]) : 1.0f;
        float down = f >= edge[1] ? (edge[2] - f) / (edge[2] - edge[1]) : 1.0f;
        w = up < down ? up : down;
      }
      // The capacity test only matters for degenerate (equal) edges.
      if (w > 0.0f && used < capacity) {
        if (count == 0) first = static_cast<uint16_t>(k);
        if (write) weights_[used] = w;
        ++used;
        count = static_cast<uint16_t>(k - first + 1);
      }
    }
    if (write) first_[b] = first, count_[b] = count, offset_[b] = offset;
  }
  return used;
}

void MelFilterbank::Apply(const float* power, float* out) const {
  for (int b = 0; b < bins_; ++b) {
    const float* w = weights_ + offset_[b];
    const float* p = power + first_[b];
    float acc = 0.0f;
    for (int i = 0; i < count_[b]; ++i) acc += w[i] * p[i];
    out[b] = acc;
  }
}

}  // namespace preprocess_internal
}  // namespace tm2
