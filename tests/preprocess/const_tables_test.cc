// The compiled-in preprocessing tables (src/preprocess/const_tables.h) are
// bit for bit what this target computes at run time (a plain program, so
// it runs on the Cortex-M4 too: tm2_add_program_test). The WASM build
// fills the same tables at start-up instead: there this checks that fill. Also: the twiddle
// layout of a larger FFT (built in the workspace) starts with the constant
// table, and every FFT size's bit reversal is the shifted constant one.
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "preprocess/const_tables.h"

namespace {

using namespace tm2::preprocess_internal;

int g_failures = 0;

void Check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++g_failures;
}

// Static: the Cortex-M4 test image's stack is small.
float g_cos[4096], g_sin[4096], g_kernel[kResamplerKernelPoints];
uint16_t g_bitrev[2048];

}  // namespace

int main() {
  ComputeFftTwiddles(kConstFftMax, g_cos, g_sin);
  Check(std::memcmp(g_cos, kFftTwiddleCos, sizeof(kFftTwiddleCos)) == 0, "FFT twiddles, cos");
  Check(std::memcmp(g_sin, kFftTwiddleSin, sizeof(kFftTwiddleSin)) == 0, "FFT twiddles, sin");
  ComputeFftTwiddles(4096, g_cos, g_sin);
  Check(std::memcmp(g_cos, kFftTwiddleCos, sizeof(kFftTwiddleCos)) == 0 &&
            std::memcmp(g_sin, kFftTwiddleSin, sizeof(kFftTwiddleSin)) == 0,
        "a 4096-point FFT's twiddles start with the constant table");
  ComputeResamplerKernel(g_kernel);
  Check(std::memcmp(g_kernel, kResamplerKernel, sizeof(kResamplerKernel)) == 0,
        "resampler kernel");
  Check(g_kernel[0] == 1.0f && g_kernel[kResamplerKernelPoints - 1] < 1e-3f,
        "resampler kernel: 1 at the centre, near 0 at the edge");
  bool bitrev_ok = true;
  for (int count = 16; count <= kConstFftMax / 2; count *= 2) {
    ComputeBitReverse(count, g_bitrev);
    int shift = 0;
    while ((kConstFftMax / 2 >> shift) > count) ++shift;
    for (int i = 0; i < count; ++i) bitrev_ok = bitrev_ok && (kFftBitReverse[i] >> shift) == g_bitrev[i];
  }
  Check(bitrev_ok, "bit reversal of 16..512 points is the shifted constant");
  std::printf("%lu bytes of constant tables\n", static_cast<unsigned long>(kConstTablesBytes));
  return g_failures == 0 ? 0 : 1;
}
