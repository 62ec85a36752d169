// WriteModel: ModelSpec -> FlatBuffers payload -> header + CRC -> LoadModel.
// The writer checks only what it needs to encode (values fit their stored
// types, weights fit their bit width and their matrix); every other rule is
// the loader's, which the writer runs on its own output, so the two cannot
// drift apart. Output is deterministic: the builder is fed in spec order.
#include "format/writer.h"

#include <algorithm>
#include <cstdio>

#include "format/layer_rules.h"
#include "format/model.h"
#include "format/tm2_generated.h"
#include "format/pack.h"
#include "format/verify_model.h"  // kPackIdentifier
#include "format/writer_pack.h"

namespace tm2 {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;
using format_internal::LayerParams;

Status FitsRange(const char* field, long long v, long long lo, long long hi) {
  if (v < lo || v > hi) {
    return Status::Error(StatusCode::kInvalidArgument, "%s %lld outside [%lld, %lld]", field, v, lo,
                         hi);
  }
  return Status::Ok();
}

Status CheckStorable(const LayerSpec& l) {
  TM2_RETURN_IF_ERROR(
      FitsRange("layer kind", static_cast<int>(l.kind), 0, format_internal::kNumLayerTypes - 1));
  TM2_RETURN_IF_ERROR(FitsRange("kernel_h", l.kernel_h, 0, 255));
  TM2_RETURN_IF_ERROR(FitsRange("kernel_w", l.kernel_w, 0, 255));
  TM2_RETURN_IF_ERROR(FitsRange("stride_h", l.stride_h, 0, 255));
  TM2_RETURN_IF_ERROR(FitsRange("stride_w", l.stride_w, 0, 255));
  TM2_RETURN_IF_ERROR(FitsRange("out_channels", l.out_channels, 0, 65535));
  TM2_RETURN_IF_ERROR(FitsRange("weight_bits", l.weight_bits, 0, 255));
  TM2_RETURN_IF_ERROR(FitsRange("act_bits", l.act_bits, 0, 255));
  TM2_RETURN_IF_ERROR(FitsRange("act_min", l.act_min, -128, 127));
  TM2_RETURN_IF_ERROR(FitsRange("act_max", l.act_max, -128, 127));
  return FitsRange("output_zero_point", l.output_zero_point, -128, 127);
}

LayerParams ParamsOf(const LayerSpec& l) {
  LayerParams p;
  p.type = static_cast<int>(l.kind);
  p.kernel_h = l.kernel_h;
  p.kernel_w = l.kernel_w;
  p.stride_h = l.stride_h;
  p.stride_w = l.stride_w;
  p.same_padding = l.same_padding;
  p.out_channels = l.out_channels;
  return p;
}

template <typename T>
Offset<flatbuffers::Vector<T>> OptionalVector(FlatBufferBuilder& fbb, const std::vector<T>& v) {
  return v.empty() ? 0 : fbb.CreateVector(v);
}

// Codebook dims of the pack being written (empty for a plain model).
using CodebookDims = std::vector<int>;

// What a pack's layers may use, and whether one did.
struct BuildContext {
  CodebookDims dims;
  bool narrow = false;       // Narrow per-channel parameters where smaller (1.2)
  bool used_narrow = false;  // some layer is Narrow: the file needs minor 2
  bool used_tile = false;    // some branch tiles short input: the file needs minor 3
};

// Flat bytes of the wide vectors against the narrow block (each vector:
// a 4-byte length, its data padded to 4). Narrow when strictly smaller.
bool NarrowIsSmaller(const LayerSpec& l, size_t narrow_bytes) {
  auto vec = [](size_t data) { return data ? 4 + (data + 3) / 4 * 4 : 0; };
  const size_t wide = vec(4 * l.bias.size()) + vec(4 * l.multiplier.size()) + vec(l.shift.size());
  return vec(narrow_bytes) < wide;
}

// Narrow only for vectors the loader would take as wide (one multiplier
// and shift a channel, bias empty or full), so both forms decode alike.
std::vector<uint8_t> NarrowBlock(const LayerSpec& l, size_t oc) {
  if (oc == 0 || l.multiplier.size() != oc || l.shift.size() != oc ||
      !(l.bias.empty() || l.bias.size() == oc))
    return {};
  std::vector<uint8_t> narrow = format_internal::EncodeNarrowChannels(l.bias, l.multiplier, l.shift);
  if (!NarrowIsSmaller(l, narrow.size())) narrow.clear();
  return narrow;
}

// Serializes one layer whose input shape is `in`; `in` becomes its output.
Status BuildLayer(FlatBufferBuilder& fbb, const LayerSpec& l, BuildContext& ctx,
                  TensorShape* in, Offset<fb::Layer>* built) {
  const CodebookDims& dims = ctx.dims;
  TM2_RETURN_IF_ERROR(CheckStorable(l));
  const LayerParams p = ParamsOf(l);
  TensorShape out;
  TM2_RETURN_IF_ERROR(format_internal::InferShape(p, *in, &out, nullptr));
  std::vector<uint8_t> packed;
  const bool pq = l.pq_codebook >= 0;
  if (pq) {
    if (!format_internal::LayerHasWeights(p.type) || l.pq_codebook >= static_cast<int>(dims.size())) {
      return Status::Error(StatusCode::kInvalidArgument,
                           "codebook %d: not a weighted layer of a pack with that codebook",
                           l.pq_codebook);
    }
    TM2_RETURN_IF_ERROR(format_internal::PackCodes(
        l.pq_codes, format_internal::PqCodeLayout(format_internal::WeightLayout(p, *in),
                                                  dims[static_cast<size_t>(l.pq_codebook)]),
        l.weight_bits, &packed));
  } else if (format_internal::LayerHasWeights(p.type)) {
    TM2_RETURN_IF_ERROR(format_internal::PackWeights(
        l.weights, format_internal::WeightLayout(p, *in), l.weight_bits, &packed));
  } else if (!l.weights.empty()) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "%zu weights given to a layer without weights", l.weights.size());
  }
  const auto name = l.name.empty() ? 0 : fbb.CreateString(l.name);
  const auto weights = packed.empty() ? 0 : fbb.CreateVector(packed);
  const std::vector<uint8_t> narrow = ctx.narrow && format_internal::LayerHasWeights(p.type)
                                          ? NarrowBlock(l, static_cast<size_t>(out.c))
                                          : std::vector<uint8_t>();
  const bool is_narrow = !narrow.empty();
  ctx.used_narrow = ctx.used_narrow || is_narrow;
  const auto channel_params = is_narrow ? fbb.CreateVector(narrow) : 0;
  const auto bias = is_narrow ? 0 : OptionalVector(fbb, l.bias);
  const auto multiplier = is_narrow ? 0 : OptionalVector(fbb, l.multiplier);
  const auto shift = is_narrow ? 0 : OptionalVector(fbb, l.shift);
  const auto scales = OptionalVector(fbb, l.weight_scales);
  fb::LayerBuilder b(fbb);
  b.add_type(static_cast<fb::LayerType>(l.kind));
  b.add_kernel_h(static_cast<uint8_t>(l.kernel_h));
  b.add_kernel_w(static_cast<uint8_t>(l.kernel_w));
  b.add_stride_h(static_cast<uint8_t>(l.stride_h));
  b.add_stride_w(static_cast<uint8_t>(l.stride_w));
  b.add_padding(l.same_padding ? fb::Padding::Same : fb::Padding::Valid);
  b.add_out_channels(static_cast<uint16_t>(l.out_channels));
  b.add_weight_bits(static_cast<uint8_t>(l.weight_bits));
  b.add_weight_encoding(pq ? fb::WeightEncoding::ProductQuantized : fb::WeightEncoding::Dense);
  if (pq) b.add_codebook(static_cast<uint16_t>(l.pq_codebook));
  b.add_weights(weights);
  b.add_bias(bias);
  b.add_multiplier(multiplier);
  b.add_shift(shift);
  b.add_weight_scales(scales);
  b.add_output_zero_point(static_cast<int8_t>(l.output_zero_point));
  b.add_output_scale(l.output_scale);
  b.add_act_bits(static_cast<uint8_t>(l.act_bits));
  b.add_act_min(static_cast<int8_t>(l.act_min));
  b.add_act_max(static_cast<int8_t>(l.act_max));
  b.add_name(name);
  if (is_narrow) {
    b.add_channel_encoding(fb::ChannelEncoding::Narrow);
    b.add_channel_params(channel_params);
  }
  *built = b.Finish();
  *in = out;
  return Status::Ok();
}

Status BuildStack(FlatBufferBuilder& fbb, const std::vector<LayerSpec>& layers, const char* where,
                  BuildContext& ctx, TensorShape* in,
                  Offset<flatbuffers::Vector<Offset<fb::Layer>>>* built) {
  std::vector<Offset<fb::Layer>> offsets(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const Status s = BuildLayer(fbb, layers[i], ctx, in, &offsets[i]);
    if (!s.ok()) {
      return Status::Error(s.code(), "%s layer %zu (%s): %s", where, i,
                           format_internal::LayerTypeName(static_cast<int>(layers[i].kind)),
                           s.message());
    }
  }
  *built = fbb.CreateVector(offsets);
  return Status::Ok();
}

Offset<fb::Preprocess> BuildPreprocess(FlatBufferBuilder& fbb, const BranchSpec& spec,
                                       BuildContext& ctx) {
  const PreprocessParams& p = spec.preprocess;
  const auto mean = OptionalVector(fbb, spec.norm_mean);
  const auto std = OptionalVector(fbb, spec.norm_std);
  fb::PreprocessBuilder b(fbb);
  b.add_sample_rate(p.sample_rate);
  b.add_pre_emphasis(p.pre_emphasis);
  b.add_frame_length(p.frame_length);
  b.add_frame_step(p.frame_step);
  b.add_fft_size(p.fft_size);
  b.add_window(static_cast<fb::Window>(p.window));
  b.add_mel_bins(p.mel_bins);
  b.add_mel_low_hz(p.mel_low_hz);
  b.add_mel_high_hz(p.mel_high_hz);
  b.add_log_floor(p.log_floor);
  b.add_dct_coefficients(p.dct_coefficients);
  b.add_num_frames(p.num_frames);
  b.add_crop(static_cast<fb::CropPolicy>(p.crop));
  b.add_normalization(static_cast<fb::Normalization>(p.normalization));
  b.add_norm_mean(mean);
  b.add_norm_std(std);
  b.add_input_scale(p.input_scale);
  b.add_input_zero_point(p.input_zero_point);
  b.add_min_seconds(p.min_seconds);
  b.add_max_seconds(p.max_seconds);
  // Only a Tile branch stores the pad fields (1.3): a Zero file keeps the
  // bytes it had before they existed.
  if (p.pad == PadMode::kTile) {
    b.add_pad(fb::PadMode::Tile);
    b.add_tile_gap_ms(p.tile_gap_ms);
    ctx.used_tile = true;
  }
  return b.Finish();
}

Status BuildBranch(FlatBufferBuilder& fbb, const BranchSpec& spec, int index, BuildContext& ctx,
                   TensorShape* out, Offset<fb::Branch>* built) {
  char where[64];
  std::snprintf(where, sizeof(where), "branch %d '%.32s'", index, spec.name.c_str());
  TensorShape shape;
  shape.h = spec.preprocess.num_frames;
  shape.w = spec.preprocess.num_features();
  shape.c = 1;
  Offset<flatbuffers::Vector<Offset<fb::Layer>>> layers;
  TM2_RETURN_IF_ERROR(BuildStack(fbb, spec.layers, where, ctx, &shape, &layers));
  const auto name = fbb.CreateString(spec.name);
  const auto modality = fbb.CreateString(spec.modality);
  const auto prompt = fbb.CreateString(spec.prompt);
  const auto preprocess = BuildPreprocess(fbb, spec, ctx);
  *built = fb::CreateBranch(fbb, name, modality, prompt, preprocess, layers);
  *out = shape;
  return Status::Ok();
}

Offset<flatbuffers::Vector<Offset<fb::KeyValue>>> BuildMetadata(FlatBufferBuilder& fbb,
                                                                const ModelSpec& spec) {
  if (spec.metadata.empty()) return 0;
  // Keyed table: stored sorted by key so readers can binary-search it.
  auto sorted = spec.metadata;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Offset<fb::KeyValue>> entries;
  for (const auto& kv : sorted) {
    entries.push_back(fb::CreateKeyValueDirect(fbb, kv.first.c_str(), kv.second.c_str()));
  }
  return fbb.CreateVector(entries);
}

void AppendU16(std::vector<uint8_t>* out, uint16_t v) {
  out->push_back(static_cast<uint8_t>(v));
  out->push_back(static_cast<uint8_t>(v >> 8));
}
void AppendU32(std::vector<uint8_t>* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// The Model table of `spec` (its layers may index `dims`' codebooks).
Status BuildModel(FlatBufferBuilder& fbb, const ModelSpec& spec, BuildContext& ctx,
                  Offset<fb::Model>* built) {
  if (spec.branches.empty()) {
    return Status::Error(StatusCode::kInvalidArgument, "writer: a model needs at least 1 branch");
  }
  std::vector<Offset<fb::Branch>> branches(spec.branches.size());
  TensorShape head_in;
  uint64_t fused = 0;
  for (size_t b = 0; b < spec.branches.size(); ++b) {
    TM2_RETURN_IF_ERROR(
        BuildBranch(fbb, spec.branches[b], static_cast<int>(b), ctx, &head_in, &branches[b]));
    fused += head_in.size();
  }
  if (spec.branches.size() > 1) {
    head_in.h = head_in.w = 1;
    head_in.c = fused > format_internal::kMaxTensorElements ? 0 : static_cast<int>(fused);
  }
  Offset<flatbuffers::Vector<Offset<fb::Layer>>> head;
  TM2_RETURN_IF_ERROR(BuildStack(fbb, spec.head, "head", ctx, &head_in, &head));
  Offset<fb::Fusion> fusion = 0;
  if (spec.branches.size() > 1) {
    TM2_RETURN_IF_ERROR(
        FitsRange("fusion output_zero_point", spec.fusion.output_zero_point, -128, 127));
    // Built in separate statements: argument evaluation order differs
    // between compilers (GCC right to left, clang left to right), and the
    // file's bytes must not depend on the compiler.
    const auto multiplier = OptionalVector(fbb, spec.fusion.multiplier);
    const auto shift = OptionalVector(fbb, spec.fusion.shift);
    fusion = fb::CreateFusion(fbb, multiplier, shift,
                              static_cast<int8_t>(spec.fusion.output_zero_point),
                              spec.fusion.output_scale);
  }
  const auto name = fbb.CreateString(spec.name);
  const auto description = fbb.CreateString(spec.description);
  const auto labels = fbb.CreateVectorOfStrings(spec.labels);
  const auto metadata = BuildMetadata(fbb, spec);
  const auto branch_vector = fbb.CreateVector(branches);
  fb::ModelBuilder m(fbb);
  m.add_name(name);
  m.add_description(description);
  m.add_labels(labels);
  m.add_metadata(metadata);
  m.add_temperature(spec.temperature);
  m.add_branches(branch_vector);
  m.add_fusion(fusion);
  m.add_head(head);
  *built = m.Finish();
  return Status::Ok();
}

// Header (FORMAT.md 1) + the finished payload.
std::vector<uint8_t> WithHeader(const FlatBufferBuilder& fbb, uint16_t minor) {
  const uint8_t* payload = fbb.GetBufferPointer();
  const uint32_t size = fbb.GetSize();
  std::vector<uint8_t> file;
  file.reserve(kHeaderBytes + size);
  file.insert(file.end(), {'T', 'M', '2', 0});
  AppendU16(&file, kFormatMajor);
  AppendU16(&file, minor);
  AppendU32(&file, size);
  AppendU32(&file, Crc32(payload, size));
  file.insert(file.end(), payload, payload + size);
  return file;
}

}  // namespace

size_t ChannelParamBytes(const LayerSpec& l, bool narrow) {
  const size_t wide = 4 * l.bias.size() + 4 * l.multiplier.size() + l.shift.size();
  if (!narrow || !format_internal::LayerHasWeights(static_cast<int>(l.kind))) return wide;
  const std::vector<uint8_t> block = NarrowBlock(l, l.multiplier.size());
  return block.empty() ? wide : block.size();
}

Status WriteModel(const ModelSpec& spec, std::vector<uint8_t>* out) {
  if (out == nullptr) return Status::Error(StatusCode::kInvalidArgument, "writer: null output");
  out->clear();
  FlatBufferBuilder fbb(4096);
  Offset<fb::Model> root;
  BuildContext ctx;  // a plain model stays 1.0: wide vectors
  TM2_RETURN_IF_ERROR(BuildModel(fbb, spec, ctx, &root));
  fb::FinishModelBuffer(fbb, root);
  std::vector<uint8_t> file = WithHeader(fbb, ctx.used_tile ? kFormatMinorTile : kFormatMinor);
  Model check;
  TM2_RETURN_IF_ERROR(LoadModel(file.data(), file.size(), &check));
  *out = std::move(file);
  return Status::Ok();
}

Status WritePack(const PackSpec& spec, std::vector<uint8_t>* out) {
  if (out == nullptr) return Status::Error(StatusCode::kInvalidArgument, "writer: null output");
  out->clear();
  FlatBufferBuilder fbb(16384);
  BuildContext ctx;
  ctx.narrow = !spec.wide_channels;
  CodebookDims& dims = ctx.dims;
  std::vector<Offset<fb::Codebook>> codebooks;
  for (const CodebookSpec& c : spec.codebooks) {
    TM2_RETURN_IF_ERROR(FitsRange("codebook dim", c.dim, 1, format_internal::kMaxPqDim));
    dims.push_back(c.dim);
    const auto centroids = fbb.CreateVector(c.centroids);
    codebooks.push_back(fb::CreateCodebook(fbb, static_cast<uint8_t>(c.dim), centroids));
  }
  std::vector<Offset<fb::Model>> models(spec.models.size());
  for (size_t i = 0; i < spec.models.size(); ++i) {
    const Status s = BuildModel(fbb, spec.models[i], ctx, &models[i]);
    if (!s.ok()) {
      return Status::Error(s.code(), "pack model %zu '%s': %s", i, spec.models[i].name.c_str(),
                           s.message());
    }
  }
  const auto name = fbb.CreateString(spec.name);
  const auto description = fbb.CreateString(spec.description);
  const auto codebook_vector = fbb.CreateVector(codebooks);
  const auto model_vector = fbb.CreateVector(models);
  fb::ModelPackBuilder p(fbb);
  p.add_name(name);
  p.add_description(description);
  p.add_codebooks(codebook_vector);
  p.add_models(model_vector);
  fbb.Finish(p.Finish(), format_internal::kPackIdentifier);
  // The lowest minor that reads it (FORMAT.md 8).
  std::vector<uint8_t> file = WithHeader(
      fbb, ctx.used_tile ? kFormatMinorTile : ctx.used_narrow ? kFormatMinorNarrow : kFormatMinorPack);
  // The loader needs 4-byte alignment; a vector's data has it.
  Pack check;
  TM2_RETURN_IF_ERROR(LoadPack(file.data(), file.size(), &check));
  *out = std::move(file);
  return Status::Ok();
}

}  // namespace tm2
