#include "parity/a4_parity.h"

#include <cstdio>

#include "engine/engine.h"

namespace tm2 {
namespace test {

const char* const kA4ClipNames[kNumA4Clips] = {"coswara_cough_16k.wav",
                                               "covid_callcenter_cough_8k_stereo.wav"};

int RunA4Parity(const uint8_t* model_bytes, size_t model_size, void* arena, size_t arena_bytes,
                const KernelTable* const* tables, int num_tables, const ClipBytes* clips,
                int num_clips, const char* expected_text, size_t expected_size) {
  Model model;
  Status s = LoadModel(model_bytes, model_size, &model);
  if (!s.ok()) {
    std::printf("a4 parity: cannot load the model: %s\n", s.message());
    return 1;
  }
  // What packing saves, with the reference (banding) table, features given.
  EngineOptions small;
  small.kernels = tables[0];
  small.features_only = true;
  EngineOptions small_int8 = small;
  small_int8.pack_int4_activations = false;
  ArenaReport packed, int8;
  s = Engine::ArenaBytes(model, &packed, small);
  if (s.ok()) s = Engine::ArenaBytes(model, &int8, small_int8);
  if (!s.ok()) {
    std::printf("a4 parity: %s\n", s.message());
    return 1;
  }
  std::printf("a4 parity: '%s', %u outputs declared 4-bit, %lu packed; activations %lu bytes "
              "(%lu all int8), arena %lu (%lu) with %s kernels and the features given\n",
              model.name(), static_cast<unsigned>(model.cost().int4_outputs),
              static_cast<unsigned long>(packed.packed_outputs),
              static_cast<unsigned long>(packed.activations),
              static_cast<unsigned long>(int8.activations), static_cast<unsigned long>(packed.total),
              static_cast<unsigned long>(int8.total), tables[0]->name);
  const ParityInputs in{clips, num_clips, expected_text, expected_size};
  int failures = 0;
  bool packed_run_packed = false;
  for (int run = 0; run < 2 * num_tables; ++run) {
    const int t = run / 2;
    // A table whose plan kept no packing has just run the int8 plan.
    if (run % 2 == 1 && !packed_run_packed) continue;
    EngineOptions options;
    options.kernels = tables[t];
    options.resampler_cache = false;
    options.pack_int4_activations = run % 2 == 0;
    Engine e;
    s = e.Init(model, arena, arena_bytes, options);
    if (!s.ok()) {
      std::printf("a4 parity: %s\n", s.message());
      return failures + 1;
    }
    if (run % 2 == 0) packed_run_packed = e.arena_report().packed_outputs > 0;
    char note[64];
    std::snprintf(note, sizeof(note), "%s %s", tables[t]->name,
                  e.arena_report().packed_outputs ? "packed" : "int8");
    for (int c = 0; c < kNumA4Clips; ++c)
      if (!CheckClipHashes(e, "a4", model.name(), kA4ClipNames[c], in, note)) ++failures;
  }
  return failures;
}

}  // namespace test
}  // namespace tm2
