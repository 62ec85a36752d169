// The shipped models on a Cortex-M4 with little RAM (issue 10, point 5):
// this image links with its RAM region cut to TM2_RAM_SIZE (64 KB: all
// three models from 16 kHz PCM; 32 KB: KWS from 16 kHz PCM and with its
// features given, as TFLM's arena is measured), so .data, .bss, heap and
// stack all fit in it or the link fails. Each model runs in one static
// arena of TM2_ARENA_BYTES with the reference and (TM2_DSP_KERNELS) the
// DSP kernels, which must give the same logits; the DSP kernels keep
// weight tiles of up to ~17 KB on the stack (docs/kernels.md), more than
// the 32 KB image has left beside the arena, so that one runs the
// reference kernels only, and checks KWS from PCM against KWS from its
// features given (the same logits). A model that does not fit fails at Init with
// kArenaTooSmall and a message naming both sizes (each model in one byte
// too few; the 32 KB image also KWS fed 48 kHz PCM, whose resampler does
// not fit); the stack is painted at start and its high-water mark must
// stay inside the stack the linker kept. Every SetInput and Invoke is
// bracketed by tm2_insn_mark() for tests/bench/mcu_insn_count.sh.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>


#include "common/embedded_files.h"
#include "engine/engine.h"
#include "kernels/select.h"

TM2_EMBEDDED_FILE(small, kws_dscnn)
TM2_EMBEDDED_FILE(small, kws_yes_features)
TM2_EMBEDDED_FILE(small, speech_commands_yes_16k)
#if !TM2_SMALL_RAM_32K
TM2_EMBEDDED_FILE(small, covid_cough)
TM2_EMBEDDED_FILE(small, sound_gate)
TM2_EMBEDDED_FILE(small, coswara_cough_16k)
#endif

extern "C" char __tm2_heap_limit, __stack, __data_start__, end;  // mps2_an386.ld
extern "C" void* sbrk(int increment);  // newlib: the heap's end

// Marks for the instruction counter (tests/bench/qemu_insn_count.c).
extern "C" __attribute__((noinline)) void tm2_insn_mark(void) { __asm__ volatile("" ::: "memory"); }
static int g_region = 0;
static int8_t g_last_logits[32];  // the last case's, for cross-checks

alignas(16) static uint8_t g_arena[TM2_ARENA_BYTES];
static tm2::Engine g_engine;
constexpr uint8_t kPaint = 0xA5;

// Fills the free RAM below this frame, from the heap's end, with kPaint:
// from the heap's end rather than the kept stack's bottom, so that a stack
// that overran into the heap's room shows in the high water (a frame's
// untouched array could straddle the limit and hide the frames below it).
__attribute__((noinline)) static void PaintStack() {
  volatile uint8_t here = 0;
  volatile uint8_t* p = static_cast<volatile uint8_t*>(sbrk(0));
  // 256 bytes below this frame's local: an address, never dereferenced
  // (through an integer, so the compiler does not read it as an index).
  volatile uint8_t* end =
      reinterpret_cast<volatile uint8_t*>(reinterpret_cast<uintptr_t>(&here) - 256);
  while (p < end) *p++ = kPaint;
}

// Bytes of stack ever written: from the top down to the lowest unpainted byte.
static unsigned long StackHighWater() {
  const volatile uint8_t* p = static_cast<const volatile uint8_t*>(sbrk(0));
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
  // The figure from Init itself: ArenaBytes plans a second Engine on the
  // stack (1 KB more than Init's 5.1 KB), more than the 32 KB image keeps.
  s = g_engine.Init(model, g_arena, sizeof(g_arena), options);
  if (!s.ok()) return std::printf("%s: Init: %s\n", c.name, s.message()), 1;
  const tm2::ArenaReport r = g_engine.arena_report();
  // One byte short (the total counts 16 bytes of slack for an unaligned
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
    tm2_insn_mark();
    for (int b = 0; s.ok() && b < g_engine.num_branches(); ++b)
      s = c.pcm ? g_engine.SetInput(b, tm2::PcmView::S16(c.pcm, c.frames, 16000, 1))
                : g_engine.SetFeatures(b, c.features, c.feature_count);
    tm2_insn_mark();
    std::printf("region %d: %s | %s | %s\n", g_region++, c.name, tables[t]->name,
                c.pcm ? "SetInput" : "SetFeatures");
    tm2_insn_mark();
    if (s.ok()) s = g_engine.Invoke();
    tm2_insn_mark();
    std::printf("region %d: %s | %s | Invoke\n", g_region++, c.name, tables[t]->name);
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
  std::memcpy(g_last_logits, logits[0], static_cast<size_t>(g_engine.num_classes()));
  std::printf("%s: arena %lu of %lu bytes (tables %lu, features %lu, plans %lu, shared %lu = "
              "max(scratch %lu, activations %lu)), top '%s' 0.%04d, %s\n",
              c.name, static_cast<unsigned long>(r.total),
              static_cast<unsigned long>(sizeof(g_arena)),
              static_cast<unsigned long>(r.preprocess_tables),
              static_cast<unsigned long>(r.features), static_cast<unsigned long>(r.layer_plans),
              static_cast<unsigned long>(r.shared),
              static_cast<unsigned long>(r.preprocess_scratch),
              static_cast<unsigned long>(r.activations), model.label(top),
              static_cast<int>(g_engine.probabilities()[top] * 10000.0f + 0.5f),
              num_tables == 1 ? "reference kernels"
              : same          ? "cm4dsp: same logits as the reference"
                              : "cm4dsp: MISMATCH with the reference");
  return same && label_ok ? 0 : 1;
}

int main() {
  // Unbuffered: no 1 KB stdout buffer on the heap (printf's own buffer then
  // sits on the stack, in frames shallower than Init's).
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  PaintStack();
  int failures = 0;
  const int8_t* yes = reinterpret_cast<const int8_t*>(small_kws_yes_features);
  const Case kws_features = {"kws-dscnn (features given)", small_kws_dscnn, small_kws_dscnn_size,
                             nullptr, 0, yes, small_kws_yes_features_size, "yes"};
  failures += RunCase(kws_features);
  const int16_t* word = reinterpret_cast<const int16_t*>(small_speech_commands_yes_16k + 44);
  const size_t word_frames = (small_speech_commands_yes_16k_size - 44) / 2;
#if TM2_SMALL_RAM_32K
  const Case kws_pcm = {"kws-dscnn", small_kws_dscnn, small_kws_dscnn_size, word, word_frames,
                        nullptr, 0, "yes"};
  // The whole pipeline must give what the features given give (the
  // fixture is SetInput's output: arena_options_test).
  int8_t given[32];
  std::memcpy(given, g_last_logits, sizeof(given));
  failures += RunCase(kws_pcm);
  const bool same_as_given = std::memcmp(given, g_last_logits, 12) == 0;
  std::printf("kws-dscnn from PCM vs features given: %s\n",
              same_as_given ? "same logits" : "MISMATCH");
  if (!same_as_given) ++failures;
  // A real case that does not fit: the same model fed by a 48 kHz
  // microphone needs the resampler's weights and input samples too.
  {
    tm2::Model model;
    tm2::Status s = tm2::LoadModel(small_kws_dscnn, small_kws_dscnn_size, &model);
    tm2::EngineOptions options;
    options.resampler_cache = false;
    options.input_rate = 48000;
    if (s.ok()) s = g_engine.Init(model, g_arena, sizeof(g_arena), options);
    std::printf("kws-dscnn from 48 kHz PCM: %s\n", s.message());
    const char* needs = std::strstr(s.message(), "needs ");
    if (s.code() != tm2::StatusCode::kArenaTooSmall || !needs ||
        std::strtoul(needs + 6, nullptr, 10) <= sizeof(g_arena))
      ++failures;
  }
#else
  const int16_t* cough = reinterpret_cast<const int16_t*>(small_coswara_cough_16k + 44);
  const Case cases[] = {
      {"covid-cough", small_covid_cough, small_covid_cough_size, cough,
       (small_coswara_cough_16k_size - 44) / 2, nullptr, 0, nullptr},
      {"sound-gate", small_sound_gate, small_sound_gate_size, cough,
       (small_coswara_cough_16k_size - 44) / 2, nullptr, 0, nullptr},
      {"kws-dscnn", small_kws_dscnn, small_kws_dscnn_size, word, word_frames, nullptr, 0, "yes"},
  };
  for (const Case& c : cases) failures += RunCase(c);
#endif
  const unsigned long stack = StackHighWater();
  const unsigned long kept = static_cast<unsigned long>(&__stack - &__tm2_heap_limit);
  const unsigned long statics = static_cast<unsigned long>(&end - &__data_start__);
  const unsigned long heap =
      static_cast<unsigned long>(static_cast<char*>(sbrk(0)) - &end);
  std::printf("RAM %lu bytes: .data + .bss %lu (arena %lu, other statics %lu), heap used %lu, "
              "stack high water %lu of %lu kept, %lu never touched\n",
              static_cast<unsigned long>(TM2_RAM_BYTES), statics,
              static_cast<unsigned long>(sizeof(g_arena)),
              statics - static_cast<unsigned long>(sizeof(g_arena)), heap, stack, kept,
              static_cast<unsigned long>(TM2_RAM_BYTES) - statics - heap - stack);
  if (stack + 64 > kept) ++failures;  // came within 64 bytes of the heap
  std::printf("small RAM firmware: %d failures\n", failures);
  return failures;
}
