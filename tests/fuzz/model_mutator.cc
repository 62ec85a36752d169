// The engine fuzzer's structure-aware model edits (model_mutator.h).
#include "model_mutator.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "file_edit.h"
#include "format/shapes.h"
#include "format/tm2_generated.h"

namespace tm2 {
namespace fuzz {
namespace {

using fbt::LayerT;
using fbt::ModelT;
using LayerList = std::vector<std::unique_ptr<LayerT>>;

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

}  // namespace

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

}  // namespace fuzz
}  // namespace tm2
