// The constant tables (const_tables.h) computed once at start-up, for the
// WASM build (TM2_CONST_TABLES_AT_STARTUP), whose download they would
// otherwise grow: the same functions the generator runs, so the same bits.
#include "preprocess/const_tables.h"

namespace tm2 {
namespace preprocess_internal {

float kFftTwiddleCos[kConstFftMax];
float kFftTwiddleSin[kConstFftMax];
float kResamplerKernel[kResamplerKernelPoints];
uint16_t kFftBitReverse[kConstFftMax / 2];

namespace {

// Runs before main (static initialisation); nothing reads the tables
// earlier, since no Preprocessor is built during static initialisation.
struct FillAtStartup {
  FillAtStartup() {
    ComputeFftTwiddles(kConstFftMax, kFftTwiddleCos, kFftTwiddleSin);
    ComputeResamplerKernel(kResamplerKernel);
    ComputeBitReverse(kConstFftMax / 2, kFftBitReverse);
  }
} g_fill_at_startup;

}  // namespace
}  // namespace preprocess_internal
}  // namespace tm2
