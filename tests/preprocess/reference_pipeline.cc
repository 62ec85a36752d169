#include "reference_pipeline.h"

#include <algorithm>
#include <cmath>

namespace tm2 {
namespace test {
namespace {

const double kPi = 3.14159265358979323846;

double I0(double x) {
  double sum = 1.0, term = 1.0;
  for (int k = 1; k < 60; ++k) {
    term *= (x / 2.0) / k;
    sum += term * term;
  }
  return sum;
}

// Kaiser(beta 7)-windowed sinc, 16 lower-rate periods each side, cutoff
// 0.42 of the lower rate; t in lower-rate periods.
double Kernel(double t) {
  const double w = 16.0, beta = 7.0, two_c = 0.84;
  if (std::fabs(t) >= w) return 0.0;
  double x = kPi * two_c * t;
  double sinc = x == 0.0 ? 1.0 : std::sin(x) / x;
  double r = t / w;
  return sinc * I0(beta * std::sqrt(1.0 - r * r)) / I0(beta);
}

double HzToMel(double f) { return 2595.0 * std::log10(1.0 + f / 700.0); }
double MelToHz(double m) { return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0); }

}  // namespace

std::vector<double> RefMixS16(const int16_t* pcm, size_t frames, int channels) {
  std::vector<double> out(frames);
  for (size_t i = 0; i < frames; ++i) {
    double acc = 0.0;
    for (int c = 0; c < channels; ++c) acc += pcm[i * channels + c];
    out[i] = acc / channels / 32768.0;
  }
  return out;
}

std::vector<double> RefResample(const std::vector<double>& x, uint32_t in_rate, uint32_t out_rate) {
  const int64_t n = static_cast<int64_t>(x.size());
  const int64_t len = (n * out_rate + in_rate - 1) / in_rate;
  if (in_rate == out_rate) return x;
  std::vector<double> y(len);
  const double low = std::min(in_rate, out_rate);
  const double reach = 16.0 * in_rate / low;  // kernel half-width in input samples
  for (int64_t m = 0; m < len; ++m) {
    double pos = static_cast<double>(m) * in_rate / out_rate;
    int64_t k_lo = static_cast<int64_t>(std::floor(pos - reach));
    int64_t k_hi = static_cast<int64_t>(std::ceil(pos + reach));
    double acc = 0.0, wsum = 0.0;
    for (int64_t k = k_lo; k <= k_hi; ++k) {
      double w = Kernel((k - pos) * low / in_rate);
      wsum += w;
      if (k >= 0 && k < n) acc += w * x[k];
    }
    y[m] = acc / wsum;
  }
  return y;
}

RefFeatures RefPreprocess(const PreprocessParams& p, const std::vector<double>& mono, uint32_t rate) {
  RefFeatures r;
  std::vector<double> x = RefResample(mono, rate, p.sample_rate);
  const int64_t s = static_cast<int64_t>(x.size());
  const int len = p.frame_length, step = p.frame_step, nfft = p.fft_size;
  r.total_frames = s >= len ? 1 + (s - len) / step : 1;
  const int64_t keep = std::min<int64_t>(r.total_frames, p.num_frames);
  if (r.total_frames > keep && p.crop == CropPolicy::kCenter) r.start = (r.total_frames - keep) / 2;
  if (r.total_frames > keep && p.crop == CropPolicy::kLoudest) {
    // Energy of the mono input under each frame; best window of num_frames.
    std::vector<double> e(r.total_frames);
    for (int64_t f = 0; f < r.total_frames; ++f) {
      int64_t a = f * step * static_cast<int64_t>(rate) / p.sample_rate;
      int64_t b = (f * step + len) * static_cast<int64_t>(rate) / p.sample_rate;
      b = std::min<int64_t>(b, mono.size());
      for (int64_t k = a; k < b; ++k) e[f] += mono[k] * mono[k];
    }
    double best = -1.0;
    for (int64_t st = 0; st + keep <= r.total_frames; ++st) {
      double sum = 0.0;
      for (int64_t i = 0; i < keep; ++i) sum += e[st + i];
      r.window_energy.push_back(sum);
      if (sum > best) { best = sum; r.start = st; }
    }
  }
  // Pre-emphasis over the whole signal.
  std::vector<double> y(s);
  for (int64_t i = 0; i < s; ++i) y[i] = x[i] - p.pre_emphasis * (i > 0 ? x[i - 1] : 0.0);
  // Mel triangles (HTK mel, Hz-domain interpolation at bin frequencies).
  const int m = p.mel_bins;
  const double high = p.mel_high_hz > 0 ? p.mel_high_hz : p.sample_rate / 2.0;
  std::vector<double> edges(m + 2);
  for (int i = 0; i < m + 2; ++i) {
    double mel = HzToMel(p.mel_low_hz) + (HzToMel(high) - HzToMel(p.mel_low_hz)) * i / (m + 1);
    edges[i] = MelToHz(mel);
  }
  const int bins = nfft / 2 + 1;
  std::vector<double> fb(static_cast<size_t>(m) * bins, 0.0);
  for (int b = 0; b < m; ++b) {
    for (int k = 0; k < bins; ++k) {
      double f = static_cast<double>(k) * p.sample_rate / nfft;
      double up = (f - edges[b]) / (edges[b + 1] - edges[b]);
      double down = (edges[b + 2] - f) / (edges[b + 2] - edges[b + 1]);
      fb[b * bins + k] = std::max(0.0, std::min(up, down));
    }
  }
  std::vector<double> cosv(nfft), sinv(nfft);
  for (int i = 0; i < nfft; ++i) {
    cosv[i] = std::cos(2.0 * kPi * i / nfft);
    sinv[i] = std::sin(2.0 * kPi * i / nfft);
  }
  const double a = p.window == WindowType::kHamming ? 0.54 : 0.5;
  const int nf = p.num_features();
  auto finish = [&](std::vector<double>& lm, double* out) {
    for (int k = 0; k < nf; ++k) {
      double v = lm[k];
      if (p.dct_coefficients > 0) {
        v = 0.0;
        for (int i = 0; i < m; ++i) v += lm[i] * std::cos(kPi * k * (2 * i + 1) / (2.0 * m));
        v *= std::sqrt((k == 0 ? 1.0 : 2.0) / m);
      }
      if (p.normalization == NormalizationType::kFixed) {
        int j = p.norm_count > 1 ? k : 0;
        v = (v - p.norm_mean[j]) / p.norm_std[j];
      }
      out[k] = v;
    }
  };
  r.features.assign(static_cast<size_t>(p.num_frames) * nf, 0.0);
  std::vector<double> frame(nfft), power(bins), lm(m);
  for (int64_t i = 0; i < p.num_frames; ++i) {
    if (i < keep) {
      int64_t begin = (r.start + i) * step;
      std::fill(frame.begin(), frame.end(), 0.0);
      for (int n = 0; n < len; ++n) {
        double w = a - (1.0 - a) * std::cos(2.0 * kPi * n / len);
        frame[n] = begin + n < s ? y[begin + n] * w : 0.0;
      }
      for (int k = 0; k < bins; ++k) {
        double re = 0.0, im = 0.0;
        for (int n = 0; n < len; ++n) {
          int idx = static_cast<int>((static_cast<int64_t>(k) * n) % nfft);
          re += frame[n] * cosv[idx];
          im -= frame[n] * sinv[idx];
        }
        power[k] = re * re + im * im;
      }
      for (int b = 0; b < m; ++b) {
        double acc = 0.0;
        for (int k = 0; k < bins; ++k) acc += fb[b * bins + k] * power[k];
        lm[b] = std::log(std::max(acc, static_cast<double>(p.log_floor)));
      }
    } else {
      for (int b = 0; b < m; ++b) lm[b] = std::log(static_cast<double>(p.log_floor));
    }
    finish(lm, &r.features[i * nf]);
  }
  r.quantized.resize(r.features.size());
  for (size_t i = 0; i < r.features.size(); ++i) {
    double q = std::round(r.features[i] / p.input_scale) + p.input_zero_point;
    r.quantized[i] = static_cast<int8_t>(std::max(-128.0, std::min(127.0, q)));
  }
  return r;
}

}  // namespace test
}  // namespace tm2
