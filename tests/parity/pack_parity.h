// Cross-target parity of a model pack (format 1.1): the shipped models'
// pack (tests/fixtures/models/shipped.pack.tm2, built by tm2-pack) runs
// model by model in one arena, switching in place (0, 1, 2, then 0
// again), on real clips with the reference and the selected kernels; every
// line must match expected_hashes.txt ("pack/<model>/<clip>") on native,
// aarch64, WASM and the Cortex-M4. No heap.
#ifndef TM2_TESTS_PARITY_PACK_PARITY_H_
#define TM2_TESTS_PARITY_PACK_PARITY_H_

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"
#include "parity/parity_run.h"

namespace tm2 {
namespace test {

// The clips the pack runs on (each model gets each clip on its branch).
constexpr int kNumPackClips = 2;
extern const char* const kPackClipNames[kNumPackClips];

// Returns the number of mismatches (or errors); prints one line per run.
int RunPackParity(const uint8_t* pack_bytes, size_t pack_size, void* arena, size_t arena_bytes,
                  const KernelTable* const* tables, int num_tables, const ClipBytes* clips,
                  int num_clips, const char* expected_text, size_t expected_size);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_PARITY_PACK_PARITY_H_
