#include "parity/pack_parity.h"

#include <cstdio>
#include <cstring>

#include "engine/pack_runner.h"
#include "format/pack.h"

namespace tm2 {
namespace test {

const char* const kPackClipNames[kNumPackClips] = {"coswara_cough_16k.wav",
                                                   "speech_commands_yes_16k.wav"};

int RunPackParity(const uint8_t* pack_bytes, size_t pack_size, void* arena, size_t arena_bytes,
                  const KernelTable* const* tables, int num_tables, const ClipBytes* clips,
                  int num_clips, const char* expected_text, size_t expected_size) {
  Pack pack;
  Status s = LoadPack(pack_bytes, pack_size, &pack);
  if (!s.ok()) {
    std::printf("pack parity: cannot load the pack: %s\n", s.message());
    return 1;
  }
  size_t need = 0, need_resident = 0;
  s = PackRunner::ArenaBytes(pack, &need);
  if (s.ok()) s = PackRunner::ArenaBytes(pack, &need_resident, EngineOptions(), PackMode::kResident);
  std::printf("pack parity: '%s', %d models, arena %lu bytes re-planning, %lu resident (given %lu)\n",
              pack.name(), pack.num_models(), static_cast<unsigned long>(need),
              static_cast<unsigned long>(need_resident), static_cast<unsigned long>(arena_bytes));
  if (!s.ok() || need > arena_bytes) return 1;
  const ParityInputs in{clips, num_clips, expected_text, expected_size};
  int failures = 0;
  // Each table twice: switching by re-planning, then with every model
  // resident (planned once, a switch changes nothing but the engine): the
  // same pinned hashes either way.
  for (int run = 0; run < 2 * num_tables; ++run) {
    const int t = run / 2;
    const PackMode mode = run % 2 ? PackMode::kResident : PackMode::kReplan;
    EngineOptions options;
    options.kernels = tables[t];
    PackRunner runner;
    s = runner.Init(pack, arena, arena_bytes, options, 0, mode);
    if (!s.ok()) {
      std::printf("pack parity: %s\n", s.message());
      return failures + 1;
    }
    // Every model, then the first again: a switch back must change nothing.
    for (int step = 0; step <= pack.num_models(); ++step) {
      const int m = step % pack.num_models();
      s = runner.Select(m);
      if (!s.ok()) {
        std::printf("pack parity: select %d: %s\n", m, s.message());
        ++failures;
        continue;
      }
      char note[64];
      std::snprintf(note, sizeof(note), "%s%s", tables[t]->name,
                    mode == PackMode::kResident ? " resident" : "");
      for (int c = 0; c < kNumPackClips; ++c)
        if (!CheckClipHashes(runner.engine(), "pack", pack.model(m).name(), kPackClipNames[c], in, note))
          ++failures;
    }
  }
  return failures;
}

}  // namespace test
}  // namespace tm2
