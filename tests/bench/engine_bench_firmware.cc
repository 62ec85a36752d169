// Cortex-M4 instruction counts of the engine's Invoke on the shipped KWS
// model with the DSP kernels, layers run whole and in bands (in_place):
//   tests/bench/mcu_insn_count.sh build/mcu/tests/bench/engine_bench_firmware.elf
// Each Invoke is bracketed by tm2_insn_mark() (see kernels_bench_firmware.cc).
// As a CTest test it checks that both plans give the same logits.
#include <cstdio>
#include <cstring>

#include "common/embedded_files.h"
#include "engine/engine.h"
#include "kernels/select.h"

extern "C" __attribute__((noinline)) void tm2_insn_mark(void) { __asm__ volatile("" ::: "memory"); }

TM2_EMBEDDED_FILE(bench, kws_dscnn)
TM2_EMBEDDED_FILE(bench, kws_yes_features)

alignas(16) static uint8_t g_arena[24 * 1024];

int main() {
  tm2::Model model;
  tm2::Status s = tm2::LoadModel(bench_kws_dscnn, bench_kws_dscnn_size, &model);
  if (!s.ok()) return std::printf("load: %s\n", s.message()), 1;
  int8_t logits[2][16];
  size_t bytes[2] = {0, 0};
  for (int banded = 0; banded < 2; ++banded) {
    tm2::EngineOptions options;
    options.kernels = &tm2::SelectKernels();
    options.features_only = true;
    options.in_place = banded == 1;
    tm2::Engine engine;
    s = engine.Init(model, g_arena, sizeof(g_arena), options);
    if (s.ok())
      s = engine.SetFeatures(0, reinterpret_cast<const int8_t*>(bench_kws_yes_features),
                             bench_kws_yes_features_size);
    if (!s.ok()) return std::printf("init: %s\n", s.message()), 1;
    tm2_insn_mark();
    s = engine.Invoke();
    tm2_insn_mark();
    if (!s.ok()) return std::printf("invoke: %s\n", s.message()), 1;
    std::memcpy(logits[banded], engine.logits(), 12);
    bytes[banded] = engine.arena_report().total;
  }
  // Labels for mcu_insn_count.sh, in region order.
  std::printf("region 0: kws-dscnn | %s | Invoke, layers whole (arena %lu bytes)\n",
              tm2::SelectKernels().name, static_cast<unsigned long>(bytes[0]));
  std::printf("region 1: kws-dscnn | %s | Invoke, layers in bands (arena %lu bytes)\n",
              tm2::SelectKernels().name, static_cast<unsigned long>(bytes[1]));
  const bool same = std::memcmp(logits[0], logits[1], 12) == 0;
  std::printf("engine bench firmware: %s\n", same ? "same logits" : "MISMATCH");
  return same ? 0 : 1;
}
