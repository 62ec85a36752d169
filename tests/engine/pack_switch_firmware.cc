// YONO's comparison on the Cortex-M4 (issue 11): the shipped-model pack sits
// in flash and the firmware alternates between two of its models (the sound
// gate and the cough screen, as the page does), against loading the same
// model as a standalone .tm2 from simulated external storage (a semihosting
// file read into RAM, then verify and plan), and one inference of the
// smallest model. Each measured step is bracketed by tm2_insn_mark();
// tests/engine/pack_switch_insn.sh counts the instructions under QEMU and
// checks the targets; as a plain CTest run it checks the outputs: both
// switch modes and a fresh engine give the same logits.
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/embedded_files.h"
#include "engine/engine.h"
#include "engine/pack_runner.h"
#include "format/pack.h"
#include "kernels/select.h"

extern "C" __attribute__((noinline)) void tm2_insn_mark(void) { __asm__ volatile("" ::: "memory"); }

TM2_EMBEDDED_FILE(pack, shipped)  // tests/fixtures/models/shipped.pack.tm2

namespace {

alignas(16) uint8_t g_arena[512 * 1024];
alignas(16) uint8_t g_standalone_arena[192 * 1024];
alignas(16) uint8_t g_storage_buffer[64 * 1024];  // the standalone file, read into RAM
int16_t g_pcm[8000];                             // 1 s at the cough model's 8 kHz

int Fail(const char* what, const tm2::Status& s) {
  std::printf("pack switch firmware: %s: %s\n", what, s.message());
  return 1;
}

// Deterministic noise-like PCM (integer LCG: the same on every run).
void FillPcm() {
  uint32_t x = 12345u;
  for (int16_t& v : g_pcm) {
    x = x * 1664525u + 1013904223u;
    v = static_cast<int16_t>(static_cast<int32_t>(x >> 16) - 32768) / 4;
  }
}

bool Classify(tm2::Engine& e, int8_t* logits) {
  const tm2::PcmView pcm = tm2::PcmView::S16(g_pcm, 8000, 8000, 1);
  for (int b = 0; b < e.num_branches(); ++b)
    if (!e.SetInput(b, pcm).ok()) return false;
  if (!e.Invoke().ok()) return false;
  std::memcpy(logits, e.logits(), static_cast<size_t>(e.num_classes()));
  return true;
}

}  // namespace

int main() {
  FillPcm();
  tm2::Pack pack;
  tm2::Status s = tm2::LoadPack(pack_shipped, pack_shipped_size, &pack);  // verified once, at boot
  if (!s.ok()) return Fail("load pack", s);
  const int gate = pack.Find("sound-gate-tile"), cough = pack.Find("covid-cough");
  if (gate < 0 || cough < 0) return Fail("models", tm2::Status::Error(tm2::StatusCode::kBadModel, "gate or cough missing"));
  tm2::EngineOptions options;
  options.kernels = &tm2::SelectKernels();
  options.resampler_cache = false;
  options.input_rate = 8000;  // the microphone's rate; the gate resamples to 16 kHz
  int failures = 0;
  int8_t logits[4][8];  // [mode][model]: 0 re-plan gate, 1 re-plan cough, 2 resident gate, 3 resident cough
  size_t arena[2] = {0, 0};

  // Region 0, 1: switches that re-plan (gate -> cough -> gate). Region 2, 3: resident.
  for (int m = 0; m < 2; ++m) {
    const tm2::PackMode mode = m ? tm2::PackMode::kResident : tm2::PackMode::kReplan;
    s = tm2::PackRunner::ArenaBytes(pack, &arena[m], options, mode);
    if (!s.ok()) return Fail("arena bytes", s);
    tm2::PackRunner runner;
    s = runner.Init(pack, g_arena, arena[m], options, gate, mode);
    if (!s.ok()) return Fail("init", s);
    tm2_insn_mark();
    s = runner.Select(cough);
    tm2_insn_mark();
    if (!s.ok()) return Fail("switch to cough", s);
    if (!Classify(runner.engine(), logits[2 * m + 1])) return Fail("cough", tm2::Status::Error(tm2::StatusCode::kBadModel, "run"));
    tm2_insn_mark();
    s = runner.Select(gate);
    tm2_insn_mark();
    if (!s.ok()) return Fail("switch to gate", s);
    if (!Classify(runner.engine(), logits[2 * m])) return Fail("gate", tm2::Status::Error(tm2::StatusCode::kBadModel, "run"));
  }
  failures += std::memcmp(logits[0], logits[2], 4) != 0;
  failures += std::memcmp(logits[1], logits[3], 2) != 0;

  // Region 4: the cough model as a standalone file on external storage:
  // read it (semihosting), verify it, plan it.
  size_t file_bytes = 0;
  tm2::Model standalone;
  tm2::Engine engine;
  tm2_insn_mark();
  FILE* f = std::fopen(TM2_STANDALONE_MODEL, "rb");
  if (f) {
    file_bytes = std::fread(g_storage_buffer, 1, sizeof(g_storage_buffer), f);
    std::fclose(f);
  }
  s = tm2::LoadModel(g_storage_buffer, file_bytes, &standalone);
  if (s.ok()) s = engine.Init(standalone, g_standalone_arena, sizeof(g_standalone_arena), options);
  tm2_insn_mark();
  if (!f) return Fail("open " TM2_STANDALONE_MODEL, tm2::Status::Error(tm2::StatusCode::kInvalidArgument, "no file"));
  if (!s.ok()) return Fail("standalone", s);

  // Region 5: one inference of the smallest model (cough) from PCM;
  // region 6: its Invoke alone (features given).
  tm2::PackRunner runner;
  s = runner.Init(pack, g_arena, arena[1], options, cough, tm2::PackMode::kResident);
  if (!s.ok()) return Fail("init", s);
  int8_t again[8];
  tm2_insn_mark();
  const bool ok = Classify(runner.engine(), again);
  tm2_insn_mark();
  tm2_insn_mark();
  s = runner.engine().Invoke();
  tm2_insn_mark();
  if (!ok || !s.ok()) return Fail("inference", s);
  failures += std::memcmp(again, logits[3], 2) != 0;
  // A fresh engine on the pack's cough model gives the same logits.
  {
    tm2::Engine fresh;
    s = fresh.Init(pack.model(cough), g_standalone_arena, sizeof(g_standalone_arena), options);
    int8_t l[8];
    if (!s.ok() || !Classify(fresh, l)) return Fail("fresh", s);
    failures += std::memcmp(l, logits[3], 2) != 0;
  }

  // Labels for the counting script, in region order.
  const char* k = tm2::SelectKernels().name;
  std::printf("region 0: switch gate -> cough, re-planned | %s | arena %lu bytes\n", k, static_cast<unsigned long>(arena[0]));
  std::printf("region 1: switch cough -> gate, re-planned | %s | arena %lu bytes\n", k, static_cast<unsigned long>(arena[0]));
  std::printf("region 2: switch gate -> cough, resident | %s | arena %lu bytes\n", k, static_cast<unsigned long>(arena[1]));
  std::printf("region 3: switch cough -> gate, resident | %s | arena %lu bytes\n", k, static_cast<unsigned long>(arena[1]));
  std::printf("region 4: load cough standalone (semihosted read of %lu bytes, verify, plan) | %s | arena %lu bytes\n",
              static_cast<unsigned long>(file_bytes), k, static_cast<unsigned long>(engine.arena_used()));
  std::printf("region 5: one cough inference from 1 s of 8 kHz PCM (SetInput + Invoke) | %s |\n", k);
  std::printf("region 6: cough Invoke alone | %s |\n", k);
  std::printf("pack switch firmware: %s\n", failures ? "MISMATCH" : "same logits");
  return failures ? 1 : 0;
}
