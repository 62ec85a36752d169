// libFuzzer target: every model the loader accepts must plan, take input
// and run. For each accepted model: ArenaBytes, Init, SetInput on fuzzed PCM
// (int16 or float with NaN, inf and huge values, odd rates and channel
// counts; SetFeatures when the PCM is refused), Invoke, finite
// probabilities that sum to 1, and a moved-from engine that refuses to run.
// A step that fails on an accepted model traps: the loader and the engine
// disagree.
//
// Input: a .tm2 file, then optional bytes that describe the PCM (the
// header's payload size says where the file ends). The custom mutator is
// structure-aware: it unpacks the model (the format tests' object API),
// changes layer types, kernels, strides, channels, bit widths, shifts,
// layer and branch counts, preprocessing fields, the fusion table or the
// temperature, then usually repairs every weight and per-channel vector to
// the lengths the shapes call for (shapes.h) so the edit gets past the
// loader (model_mutator.h), and packs it with a correct header and CRC.
//
// Kernels: each input runs first with the scalar reference, then with
// every SIMD table (natively each compiled Highway target the CPU has:
// SSE4, AVX2, EMU128, forced in turn), and the probabilities and logits
// must be byte-identical to the reference's; a mismatch prints both and
// traps.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "file_edit.h"
#include "kernels/select.h"
#include "model_mutator.h"

#if defined(TM2_FUZZ_HWY_DYNAMIC)
#include "hwy/targets.h"
#endif

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

using tm2::fbt::ModelT;
using tm2::fuzz::Rng;

// Small enough that one input runs in well under a second under ASan.
tm2::ModelLimits FuzzLimits() {
  tm2::ModelLimits l;
  l.max_layer_macs = l.max_layer_ops = uint64_t{1} << 22;
  l.max_model_macs = uint64_t{1} << 23;
  l.max_model_ops = uint64_t{1} << 24;
  l.max_memory_bytes = uint64_t{1} << 23;
  return l;
}

[[noreturn]] void Disagree(const char* step, const tm2::Status& s) {
  std::fprintf(stderr, "fuzz_engine: loader accepted the model but %s failed: %s\n", step,
               s.message());
  __builtin_trap();
}

// Where the .tm2 file ends inside the fuzz input.
size_t FileLength(const uint8_t* data, size_t size) {
  if (size < tm2::kHeaderBytes) return size;
  uint32_t payload = 0;
  std::memcpy(&payload, data + 8, 4);
  const uint64_t end = uint64_t{tm2::kHeaderBytes} + payload;
  return end < size ? static_cast<size_t>(end) : size;
}

float SpecialSample(uint8_t b) {
  switch (b & 7) {
    case 0: return std::numeric_limits<float>::quiet_NaN();
    case 1: return std::numeric_limits<float>::infinity();
    case 2: return -std::numeric_limits<float>::infinity();
    case 3: return 1e30f;
    case 4: return -std::numeric_limits<float>::max();
    case 5: return std::numeric_limits<float>::denorm_min();
    case 6: return 1.0f;
    default: return -1.0f;
  }
}

struct Pcm {
  std::vector<float> f32;
  std::vector<int16_t> s16;
  tm2::PcmView view;
};

// PCM described by `t` (empty: a quarter second of a 16 kHz sawtooth).
void MakePcm(const uint8_t* t, size_t n, Pcm* pcm) {
  static const uint32_t kRates[8] = {8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000};
  const bool f32 = n > 0 && (t[0] & 1);
  const uint32_t rate = n > 1 ? kRates[t[1] & 7] : 16000;
  const uint16_t channels = static_cast<uint16_t>(n > 2 ? 1 + t[2] % 3 : 1);
  const size_t frames = n > 4 ? 1 + (static_cast<size_t>(t[3]) << 8 | t[4]) % (rate / 2)
                              : 4000;
  const size_t count = frames * channels;
  const uint8_t* body = n > 5 ? t + 5 : nullptr;
  const size_t body_n = n > 5 ? n - 5 : 0;
  if (f32) {
    pcm->f32.resize(count);
    for (size_t i = 0; i < count; ++i) {
      const uint8_t b = body ? body[i % body_n] : static_cast<uint8_t>(i);
      pcm->f32[i] = b >= 0xF8 ? SpecialSample(b) : (static_cast<int>(b) - 124) / 124.0f;
    }
    pcm->view = tm2::PcmView::F32(pcm->f32.data(), frames, rate, channels);
  } else {
    pcm->s16.resize(count);
    for (size_t i = 0; i < count; ++i) {
      const int v = body ? (body[i % body_n] << 8 | body[(i + 1) % body_n]) : (i * 397) % 65536;
      pcm->s16[i] = static_cast<int16_t>(v - 32768);
    }
    pcm->view = tm2::PcmView::S16(pcm->s16.data(), frames, rate, channels);
  }
}

// What one run of an accepted model produced, to compare across kernels.
struct RunResult {
  std::vector<float> probs;
  std::vector<int8_t> logits;
  std::vector<bool> used_features;  // per branch: SetInput refused the PCM
};

// ArenaBytes, Init, SetInput (or SetFeatures), Invoke with `kernels`.
// `expect_features` (from the reference run) says which branches must
// refuse the PCM again: preprocessing does not depend on the kernels.
tm2::Engine RunWith(const tm2::Model& model, const tm2::KernelTable& kernels, const uint8_t* tail,
                    size_t tail_n, const Pcm& pcm, std::vector<uint8_t>* arena, RunResult* out,
                    const std::vector<bool>* expect_features) {
  tm2::EngineOptions options;
  options.kernels = &kernels;
  options.keep_float_features = tail_n > 0 && (tail[0] & 2);
  options.resampler_cache = !(tail_n > 0 && (tail[0] & 4));
  // Banded layers (the reference bands, AVX2 runs whole): same bytes either way.
  options.in_place = !(tail_n > 0 && (tail[0] & 8));
  size_t need = 0;
  tm2::Status s = tm2::Engine::ArenaBytes(model, &need, options);
  if (!s.ok()) Disagree("ArenaBytes", s);
  arena->assign(need, 0);
  tm2::Engine engine;
  s = engine.Init(model, arena->data(), arena->size(), options);
  if (!s.ok()) Disagree("Init", s);
  out->used_features.assign(static_cast<size_t>(engine.num_branches()), false);
  for (int b = 0; b < engine.num_branches(); ++b) {
    const bool refused = !engine.SetInput(b, pcm.view).ok();
    if (expect_features && refused != (*expect_features)[static_cast<size_t>(b)])
      Disagree("SetInput (accepted with one kernel table, refused with another)",
               tm2::Status::Ok());
    if (!refused) continue;
    // Refused PCM (NaN, too long, bad rate): feed features instead.
    out->used_features[static_cast<size_t>(b)] = true;
    std::vector<int8_t> features(engine.input_shape(b).size());
    for (size_t i = 0; i < features.size(); ++i)
      features[i] = static_cast<int8_t>(tail_n ? tail[i % tail_n] : i);
    s = engine.SetFeatures(b, features.data(), features.size());
    if (!s.ok()) Disagree("SetFeatures", s);
  }
  s = engine.Invoke();
  if (!s.ok()) Disagree("Invoke", s);
  out->probs.assign(engine.probabilities(), engine.probabilities() + engine.num_classes());
  out->logits.assign(engine.logits(), engine.logits() + engine.num_classes());
  return engine;
}

// Traps unless `got` (kernel table `name`) equals the reference bytes.
void SameAsReference(const RunResult& ref, const RunResult& got, const char* name) {
  const size_t n = ref.probs.size();
  bool same = got.probs.size() == n && got.logits.size() == ref.logits.size();
  if (same) {
    same = std::memcmp(ref.probs.data(), got.probs.data(), n * sizeof(float)) == 0 &&
           std::memcmp(ref.logits.data(), got.logits.data(), ref.logits.size()) == 0;
  }
  if (same) return;
  std::fprintf(stderr,
               "fuzz_engine: kernel table %s disagrees with the reference "
               "(%zu vs %zu classes):\n",
               name, got.probs.size(), n);
  for (size_t i = 0; i < n && i < got.probs.size(); ++i) {
    uint32_t a = 0, b = 0;
    std::memcpy(&a, &ref.probs[i], 4);
    std::memcpy(&b, &got.probs[i], 4);
    std::fprintf(stderr, "  class %zu: ref logit %d p %.9g (0x%08x), %s logit %d p %.9g (0x%08x)%s\n",
                 i, ref.logits[i], ref.probs[i], a, name, got.logits[i], got.probs[i], b,
                 a != b || ref.logits[i] != got.logits[i] ? "  <-- differs" : "");
  }
  __builtin_trap();
}

// Every SIMD kernel table this build and CPU can run, each passed to `fn`
// with its name: natively every compiled Highway target the CPU supports
// (SSE4, AVX2, EMU128), forced one at a time through Highway's test hook
// as tests/kernels does (a table's packed weights are made at Init under
// the same target); elsewhere the table SelectKernels() picks.
template <typename Fn>
void ForEachSimdTable(Fn&& fn) {
#if defined(TM2_FUZZ_HWY_DYNAMIC)
  const int64_t all = hwy::SupportedTargets() & HWY_TARGETS;
  for (int64_t rest = all; rest != 0; rest &= rest - 1) {
    hwy::SetSupportedTargetsForTest(rest & -rest);
    const tm2::KernelTable k = tm2::SelectKernelsNow();  // resolved for the forced target
    fn(k, k.name);
  }
  hwy::SetSupportedTargetsForTest(0);
#else
  if (&tm2::SelectKernels() != &tm2::ReferenceKernels())
    fn(tm2::SelectKernels(), tm2::SelectKernels().name);
#endif
}

void RunLoaded(const tm2::Model& model, const uint8_t* tail, size_t tail_n) {
  Pcm pcm;
  MakePcm(tail, tail_n, &pcm);
  std::vector<uint8_t> arena;
  RunResult ref;
  tm2::Engine engine =
      RunWith(model, tm2::ReferenceKernels(), tail, tail_n, pcm, &arena, &ref, nullptr);
  float sum = 0.0f;
  for (const float p : ref.probs) {
    if (!(p >= 0.0f && p <= 1.0f)) Disagree("a probability in [0, 1]", tm2::Status::Ok());
    sum += p;
  }
  if (!(sum > 0.99f && sum < 1.01f)) Disagree("probabilities summing to 1", tm2::Status::Ok());
  tm2::Engine moved = std::move(engine);
  if (engine.Invoke().code() != tm2::StatusCode::kNotReady) Disagree("move", tm2::Status::Ok());
  if (!moved.Invoke().ok()) Disagree("Invoke after a move", tm2::Status::Ok());
  if (std::memcmp(moved.probabilities(), ref.probs.data(), ref.probs.size() * sizeof(float)) != 0)
    Disagree("the same probabilities after a move", tm2::Status::Ok());

  // The SIMD tables on the same model and input: byte for byte the same.
  ForEachSimdTable([&](const tm2::KernelTable& kernels, const char* name) {
    std::vector<uint8_t> simd_arena;
    RunResult got;
    RunWith(model, kernels, tail, tail_n, pcm, &simd_arena, &got, &ref.used_features);
    SameAsReference(ref, got, name);
  });
}

// A model file, or a pack (format 1.1) whose every model runs in turn.
void RunModel(const std::vector<uint8_t>& file, const uint8_t* tail, size_t tail_n) {
  std::vector<uint32_t> storage;
  tm2::Model model;
  if (tm2::test::LoadCopy(file, &storage, &model, FuzzLimits()).ok()) {
    RunLoaded(model, tail, tail_n);
    return;
  }
  if (!tm2::LooksLikePack(file.data(), file.size())) return;
  tm2::Pack pack;
  std::vector<uint32_t> pack_storage(file.size() / 4 + 1, 0);
  std::memcpy(pack_storage.data(), file.data(), file.size());
  if (!tm2::LoadPack(reinterpret_cast<const uint8_t*>(pack_storage.data()), file.size(), &pack,
                     FuzzLimits())
           .ok())
    return;
  for (int i = 0; i < pack.num_models(); ++i) RunLoaded(pack.model(i), tail, tail_n);
}

}  // namespace

// Names the tables compared, once, so a run's log says what it covered.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::fprintf(stderr, "fuzz_engine: comparing with the reference:");
  ForEachSimdTable([](const tm2::KernelTable&, const char* name) {
    std::fprintf(stderr, " %s", name);
  });
  std::fprintf(stderr, "\n");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const size_t file_n = FileLength(data, size);
  std::vector<uint8_t> file(data, data + file_n);
  RunModel(file, data + file_n, size - file_n);
  if (file_n >= tm2::kHeaderBytes) {  // byte-level mutations rarely keep the CRC
    tm2::test::FixHeader(&file);
    RunModel(file, data + file_n, size - file_n);
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  Rng r(seed);
  const size_t file_n = FileLength(data, size);
  std::vector<uint8_t> tail(data + file_n, data + size);
  std::vector<uint8_t> file(data, data + file_n);
  std::vector<uint32_t> storage;
  tm2::Model model;
  // Structure-aware only on files that unpack (loaded by a roomy budget:
  // the FlatBuffer must verify before the object API may read it).
  tm2::ModelLimits roomy;
  roomy.max_layer_macs = roomy.max_layer_ops = roomy.max_model_macs = roomy.max_model_ops =
      roomy.max_memory_bytes = UINT64_MAX;
  const bool structured = r.Below(5) != 0 && file_n >= tm2::kHeaderBytes &&
                          tm2::test::LoadCopy(file, &storage, &model, roomy).ok();
  if (!structured) {
    if (r.Below(2) && !tail.empty()) {  // the PCM description
      tail.resize(tail.size() + 8);
      const size_t n = LLVMFuzzerMutate(tail.data(), tail.size() - 8, tail.size());
      tail.resize(n);
      file.insert(file.end(), tail.begin(), tail.end());
      if (file.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
      std::memcpy(data, file.data(), file.size());
      return file.size();
    }
    return LLVMFuzzerMutate(data, size, max_size);
  }
  std::unique_ptr<ModelT> m = tm2::test::Unpack(file);
  const int edits = 1 + r.Below(3);
  for (int i = 0; i < edits; ++i) tm2::fuzz::MutateModel(*m, r);
  if (r.Below(4)) tm2::fuzz::Repair(*m, r);
  if (tail.empty() && r.Below(2)) {
    for (int i = 0; i < 16; ++i) tail.push_back(static_cast<uint8_t>(r.Next()));
  }
  std::vector<uint8_t> out = tm2::test::Pack(*m);
  out.insert(out.end(), tail.begin(), tail.end());
  if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}
