// tinym2 on a Cortex-M4F, top to bottom: a model in flash, one static
// arena, PCM in, probabilities out. No heap, no file system.
//
// On a real board the model bytes are linked in (as here) or sit in a flash
// partition, and the PCM comes from the microphone's DMA buffer; under QEMU
// (mps2-an386) a recorded clip stands in for the microphone and printf goes
// out through semihosting.
#include <cstdint>
#include <cstdio>

#include "engine/engine.h"

// 1. The model: a .tm2 file compiled into flash (cmake/EmbedFile.cmake).
//    Weights are read in place; nothing is copied to RAM.
extern const unsigned char example_parity_multibranch[];
extern const size_t example_parity_multibranch_size;

// 2. Audio: 16-bit PCM at whatever rate the microphone runs (16 kHz here).
extern const unsigned char example_coswara_cough_16k[];
extern const unsigned char example_coswara_counting_16k[];
extern const unsigned char example_coswara_breathing_16k[];
constexpr size_t kWavHeader = 44;        // the fixtures' canonical header
constexpr size_t kFrames = 5 * 16000;    // 5 s each

// 3. All working memory of the engine, sized at build time. Engine::ArenaBytes
//    tells the exact figure for a model; Init fails cleanly if it is short.
alignas(16) static uint8_t g_arena[104 * 1024];
static tm2::Engine g_engine;

static const int16_t* Pcm(const unsigned char* wav) {
  return reinterpret_cast<const int16_t*>(wav + kWavHeader);
}

int main() {
  tm2::Model model;
  tm2::Status s = tm2::LoadModel(example_parity_multibranch, example_parity_multibranch_size, &model);
  if (!s.ok()) { std::printf("load: %s\n", s.message()); return 1; }

  // The microphone runs at the model rate: no resampling cache needed.
  tm2::EngineOptions options;
  options.resampler_cache = false;
  tm2::ArenaReport r;
  s = tm2::Engine::ArenaBytes(model, &r, options);
  if (!s.ok()) { std::printf("plan: %s\n", s.message()); return 1; }
  std::printf("model %s: %d branches, arena %lu of %lu bytes\n", model.name(),
              model.num_branches(), static_cast<unsigned long>(r.total),
              static_cast<unsigned long>(sizeof(g_arena)));
  // Where the bytes go: kept from Init on, then one region that the
  // preprocessing and the inference use in turn.
  const size_t parts[] = {r.preprocess_tables, r.resampler_cache, r.features, r.layer_plans,
                          r.packed_weights, r.outputs, r.alignment, r.shared,
                          r.preprocess_scratch, r.activations};
  unsigned long p[10];
  for (int i = 0; i < 10; ++i) p[i] = static_cast<unsigned long>(parts[i]);
  std::printf("  preprocessing tables %lu, resampler cache %lu, features %lu, layer plans %lu,\n"
              "  packed weights %lu, logits + probabilities %lu, alignment %lu,\n"
              "  shared %lu = max(preprocessing scratch %lu, activations %lu)\n",
              p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]);

  s = g_engine.Init(model, g_arena, sizeof(g_arena), options);
  if (!s.ok()) { std::printf("init: %s\n", s.message()); return 1; }

  const int16_t* recordings[3] = {Pcm(example_coswara_cough_16k),
                                  Pcm(example_coswara_counting_16k),
                                  Pcm(example_coswara_breathing_16k)};
  for (int b = 0; b < g_engine.num_branches(); ++b) {
    s = g_engine.SetInput(b, tm2::PcmView::S16(recordings[b], kFrames, 16000, 1));
    if (!s.ok()) { std::printf("%s: %s\n", model.branch_modality(b), s.message()); return 1; }
  }

  s = g_engine.Invoke();
  if (!s.ok()) { std::printf("invoke: %s\n", s.message()); return 1; }
  for (int i = 0; i < g_engine.num_classes(); ++i)
    std::printf("%-10s %.4f\n", model.label(i), static_cast<double>(g_engine.probabilities()[i]));
  return 0;
}
