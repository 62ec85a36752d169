#include "parity/parity_run.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/wav.h"

namespace tm2 {
namespace test {

const ParityCase kParityCases[kNumParityCases] = {
    // One participant's three recordings, all 16 kHz.
    {"coswara", {"coswara_cough_16k.wav", "coswara_counting_16k.wav", "coswara_breathing_16k.wav"}},
    // 48 kHz and 8 kHz stereo inputs: resampling up, down and mixing down.
    {"mixed_rates",
     {"covid_telegram_cough_48k.wav", "speech_commands_yes_16k.wav",
      "covid_callcenter_cough_8k_stereo.wav"}},
    // 8 kHz stereo -> 16 kHz, a 1.1 s clip padded to the speech branch's
    // 2 s, and 16 kHz -> 8 kHz.
    {"rate_swaps",
     {"covid_callcenter_cough_8k_stereo.wav", "covid_telegram_cough_48k.wav",
      "speech_commands_yes_16k.wav"}},
};

const char* const kParityClipNames[kNumParityClips] = {
    "coswara_cough_16k.wav",        "coswara_counting_16k.wav",
    "coswara_breathing_16k.wav",    "covid_telegram_cough_48k.wav",
    "speech_commands_yes_16k.wav",  "covid_callcenter_cough_8k_stereo.wav",
};

namespace {

struct WavView {
  uint32_t rate = 0;
  uint16_t channels = 0;
  const int16_t* samples = nullptr;
  size_t frames = 0;
};

uint32_t Le32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// In-place view of a 16-bit PCM WAV (the fixtures are little-endian and the
// data chunk is 2-byte aligned in them; checked).
bool ParseWavView(const uint8_t* b, size_t size, WavView* v) {
  if (size < 12 || std::memcmp(b, "RIFF", 4) != 0 || std::memcmp(b + 8, "WAVE", 4) != 0) return false;
  size_t pos = 12;
  while (pos + 8 <= size) {
    const uint32_t len = Le32(b + pos + 4);
    if (len > size - pos - 8) return false;
    const uint8_t* body = b + pos + 8;
    if (std::memcmp(b + pos, "fmt ", 4) == 0 && len >= 16) {
      v->channels = static_cast<uint16_t>(body[2] | (body[3] << 8));
      v->rate = Le32(body + 4);
      if ((body[14] | (body[15] << 8)) != 16 || v->channels == 0) return false;
    } else if (std::memcmp(b + pos, "data", 4) == 0) {
      if (v->channels == 0 || reinterpret_cast<uintptr_t>(body) % 2 != 0) return false;
      v->samples = reinterpret_cast<const int16_t*>(body);
      v->frames = len / 2 / v->channels;
      return true;
    }
    pos += 8 + len + (len & 1);
  }
  return false;
}

const ClipBytes* FindClip(const ClipBytes* clips, int n, const char* name) {
  for (int i = 0; i < n; ++i)
    if (std::strcmp(clips[i].name, name) == 0) return &clips[i];
  return nullptr;
}

}  // namespace

bool ParityPcm16(const ClipBytes& clip, PcmView* pcm) {
  WavView wav;
  if (!ParseWavView(clip.data, clip.size, &wav)) return false;
  *pcm = PcmView::S16(wav.samples, wav.frames, wav.rate, wav.channels);
  return true;
}

bool CheckClipHashes(Engine& e, const char* prefix, const char* model, const char* clip_name,
                     const ParityInputs& in, const char* note) {
  char name[128];
  std::snprintf(name, sizeof(name), "%s/%s/%.*s", prefix, model,
                static_cast<int>(std::strlen(clip_name) - 4), clip_name);
  const ClipBytes* clip = FindClip(in.clips, in.num_clips, clip_name);
  PcmView pcm;
  if (!clip || !ParityPcm16(*clip, &pcm)) {
    std::printf("%s: clip missing\n", name);
    return false;
  }
  ParityHashes got;
  Status s = Status::Ok();
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
  const bool known = FindExpectedHashes(in.expected_text, in.expected_size, name, &want);
  const bool same = known && got.features == want.features && got.logits == want.logits &&
                    got.probs == want.probs;
  std::printf("%s %016llx %016llx %016llx   # kernels=%s%s %s\n", name,
              static_cast<unsigned long long>(got.features),
              static_cast<unsigned long long>(got.logits),
              static_cast<unsigned long long>(got.probs), note, s.ok() ? "" : " (input refused)",
              same ? "OK" : (known ? "MISMATCH" : "NO EXPECTED HASHES"));
  return same;
}

Status RunParityCase(const Model& model, void* arena, size_t arena_bytes,
                     const KernelTable& kernels, const ParityCase& c, const ClipBytes* clips,
                     int num_clips, ParityHashes* out) {
  EngineOptions options;
  options.kernels = &kernels;
  options.keep_float_features = true;
  Engine engine;
  TM2_RETURN_IF_ERROR(engine.Init(model, arena, arena_bytes, options));
  if (engine.num_branches() != 3)
    return Status::Error(StatusCode::kInvalidArgument, "parity model must have 3 branches");
  for (int b = 0; b < 3; ++b) {
    const ClipBytes* clip = FindClip(clips, num_clips, c.clips[b]);
    PcmView pcm;
    if (!clip || !ParityPcm16(*clip, &pcm))
      return Status::Error(StatusCode::kInvalidArgument, "clip %s missing or not 16-bit WAV",
                           c.clips[b]);
    TM2_RETURN_IF_ERROR(engine.SetInput(b, pcm));
  }
  TM2_RETURN_IF_ERROR(engine.Invoke());
  uint64_t h = Fnv1a64(nullptr, 0);
  for (int b = 0; b < 3; ++b) {
    const size_t n = engine.input_shape(b).size();
    h = Fnv1a64(engine.float_features(b), n * sizeof(float), h);
    h = Fnv1a64(engine.features(b), n, h);
  }
  out->features = h;
  out->logits = Fnv1a64(engine.logits(), static_cast<size_t>(engine.num_classes()));
  out->probs = Fnv1a64(engine.probabilities(), sizeof(float) * engine.num_classes());
  for (int i = 0; i < 3 && i < engine.num_classes(); ++i) {
    out->logit_values[i] = engine.logits()[i];
    out->prob_values[i] = engine.probabilities()[i];
  }
  return Status::Ok();
}

bool FindExpectedHashes(const char* text, size_t size, const char* case_name, ParityHashes* out) {
  size_t pos = 0;
  const size_t name_len = std::strlen(case_name);
  while (pos < size) {
    size_t end = pos;
    while (end < size && text[end] != '\n') ++end;
    char line[256];
    const size_t len = end - pos < sizeof(line) - 1 ? end - pos : sizeof(line) - 1;
    std::memcpy(line, text + pos, len);
    line[len] = '\0';
    pos = end + 1;
    if (line[0] == '#' || std::strncmp(line, case_name, name_len) != 0 || line[name_len] != ' ')
      continue;
    char* p = line + name_len;
    char* next = nullptr;
    out->features = std::strtoull(p, &next, 16);
    if (next == p) return false;
    p = next;
    out->logits = std::strtoull(p, &next, 16);
    if (next == p) return false;
    p = next;
    out->probs = std::strtoull(p, &next, 16);
    return next != p;
  }
  return false;
}

int RunAllParityCases(const uint8_t* model_bytes, size_t model_size, void* arena,
                      size_t arena_bytes, const KernelTable* const* tables, int num_tables,
                      const ClipBytes* clips, int num_clips, const char* expected_text,
                      size_t expected_size) {
  Model model;
  Status s = LoadModel(model_bytes, model_size, &model);
  if (!s.ok()) {
    std::printf("parity: cannot load model: %s\n", s.message());
    return 1;
  }
  size_t need = 0;
  EngineOptions options;
  options.keep_float_features = true;
  s = Engine::ArenaBytes(model, &need, options);
  std::printf("parity: model '%s', arena %lu bytes (given %lu)\n", model.name(),
              static_cast<unsigned long>(need), static_cast<unsigned long>(arena_bytes));
  if (!s.ok() || need > arena_bytes) {
    std::printf("parity: arena: %s\n", s.ok() ? "too small" : s.message());
    return 1;
  }
  int failures = 0;
  for (int t = 0; t < num_tables; ++t) {
    for (const ParityCase& c : kParityCases) {
      ParityHashes got, want;
      s = RunParityCase(model, arena, arena_bytes, *tables[t], c, clips, num_clips, &got);
      if (!s.ok()) {
        std::printf("parity %s kernels=%s: error: %s\n", c.name, tables[t]->name, s.message());
        ++failures;
        continue;
      }
      const bool known = FindExpectedHashes(expected_text, expected_size, c.name, &want);
      const bool same = known && got.features == want.features && got.logits == want.logits &&
                        got.probs == want.probs;
      std::printf("%s %016llx %016llx %016llx   # kernels=%s logits %d %d %d probs %.4f %.4f %.4f %s\n",
                  c.name, static_cast<unsigned long long>(got.features),
                  static_cast<unsigned long long>(got.logits),
                  static_cast<unsigned long long>(got.probs), tables[t]->name,
                  got.logit_values[0], got.logit_values[1], got.logit_values[2],
                  static_cast<double>(got.prob_values[0]), static_cast<double>(got.prob_values[1]),
                  static_cast<double>(got.prob_values[2]),
                  same ? "OK" : (known ? "MISMATCH" : "NO EXPECTED HASHES"));
      if (!same) ++failures;
    }
  }
  return failures;
}

}  // namespace test
}  // namespace tm2
