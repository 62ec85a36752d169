// Cross-target parity of packed int4 activations: the A4 test models
// (tests/fixtures/models/a4_cough.tm2, a4_mixed_cough.tm2, written by
// make_parity_model --a4 / --a4-mixed) run on real clips with every kernel
// table given, once with 4-bit outputs packed and once all int8; both must
// give the same bytes, and those must match expected_hashes.txt
// ("a4/<model>/<clip>") on native, aarch64, WASM and the Cortex-M4. No heap.
#ifndef TM2_TESTS_PARITY_A4_PARITY_H_
#define TM2_TESTS_PARITY_A4_PARITY_H_

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"
#include "parity/parity_run.h"

namespace tm2 {
namespace test {

constexpr int kNumA4Clips = 2;
extern const char* const kA4ClipNames[kNumA4Clips];

// Returns the number of mismatches (or errors); prints one line per run
// and the activation arena with and without packing (features given).
int RunA4Parity(const uint8_t* model_bytes, size_t model_size, void* arena, size_t arena_bytes,
                const KernelTable* const* tables, int num_tables, const ClipBytes* clips,
                int num_clips, const char* expected_text, size_t expected_size);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_PARITY_A4_PARITY_H_
