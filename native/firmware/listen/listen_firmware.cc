// Continuous listening on a Cortex-M4F: a microphone (mic.h: a DMA-style
// double buffer) feeds the streaming front end, which runs a model every
// hop and prints what it hears. Two images from this file:
//   listen_gate_firmware  the sound-type gate through tm2::Listener: sound
//                         events (onset, offset, type, confidence);
//   listen_kws_firmware   keyword spotting through tm2::StreamRunner in a
//                         small RAM region: the keywords it hears.
// Both report the instructions each hop costs, the duty cycle that means at
// 64 and 120 MHz, and their memory: flash (code, model) and RAM (arena,
// audio buffers, statics, stack high-water mark by painting). Under QEMU
// the microphone is a list of WAV files (semihosting arguments) played at
// the stream's pace; listen_firmware_test.sh runs it and checks it against
// the ELF.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "engine/engine.h"
#include "kernels/select.h"
#include "mic.h"
#include "stream/listener.h"
#include "stream/stream_runner.h"

extern const unsigned char listen_model[];     // the .tm2 in flash (EmbedFile.cmake)
extern const size_t listen_model_size;
extern "C" char __tm2_heap_limit, __stack, end;                   // mps2_an386.ld
extern "C" char __data_start__, __data_end__, __data_load__;      // mps2_an386.ld
extern "C" char __bss_start__, __bss_end__;
extern "C" void* sbrk(ptrdiff_t increment);  // newlib (librdimon)

namespace {

constexpr uint32_t kRate = 16000;
constexpr uint32_t kHalfFrames = TM2_HALF_FRAMES;
alignas(4) int16_t g_mic_dma[2 * kHalfFrames];
alignas(16) uint8_t g_listen_arena[TM2_ARENA_BYTES];
constexpr uint8_t kPaint = 0xA5;

// Fills the free RAM between the heap's end and this frame with kPaint:
// from the heap's end, not from the kept stack's bottom
// (__tm2_heap_limit), so a frame that reaches below the kept stack is
// still seen (painting from the limit under-reports when a large, partly
// untouched frame straddles it and deeper frames write below it).
// At most kPaintBelow bytes below the kept stack, though (the gate's image
// has 4 MB of free RAM): a frame deeper than that reads as the whole
// painted range used, which fails the check below.
constexpr ptrdiff_t kPaintBelow = 16384;

uint8_t* PaintStart() {
  uint8_t* heap_end = static_cast<uint8_t*>(sbrk(0));
  uint8_t* floor = reinterpret_cast<uint8_t*>(&__tm2_heap_limit) - kPaintBelow;
  return heap_end > floor ? heap_end : floor;
}

__attribute__((noinline)) void PaintStack() {
  volatile uint8_t* p = PaintStart();
  volatile uint8_t* stop = static_cast<uint8_t*>(__builtin_frame_address(0)) - 256;
  while (p < stop) *p++ = kPaint;
}

// Bytes of stack ever written: from the top down to the lowest unpainted
// byte above the paint's start now (the heap may have grown into the
// paint since; what it holds is heap, not stack).
unsigned long StackHighWater() {
  const volatile uint8_t* p = PaintStart();
  while (p < reinterpret_cast<const volatile uint8_t*>(&__stack) && *p == kPaint) ++p;
  return static_cast<unsigned long>(&__stack - reinterpret_cast<const volatile char*>(p));
}

unsigned long Bytes(const char* a, const char* b) { return static_cast<unsigned long>(b - a); }
double Seconds(int64_t frames) { return static_cast<double>(frames) / kRate; }

#if TM2_LISTEN_KWS
// Keyword spotting: one model, a window every hop; a keyword is reported
// when it tops a window at >= 0.8, once per second at most.
tm2::StreamRunner g_runner;
const char* g_last_word = nullptr;
int64_t g_last_at = -kRate;

tm2::Status Setup(const tm2::Model& model, const tm2::EngineOptions& engine, size_t* need) {
  tm2::StreamOptions o;
  o.hop_frames = TM2_HOP_FRAMES;
  TM2_RETURN_IF_ERROR(tm2::StreamRunner::ArenaBytes(model, o, need, engine));
  return g_runner.Init(model, o, g_listen_arena, sizeof(g_listen_arena), engine);
}
const tm2::StreamRunner& Runner() { return g_runner; }
int64_t HopFrames() { return g_runner.stream().hop_samples(); }
tm2::Status Push(const tm2::Model& model, const int16_t* pcm, size_t n, int* found, int64_t* windows) {
  size_t done = 0;
  while (done < n) {
    size_t used = 0;
    TM2_RETURN_IF_ERROR(g_runner.Push(tm2::PcmView::S16(pcm + done, n - done, kRate, 1), &used));
    done += used;
    if (!g_runner.result_ready()) continue;
    ++*windows;
    const int top = g_runner.top_class();
    const float p = g_runner.probabilities()[top];
    const char* word = model.label(top);
    const int64_t at = g_runner.window().first_sample;
    if (top < 2 || p < 0.8f || (word == g_last_word && at - g_last_at < kRate)) continue;
    std::printf("{\"keyword\": \"%s\", \"time\": %.3f, \"probability\": %.4f}\n", word,
                Seconds(at), static_cast<double>(p));
    g_last_word = word, g_last_at = at, ++*found;
  }
  return tm2::Status::Ok();
}
tm2::Status Finish(const tm2::Model&, int*) { return tm2::Status::Ok(); }
#else
// The sound gate over the stream: events as tinym2 listen prints them.
tm2::Listener g_listener;
tm2::ListenerOptions g_options;

tm2::Status Setup(const tm2::Model& model, const tm2::EngineOptions& engine, size_t* need) {
  g_options.engine = engine;
  g_options.gate_hop_frames = TM2_HOP_FRAMES;
  // No room for a window of history (40,960 B of RAM): a gate that tiles
  // short input (pad Tile) has its tail skipped at Finish, not classified.
  g_options.tile_history = false;
  TM2_RETURN_IF_ERROR(tm2::Listener::ArenaBytes(model, nullptr, g_options, need));
  return g_listener.Init(model, nullptr, g_options, g_listen_arena, sizeof(g_listen_arena));
}
const tm2::StreamRunner& Runner() { return g_listener.gate(); }
int64_t HopFrames() { return g_listener.gate().stream().hop_samples(); }
void PrintEvents(const tm2::Model& model, int* found) {
  for (int i = 0; i < g_listener.num_events(); ++i) {
    const tm2::SoundEvent& e = g_listener.event(i);
    std::printf("{\"type\": \"%s\", \"time\": %.3f, \"duration\": %.3f, \"confidence\": %.4f}\n",
                model.label(e.label), Seconds(e.onset), Seconds(e.offset - e.onset),
                static_cast<double>(e.confidence));
    ++*found;
  }
}
tm2::Status Push(const tm2::Model& model, const int16_t* pcm, size_t n, int* found, int64_t* windows) {
  const int64_t before = g_listener.gate_windows();
  size_t done = 0;
  while (done < n) {
    size_t used = 0;
    TM2_RETURN_IF_ERROR(g_listener.Push(tm2::PcmView::S16(pcm + done, n - done, kRate, 1), &used));
    done += used;
    PrintEvents(model, found);
  }
  *windows += g_listener.gate_windows() - before;
  return tm2::Status::Ok();
}
tm2::Status Finish(const tm2::Model& model, int* found) {
  TM2_RETURN_IF_ERROR(g_listener.Finish());
  PrintEvents(model, found);
  return tm2::Status::Ok();
}
#endif

}  // namespace

int main(int argc, char** argv) {
  PaintStack();
  if (argc < 2) return std::printf("usage: %s AUDIO.wav... (semihosting arguments)\n", argv[0]), 2;
  tm2::Model model;
  tm2::Status s = tm2::LoadModel(listen_model, listen_model_size, &model);
  if (!s.ok()) return std::printf("load: %s\n", s.message()), 1;
  tm2::EngineOptions engine;
  engine.kernels = &tm2::SelectKernels();
  size_t need = 0;
  s = Setup(model, engine, &need);
  if (!s.ok()) return std::printf("init: %s\n", s.message()), 1;
  const unsigned long init_stack = StackHighWater();

  MicConfig mic;
  mic.rate = kRate;
  mic.half_frames = kHalfFrames;
  mic.core_hz = TM2_PACE_HZ;
  mic.files = argv + 1;
  mic.num_files = argc - 1;
  std::printf("listening: model %s, %s kernels, hop %.3f s, DMA halves of %lu samples, paced at %lu MHz\n",
              model.name(), engine.kernels->name, Seconds(HopFrames()),
              static_cast<unsigned long>(kHalfFrames), static_cast<unsigned long>(TM2_PACE_HZ / 1000000));
  if (!MicStart(mic, g_mic_dma)) return 1;

  uint64_t busy = 0, worst_half = 0, plain = 0, with_model = 0;  // halves without / with a window
  uint32_t num_plain = 0, num_with_model = 0;
  int64_t frames = 0, windows = 0;
  int found = 0;
  while (const int16_t* half = MicWaitHalf()) {
    const uint64_t t0 = MicInstructions();
    const int64_t windows_before = windows;
    s = Push(model, half, kHalfFrames, &found, &windows);
    const uint64_t spent = MicInstructions() - t0;
    MicReleaseHalf();
    if (!s.ok()) return std::printf("push: %s\n", s.message()), 1;
    busy += spent;
    if (spent > worst_half) worst_half = spent;
    if (windows == windows_before) plain += spent, ++num_plain;
    else with_model += spent, ++num_with_model;
    frames += kHalfFrames;
  }
  if (MicError()[0]) return std::printf("%s\n", MicError()), 1;
  s = Finish(model, &found);
  if (!s.ok()) return std::printf("finish: %s\n", s.message()), 1;
  // What a device reserves: the deepest stack of loading, Init and
  // listening, read before the report below (whose printf and planning
  // calls only this example makes) can go deeper.
  const unsigned long stack = StackHighWater();
  const MicStats stats = MicGetStats();
  const double hops = static_cast<double>(frames) / HopFrames();
  const double per_hop = static_cast<double>(busy) / hops;
  const double hop_s = Seconds(HopFrames());
  std::printf("audio %.3f s in %lu halves, %ld windows, %d events, %lu overruns\n", Seconds(frames),
              static_cast<unsigned long>(stats.halves), static_cast<long>(windows), found,
              static_cast<unsigned long>(stats.overruns));
  std::printf("instructions per hop %.0f (busy %llu over %.1f hops; worst half %llu)\n", per_hop,
              static_cast<unsigned long long>(busy), hops, static_cast<unsigned long long>(worst_half));
  std::printf("mean instructions per half: %.0f without a window (preprocessing), %.0f with one\n",
              num_plain ? static_cast<double>(plain) / num_plain : 0.0,
              num_with_model ? static_cast<double>(with_model) / num_with_model : 0.0);
  std::printf("duty cycle at 64 MHz %.2f %%, at 120 MHz %.2f %% (one instruction per cycle)\n",
              100.0 * per_hop / (64e6 * hop_s), 100.0 * per_hop / (120e6 * hop_s));
  const unsigned long flash = Bytes(nullptr, &__data_load__) + Bytes(&__data_start__, &__data_end__);
  std::printf("flash %lu bytes: model %lu, code and constants %lu\n", flash,
              static_cast<unsigned long>(listen_model_size),
              flash - static_cast<unsigned long>(listen_model_size));
  const unsigned long heap = Bytes(&end, static_cast<char*>(sbrk(0)));
  const unsigned long statics = Bytes(&__data_start__, &__data_end__) + Bytes(&__bss_start__, &__bss_end__);
  std::printf("ram %lu bytes: statics %lu (arena %lu of %lu used, audio buffers %lu, other %lu), "
              "heap %lu, stack high water %lu of %lu (%lu after Init)\n",
              statics + heap + stack, statics, static_cast<unsigned long>(need),
              static_cast<unsigned long>(sizeof(g_listen_arena)), static_cast<unsigned long>(sizeof(g_mic_dma)),
              statics - static_cast<unsigned long>(sizeof(g_listen_arena) + sizeof(g_mic_dma)), heap, stack,
              Bytes(&__tm2_heap_limit, &__stack), init_stack);
  // Where the arena goes: the stream's state (tables, int8 feature ring,
  // sample history), one window of int8 features, the engine's kept part
  // (plans, input, outputs), and one region used in turn by the stream's
  // per-frame scratch and the engine's activations.
  tm2::StreamOptions so;
  so.hop_frames = static_cast<uint16_t>(Runner().stream().hop_frames());
  so.tile_history = false;  // as Setup (the listener's options)
  const tm2::PreprocessParams pp = model.preprocess(0);
  const size_t stream_state = tm2::StreamPreprocessor::StateBytes(pp, so);
  const size_t stream_scratch = tm2::StreamPreprocessor::ScratchBytes(pp, so);
  tm2::EngineOptions fo = engine;
  fo.features_only = true;
  tm2::ArenaReport er;
  s = tm2::Engine::ArenaBytes(model, &er, fo);
  if (!s.ok()) return std::printf("plan: %s\n", s.message()), 1;
  // The stream carves the batch pipeline's tables (window, FFT, mel, DCT)
  // at the model's rate: the engine's report of them at that input rate.
  tm2::EngineOptions to = engine;
  to.input_rate = kRate;
  to.resampler_cache = false;
  tm2::ArenaReport tables;
  s = tm2::Engine::ArenaBytes(model, &tables, to);
  if (!s.ok()) return std::printf("plan: %s\n", s.message()), 1;
  std::printf("arena parts: stream state %lu (model-specific preprocessing tables %lu, built in RAM "
              "at Init; the FFT and resampler constants are in flash), window %lu, engine kept %lu, "
              "shared %lu (stream scratch %lu, then activations %lu)\n",
              static_cast<unsigned long>(stream_state), static_cast<unsigned long>(tables.preprocess_tables),
              static_cast<unsigned long>(Runner().stream().num_frames() * Runner().stream().num_features()),
              static_cast<unsigned long>(er.total - er.shared),
              static_cast<unsigned long>(stream_scratch > er.shared ? stream_scratch : er.shared),
              static_cast<unsigned long>(stream_scratch), static_cast<unsigned long>(er.shared));
  if (stack + 64 > Bytes(&__tm2_heap_limit, &__stack))
    return std::printf("stack: high water %lu is within 64 bytes of the %lu kept\n", stack,
                       Bytes(&__tm2_heap_limit, &__stack)), 1;
  return found > 0 ? 0 : 3;  // overruns are judged by listen_firmware_test.sh
}
