// Extreme float PCM gives the same features on every target (a plain
// program, so it runs on the Cortex-M4 too: tm2_add_program_test).
// Samples of 1e30 once overflowed the power spectrum to inf, the DCT made
// NaN, and the float-to-int8 cast of NaN (undefined) gave -128 on x86-64
// and 0 on aarch64. The rule now (docs/preprocessing.md): inf and NaN are
// refused, samples beyond [-1, 1] are clipped to +-1, subnormals read as 0.
// Each case's FNV-1a hash of float features and int8 features is pinned
// below; every target must print the same.
#include <cfloat>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "preprocess/pcm_mix.h"
#include "preprocess/preprocess.h"

namespace {

using tm2::PcmView;
using tm2::PreprocessParams;

struct Lcg {
  uint32_t s;
  // Uniform in [-1, 1) with 16-bit steps: integer arithmetic, so every
  // target builds the same signal.
  float Next() {
    s = s * 1664525u + 1013904223u;
    return static_cast<float>(static_cast<int32_t>(s >> 16) - 32768) / 32768.0f;
  }
};

uint64_t Fnv(uint64_t h, const void* data, size_t n) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

int g_failures = 0;

void Fail(const char* what, const char* detail) {
  ++g_failures;
  std::printf("FAIL %s: %s\n", what, detail);
}

PreprocessParams LogMel() {
  PreprocessParams p;
  p.sample_rate = 16000;
  p.pre_emphasis = 0.97f;
  p.frame_length = 400;
  p.frame_step = 160;
  p.fft_size = 512;
  p.mel_bins = 40;
  p.num_frames = 60;
  p.input_scale = 0.1f;
  p.input_zero_point = 20;
  return p;
}

PreprocessParams MfccLoudest() {
  PreprocessParams p = LogMel();
  p.dct_coefficients = 13;
  p.num_frames = 40;
  p.crop = tm2::CropPolicy::kLoudest;
  p.input_scale = 0.5f;
  p.input_zero_point = -3;
  return p;
}

// Features (float and int8) of `pcm`, or false with the error printed.
bool Features(const PreprocessParams& p, const PcmView& pcm, std::vector<float>* f,
              std::vector<int8_t>* q) {
  std::vector<uint8_t> ws(tm2::Preprocessor::WorkspaceBytes(p));
  tm2::Preprocessor pre;
  tm2::Status s = pre.Prepare(p, ws.data(), ws.size());
  if (s.ok()) {
    f->assign(static_cast<size_t>(pre.num_frames()) * pre.num_features(), 0.0f);
    q->assign(f->size(), 0);
    s = pre.Run(pcm, q->data(), f->data());
  }
  if (!s.ok()) Fail("Run", s.message());
  return s.ok();
}

// Runs one case under both parameter sets; checks every feature is finite,
// compares the hash with the pinned one and, when `clipped` is given, the
// features with those of the explicitly clipped signal.
void Case(const char* name, const PcmView& pcm, const PcmView* clipped, uint64_t expected) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const PreprocessParams& p : {LogMel(), MfccLoudest()}) {
    std::vector<float> f, fc;
    std::vector<int8_t> q, qc;
    if (!Features(p, pcm, &f, &q)) return;
    for (float v : f) {
      if (!(v >= -FLT_MAX && v <= FLT_MAX)) {
        Fail(name, "a feature is not finite");
        break;
      }
    }
    if (clipped && Features(p, *clipped, &fc, &qc) &&
        (std::memcmp(f.data(), fc.data(), f.size() * sizeof(float)) != 0 || q != qc)) {
      Fail(name, "features differ from those of the clipped signal");
    }
    h = Fnv(h, f.data(), f.size() * sizeof(float));
    h = Fnv(h, q.data(), q.size());
  }
  std::printf("extreme_pcm %-22s %016llx\n", name, static_cast<unsigned long long>(h));
  if (h != expected) {
    char msg[64];
    std::snprintf(msg, sizeof(msg), "hash %016llx, expected %016llx",
                  static_cast<unsigned long long>(h), static_cast<unsigned long long>(expected));
    Fail(name, msg);
  }
}

}  // namespace

// The mixer's rule sample by sample, bit for bit: the vectorizable form
// of the clip must keep -0, NaN, infinities and subnormals as before.
void MixRule() {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float sub = FLT_MIN / 4.0f;
  const float in[] = {nan, inf, -inf, 1e30f, -1e30f, 1.0000001f, -1.0000001f, 1.0f, -1.0f,
                      FLT_MIN, -FLT_MIN, sub, -sub, -0.0f, 0.0f, 0.5f, -0.25f, 3e-30f};
  const float want[] = {0.0f, 1.0f, -1.0f, 1.0f, -1.0f, 1.0f, -1.0f, 1.0f, -1.0f,
                        FLT_MIN, -FLT_MIN, 0.0f, 0.0f, 0.0f, 0.0f, 0.5f, -0.25f, 3e-30f};
  const int n = static_cast<int>(sizeof(in) / sizeof(in[0]));
  float out[sizeof(in) / sizeof(in[0])];
  tm2::preprocess_internal::MixToMono(PcmView::F32(in, n, 16000, 1), 0, n, out);
  for (int i = 0; i < n; ++i) {
    uint32_t a, b;
    std::memcpy(&a, &out[i], 4);
    std::memcpy(&b, &want[i], 4);
    if (a != b) {
      char detail[64];
      std::snprintf(detail, sizeof(detail), "sample %d: 0x%08lx, want 0x%08lx", i,
                    static_cast<unsigned long>(a), static_cast<unsigned long>(b));
      Fail("mix rule", detail);
    }
  }
}

int main() {
  const size_t n = 16000;  // 1 s at 16 kHz: 98 frames
  std::vector<float> x(n), clip(n);
  Lcg rng{7};
  MixRule();

  // Noise scaled to 1e30: every sample far beyond full scale.
  for (size_t i = 0; i < n; ++i) {
    const float v = rng.Next();
    x[i] = v * 1e30f;
    clip[i] = v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : 0.0f;
  }
  PcmView clip_view = PcmView::F32(clip.data(), n, 16000, 1);
  Case("noise_times_1e30", PcmView::F32(x.data(), n, 16000, 1), &clip_view, 0xa1ea6c5d80e7d7c6ull);

  // Speech-level noise with scattered huge, slightly-over and extreme values.
  for (size_t i = 0; i < n; ++i) {
    float v = 0.3f * rng.Next();
    if (i % 7 == 3) v = (i % 2) ? 1e30f : -1e30f;
    if (i % 101 == 5) v = 3.5f;
    if (i % 997 == 11) v = -FLT_MAX;
    x[i] = v;
    clip[i] = v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v;
  }
  Case("scattered_huge", PcmView::F32(x.data(), n, 16000, 1), &clip_view, 0x8dd1740e2cf3da65ull);

  // Quiet noise with subnormal samples, which read as 0.
  for (size_t i = 0; i < n; ++i) {
    float v = 0.01f * rng.Next();
    if (i % 3 == 1) v = (i % 2) ? 1e-40f : -1.4e-45f;
    x[i] = v;
    clip[i] = (i % 3 == 1) ? 0.0f : v;
  }
  Case("subnormals", PcmView::F32(x.data(), n, 16000, 1), &clip_view, 0x524a18001f546184ull);
  for (size_t i = 0; i < n; ++i) x[i] = (i % 2 ? 1.0f : -1.0f) * FLT_MIN * 0.5f * static_cast<float>(i % 5);
  Case("only_subnormals", PcmView::F32(x.data(), n, 16000, 1), nullptr, 0x71ae06528ad51405ull);

  // 48 kHz stereo (resampled): one channel normal, the other at 1e30.
  const size_t n48 = 24000;  // 0.5 s
  std::vector<float> st(2 * n48);
  for (size_t i = 0; i < n48; ++i) {
    st[2 * i] = 0.5f * rng.Next();
    st[2 * i + 1] = 1e30f * rng.Next();
  }
  Case("stereo_48k_one_huge", PcmView::F32(st.data(), n48, 48000, 2), nullptr, 0xc0af4cb04b98a959ull);

  // inf and NaN are refused, with a message saying why.
  const float inf = std::numeric_limits<float>::infinity();
  for (float bad : {inf, -inf, std::numeric_limits<float>::quiet_NaN()}) {
    x[1234] = bad;
    std::vector<float> f;
    std::vector<int8_t> q;
    PreprocessParams p = LogMel();
    std::vector<uint8_t> ws(tm2::Preprocessor::WorkspaceBytes(p));
    tm2::Preprocessor pre;
    q.resize(static_cast<size_t>(p.num_frames) * p.num_features());
    const bool prepared = pre.Prepare(p, ws.data(), ws.size()).ok();
    const tm2::Status s = pre.Run(PcmView::F32(x.data(), n, 16000, 1), q.data(), nullptr);
    if (!prepared || s.ok() || s.code() != tm2::StatusCode::kInvalidArgument ||
        std::strstr(s.message(), "non-finite") == nullptr) {
      Fail("non-finite sample", s.ok() ? "accepted" : s.message());
    }
  }
  std::printf("extreme_pcm: %d failures\n", g_failures);
  return g_failures == 0 ? 0 : 1;
}
