#include "parity/pack_parity.h"

#include <cstdio>
#include <cstring>

#include "common/wav.h"
#include "engine/pack_runner.h"
#include "format/pack.h"

namespace tm2 {
namespace test {

const char* const kPackClipNames[kNumPackClips] = {"coswara_cough_16k.wav",
                                                   "speech_commands_yes_16k.wav"};

namespace {

uint32_t Le32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

bool ParityPcm16(const ClipBytes& clip, PcmView* pcm) {
  const uint8_t* b = clip.data;
  if (clip.size < 12 || std::memcmp(b, "RIFF", 4) != 0) return false;
  uint16_t channels = 0;
  uint32_t rate = 0;
  size_t pos = 12;
  while (pos + 8 <= clip.size) {
    const uint32_t len = Le32(b + pos + 4);
    if (len > clip.size - pos - 8) return false;
    const uint8_t* body = b + pos + 8;
    if (std::memcmp(b + pos, "fmt ", 4) == 0 && len >= 16) {
      channels = static_cast<uint16_t>(body[2] | (body[3] << 8));
      rate = Le32(body + 4);
    } else if (std::memcmp(b + pos, "data", 4) == 0) {
      if (channels == 0 || reinterpret_cast<uintptr_t>(body) % 2 != 0) return false;
      *pcm = PcmView::S16(reinterpret_cast<const int16_t*>(body), len / 2 / channels, rate, channels);
      return true;
    }
    pos += 8 + len + (len & 1);
  }
  return false;
}

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
      Engine& e = runner.engine();
      for (int c = 0; c < kNumPackClips; ++c) {
        char name[96];
        std::snprintf(name, sizeof(name), "pack/%s/%.*s", pack.model(m).name(),
                      static_cast<int>(std::strlen(kPackClipNames[c]) - 4), kPackClipNames[c]);
        const ClipBytes* clip = nullptr;
        for (int i = 0; i < num_clips; ++i)
          if (std::strcmp(clips[i].name, kPackClipNames[c]) == 0) clip = &clips[i];
        PcmView pcm;
        if (!clip || !ParityPcm16(*clip, &pcm)) {
          std::printf("%s: clip missing\n", name);
          ++failures;
          continue;
        }
        // A clip a model refuses (quality gate) is a result too: its code.
        ParityHashes got;
        s = Status::Ok();
        for (int b = 0; b < e.num_branches() && s.ok(); ++b) s = e.SetInput(b, pcm);
        if (s.ok()) s = e.Invoke();
        if (s.ok()) {
          uint64_t h = Fnv1a64(nullptr, 0);
          for (int b = 0; b < e.num_branches(); ++b) h = Fnv1a64(e.features(b), e.input_shape(b).size(), h);
          got.features = h;
          got.logits = Fnv1a64(e.logits(), static_cast<size_t>(e.num_classes()));
          got.probs = Fnv1a64(e.probabilities(), sizeof(float) * e.num_classes());
        } else {
          got.features = got.logits = got.probs = static_cast<uint64_t>(s.code());
        }
        ParityHashes want;
        const bool known = FindExpectedHashes(expected_text, expected_size, name, &want);
        const bool same = known && got.features == want.features && got.logits == want.logits &&
                          got.probs == want.probs;
        std::printf("%s %016llx %016llx %016llx   # kernels=%s%s%s %s\n", name,
                    static_cast<unsigned long long>(got.features),
                    static_cast<unsigned long long>(got.logits),
                    static_cast<unsigned long long>(got.probs), tables[t]->name,
                    mode == PackMode::kResident ? " resident" : "",
                    s.ok() ? "" : " (input refused)",
                    same ? "OK" : (known ? "MISMATCH" : "NO EXPECTED HASHES"));
        if (!same) ++failures;
      }
    }
  }
  return failures;
}

}  // namespace test
}  // namespace tm2
