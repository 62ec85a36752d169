// Cross-target parity on the Cortex-M4 (QEMU mps2-an386): the model, the
// clips and the expected hashes are compiled into the image; the exit code
// (number of mismatches) is the verdict CTest reads through semihosting.
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "common/embedded_files.h"
#include "kernels/select.h"
#include "parity/a4_parity.h"
#include "parity/pack_parity.h"
#include "parity/parity_run.h"

TM2_EMBEDDED_FILE(parity, parity_multibranch)
TM2_EMBEDDED_FILE(parity, shipped)         // tests/fixtures/models/shipped.pack.tm2
TM2_EMBEDDED_FILE(parity, a4_cough)        // tests/fixtures/models/a4_cough.tm2
TM2_EMBEDDED_FILE(parity, a4_mixed_cough)
TM2_EMBEDDED_FILE(parity, expected_hashes)
TM2_EMBEDDED_FILE(parity, coswara_cough_16k)
TM2_EMBEDDED_FILE(parity, coswara_counting_16k)
TM2_EMBEDDED_FILE(parity, coswara_breathing_16k)
TM2_EMBEDDED_FILE(parity, covid_telegram_cough_48k)
TM2_EMBEDDED_FILE(parity, speech_commands_yes_16k)
TM2_EMBEDDED_FILE(parity, covid_callcenter_cough_8k_stereo)

namespace {
// The engine's whole working memory: no heap is used by the core.
alignas(16) uint8_t g_arena[1536 * 1024];
}  // namespace

int main() {
  using tm2::test::ClipBytes;
#define TM2_CLIP_ENTRY(sym) {#sym ".wav", parity_##sym, parity_##sym##_size}
  const ClipBytes clips[] = {
      TM2_CLIP_ENTRY(coswara_cough_16k),        TM2_CLIP_ENTRY(coswara_counting_16k),
      TM2_CLIP_ENTRY(coswara_breathing_16k),    TM2_CLIP_ENTRY(covid_telegram_cough_48k),
      TM2_CLIP_ENTRY(speech_commands_yes_16k),  TM2_CLIP_ENTRY(covid_callcenter_cough_8k_stereo),
  };
  const tm2::KernelTable* tables[] = {&tm2::ReferenceKernels(), &tm2::SelectKernels()};
  const int failures = tm2::test::RunAllParityCases(
      parity_parity_multibranch, parity_parity_multibranch_size, g_arena, sizeof(g_arena), tables,
      2, clips, 6, reinterpret_cast<const char*>(parity_expected_hashes),
      parity_expected_hashes_size);
  // The shipped models' pack from flash, switching models in this arena.
  const int pack_failures = tm2::test::RunPackParity(
      parity_shipped, parity_shipped_size, g_arena, sizeof(g_arena), tables, 2, clips, 6,
      reinterpret_cast<const char*>(parity_expected_hashes), parity_expected_hashes_size);
  // Packed int4 activations: the A4 models, packed and all int8.
  int a4_failures = tm2::test::RunA4Parity(
      parity_a4_cough, parity_a4_cough_size, g_arena, sizeof(g_arena), tables, 2, clips, 6,
      reinterpret_cast<const char*>(parity_expected_hashes), parity_expected_hashes_size);
  a4_failures += tm2::test::RunA4Parity(
      parity_a4_mixed_cough, parity_a4_mixed_cough_size, g_arena, sizeof(g_arena), tables, 2,
      clips, 6, reinterpret_cast<const char*>(parity_expected_hashes),
      parity_expected_hashes_size);
  std::printf("parity firmware: %d mismatches, %d in the pack, %d in the A4 models\n", failures,
              pack_failures, a4_failures);
  return failures + pack_failures + a4_failures;
}
