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
// loader, and packs it with a correct header and CRC.
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
#include "format/shapes.h"
#include "format/tm2_generated.h"
#include "kernels/select.h"

#if defined(TM2_FUZZ_HWY_DYNAMIC)
#include "hwy/targets.h"
#include "kernels/hwy/hwy_kernels.h"
#endif

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

using tm2::fbt::LayerT;
using tm2::fbt::ModelT;
using LayerList = std::vector<std::unique_ptr<LayerT>>;

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
    char name[40];
    std::snprintf(name, sizeof(name), "hwy:%s", tm2::HwyTargetName());
    fn(tm2::SelectKernels(), name);
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

// --- structure-aware mutation -------------------------------------------

class Rng {
 public:
  explicit Rng(unsigned seed) : s_(seed * 2654435761u + 1) {}
  uint32_t Next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 17;
    s_ ^= s_ << 5;
    return s_;
  }
  int Below(int n) { return n > 0 ? static_cast<int>(Next() % static_cast<uint32_t>(n)) : 0; }

 private:
  uint32_t s_;
};

LayerList* PickStack(ModelT& m, Rng& r) {
  const int n = static_cast<int>(m.branches.size());
  const int k = r.Below(n + 1);
  return k < n ? &m.branches[k]->layers : &m.head;
}

int SmallOrEdge(Rng& r, int small, int edge) {
  return r.Below(8) == 0 ? edge : 1 + r.Below(small);
}

void MutateLayer(LayerT& l, Rng& r) {
  switch (r.Below(12)) {
    case 0: l.type = static_cast<tm2::fbt::LayerType>(r.Below(8)); break;
    case 1: l.kernel_h = static_cast<uint8_t>(SmallOrEdge(r, 5, 255)); break;
    case 2: l.kernel_w = static_cast<uint8_t>(SmallOrEdge(r, 5, 255)); break;
    case 3: l.stride_h = static_cast<uint8_t>(SmallOrEdge(r, 3, 200)); break;
    case 4: l.stride_w = static_cast<uint8_t>(SmallOrEdge(r, 3, 200)); break;
    case 5: l.padding = static_cast<tm2::fbt::Padding>(r.Below(2)); break;
    case 6: l.out_channels = static_cast<uint16_t>(SmallOrEdge(r, 40, 4000)); break;
    case 7: l.weight_bits = r.Below(2) ? 4 : 8; break;
    case 8:
      l.act_bits = r.Below(2) ? 4 : 8;
      l.act_min = static_cast<int8_t>(l.act_bits == 4 ? -8 : -128 + r.Below(64));
      l.act_max = static_cast<int8_t>(l.act_bits == 4 ? 7 : 127 - r.Below(64));
      break;
    case 9:
      if (!l.shift.empty()) l.shift[r.Below(static_cast<int>(l.shift.size()))] =
          static_cast<int8_t>(r.Below(2) ? -30 + r.Below(61) : 31 - r.Below(64));
      break;
    case 10:
      if (!l.multiplier.empty()) l.multiplier[r.Below(static_cast<int>(l.multiplier.size()))] =
          static_cast<int32_t>(r.Next() & 0x7FFFFFFF);
      break;
    default:
      l.output_zero_point = static_cast<int8_t>(r.Next());
      l.output_scale = r.Below(4) ? 0.01f * (1 + r.Below(100)) : std::ldexp(1.0f, r.Below(250) - 125);
      break;
  }
}

void MutatePreprocess(tm2::fbt::PreprocessT& p, Rng& r) {
  switch (r.Below(9)) {
    case 0: p.num_frames = static_cast<uint16_t>(SmallOrEdge(r, 80, 4096)); break;
    case 1: p.mel_bins = static_cast<uint16_t>(SmallOrEdge(r, 40, 2049)); break;
    case 2: p.dct_coefficients = static_cast<uint16_t>(r.Below(3) ? 0 : r.Below(p.mel_bins + 1)); break;
    case 3: p.fft_size = static_cast<uint16_t>(32 << r.Below(8)); break;
    case 4:
      p.frame_length = static_cast<uint16_t>(1 + r.Below(p.fft_size ? p.fft_size : 512));
      p.frame_step = static_cast<uint16_t>(SmallOrEdge(r, 400, 1));
      break;
    case 5: {
      static const uint32_t kRates[5] = {8000, 16000, 22050, 44100, 48000};
      p.sample_rate = kRates[r.Below(5)];
      p.mel_high_hz = 0.0f;
      break;
    }
    case 6: p.crop = static_cast<tm2::fbt::CropPolicy>(r.Below(3)); break;
    case 7: p.max_seconds = r.Below(4) ? 0.5f + r.Below(10) : 3600.0f; break;
    default:
      p.normalization = static_cast<tm2::fbt::Normalization>(r.Below(2));
      p.norm_mean.assign(p.normalization == tm2::fbt::Normalization::Fixed ? 1 : 0, -2.0f);
      p.norm_std.assign(p.norm_mean.size(), 1.5f);
      break;
  }
}

void MutateModel(ModelT& m, Rng& r) {
  switch (r.Below(8)) {
    case 0: case 1: case 2: {
      LayerList* s = PickStack(m, r);
      if (!s->empty()) MutateLayer(*(*s)[r.Below(static_cast<int>(s->size()))], r);
      break;
    }
    case 3: {  // insert a copy of a layer, or a fresh pool
      LayerList* s = PickStack(m, r);
      auto l = std::make_unique<LayerT>();
      if (!s->empty() && r.Below(2)) {
        *l = *(*s)[r.Below(static_cast<int>(s->size()))];
      } else {
        l->type = static_cast<tm2::fbt::LayerType>(4 + r.Below(3));
        l->kernel_h = l->kernel_w = static_cast<uint8_t>(1 + r.Below(3));
        l->padding = tm2::fbt::Padding::Same;
      }
      const int at = r.Below(static_cast<int>(s->size()) + (s == &m.head ? 0 : 1));
      s->insert(s->begin() + at, std::move(l));
      break;
    }
    case 4: {
      LayerList* s = PickStack(m, r);
      if (!s->empty()) s->erase(s->begin() + r.Below(static_cast<int>(s->size())));
      break;
    }
    case 5:
      if (!m.branches.empty()) {
        auto& b = *m.branches[r.Below(static_cast<int>(m.branches.size()))];
        if (b.preprocess) MutatePreprocess(*b.preprocess, r);
      }
      break;
    case 6: {  // branch count and the fusion table
      const int n = static_cast<int>(m.branches.size());
      if (r.Below(2) && n > 1) {
        m.branches.pop_back();
      } else if (n > 0 && n < 8) {
        m.branches.push_back(std::make_unique<tm2::fbt::BranchT>(*m.branches[r.Below(n)]));
      }
      if (r.Below(3)) {
        if (!m.fusion) m.fusion = std::make_unique<tm2::fbt::FusionT>();
        m.fusion->multiplier.assign(m.branches.size(), 0x40000000 + r.Below(0x3FFFFFFF));
        m.fusion->shift.assign(m.branches.size(), static_cast<int8_t>(-r.Below(8)));
        m.fusion->output_zero_point = static_cast<int8_t>(r.Next());
        m.fusion->output_scale = 0.05f;
      } else if (m.branches.size() == 1) {
        m.fusion.reset();
      }
      break;
    }
    default: {
      const float t[6] = {1e-40f, 1e-3f, 0.01f, 1.0f, 100.0f, 1e30f};
      m.temperature = t[r.Below(6)];
      break;
    }
  }
}

// Gives every weight and per-channel vector the length the shapes call for
// (from shapes.h on the packed model), and the labels the head's size.
bool RepairStack(const flatbuffers::Vector<flatbuffers::Offset<tm2::fb::Layer>>* fb_layers,
                 LayerList& layers, tm2::TensorShape* shape, Rng& r) {
  if (fb_layers == nullptr) return true;
  for (size_t i = 0; i < fb_layers->size() && i < layers.size(); ++i) {
    const tm2::fb::Layer& fl = *fb_layers->Get(static_cast<flatbuffers::uoffset_t>(i));
    LayerT& l = *layers[i];
    tm2::TensorShape out;
    if (!tm2::InferLayerShape(fl, *shape, &out, nullptr).ok()) return false;
    const size_t bytes = tm2::ExpectedWeightBytes(fl, *shape);
    if (bytes > (1u << 16)) return false;
    const size_t c = bytes ? static_cast<size_t>(out.c) : 0;
    if (bytes && l.weight_bits != 4 && l.weight_bits != 8) l.weight_bits = 8;
    while (l.weights.size() < bytes) l.weights.push_back(static_cast<uint8_t>(r.Next()));
    l.weights.resize(bytes);
    l.multiplier.resize(c, 0x40000000);
    l.shift.resize(c, -4);
    l.bias.resize(l.bias.empty() ? 0 : c, 0);
    l.weight_scales.clear();
    if (bytes && !(l.output_scale > 0.0f)) l.output_scale = 0.05f;
    *shape = out;
  }
  return true;
}

void Repair(ModelT& m, Rng& r) {
  if (m.branches.empty()) return;
  const std::vector<uint8_t> packed = tm2::test::Pack(m);
  const tm2::fb::Model* root = tm2::fb::GetModel(packed.data() + tm2::kHeaderBytes);
  tm2::TensorShape last;
  uint64_t fused = 0;
  for (size_t b = 0; b < m.branches.size(); ++b) {
    const auto* p = root->branches()->Get(static_cast<flatbuffers::uoffset_t>(b))->preprocess();
    if (p == nullptr) return;
    tm2::TensorShape s{p->num_frames(), p->dct_coefficients() ? p->dct_coefficients() : p->mel_bins(), 1};
    if (!RepairStack(root->branches()->Get(static_cast<flatbuffers::uoffset_t>(b))->layers(),
                     m.branches[b]->layers, &s, r))
      return;
    last = s;
    fused += s.size();
  }
  if (m.branches.size() > 1) last = tm2::TensorShape{1, 1, static_cast<int>(fused)};
  if (!RepairStack(root->head(), m.head, &last, r)) return;
  if (last.size() >= 2 && last.size() <= 64) {
    m.labels.resize(last.size());
    for (size_t i = 0; i < m.labels.size(); ++i) m.labels[i] = std::string(1, 'a' + i % 26);
  }
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
  for (int i = 0; i < edits; ++i) MutateModel(*m, r);
  if (r.Below(4)) Repair(*m, r);
  if (tail.empty() && r.Below(2)) {
    for (int i = 0; i < 16; ++i) tail.push_back(static_cast<uint8_t>(r.Next()));
  }
  std::vector<uint8_t> out = tm2::test::Pack(*m);
  out.insert(out.end(), tail.begin(), tail.end());
  if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}
