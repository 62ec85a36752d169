// Preprocessing tables that depend on no model: compiled in as constants
// (flash on the MCU, read-only data elsewhere), so no engine builds or
// stores them in its arena, and a model switch never rebuilds them.
//
//   FFT twiddles: T[hl + j] = (cos, sin)(2 pi j / 2hl) for j < hl, hl = 1,
//   2, 4, .. kConstFftMax / 2 (T[0] = (1, 0)). One table serves every FFT
//   size n <= kConstFftMax: the radix-2 stage of half-length hl reads
//   T + hl, and the real FFT's split step, e^{-2 pi i k / n} for k < n/2,
//   is the block hl = n / 2. DetSinCosTurns reduces the angle with exact
//   integers and one rounded division of the reduced fraction, so
//   (j, 2hl) gives the same bits as (j * n / 2hl, n): the values are those
//   the per-size tables held, and every stage shares one copy.
//
//   FFT bit reversal: the permutation of kConstFftMax / 2 indices; smaller
//   sizes shift it right.
//
//   Resampler kernel: the Kaiser-windowed sinc, kResamplerKernelPoints
//   points (resampler.h).
//
// The data (const_tables_data.cc) is written by native/tables/tm2-const-tables
// from the Compute* functions below, as hexadecimal floats (exact bits);
// tests/preprocess/const_tables_test.cc recomputes them on every target
// (x86-64, aarch64, WASM, Cortex-M4) and compares bit for bit.
//
//   const float* c = tm2::preprocess_internal::kFftTwiddleCos + hl;  // stage hl
#ifndef TM2_PREPROCESS_CONST_TABLES_H_
#define TM2_PREPROCESS_CONST_TABLES_H_

#include <cstdint>

namespace tm2 {
namespace preprocess_internal {

constexpr int kConstFftMax = 1024;  // larger FFTs build the same layout in the arena
constexpr int kResamplerKernelPoints = 16 * 128 + 1;  // Resampler::kHalfWidth * kTablePerUnit + 1

// The WASM build computes the same tables once at start-up instead
// (const_tables_startup.cc; TM2_CONST_TABLES_AT_STARTUP): there they would
// cost the page 11.5 KB of gzipped download, and a browser has the memory.
#if defined(TM2_CONST_TABLES_AT_STARTUP)
#define TM2_CONST_TABLE
#else
#define TM2_CONST_TABLE const
#endif
extern TM2_CONST_TABLE float kFftTwiddleCos[kConstFftMax];
extern TM2_CONST_TABLE float kFftTwiddleSin[kConstFftMax];
extern TM2_CONST_TABLE float kResamplerKernel[kResamplerKernelPoints];
// Bit reversal of i over log2(kConstFftMax / 2) bits; over fewer bits b,
// it is this shifted right by the difference (for i < 2^b).
extern TM2_CONST_TABLE uint16_t kFftBitReverse[kConstFftMax / 2];

// The same tables computed at run time: twiddles for any power of two
// n <= 4096 into cos[n], sin[n]; the resampler kernel into
// table[kResamplerKernelPoints].
void ComputeFftTwiddles(int n, float* cos, float* sin);
void ComputeResamplerKernel(float* table);
// Bit reversal of i < count (a power of two) over log2(count) bits.
void ComputeBitReverse(int count, uint16_t* out);

// Bytes of constant tables compiled in (reported as flash, not arena).
constexpr unsigned long kConstTablesBytes =
    sizeof(float) * (2ul * kConstFftMax + kResamplerKernelPoints) + sizeof(uint16_t) * (kConstFftMax / 2);

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_CONST_TABLES_H_
