// The shipped models on the Cortex-M4: compiled into flash, run in one
// static arena with the reference and the DSP kernels.
#include <cstdint>
#include <cstdio>

#include "common/embedded_files.h"
#include "engine/shipped_models.h"

TM2_EMBEDDED_FILE(shipped, covid_cough)
TM2_EMBEDDED_FILE(shipped, sound_gate)
TM2_EMBEDDED_FILE(shipped, kws_dscnn)
TM2_EMBEDDED_FILE(shipped, coswara_cough_16k)
TM2_EMBEDDED_FILE(shipped, speech_commands_yes_16k)

alignas(16) static uint8_t g_arena[512 * 1024];

int main() {
  const tm2::test::ShippedModel models[] = {
      {"covid-cough", shipped_covid_cough, shipped_covid_cough_size},
      {"sound-gate", shipped_sound_gate, shipped_sound_gate_size},
      {"kws-dscnn", shipped_kws_dscnn, shipped_kws_dscnn_size},
  };
  // The fixtures are canonical 44-byte-header 16 kHz mono WAVs: a cough
  // for the cough and sound-type models, a one-second "yes" for keywords.
  const unsigned char* clips[] = {shipped_coswara_cough_16k, shipped_coswara_cough_16k,
                                  shipped_speech_commands_yes_16k};
  const size_t sizes[] = {shipped_coswara_cough_16k_size, shipped_coswara_cough_16k_size,
                          shipped_speech_commands_yes_16k_size};
  int failures = 0;
  for (int i = 0; i < 3; ++i) {
    const int16_t* pcm = reinterpret_cast<const int16_t*>(clips[i] + 44);
    failures += tm2::test::CheckShippedModel(models[i], pcm, (sizes[i] - 44) / 2, 16000, g_arena,
                                             sizeof(g_arena));
  }
  std::printf("shipped models firmware: %d failures\n", failures);
  return failures;
}
