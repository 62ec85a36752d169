// Packed int4 activations, whole model: the engine's Invoke (features
// given) on models with 4-bit outputs, run with three kernel tables: the
// reference, the selected table with packed layers routed to the reference
// (act4_route.h: how it was before), and the selected table (packed layers
// band by band on its int8 kernels, kernels/act4/act4_bands.h); and, for
// scale, the selected table with every output int8 (no packing). Prints
// this thread's CPU microseconds per Invoke (median of alternating rounds),
// and fails unless all four give the same logits.
//
//   act4_bench [--smoke] [--rounds N] tests/fixtures/models/a4_cough.tm2 ...
//   node --no-experimental-fetch act4_bench.js [same]   (wasm; host paths)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "act4_route.h"
#include "engine/engine.h"
#include "format/model.h"

namespace {

// This thread's CPU time; WASM has no thread CPU clock (node's clock() is
// coarse), so there the monotonic clock, wall time.
double ThreadMicros() {
  timespec ts;
#if defined(__EMSCRIPTEN__)
  if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
#else
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
#endif
    return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
  return static_cast<double>(clock()) * 1e6 / CLOCKS_PER_SEC;
}

struct Run {
  const tm2::KernelTable* table;
  const char* label;
  bool pack;
  tm2::Engine engine;
  std::vector<uint8_t> arena;
  std::vector<double> micros;
};

int Bench(const char* path, bool smoke, int rounds) {
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  tm2::Model model;
  tm2::Status s = tm2::LoadModel(bytes.data(), bytes.size(), &model);
  if (bytes.empty() || !s.ok()) return std::fprintf(stderr, "%s: %s\n", path, bytes.empty() ? "cannot read" : s.message()), 1;
  Run runs[4] = {{&tm2::ReferenceKernels(), "reference", true, {}, {}, {}},
                 {&tm2::bench::ReferenceRouteTable(), "packed layers on the reference", true, {}, {}, {}},
                 {&tm2::SelectKernels(), "packed layers on the table", true, {}, {}, {}},
                 {&tm2::SelectKernels(), "table, every output int8", false, {}, {}, {}}};
  std::vector<int8_t> logits[4];
  for (int i = 0; i < 4; ++i) {
    tm2::EngineOptions o;
    o.kernels = runs[i].table;
    o.pack_int4_activations = runs[i].pack;
    o.features_only = true;
    runs[i].arena.resize(1 << 20);
    s = runs[i].engine.Init(model, runs[i].arena.data(), runs[i].arena.size(), o);
    std::vector<int8_t> features(s.ok() ? runs[i].engine.input_shape(0).size() : 0);
    uint32_t x = 12345;
    for (auto& v : features) {
      x = x * 1664525u + 1013904223u;
      v = static_cast<int8_t>(x >> 24);
    }
    if (s.ok()) s = runs[i].engine.SetFeatures(0, features.data(), features.size());
    if (s.ok()) s = runs[i].engine.Invoke();
    if (!s.ok()) return std::fprintf(stderr, "%s: %s\n", path, s.message()), 1;
    logits[i].assign(runs[i].engine.logits(), runs[i].engine.logits() + runs[i].engine.num_classes());
  }
  const bool same = logits[0] == logits[1] && logits[0] == logits[2] && logits[0] == logits[3];
  std::printf("%s: table %s, %lu of the outputs packed, arena %lu bytes (all int8: %lu), logits %s\n",
              path, tm2::SelectKernels().name,
              static_cast<unsigned long>(runs[2].engine.arena_report().packed_outputs),
              static_cast<unsigned long>(runs[2].engine.arena_report().total),
              static_cast<unsigned long>(runs[3].engine.arena_report().total),
              same ? "identical" : "DIFFER");
  if (!same) return 1;
  if (smoke) return 0;
  for (int r = 0; r < rounds; ++r) {
    for (auto& run : runs) {
      const double t0 = ThreadMicros();
      for (int k = 0; k < 4; ++k) run.engine.Invoke();
      run.micros.push_back((ThreadMicros() - t0) / 4);
    }
  }
  double base = 0;
  for (int i = 0; i < 4; ++i) {
    std::sort(runs[i].micros.begin(), runs[i].micros.end());
    const double med = runs[i].micros[runs[i].micros.size() / 2];
    if (i == 1) base = med;
    char speedup[32] = "";
    if (i == 2) std::snprintf(speedup, sizeof(speedup), " (%.1fx)", base / med);
    std::printf("  %-32s %9.1f us per Invoke%s\n", runs[i].label, med, speedup);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool smoke = false;
  int rounds = 31, status = 0, models = 0;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--smoke")) {
      smoke = true;
    } else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      status |= Bench(argv[i], smoke, rounds);
      ++models;
    }
  }
  if (models == 0) return std::fprintf(stderr, "usage: act4_bench [--smoke] [--rounds N] MODEL.tm2 ...\n"), 2;
  return status;
}
