#include "augment/band_limit.h"

#include <algorithm>
#include <cmath>

namespace tm2 {
namespace factory {

namespace {
constexpr double kPi = 3.14159265358979323846;
// 32 zero crossings each side: a Blackman transition of about 5.5 x cutoff / 32
// (580 Hz at 3400 Hz), so 3.9 kHz is stopped before the 4 kHz Nyquist of 8 kHz.
constexpr int kZeroCrossings = 32;
}  // namespace

std::vector<float> Resample(const std::vector<float>& x, uint32_t from, uint32_t to, double cutoff_hz) {
  if (x.empty()) return {};
  const double step = static_cast<double>(from) / to;  // input samples per output sample
  const double fc = cutoff_hz / from;                   // cycles per input sample
  const double half = kZeroCrossings / (2 * fc);        // half length of the kernel, input samples
  const size_t n_out = static_cast<size_t>(std::floor((x.size() - 1) / step)) + 1;
  std::vector<float> y(n_out);
  for (size_t j = 0; j < n_out; ++j) {
    const double t = j * step;
    const long lo = std::max(0L, static_cast<long>(std::ceil(t - half)));
    const long hi = std::min(static_cast<long>(x.size()) - 1, static_cast<long>(std::floor(t + half)));
    double acc = 0;
    for (long k = lo; k <= hi; ++k) {
      const double u = t - k;
      const double a = 2 * kPi * fc * u;
      const double sinc = u == 0 ? 2 * fc : std::sin(a) / (kPi * u);
      const double w = 0.42 + 0.5 * std::cos(kPi * u / half) + 0.08 * std::cos(2 * kPi * u / half);
      acc += x[k] * sinc * w;
    }
    y[j] = static_cast<float>(acc);
  }
  return y;
}

void HighPass(std::vector<float>& x, uint32_t rate, double cutoff_hz) {
  const double w0 = 2 * kPi * cutoff_hz / rate, alpha = std::sin(w0) / (2 * std::sqrt(0.5));
  const double c = std::cos(w0), a0 = 1 + alpha;
  const double b0 = (1 + c) / 2 / a0, b1 = -(1 + c) / a0, b2 = b0;
  const double a1 = -2 * c / a0, a2 = (1 - alpha) / a0;
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (float& v : x) {
    const double y = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1, x1 = v, y2 = y1, y1 = y;
    v = static_cast<float>(y);
  }
}

std::vector<float> TelephoneBand(const std::vector<float>& x, uint32_t rate) {
  std::vector<float> y = Resample(x, rate, 8000, 3400);
  HighPass(y, 8000, 300);
  return y;
}

}  // namespace factory
}  // namespace tm2
