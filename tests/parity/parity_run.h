// Cross-target parity: run the parity model on real clips and hash the
// features and the outputs. The same code runs in the native, aarch64 and
// WASM test (parity_test.cc) and in the Cortex-M4 firmware
// (parity_firmware.cc); all compare against expected_hashes.txt, so the
// suite fails on any target whose bits differ. No heap: clips are parsed in
// place and the engine runs in a caller-supplied arena.
#ifndef TM2_TESTS_PARITY_PARITY_RUN_H_
#define TM2_TESTS_PARITY_PARITY_RUN_H_

#include <cstddef>
#include <cstdint>

#include "engine/engine.h"

namespace tm2 {
namespace test {

struct ClipBytes {
  const char* name;  // file name in tests/fixtures/audio
  const uint8_t* data;
  size_t size;
};

// One parity case: the clip each of the model's three branches gets.
struct ParityCase {
  const char* name;
  const char* clips[3];
};
constexpr int kNumParityCases = 3;
extern const ParityCase kParityCases[kNumParityCases];
// Every clip some case uses (each once).
constexpr int kNumParityClips = 6;
extern const char* const kParityClipNames[kNumParityClips];

struct ParityHashes {
  uint64_t features = 0;  // float features then int8 features, all branches
  uint64_t logits = 0;    // int8 head outputs
  uint64_t probs = 0;     // float probabilities
  int8_t logit_values[3] = {0, 0, 0};  // for the log line
  float prob_values[3] = {0, 0, 0};
};

// Runs case `c` with `kernels`; `clips` holds every kParityClipNames entry.
Status RunParityCase(const Model& model, void* arena, size_t arena_bytes,
                     const KernelTable& kernels, const ParityCase& c, const ClipBytes* clips,
                     int num_clips, ParityHashes* out);

// Parses "<case> <features> <logits> <probs>" lines ('#' comments) and
// finds the entry for `case_name`. Returns false if absent or malformed.
bool FindExpectedHashes(const char* text, size_t size, const char* case_name, ParityHashes* out);

// A 16-bit PCM WAV clip, read in place (the fixtures keep the data chunk
// 2-byte aligned); false if it is not one.
bool ParityPcm16(const ClipBytes& clip, PcmView* pcm);

// The clips a run may use and the pinned hashes it checks against.
struct ParityInputs {
  const ClipBytes* clips;
  int num_clips;
  const char* expected_text;
  size_t expected_size;
};

// Runs clip `clip_name` on every branch of `e` (initialised), hashes the
// int8 features of all branches, the int8 logits and the float
// probabilities (a clip the model refuses hashes as its status code),
// checks them against the "<prefix>/<model>/<clip without .wav>" line and
// prints that line with "# kernels=<note>" and OK or MISMATCH. Returns
// true when they match.
bool CheckClipHashes(Engine& e, const char* prefix, const char* model, const char* clip_name,
                     const ParityInputs& in, const char* note);

// Runs every case with every kernel table given, prints one line per run
// and returns the number of mismatches against `expected_text`.
int RunAllParityCases(const uint8_t* model_bytes, size_t model_size, void* arena,
                      size_t arena_bytes, const KernelTable* const* tables, int num_tables,
                      const ClipBytes* clips, int num_clips, const char* expected_text,
                      size_t expected_size);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_PARITY_PARITY_RUN_H_
