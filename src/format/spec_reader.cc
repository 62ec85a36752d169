// ReadModelSpec: every field the writer takes, read back through the
// loader's walk (shapes) and the stored tables (windows, names, vectors).
#include "format/spec_reader.h"

#include <cstring>

#include "format/channel_params.h"
#include "format/layer_params.h"
#include "format/layer_rules.h"
#include "format/tm2_generated.h"

namespace tm2 {
namespace {

template <typename T, typename V>
std::vector<T> Copy(const V* v) {
  std::vector<T> out;
  if (v != nullptr) out.assign(v->begin(), v->end());
  return out;
}

std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

// Unpacked int8 values of a layer (Dense int8/int4, or PQ decoded).
std::vector<int8_t> Values(const LayerView& v, const format_internal::WeightMatrix& m) {
  std::vector<int8_t> out(static_cast<size_t>(m.rows * m.row_length));
  if (!v.pq) {
    const size_t row_bytes = format_internal::RowBytes(m.row_length, v.weight_bits);
    for (uint64_t r = 0; r < m.rows; ++r) {
      const uint8_t* row = v.weights + r * row_bytes;
      for (uint64_t i = 0; i < m.row_length; ++i) {
        int8_t x;
        if (v.weight_bits == 8) {
          x = static_cast<int8_t>(row[i]);
        } else {
          const int nib = (i & 1) ? row[i >> 1] >> 4 : row[i >> 1] & 0x0F;
          x = static_cast<int8_t>((nib ^ 8) - 8);
        }
        out[r * m.row_length + i] = x;
      }
    }
    return out;
  }
  const format_internal::WeightMatrix c = format_internal::PqCodeLayout(m, v.pq_dim);
  const size_t row_bytes = format_internal::RowBytes(c.row_length, v.weight_bits);
  for (uint64_t r = 0; r < m.rows; ++r) {
    const uint8_t* row = v.weights + r * row_bytes;
    for (uint64_t i = 0; i < c.row_length; ++i) {
      const unsigned code =
          v.weight_bits == 8 ? row[i] : ((i & 1) ? row[i >> 1] >> 4 : row[i >> 1] & 0x0F);
      for (uint64_t j = 0; j < static_cast<uint64_t>(v.pq_dim); ++j) {
        const uint64_t at = i * v.pq_dim + j;
        if (at >= m.row_length) break;
        out[r * m.row_length + at] = v.pq_centroids[code * v.pq_dim + j];
      }
    }
  }
  return out;
}

class SpecVisitor final : public ModelVisitor {
 public:
  SpecVisitor(const Model& model, ModelSpec* spec) : model_(model), spec_(*spec) {}
  Status BeginStack(int branch, const TensorInfo&, int) override {
    branch_ = branch;
    return Status::Ok();
  }
  Status EndStack(int, const TensorInfo&) override { return Status::Ok(); }
  Status Layer(const LayerView& v) override {
    const fb::Layer& f = branch_ >= 0
                             ? *model_.branch(branch_)->layers()->Get(static_cast<flatbuffers::uoffset_t>(v.index))
                             : *model_.root()->head()->Get(static_cast<flatbuffers::uoffset_t>(v.index));
    LayerSpec l;
    l.kind = v.kind;
    l.name = Str(f.name());
    l.kernel_h = f.kernel_h();
    l.kernel_w = f.kernel_w();
    l.stride_h = f.stride_h();
    l.stride_w = f.stride_w();
    l.same_padding = f.padding() == fb::Padding::Same;
    l.out_channels = f.out_channels();
    l.act_bits = f.act_bits();
    l.act_min = f.act_min();
    l.act_max = f.act_max();
    if (format_internal::LayerHasWeights(static_cast<int>(f.type()))) {
      const format_internal::WeightMatrix m =
          format_internal::WeightLayout(format_internal::ParamsOf(f), v.in);
      l.weights = Values(v, m);
      l.weight_bits = v.pq ? 8 : v.weight_bits;
      if (v.channel_params != nullptr) {
        // Narrow (1.2): the same values as wide vectors (verified).
        const size_t c = static_cast<size_t>(v.out.c);
        l.multiplier.resize(c);
        l.shift.resize(c);
        if (NarrowChannelsHaveBias(v.channel_params)) l.bias.resize(c);
        DecodeNarrowChannels(v.channel_params, v.out.c, l.bias.empty() ? nullptr : l.bias.data(),
                             l.multiplier.data(), l.shift.data());
      } else {
        l.bias = Copy<int32_t>(f.bias());
        l.multiplier = Copy<int32_t>(f.multiplier());
        l.shift = Copy<int8_t>(f.shift());
      }
      l.weight_scales = Copy<float>(f.weight_scales());
      l.output_zero_point = f.output_zero_point();
      l.output_scale = f.output_scale();
    } else {
      l.weight_bits = f.weight_bits();
    }
    (branch_ >= 0 ? spec_.branches[static_cast<size_t>(branch_)].layers : spec_.head).push_back(l);
    return Status::Ok();
  }

 private:
  const Model& model_;
  ModelSpec& spec_;
  int branch_ = 0;
};

}  // namespace

Status ReadModelSpec(const Model& model, ModelSpec* spec) {
  if (model.root() == nullptr || spec == nullptr)
    return Status::Error(StatusCode::kInvalidArgument, "spec reader: model not loaded");
  ModelSpec s;
  s.name = model.name();
  s.description = model.description();
  for (int i = 0; i < model.num_labels(); ++i) s.labels.push_back(model.label(i));
  for (int i = 0; i < model.num_metadata(); ++i)
    s.metadata.emplace_back(model.metadata_key(i), model.metadata_value(i));
  s.temperature = model.temperature();
  for (int b = 0; b < model.num_branches(); ++b) {
    BranchSpec bs;
    bs.name = model.branch_name(b);
    bs.modality = model.branch_modality(b);
    bs.prompt = model.branch_prompt(b);
    bs.preprocess = model.preprocess(b);
    const fb::Preprocess* f = model.branch(b)->preprocess();
    bs.norm_mean = Copy<float>(f->norm_mean());
    bs.norm_std = Copy<float>(f->norm_std());
    bs.preprocess.norm_mean = nullptr;
    bs.preprocess.norm_std = nullptr;
    bs.preprocess.norm_count = 0;
    s.branches.push_back(bs);
  }
  const fb::Fusion* fusion = model.root()->fusion();
  if (fusion != nullptr) {
    s.fusion.multiplier = Copy<int32_t>(fusion->multiplier());
    s.fusion.shift = Copy<int8_t>(fusion->shift());
    s.fusion.output_zero_point = fusion->output_zero_point();
    s.fusion.output_scale = fusion->output_scale();
  }
  SpecVisitor visitor(model, &s);
  TM2_RETURN_IF_ERROR(WalkModel(model, &visitor));
  *spec = std::move(s);
  return Status::Ok();
}

}  // namespace tm2
