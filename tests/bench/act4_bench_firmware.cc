// Cortex-M4 instruction counts of the engine's Invoke (features given) on
// the packed int4 activation test models, with the cm4dsp table as it was
// (packed layers on the reference, act4_route.h) and as it is (packed
// layers band by band on the DSP kernels), and every output int8 for scale:
//   tests/bench/mcu_insn_count.sh build/mcu/tests/bench/act4_bench_firmware.elf
// Each Invoke is bracketed by tm2_insn_mark(); the reference table's run
// is not counted. main returns 1 unless all four give the same logits.
#include <cstdio>
#include <cstring>

#include "act4_route.h"
#include "common/embedded_files.h"
#include "engine/engine.h"

extern "C" __attribute__((noinline)) void tm2_insn_mark(void) { __asm__ volatile("" ::: "memory"); }

TM2_EMBEDDED_FILE(bench, a4_cough)
TM2_EMBEDDED_FILE(bench, a4_mixed_cough)

namespace {

alignas(16) uint8_t g_arena[40 * 1024];
int8_t g_features[96 * 32];

struct Result {
  int8_t logits[16];
  unsigned long arena, packed;
};

// One Invoke of `model` with table `k`; counted when `mark`.
bool RunOnce(const unsigned char* data, size_t size, const tm2::KernelTable& k, bool mark,
             Result* r, bool pack = true) {
  tm2::Model model;
  tm2::Status s = tm2::LoadModel(data, size, &model);
  tm2::EngineOptions o;
  o.kernels = &k;
  o.features_only = true;
  o.pack_int4_activations = pack;
  tm2::Engine engine;
  if (s.ok()) s = engine.Init(model, g_arena, sizeof(g_arena), o);
  const size_t n = s.ok() ? engine.input_shape(0).size() : 0;
  if (s.ok() && n > sizeof(g_features)) s = tm2::Status::Error(tm2::StatusCode::kInvalidArgument, "features larger than the bench buffer");
  if (s.ok()) s = engine.SetFeatures(0, g_features, n);
  if (mark) tm2_insn_mark();
  if (s.ok()) s = engine.Invoke();
  if (mark) tm2_insn_mark();
  if (!s.ok()) {
    std::printf("act4 bench: %s\n", s.message());
    return false;
  }
  std::memset(r->logits, 0, sizeof(r->logits));
  std::memcpy(r->logits, engine.logits(), engine.num_classes() < 16 ? engine.num_classes() : 16);
  r->arena = static_cast<unsigned long>(engine.arena_report().total);
  r->packed = static_cast<unsigned long>(engine.arena_report().packed_outputs);
  return true;
}

}  // namespace

int main() {
  uint32_t x = 12345;
  for (auto& v : g_features) {
    x = x * 1664525u + 1013904223u;
    v = static_cast<int8_t>(x >> 24);
  }
  const struct {
    const char* name;
    const unsigned char* data;
    size_t size;
  } models[2] = {{"a4-cough", bench_a4_cough, bench_a4_cough_size},
                 {"a4-mixed-cough", bench_a4_mixed_cough, bench_a4_mixed_cough_size}};
  bool ok = true;
  int region = 0;
  for (const auto& m : models) {
    Result ref, before, now, int8;
    ok = RunOnce(m.data, m.size, tm2::ReferenceKernels(), false, &ref) &&
         RunOnce(m.data, m.size, tm2::bench::ReferenceRouteTable(), true, &before) &&
         RunOnce(m.data, m.size, tm2::SelectKernels(), true, &now) &&
         RunOnce(m.data, m.size, tm2::SelectKernels(), true, &int8, false) && ok;
    if (!ok) break;
    // Labels for mcu_insn_count.sh, in region order.
    std::printf("region %d: %s | %s | Invoke, packed layers on the reference (%lu outputs packed, arena %lu bytes)\n",
                region++, m.name, tm2::SelectKernels().name, before.packed, before.arena);
    std::printf("region %d: %s | %s | Invoke, packed layers on the table (%lu outputs packed, arena %lu bytes)\n",
                region++, m.name, tm2::SelectKernels().name, now.packed, now.arena);
    std::printf("region %d: %s | %s | Invoke, every output int8 (arena %lu bytes)\n", region++,
                m.name, tm2::SelectKernels().name, int8.arena);
    const bool same = std::memcmp(ref.logits, before.logits, 16) == 0 &&
                      std::memcmp(ref.logits, now.logits, 16) == 0 &&
                      std::memcmp(ref.logits, int8.logits, 16) == 0;
    if (!same) std::printf("act4 bench: %s logits differ between tables\n", m.name);
    ok = ok && same;
  }
  std::printf("act4 bench firmware: %s\n", ok ? "same logits" : "FAILED");
  return ok ? 0 : 1;
}
