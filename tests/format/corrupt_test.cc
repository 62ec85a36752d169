// One corrupt model per semantic rule of the loader, each with the error
// text it must produce. The files are valid FlatBuffers with a correct CRC,
// so only the semantic checks can catch them.
#include <memory>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "engine/engine.h"
#include "file_edit.h"
#include "format/writer.h"
#include "sample_model.h"

namespace {

using tm2::StatusCode;
using tm2::fbt::LayerT;
using tm2::fbt::ModelT;

const std::vector<uint8_t>& Base() {
  static const std::vector<uint8_t> file = [] {
    std::vector<uint8_t> f;
    const tm2::Status st = tm2::WriteModel(tm2::test::MultiBranchSpec(), &f);
    if (!st.ok()) FAIL(st.message());
    return f;
  }();
  return file;
}

void Expect(StatusCode code, const char* text, const std::function<void(ModelT&)>& edit,
            const std::vector<uint8_t>& base = Base()) {
  const tm2::Status st = tm2::test::LoadCopy(tm2::test::Edit(base, edit));
  INFO("expected: " << text);
  INFO("got: " << st.message());
  CHECK(!st.ok());
  CHECK(st.code() == code);
  CHECK_THAT(st.message(), Catch::Contains(text));
}

void ExpectBad(const char* text, const std::function<void(ModelT&)>& edit) {
  Expect(StatusCode::kBadModel, text, edit);
}

LayerT& BranchLayer(ModelT& m, int b, int i) { return *m.branches[b]->layers[i]; }

std::unique_ptr<LayerT> Identity() {  // a 1x1 max pool changes nothing
  auto l = std::unique_ptr<LayerT>(new LayerT());
  l->type = tm2::fbt::LayerType::MaxPool2D;
  return l;
}

}  // namespace

TEST_CASE("The unedited base model loads (edits below are the only faults)", "[format][corrupt]") {
  const tm2::Status st = tm2::test::LoadCopy(tm2::test::Edit(Base(), [](ModelT&) {}));
  INFO(st.message());
  CHECK(st.ok());
}

TEST_CASE("Model-level rules", "[format][corrupt]") {
  ExpectBad("model: 1 labels, at least 2 needed", [](ModelT& m) { m.labels.resize(1); });
  ExpectBad("model: 0 branches, expected 1 to 8", [](ModelT& m) { m.branches.clear(); });
  // The limit is the engine's: one more branch than it can plan is refused.
  const std::string too_many = "model: " + std::to_string(tm2::kMaxBranches + 1) +
                               " branches, expected 1 to " + std::to_string(tm2::kMaxBranches);
  ExpectBad(too_many.c_str(), [](ModelT& m) {
    while (static_cast<int>(m.branches.size()) <= tm2::kMaxBranches) {
      auto more = tm2::test::Unpack(Base());
      for (auto& b : more->branches) m.branches.push_back(std::move(b));
    }
    m.branches.resize(tm2::kMaxBranches + 1);
    m.fusion->multiplier.resize(m.branches.size(), 0x40000000);
    m.fusion->shift.resize(m.branches.size(), 0);
  });
  ExpectBad("temperature 0 is outside [0.01, 100]", [](ModelT& m) { m.temperature = 0.0f; });
  ExpectBad("metadata: keys must be sorted and unique",
            [](ModelT& m) { std::swap(m.metadata[0], m.metadata[2]); });
  ExpectBad("head: outputs 3 values for 4 labels", [](ModelT& m) { m.labels.push_back("x"); });
}

TEST_CASE("Fusion rules", "[format][corrupt]") {
  ExpectBad("fusion: missing, required with 3 branches", [](ModelT& m) { m.fusion.reset(); });
  ExpectBad("fusion: 2 multipliers and 3 shifts, expected one per branch (3)",
            [](ModelT& m) { m.fusion->multiplier.pop_back(); });
  ExpectBad("fusion: branch 1 multiplier -5", [](ModelT& m) { m.fusion->multiplier[1] = -5; });
  ExpectBad("fusion: branch 2 multiplier", [](ModelT& m) { m.fusion->shift[2] = 31; });
  ExpectBad("fusion: output_scale", [](ModelT& m) { m.fusion->output_scale = -1.0f; });
  // A single branch needs no fusion: its output feeds the head unchanged.
  std::vector<uint8_t> small;
  REQUIRE(tm2::WriteModel(tm2::test::SmallSpec(), &small).ok());
  REQUIRE(tm2::test::Unpack(small)->fusion == nullptr);
  CHECK(tm2::test::LoadCopy(small).ok());
}

TEST_CASE("Layer stack rules", "[format][corrupt]") {
  ExpectBad("branch 2 'breath': 65 layers, at most 64", [](ModelT& m) {
    while (m.branches[2]->layers.size() < 65) m.branches[2]->layers.push_back(Identity());
  });
  ExpectBad("head: 65 layers, at most 64", [](ModelT& m) {
    while (m.head.size() < 65) m.head.insert(m.head.begin(), Identity());
  });
  ExpectBad("branch 0 'cough' layer 5 (Softmax): Softmax is allowed only as the last head layer",
            [](ModelT& m) {
              auto l = Identity();
              l->type = tm2::fbt::LayerType::Softmax;
              m.branches[0]->layers.push_back(std::move(l));
            });
  ExpectBad("head layer 1 (FullyConnected): the head must end with Softmax",
            [](ModelT& m) { m.head.pop_back(); });
  ExpectBad("head: no layers", [](ModelT& m) { m.head.clear(); });
  // A single branch feeds the head its own shape: here 3x4x3 without the GAP.
  std::vector<uint8_t> small;
  REQUIRE(tm2::WriteModel(tm2::test::SmallSpec(), &small).ok());
  Expect(
      StatusCode::kBadModel, "head layer 0 (Softmax): Softmax needs a 1x1xN input, has 3x4x3",
      [](ModelT& m) {
        m.branches[0]->layers.pop_back();
        m.head.erase(m.head.begin());
      },
      small);
}

TEST_CASE("Layer field rules", "[format][corrupt]") {
  ExpectBad(
      "branch 1 'speech' layer 3 (DepthwiseConv2D): 72 weight bytes, expected 36 for 3x3x8 at 4 "
      "bits",
      [](ModelT& m) {
        auto& w = BranchLayer(m, 1, 3).weights;
        w.insert(w.end(), w.begin(), w.end());
      });
  ExpectBad("branch 0 'cough' layer 0 (Conv2D): weight_bits 3, expected 4 or 8",
            [](ModelT& m) { BranchLayer(m, 0, 0).weight_bits = 3; });
  Expect(StatusCode::kUnsupported, "weight encoding 2 needs a newer reader", [](ModelT& m) {
    BranchLayer(m, 0, 1).weight_encoding = tm2::fbt::WeightEncoding::Future;
  });
  ExpectBad("ProductQuantized weights outside a model pack (no codebooks)", [](ModelT& m) {
    BranchLayer(m, 0, 1).weight_encoding = tm2::fbt::WeightEncoding::ProductQuantized;
  });
  ExpectBad("a Dense layer names codebook 3", [](ModelT& m) { BranchLayer(m, 0, 1).codebook = 3; });
  ExpectBad("has no weights but a weight encoding or codebook",
            [](ModelT& m) { m.head.back()->codebook = 1; });
  Expect(StatusCode::kUnsupported, "layer type 9 needs a newer reader",
         [](ModelT& m) { BranchLayer(m, 2, 1).type = static_cast<tm2::fbt::LayerType>(9); });
  Expect(StatusCode::kUnsupported, "padding 2 needs a newer reader",
         [](ModelT& m) { BranchLayer(m, 2, 0).padding = static_cast<tm2::fbt::Padding>(2); });
  ExpectBad("act_bits 6, expected 4 or 8", [](ModelT& m) { m.head[0]->act_bits = 6; });
  ExpectBad("activation range [-100, 7] is not an ordered range inside int4", [](ModelT& m) {
    m.head[0]->act_bits = 4;
    m.head[0]->act_max = 7;
  });
  ExpectBad("activation range [5, 4]", [](ModelT& m) {
    m.head[0]->act_min = 5;
    m.head[0]->act_max = 4;
  });
  ExpectBad("head layer 1 (FullyConnected): 2 bias values, expected 3",
            [](ModelT& m) { m.head[1]->bias.pop_back(); });
  ExpectBad("4 multiplier values, expected 3",
            [](ModelT& m) { m.head[1]->multiplier.push_back(1); });
  ExpectBad("0 shift values, expected 3", [](ModelT& m) { m.head[1]->shift.clear(); });
  ExpectBad("2 weight_scales values, expected 3",
            [](ModelT& m) { m.head[1]->weight_scales.pop_back(); });
  ExpectBad("channel 2: multiplier -1 is negative",
            [](ModelT& m) { m.head[1]->multiplier[2] = -1; });
  ExpectBad("channel 0: shift 31 gives n = 31 - shift = 0, outside [1, 62]",
            [](ModelT& m) { m.head[1]->shift[0] = 31; });
  ExpectBad("channel 1: shift -32 gives n = 31 - shift = 63",
            [](ModelT& m) { m.head[1]->shift[1] = -32; });
  ExpectBad("output_scale 0 must be positive", [](ModelT& m) { m.head[0]->output_scale = 0.0f; });
  ExpectBad("branch 0 'cough' layer 2 (MaxPool2D): carries weights",
            [](ModelT& m) { BranchLayer(m, 0, 2).bias = {1, 2, 3, 4, 5, 6}; });
  // Bias and weight_scales may be absent (zeros / unknown); multiplier may not.
  CHECK(tm2::test::LoadCopy(tm2::test::Edit(Base(), [](ModelT& m) {
          m.head[0]->bias.clear();
          m.head[0]->weight_scales.clear();
        })).ok());
}

TEST_CASE("Shape rules, layer by layer from the branch input", "[format][corrupt]") {
  ExpectBad("branch 2 'breath' layer 0 (Conv2D): kernel h 17 larger than the input's 16",
            [](ModelT& m) { BranchLayer(m, 2, 0).kernel_h = 17; });
  ExpectBad("branch 0 'cough' layer 0 (Conv2D): kernel h 3 and stride h 0 must be >= 1",
            [](ModelT& m) { BranchLayer(m, 0, 0).stride_h = 0; });
  ExpectBad(
      "branch 0 'cough' layer 2 (MaxPool2D): out_channels 7 differs from the 6 input channels",
      [](ModelT& m) { BranchLayer(m, 0, 2).out_channels = 7; });
  ExpectBad(
      "branch 0 'cough' layer 3 (PointwiseConv2D): PointwiseConv2D needs kernel 1x1 and stride 1x1",
      [](ModelT& m) { BranchLayer(m, 0, 3).stride_w = 2; });
  // A changed output size propagates: the next layer's weights no longer fit.
  ExpectBad(
      "branch 1 'speech' layer 4 (FullyConnected): 784 weight bytes, expected 392 for 7x56 at 8 "
      "bits",
      [](ModelT& m) {
        BranchLayer(m, 1, 3).kernel_w = 4;
        BranchLayer(m, 1, 3).weights.resize(48);
      });
}

TEST_CASE("Preprocessing rules", "[format][corrupt]") {
  ExpectBad("branch 1 'speech': no preprocess table",
            [](ModelT& m) { m.branches[1]->preprocess.reset(); });
  ExpectBad(
      "branch 1 'speech' preprocess: norm_mean has 10 values and norm_std 9, expected 1 or 10 each",
      [](ModelT& m) { m.branches[1]->preprocess->norm_std.pop_back(); });
  ExpectBad(
      "branch 0 'cough' preprocess: norm_mean/norm_std given (1/1 values) but normalization is "
      "None",
      [](ModelT& m) {
        m.branches[0]->preprocess->norm_mean = {1.0f};
        m.branches[0]->preprocess->norm_std = {1.0f};
      });
  Expect(StatusCode::kUnsupported, "branch 2 'breath' preprocess: window 9",
         [](ModelT& m) { m.branches[2]->preprocess->window = static_cast<tm2::fbt::Window>(9); });
  // Ranges are PreprocessParams::Validate()'s; its message names the field.
  const tm2::Status st = tm2::test::LoadCopy(
      tm2::test::Edit(Base(), [](ModelT& m) { m.branches[0]->preprocess->fft_size = 100; }));
  INFO(st.message());
  CHECK(!st.ok());
  CHECK_THAT(st.message(), Catch::StartsWith("branch 0 'cough' preprocess: "));
  // The input shape comes from the preprocessing: fewer frames break layer 0.
  ExpectBad("branch 2 'breath' layer 0 (Conv2D): kernel h 5 larger than the input's 4",
            [](ModelT& m) { m.branches[2]->preprocess->num_frames = 4; });
}

TEST_CASE("Pad mode rules (format 1.3)", "[format][corrupt]") {
  auto load = [](uint16_t minor, const std::function<void(ModelT&)>& edit) {
    std::unique_ptr<ModelT> m = tm2::test::Unpack(Base());
    edit(*m);
    return tm2::test::LoadCopy(tm2::test::Pack(*m, tm2::kFormatMajor, minor));
  };
  auto tile = [](ModelT& m) { m.branches[1]->preprocess->pad = tm2::fbt::PadMode::Tile; };
  CHECK(load(3, tile).ok());
  const tm2::Status old = load(2, tile);
  CHECK(old.code() == StatusCode::kBadModel);
  CHECK_THAT(old.message(), Catch::Contains("branch 1 'speech' preprocess: pad mode Tile needs "
                                            "format 1.3 (the file says 1.2)"));
  const tm2::Status future = load(3, [](ModelT& m) {
    m.branches[0]->preprocess->pad = tm2::fbt::PadMode::Future;
  });
  CHECK(future.code() == StatusCode::kUnsupported);
  CHECK_THAT(future.message(), Catch::Contains("branch 0 'cough' preprocess: pad mode 2 needs a "
                                               "newer reader (this one reads Zero and Tile)"));
  const tm2::Status wide = load(3, [](ModelT& m) {
    m.branches[1]->preprocess->pad = tm2::fbt::PadMode::Tile;
    m.branches[1]->preprocess->tile_gap_ms = 1001;
  });
  CHECK(wide.code() == StatusCode::kBadModel);
  CHECK_THAT(wide.message(), Catch::Contains("tile_gap_ms 1001 is outside 0..1000"));
  const tm2::Status stray = load(3, [](ModelT& m) { m.branches[2]->preprocess->tile_gap_ms = 50; });
  CHECK(stray.code() == StatusCode::kBadModel);
  CHECK_THAT(stray.message(), Catch::Contains("branch 2 'breath' preprocess: tile_gap_ms 50 given "
                                              "but the pad mode is Zero"));
  // The reader hands the fields to the preprocessing.
  std::unique_ptr<ModelT> m = tm2::test::Unpack(Base());
  m->branches[1]->preprocess->pad = tm2::fbt::PadMode::Tile;
  m->branches[1]->preprocess->tile_gap_ms = 0;
  std::vector<uint32_t> storage;
  tm2::Model model;
  REQUIRE(tm2::test::LoadCopy(tm2::test::Pack(*m, tm2::kFormatMajor, 3), &storage, &model).ok());
  CHECK(model.format_minor() == 3);
  CHECK(model.preprocess(0).pad == tm2::PadMode::kZero);
  CHECK(model.preprocess(1).pad == tm2::PadMode::kTile);
  CHECK(model.preprocess(1).tile_gap_ms == 0);
  CHECK(model.preprocess(0).tile_gap_ms == 100);
}
