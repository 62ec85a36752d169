// Instructions per inference and per hop of the streaming front end, for
// counting under qemu-aarch64 (the Pi 4's figures, as the Cortex-M4's are
// counted under qemu-system-arm):
//   tests/bench/aarch64_insn_count.sh build/pi/tests/bench/stream_insn_bench
//       models/sound-gate.tm2 models/kws-dscnn.tm2 models/covid-cough.tm2
//       tests/fixtures/audio/coswara_cough_16k.wav    (one command line)
// For each model, one region (between two tm2_insn_mark calls) streams the
// 16 kHz clip through StreamPreprocessor at the model's default hop (all
// its windows' features), and one runs Invoke once on the last window.
// Per hop = preprocessing / windows + one Invoke. As a CTest test it
// checks that each model gets the windows the clip's length implies.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "engine/engine.h"
#include "preprocess/stream.h"

extern "C" __attribute__((noinline)) void tm2_insn_mark(void) { __asm__ volatile("" ::: "memory"); }

static std::vector<unsigned char> Read(const char* path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(f), {});
}

int main(int argc, char** argv) {
  if (argc < 3) return std::fprintf(stderr, "usage: %s MODEL.tm2... CLIP_16K_MONO.wav\n", argv[0]), 2;
  const std::vector<unsigned char> wav = Read(argv[argc - 1]);
  if (wav.size() < 46) return std::fprintf(stderr, "%s: not a WAV file\n", argv[argc - 1]), 1;
  const int16_t* pcm = reinterpret_cast<const int16_t*>(wav.data() + 44);  // canonical fixture header
  const size_t frames = (wav.size() - 44) / 2;
  int region = 0;
  for (int m = 1; m < argc - 1; ++m) {
    const std::vector<unsigned char> bytes = Read(argv[m]);
    tm2::Model model;
    tm2::Status s = tm2::LoadModel(bytes.data(), bytes.size(), &model);
    if (!s.ok()) return std::fprintf(stderr, "%s: %s\n", argv[m], s.message()), 1;
    tm2::StreamOptions o;  // 16 kHz mono, default hop (half a window)
    std::vector<uint8_t> ws(tm2::StreamPreprocessor::WorkspaceBytes(model.preprocess(0), o));
    tm2::StreamPreprocessor stream;
    s = stream.Prepare(model.preprocess(0), o, ws.data(), ws.size());
    tm2::EngineOptions eo;
    eo.features_only = true;
    size_t arena_bytes = 0;
    if (s.ok()) s = tm2::Engine::ArenaBytes(model, &arena_bytes, eo);
    std::vector<uint8_t> arena(arena_bytes);
    tm2::Engine engine;
    if (s.ok()) s = engine.Init(model, arena.data(), arena.size(), eo);
    if (!s.ok()) return std::fprintf(stderr, "%s: %s\n", argv[m], s.message()), 1;
    std::vector<int8_t> window(static_cast<size_t>(stream.num_frames()) * stream.num_features());
    int windows = 0;
    size_t done = 0;
    tm2_insn_mark();
    while (done < frames && s.ok()) {
      size_t used = 0;
      s = stream.Push(tm2::PcmView::S16(pcm + done, frames - done, 16000, 1), &used);
      done += used;
      if (s.ok() && stream.window_ready()) {
        s = stream.ReadWindow(window.data(), nullptr, nullptr);
        ++windows;
      }
    }
    tm2_insn_mark();
    if (s.ok()) s = engine.SetFeatures(0, window.data(), window.size());
    tm2_insn_mark();
    if (s.ok()) s = engine.Invoke();
    tm2_insn_mark();
    if (!s.ok()) return std::fprintf(stderr, "%s: %s\n", argv[m], s.message()), 1;
    const int64_t expect =
        frames < static_cast<size_t>(stream.window_samples())
            ? 0 : (static_cast<int64_t>(frames) - stream.window_samples()) / stream.hop_samples() + 1;
    std::printf("region %d: %s | preprocessing of %d windows (hop %.3f s, %.2f s of audio)\n", region++,
                model.name(), windows, stream.hop_samples() / 16000.0, frames / 16000.0);
    std::printf("region %d: %s | one Invoke\n", region++, model.name());
    if (windows != expect)
      return std::fprintf(stderr, "%s: %d windows, expected %ld\n", argv[m], windows, static_cast<long>(expect)), 1;
  }
  return 0;
}
