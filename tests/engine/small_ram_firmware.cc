// The shipped models on a Cortex-M4 with little RAM (issue 10, point 5):
// this image links with its RAM region cut to TM2_RAM_SIZE (64 KB for all
// three models from 16 kHz PCM; 32 KB for KWS with its features given, as
// TFLM's arena is measured), so .data, .bss, heap and stack all fit in
// it or the link fails. Each model runs in one static arena of
// TM2_ARENA_BYTES with the reference and (TM2_DSP_KERNELS) the DSP
// kernels, which must give the same logits; the DSP kernels keep weight
// tiles of up to ~17 KB on the stack (docs/kernels.md), more than the
// 32 KB image has left, so that one runs the reference only;
// a model that does not fit fails at Init with kArenaTooSmall and a
// message naming both sizes; the stack is painted at start and its
// high-water mark must stay inside the stack the linker kept.
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "engine/engine.h"
#include "kernels/select.h"

#define TM2_EMBEDDED(sym)                  \
  extern const unsigned char small_##sym[]; \
  extern const size_t small_##sym##_size;
TM2_EMBEDDED(kws_dscnn)
TM2_EMBEDDED(kws_yes_features)
#if !TM2_KWS_FEATURES_ONLY
TM2_EMBEDDED(covid_cough)
TM2_EMBEDDED(sound_gate)
TM2_EMBEDDED(coswara_cough_16k)
TM2_EMBEDDED(speech_commands_yes_16k)
#endif

extern "C" char __tm2_heap_limit, __stack;  // mps2_an386.ld

alignas(16) static uint8_t g_arena[TM2_ARENA_BYTES];
static tm2::Engine g_engine;
constexpr uint8_t kPaint = 0xA5;

// Fills the free stack below this frame with kPaint.
__attribute__((noinline)) static void PaintStack() {
  volatile uint8_t here = 0;
  volatile uint8_t* p = reinterpret_cast<volatile uint8_t*>(&__tm2_heap_limit);
  volatile uint8_t* end = &here - 256;
  while (p < end) *p++ = kPaint;
}

// Bytes of stack ever written: from the top down to the lowest unpainted byte.
static unsigned long StackHighWater() {
  const volatile uint8_t* p = reinterpret_cast<const volatile uint8_t*>(&__tm2_heap_limit);
  while (p < reinterpret_cast<const volatile uint8_t*>(&__stack) && *p == kPaint) ++p;
  return static_cast<unsigned long>(reinterpret_cast<const char*>(&__stack) -
                                    reinterpret_cast<const volatile char*>(p));
}

struct Case {
  const char* name;
  const unsigned char* model;
  size_t model_size;
  const int16_t* pcm;      // 16 kHz mono, or null:
  size_t frames;
  const int8_t* features;  // given features (features_only)
  size_t feature_count;
  const char* expect;      // top label, or null
};

static int RunCase(const Case& c) {
  tm2::Model model;
  tm2::Status s = tm2::LoadModel(c.model, c.model_size, &model);
  if (!s.ok()) return std::printf("%s: load: %s\n", c.name, s.message()), 1;
  tm2::EngineOptions options;
  options.resampler_cache = false;
  options.features_only = c.features != nullptr;
  options.input_rate = c.pcm ? 16000 : 0;
  tm2::ArenaReport r;
  s = tm2::Engine::ArenaBytes(model, &r, options);
  if (!s.ok()) return std::printf("%s: plan: %s\n", c.name, s.message()), 1;
  // One byte short (ArenaBytes counts 16 bytes of slack for an unaligned
  // start; g_arena is aligned): Init must refuse, naming what it needs.
  s = g_engine.Init(model, g_arena, r.total - 17, options);
  if (s.code() != tm2::StatusCode::kArenaTooSmall || !std::strstr(s.message(), "too small"))
    return std::printf("%s: Init in %lu bytes did not fail cleanly\n", c.name,
                       static_cast<unsigned long>(r.total - 17)), 1;
  int8_t logits[2][32];
  const tm2::KernelTable* tables[2] = {&tm2::ReferenceKernels(), &tm2::SelectKernels()};
  const int num_tables = TM2_DSP_KERNELS ? 2 : 1;
  for (int t = 0; t < num_tables; ++t) {
    options.kernels = tables[t];
    s = g_engine.Init(model, g_arena, sizeof(g_arena), options);
    for (int b = 0; s.ok() && b < g_engine.num_branches(); ++b)
      s = c.pcm ? g_engine.SetInput(b, tm2::PcmView::S16(c.pcm, c.frames, 16000, 1))
                : g_engine.SetFeatures(b, c.features, c.feature_count);
    if (s.ok()) s = g_engine.Invoke();
    if (!s.ok()) return std::printf("%s (%s): %s\n", c.name, tables[t]->name, s.message()), 1;
    if (g_engine.num_classes() > 32) return std::printf("%s: too many classes\n", c.name), 1;
    std::memcpy(logits[t], g_engine.logits(), static_cast<size_t>(g_engine.num_classes()));
  }
  int top = 0;
  for (int i = 1; i < g_engine.num_classes(); ++i)
    if (g_engine.probabilities()[i] > g_engine.probabilities()[top]) top = i;
  const bool same = num_tables == 1 ||
                    std::memcmp(logits[0], logits[1], g_engine.num_classes()) == 0;
  const bool label_ok = !c.expect || std::strcmp(model.label(top), c.expect) == 0;
  std::printf("%s: arena %lu of %lu bytes (tables %lu, features %lu, plans %lu, shared %lu = "
              "max(scratch %lu, activations %lu)), top '%s' %.4f, %s vs ref: %s\n",
              c.name, static_cast<unsigned long>(r.total),
              static_cast<unsigned long>(sizeof(g_arena)),
              static_cast<unsigned long>(r.preprocess_tables),
              static_cast<unsigned long>(r.features), static_cast<unsigned long>(r.layer_plans),
              static_cast<unsigned long>(r.shared),
              static_cast<unsigned long>(r.preprocess_scratch),
              static_cast<unsigned long>(r.activations), model.label(top),
              static_cast<double>(g_engine.probabilities()[top]),
              tables[num_tables - 1]->name, same ? "same logits" : "MISMATCH");
  return same && label_ok ? 0 : 1;
}

int main() {
  PaintStack();
  int failures = 0;
  const int8_t* yes = reinterpret_cast<const int8_t*>(small_kws_yes_features);
  const Case kws_features = {"kws-dscnn (features given)", small_kws_dscnn, small_kws_dscnn_size,
                             nullptr, 0, yes, small_kws_yes_features_size, "yes"};
  failures += RunCase(kws_features);
#if TM2_KWS_FEATURES_ONLY
  // The whole pipeline does not fit this RAM: Init says so.
  {
    tm2::Model model;
    tm2::Status s = tm2::LoadModel(small_kws_dscnn, small_kws_dscnn_size, &model);
    tm2::EngineOptions options;
    options.resampler_cache = false;
    options.input_rate = 16000;
    if (s.ok()) s = g_engine.Init(model, g_arena, sizeof(g_arena), options);
    std::printf("kws-dscnn from PCM: %s\n", s.message());
    if (s.code() != tm2::StatusCode::kArenaTooSmall) ++failures;
  }
#else
  const int16_t* cough = reinterpret_cast<const int16_t*>(small_coswara_cough_16k + 44);
  const int16_t* word = reinterpret_cast<const int16_t*>(small_speech_commands_yes_16k + 44);
  const Case cases[] = {
      {"covid-cough", small_covid_cough, small_covid_cough_size, cough,
       (small_coswara_cough_16k_size - 44) / 2, nullptr, 0, nullptr},
      {"sound-gate", small_sound_gate, small_sound_gate_size, cough,
       (small_coswara_cough_16k_size - 44) / 2, nullptr, 0, nullptr},
      {"kws-dscnn", small_kws_dscnn, small_kws_dscnn_size, word,
       (small_speech_commands_yes_16k_size - 44) / 2, nullptr, 0, "yes"},
  };
  for (const Case& c : cases) failures += RunCase(c);
#endif
  const unsigned long stack = StackHighWater();
  const unsigned long kept =
      static_cast<unsigned long>(&__stack - &__tm2_heap_limit);
  std::printf("RAM %lu bytes: arena %lu, stack high water %lu of %lu\n",
              static_cast<unsigned long>(TM2_RAM_BYTES),
              static_cast<unsigned long>(sizeof(g_arena)), stack, kept);
  if (stack + 64 > kept) ++failures;  // came within 64 bytes of the heap
  std::printf("small RAM firmware: %d failures\n", failures);
  return failures;
}
