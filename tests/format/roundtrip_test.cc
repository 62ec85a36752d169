// Write a model, load it back, and compare every stored field with the spec.
#include <algorithm>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "file_edit.h"
#include "format/shapes.h"
#include "format/spec_reader.h"
#include "format/tm2_generated.h"
#include "format/writer.h"
#include "kernels/kernels.h"
#include "sample_model.h"

namespace {

using tm2::LayerKind;
using tm2::LayerSpec;
using tm2::TensorShape;

template <typename T, typename V>
std::vector<T> ToVector(const V* v) {
  std::vector<T> out;
  if (v != nullptr) out.assign(v->begin(), v->end());
  return out;
}

// Unpacks a stored weight tensor back into one value per weight.
std::vector<int8_t> UnpackWeights(const tm2::fb::Layer& l, const TensorShape& in) {
  size_t rows = 0, len = 0;
  switch (l.type()) {
    case tm2::fb::LayerType::Conv2D:
      rows = l.out_channels();
      len = size_t{l.kernel_h()} * l.kernel_w() * in.c;
      break;
    case tm2::fb::LayerType::DepthwiseConv2D:
      rows = size_t{l.kernel_h()} * l.kernel_w();
      len = in.c;
      break;
    case tm2::fb::LayerType::FullyConnected:
      rows = l.out_channels();
      len = in.size();
      break;
    case tm2::fb::LayerType::PointwiseConv2D:
      rows = l.out_channels();
      len = in.c;
      break;
    default:
      return {};
  }
  std::vector<int8_t> out;
  const size_t row_bytes = tm2::WeightRowBytes(static_cast<int>(len), l.weight_bits());
  REQUIRE(l.weights()->size() == rows * row_bytes);
  for (size_t r = 0; r < rows; ++r) {
    const uint8_t* row = l.weights()->data() + r * row_bytes;
    for (size_t i = 0; i < len; ++i) {
      out.push_back(static_cast<int8_t>(l.weight_bits() == 4
                                            ? tm2::UnpackInt4(row, static_cast<int>(i))
                                            : static_cast<int8_t>(row[i])));
    }
    if (l.weight_bits() == 4 && len % 2 == 1) CHECK((row[len / 2] >> 4) == 0);  // padding nibble
  }
  return out;
}

void CheckLayer(const tm2::fb::Layer& l, const LayerSpec& s, TensorShape* shape) {
  INFO("layer " << s.name);
  CHECK(static_cast<int>(l.type()) == static_cast<int>(s.kind));
  CHECK(l.kernel_h() == s.kernel_h);
  CHECK(l.kernel_w() == s.kernel_w);
  CHECK(l.stride_h() == s.stride_h);
  CHECK(l.stride_w() == s.stride_w);
  CHECK((l.padding() == tm2::fb::Padding::Same) == s.same_padding);
  CHECK(l.out_channels() == s.out_channels);
  CHECK(l.weight_bits() == s.weight_bits);
  CHECK(l.weight_encoding() == tm2::fb::WeightEncoding::Dense);
  CHECK(UnpackWeights(l, *shape) == s.weights);
  CHECK(ToVector<int32_t>(l.bias()) == s.bias);
  CHECK(ToVector<int32_t>(l.multiplier()) == s.multiplier);
  CHECK(ToVector<int8_t>(l.shift()) == s.shift);
  CHECK(ToVector<float>(l.weight_scales()) == s.weight_scales);
  CHECK(l.output_zero_point() == s.output_zero_point);
  CHECK(l.output_scale() == s.output_scale);
  CHECK(l.act_bits() == s.act_bits);
  CHECK(l.act_min() == s.act_min);
  CHECK(l.act_max() == s.act_max);
  CHECK(l.name()->str() == s.name);
  TensorShape out;
  REQUIRE(tm2::InferLayerShape(l, *shape, &out, nullptr).ok());
  *shape = out;
}

void CheckPreprocess(const tm2::PreprocessParams& a, const tm2::BranchSpec& b) {
  const tm2::PreprocessParams& e = b.preprocess;
  CHECK(a.sample_rate == e.sample_rate);
  CHECK(a.pre_emphasis == e.pre_emphasis);
  CHECK(a.frame_length == e.frame_length);
  CHECK(a.frame_step == e.frame_step);
  CHECK(a.fft_size == e.fft_size);
  CHECK(a.window == e.window);
  CHECK(a.mel_bins == e.mel_bins);
  CHECK(a.mel_low_hz == e.mel_low_hz);
  CHECK(a.mel_high_hz == e.mel_high_hz);
  CHECK(a.log_floor == e.log_floor);
  CHECK(a.dct_coefficients == e.dct_coefficients);
  CHECK(a.num_frames == e.num_frames);
  CHECK(a.crop == e.crop);
  CHECK(a.normalization == e.normalization);
  REQUIRE(a.norm_count == b.norm_mean.size());
  CHECK(std::vector<float>(a.norm_mean, a.norm_mean + a.norm_count) == b.norm_mean);
  CHECK(std::vector<float>(a.norm_std, a.norm_std + a.norm_count) == b.norm_std);
  CHECK(a.input_scale == e.input_scale);
  CHECK(a.input_zero_point == e.input_zero_point);
  CHECK(a.min_seconds == e.min_seconds);
  CHECK(a.max_seconds == e.max_seconds);
}

}  // namespace

TEST_CASE("A multi-branch int8/int4 model reads back exactly as written", "[format][roundtrip]") {
  const tm2::ModelSpec spec = tm2::test::MultiBranchSpec();
  std::vector<uint8_t> file;
  const tm2::Status written = tm2::WriteModel(spec, &file);
  INFO(written.message());
  REQUIRE(written.ok());

  std::vector<uint32_t> storage;
  tm2::Model model;
  REQUIRE(tm2::test::LoadCopy(file, &storage, &model).ok());
  CHECK(model.format_major() == tm2::kFormatMajor);
  CHECK(model.format_minor() == tm2::kFormatMinor);
  CHECK(std::string(model.name()) == spec.name);
  CHECK(model.root()->description()->str() == spec.description);
  CHECK(model.root()->temperature() == spec.temperature);
  REQUIRE(model.num_labels() == static_cast<int>(spec.labels.size()));
  for (int i = 0; i < model.num_labels(); ++i) CHECK(model.label(i) == spec.labels[i]);
  CHECK(std::string(model.label(99)).empty());

  // Metadata is a keyed table: stored sorted by key, found by key.
  auto sorted = spec.metadata;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(model.root()->metadata()->size() == sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    const auto* kv = model.root()->metadata()->Get(static_cast<flatbuffers::uoffset_t>(i));
    CHECK(kv->key()->str() == sorted[i].first);
    CHECK(kv->value()->str() == sorted[i].second);
    CHECK(model.root()->metadata()->LookupByKey(sorted[i].first.c_str()) == kv);
  }

  REQUIRE(model.num_branches() == static_cast<int>(spec.branches.size()));
  size_t fused = 0;
  for (int b = 0; b < model.num_branches(); ++b) {
    const tm2::BranchSpec& bs = spec.branches[b];
    const tm2::fb::Branch* br = model.branch(b);
    CHECK(br->name()->str() == bs.name);
    CHECK(std::string(model.branch_modality(b)) == bs.modality);
    CHECK(br->prompt()->str() == bs.prompt);
    CheckPreprocess(model.preprocess(b), bs);
    REQUIRE(br->layers()->size() == bs.layers.size());
    TensorShape shape;
    shape.h = bs.preprocess.num_frames;
    shape.w = bs.preprocess.num_features();
    shape.c = 1;
    for (size_t i = 0; i < bs.layers.size(); ++i) {
      CheckLayer(*br->layers()->Get(static_cast<flatbuffers::uoffset_t>(i)), bs.layers[i], &shape);
    }
    fused += shape.size();
  }
  const tm2::fb::Fusion* fusion = model.root()->fusion();
  REQUIRE(fusion != nullptr);
  CHECK(ToVector<int32_t>(fusion->multiplier()) == spec.fusion.multiplier);
  CHECK(ToVector<int8_t>(fusion->shift()) == spec.fusion.shift);
  CHECK(fusion->output_zero_point() == spec.fusion.output_zero_point);
  CHECK(fusion->output_scale() == spec.fusion.output_scale);

  TensorShape shape;
  shape.h = shape.w = 1;
  shape.c = static_cast<int>(fused);
  REQUIRE(model.root()->head()->size() == spec.head.size());
  for (size_t i = 0; i < spec.head.size(); ++i) {
    CheckLayer(*model.root()->head()->Get(static_cast<flatbuffers::uoffset_t>(i)), spec.head[i],
               &shape);
  }
  CHECK(shape.c == model.num_labels());
}

TEST_CASE("The writer is deterministic and fills the header", "[format][roundtrip]") {
  std::vector<uint8_t> a, b;
  REQUIRE(tm2::WriteModel(tm2::test::MultiBranchSpec(), &a).ok());
  REQUIRE(tm2::WriteModel(tm2::test::MultiBranchSpec(), &b).ok());
  CHECK(a == b);
  REQUIRE(a.size() > tm2::kHeaderBytes);
  CHECK(std::string(reinterpret_cast<const char*>(a.data()), 4) == std::string("TM2\0", 4));
  CHECK((a[4] | (a[5] << 8)) == tm2::kFormatMajor);
  CHECK((a[6] | (a[7] << 8)) == tm2::kFormatMinor);
  const uint32_t size = a[8] | (a[9] << 8) | (a[10] << 16) | (uint32_t{a[11]} << 24);
  CHECK(size == a.size() - tm2::kHeaderBytes);
  const uint32_t crc = a[12] | (a[13] << 8) | (a[14] << 16) | (uint32_t{a[15]} << 24);
  CHECK(crc == tm2::Crc32(a.data() + tm2::kHeaderBytes, size));
  CHECK(std::string(reinterpret_cast<const char*>(a.data()) + tm2::kHeaderBytes + 4, 4) == "TM2P");
  // A changed weight changes the file.
  tm2::ModelSpec spec = tm2::test::MultiBranchSpec();
  spec.head[0].weights[0] = static_cast<int8_t>(spec.head[0].weights[0] == 1 ? 2 : 1);
  REQUIRE(tm2::WriteModel(spec, &b).ok());
  CHECK(a != b);
}

TEST_CASE("int4 rows pack low nibble first, each row on a byte boundary", "[format][roundtrip]") {
  tm2::ModelSpec spec = tm2::test::SmallSpec();
  LayerSpec& fc = spec.head[0];  // 2 rows of 3 values (the GAP output has 3 channels)
  fc.weight_bits = 4;
  fc.weights = {1, -1, 7, -8, 0, 3};
  std::vector<uint8_t> file;
  REQUIRE(tm2::WriteModel(spec, &file).ok());
  std::vector<uint32_t> storage;
  tm2::Model model;
  REQUIRE(tm2::test::LoadCopy(file, &storage, &model).ok());
  const auto* w = model.root()->head()->Get(0)->weights();
  REQUIRE(w->size() == 4);
  CHECK(w->Get(0) == 0xF1);  // 1 low, -1 high
  CHECK(w->Get(1) == 0x07);  // 7, padding nibble
  CHECK(w->Get(2) == 0x08);  // -8 low, 0 high
  CHECK(w->Get(3) == 0x03);  // 3, padding nibble
}

TEST_CASE("The writer refuses what it cannot encode", "[format][writer]") {
  std::vector<uint8_t> file;
  auto fails = [&](const tm2::ModelSpec& spec, const char* text) {
    const tm2::Status st = tm2::WriteModel(spec, &file);
    INFO(st.message());
    CHECK(!st.ok());
    CHECK_THAT(st.message(), Catch::Contains(text));
    CHECK(file.empty());
  };
  tm2::ModelSpec spec = tm2::test::SmallSpec();
  spec.head[0].weight_bits = 4;
  spec.head[0].weights[0] = 100;
  fails(spec, "outside the 4-bit range");
  spec = tm2::test::SmallSpec();
  spec.head[0].weights.pop_back();
  fails(spec, "head layer 0 (FullyConnected): 5 weight values, expected 6");
  spec = tm2::test::SmallSpec();
  spec.branches[0].layers[0].kernel_h = 300;
  fails(spec, "kernel_h 300");
  spec = tm2::test::SmallSpec();
  spec.branches[0].layers[1].weights = {1};
  fails(spec, "weights given to a layer without weights");
  spec = tm2::test::SmallSpec();
  spec.branches.clear();
  fails(spec, "at least 1 branch");
  // Semantic rules come from the loader the writer runs on its output.
  spec = tm2::test::SmallSpec();
  spec.labels.push_back("maybe");
  fails(spec, "head: outputs 2 values for 3 labels");
}

TEST_CASE("Only a model that tiles is written as 1.3; a zero-padding one keeps its bytes",
          "[format][roundtrip]") {
  tm2::ModelSpec spec = tm2::test::MultiBranchSpec();
  std::vector<uint8_t> zero, tile, again;
  REQUIRE(tm2::WriteModel(spec, &zero).ok());
  CHECK(zero[6] == 0);  // minor 0: no pad field stored
  spec.branches[2].preprocess.pad = tm2::PadMode::kTile;
  spec.branches[2].preprocess.tile_gap_ms = 250;
  REQUIRE(tm2::WriteModel(spec, &tile).ok());
  CHECK(tile[6] == tm2::kFormatMinorTile);
  CHECK(tile.size() > zero.size());
  std::vector<uint32_t> storage;
  tm2::Model m;
  REQUIRE(tm2::test::LoadCopy(tile, &storage, &m).ok());
  CHECK(m.preprocess(2).pad == tm2::PadMode::kTile);
  CHECK(m.preprocess(2).tile_gap_ms == 250);
  CHECK(m.preprocess(0).pad == tm2::PadMode::kZero);
  // Spec -> file -> spec -> file: the same bytes, pad fields included.
  tm2::ModelSpec back;
  REQUIRE(tm2::ReadModelSpec(m, &back).ok());
  REQUIRE(tm2::WriteModel(back, &again).ok());
  CHECK(again == tile);
  // Back to Zero: the bytes of the file that never had the fields.
  back.branches[2].preprocess.pad = tm2::PadMode::kZero;
  back.branches[2].preprocess.tile_gap_ms = 100;
  REQUIRE(tm2::WriteModel(back, &again).ok());
  CHECK(again == zero);
}
