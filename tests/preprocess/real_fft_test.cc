// The power spectrum: both ways of running the radix-2 stages (paired,
// the native and Cortex-M4 build's; one per pass, the WASM build's) give
// the same bits at every size, and both agree with a float64 DFT. Every
// build runs both (real_fft-inl.h; the library itself holds only its own
// path), so a change that breaks the other target's path fails here too.
#include <cmath>
#include <algorithm>
#include <cstring>
#include <vector>

#include "catch2/catch.hpp"
#include "preprocess/real_fft.h"
#include "preprocess/real_fft-inl.h"

namespace tm2 {
namespace test {
namespace {

using preprocess_internal::FftStages;
using preprocess_internal::RealFft;
using preprocess_internal::WorkspaceCarver;

struct Fft {
  std::vector<uint8_t> tables, scratch;
  RealFft fft;
  explicit Fft(int n) {
    WorkspaceCarver measure(nullptr, 0, nullptr, 0);
    RealFft probe;
    probe.Carve(n, &measure);
    tables.resize(measure.tables_used() + 16);
    scratch.resize(measure.scratch_used() + 16);
    WorkspaceCarver carver(tables.data(), tables.size(), scratch.data(), scratch.size());
    fft.Carve(n, &carver);
    REQUIRE_FALSE(carver.overflowed());
    fft.FillTables();
  }
};

}  // namespace

TEST_CASE("paired and single FFT stages: same bits, and the DFT's power", "[preprocess][fft]") {
  const double kPi = 3.14159265358979323846;
  uint32_t s = 7;
  for (int n = 32; n <= 4096; n *= 2) {
    INFO("n " << n);
    Fft f(n);
    std::vector<float> in(n);
    for (float& v : in) {
      s = s * 1664525u + 1013904223u;
      v = static_cast<float>(static_cast<int32_t>(s >> 8) - (1 << 23)) / (1 << 23);
    }
    std::vector<float> paired(n / 2 + 1), single(n / 2 + 1);
    std::vector<float> built(n / 2 + 1);
    f.fft.PowerSpectrumWith<FftStages::kPaired>(in.data(), paired.data());
    f.fft.PowerSpectrumWith<FftStages::kSingle>(in.data(), single.data());
    f.fft.PowerSpectrum(in.data(), built.data());  // the library's own build
    CHECK(std::memcmp(paired.data(), single.data(), sizeof(float) * paired.size()) == 0);
    CHECK(std::memcmp(built.data(), paired.data(), sizeof(float) * paired.size()) == 0);
    if (n > 1024) continue;  // the O(n^2) DFT: the sizes models use are enough
    // |X[k]|^2 within 1e-4 of the largest bin (float32 rounding over log2 n stages).
    std::vector<double> ref(n / 2 + 1);
    double top = 0;
    for (int k = 0; k <= n / 2; ++k) {
      double re = 0, im = 0;
      for (int j = 0; j < n; ++j) {
        const double a = 2 * kPi * static_cast<double>((static_cast<int64_t>(j) * k) % n) / n;
        re += in[j] * std::cos(a);
        im -= in[j] * std::sin(a);
      }
      ref[k] = re * re + im * im;
      top = std::max(top, ref[k]);
    }
    double worst = 0;
    for (int k = 0; k <= n / 2; ++k) worst = std::max(worst, std::fabs(paired[k] - ref[k]) / top);
    CHECK(worst < 1e-4);
  }
}

}  // namespace test
}  // namespace tm2
