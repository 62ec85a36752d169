// Model packs (format 1.1, models/FORMAT.md 3.4 and 12): writing, loading,
// listing, the decoded view of ProductQuantized layers, and one corrupt
// pack per rule of the pack verifier with the error it must produce.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "file_edit.h"
#include "format/channel_params.h"
#include "format/pack.h"
#include "format/spec_reader.h"
#include "format/writer.h"
#include "sample_model.h"

namespace {

using tm2::StatusCode;
using tm2::fbt::LayerT;
using tm2::fbt::ModelPackT;

const std::vector<uint8_t>& BasePack() {
  static const std::vector<uint8_t> file = [] {
    std::vector<uint8_t> f;
    const tm2::Status st = tm2::WritePack(tm2::test::SamplePackSpec(), &f);
    if (!st.ok()) FAIL(st.message());
    return f;
  }();
  return file;
}

// The first weighted layer stored Narrow (format 1.2), in model order.
LayerT* FindNarrow(ModelPackT& p) {
  for (auto& m : p.models) {
    for (auto& b : m->branches)
      for (auto& l : b->layers)
        if (l->channel_encoding == tm2::fbt::ChannelEncoding::Narrow) return l.get();
    for (auto& l : m->head)
      if (l->channel_encoding == tm2::fbt::ChannelEncoding::Narrow) return l.get();
  }
  FAIL("no Narrow layer");
  return nullptr;
}

// The first ProductQuantized layer of any model that uses `codebook`.
LayerT* FindPq(ModelPackT& p, int codebook) {
  for (auto& m : p.models) {
    for (auto& b : m->branches)
      for (auto& l : b->layers)
        if (l->weight_encoding == tm2::fbt::WeightEncoding::ProductQuantized && l->codebook == codebook)
          return l.get();
    for (auto& l : m->head)
      if (l->weight_encoding == tm2::fbt::WeightEncoding::ProductQuantized && l->codebook == codebook)
        return l.get();
  }
  FAIL("no PQ layer on codebook " << codebook);
  return nullptr;
}

void ExpectPackError(StatusCode code, const char* text, const std::function<void(ModelPackT&)>& edit,
                     uint16_t minor = tm2::kFormatMinorNarrow) {
  std::unique_ptr<ModelPackT> p = tm2::test::UnpackPack(BasePack());
  edit(*p);
  std::vector<uint32_t> storage;
  tm2::Pack pack;
  const tm2::Status st = tm2::test::LoadPackCopy(tm2::test::PackPack(*p, minor), &storage, &pack);
  INFO("expected: " << text);
  INFO("got: " << st.message());
  CHECK(!st.ok());
  CHECK(st.code() == code);
  CHECK_THAT(st.message(), Catch::Contains(text));
  CHECK(pack.num_models() == 0);
}

struct PqCounter final : tm2::ModelVisitor {
  tm2::Status BeginStack(int, const tm2::TensorInfo&, int) override { return tm2::Status::Ok(); }
  tm2::Status EndStack(int, const tm2::TensorInfo&) override { return tm2::Status::Ok(); }
  tm2::Status Layer(const tm2::LayerView& v) override {
    if (v.pq) ++(v.weight_bits == 4 ? pq4 : pq8);
    else if (v.weight_bits) ++dense;
    return tm2::Status::Ok();
  }
  int pq4 = 0, pq8 = 0, dense = 0;
};

}  // namespace

TEST_CASE("Packs: written, loaded in place, listed and found by name", "[format][pack]") {
  const std::vector<uint8_t>& file = BasePack();
  CHECK(file[6] == 2);  // minor 2: the lowest version with Narrow per-channel parameters
  CHECK(std::memcmp(file.data() + tm2::kHeaderBytes + 4, "TM2K", 4) == 0);
  std::vector<uint32_t> storage;
  tm2::Pack pack;
  const tm2::Status st = tm2::test::LoadPackCopy(file, &storage, &pack);
  INFO(st.message());
  REQUIRE(st.ok());
  CHECK(pack.is_pack_file());
  CHECK(pack.format_minor() == 2);
  CHECK(std::string(pack.name()) == "sample-pack");
  REQUIRE(pack.num_models() == 2);
  CHECK(std::string(pack.model(0).name()) == "small");
  CHECK(std::string(pack.model(1).name()) == "multi");
  CHECK(pack.Find("multi") == 1);
  CHECK(pack.Find("nope") == -1);
  CHECK(pack.num_codebooks() == 2);
  CHECK(pack.codebook_bytes() == 600 + 64);
  // Both code widths and Dense layers are present, and every code reads a
  // centroid inside its codebook (ASan watches the reads).
  PqCounter count;
  for (int i = 0; i < pack.num_models(); ++i) {
    REQUIRE(tm2::WalkModel(pack.model(i), &count).ok());
    (void)tm2::test::WalkModel(pack.model(i));
    CHECK(pack.model(i).cost().macs > 0);
  }
  CHECK(count.pq4 > 0);
  CHECK(count.pq8 > 0);
  CHECK(count.dense > 0);
  // The writer is deterministic.
  std::vector<uint8_t> again;
  REQUIRE(tm2::WritePack(tm2::test::SamplePackSpec(), &again).ok());
  CHECK(again == file);
}

TEST_CASE("Packs: LoadModel refuses a pack, LoadPack takes a 1.0 model as a pack of one",
          "[format][pack]") {
  std::vector<uint32_t> storage;
  tm2::Model model;
  const tm2::Status st = tm2::test::LoadCopy(BasePack(), &storage, &model);
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(st.message(), Catch::Contains("is a model pack"));
  CHECK(model.root() == nullptr);

  std::vector<uint8_t> plain;
  REQUIRE(tm2::WriteModel(tm2::test::SmallSpec(), &plain).ok());
  CHECK(plain[6] == 0);  // plain models stay 1.0
  tm2::Pack pack;
  const tm2::Status one = tm2::test::LoadPackCopy(plain, &storage, &pack);
  INFO(one.message());
  REQUIRE(one.ok());
  CHECK(!pack.is_pack_file());
  CHECK(pack.num_models() == 1);
  CHECK(pack.num_codebooks() == 0);
  CHECK(pack.model(0).codebooks() == nullptr);
  CHECK(pack.model(0).num_labels() == 2);
}

TEST_CASE("Packs: ReadModelSpec decodes PQ codes to their centroids", "[format][pack]") {
  const tm2::PackSpec spec = tm2::test::SamplePackSpec();
  std::vector<uint32_t> storage;
  tm2::Pack pack;
  REQUIRE(tm2::test::LoadPackCopy(BasePack(), &storage, &pack).ok());
  int checked = 0;
  for (int m = 0; m < pack.num_models(); ++m) {
    tm2::ModelSpec decoded;
    REQUIRE(tm2::ReadModelSpec(pack.model(m), &decoded).ok());
    const tm2::ModelSpec& source = spec.models[static_cast<size_t>(m)];
    std::vector<std::pair<const tm2::LayerSpec*, const tm2::LayerSpec*>> pairs;
    for (size_t b = 0; b < source.branches.size(); ++b)
      for (size_t i = 0; i < source.branches[b].layers.size(); ++i)
        pairs.push_back({&source.branches[b].layers[i], &decoded.branches[b].layers[i]});
    for (size_t i = 0; i < source.head.size(); ++i) pairs.push_back({&source.head[i], &decoded.head[i]});
    for (const auto& pr : pairs) {
      const tm2::LayerSpec& s = *pr.first;
      const tm2::LayerSpec& d = *pr.second;
      if (s.pq_codebook < 0) {
        CHECK(d.weights == s.weights);
        continue;
      }
      // Independent decode: row r, sub-vector i, value j.
      const tm2::CodebookSpec& cb = spec.codebooks[static_cast<size_t>(s.pq_codebook)];
      const size_t rows = s.kind == tm2::LayerKind::kDepthwiseConv2D
                              ? static_cast<size_t>(s.kernel_h) * s.kernel_w
                              : static_cast<size_t>(s.out_channels);
      REQUIRE(d.weights.size() % rows == 0);
      const size_t len = d.weights.size() / rows;
      const size_t per_row = (len + cb.dim - 1) / cb.dim;
      REQUIRE(s.pq_codes.size() == rows * per_row);
      CHECK(d.weight_bits == 8);
      for (size_t r = 0; r < rows; ++r)
        for (size_t x = 0; x < len; ++x)
          REQUIRE(d.weights[r * len + x] ==
                  cb.centroids[s.pq_codes[r * per_row + x / cb.dim] * cb.dim + x % cb.dim]);
      ++checked;
    }
  }
  CHECK(checked >= 4);
}

TEST_CASE("Packs: the verifier names every broken pack field", "[format][pack]") {
  ExpectPackError(StatusCode::kBadModel, "pack: format 1.0, packs need 1.1", [](ModelPackT&) {}, 0);
  ExpectPackError(StatusCode::kBadModel, "pack: codebook 0: dim 0, expected 1..16",
                  [](ModelPackT& p) { p.codebooks[0]->dim = 0; });
  ExpectPackError(StatusCode::kBadModel, "pack: codebook 1: dim 17, expected 1..16",
                  [](ModelPackT& p) { p.codebooks[1]->dim = 17; });
  ExpectPackError(StatusCode::kBadModel, "pack: codebook 0: 599 centroid values",
                  [](ModelPackT& p) { p.codebooks[0]->centroids.pop_back(); });
  ExpectPackError(StatusCode::kBadModel, "pack: codebook 1: 1028 centroid values, expected 1..256",
                  [](ModelPackT& p) { p.codebooks[1]->centroids.resize(257 * 4); });
  ExpectPackError(StatusCode::kBadModel, "pack: codebook 1: 0 centroid values",
                  [](ModelPackT& p) { p.codebooks[1]->centroids.clear(); });
  ExpectPackError(StatusCode::kBadModel, "codebook 5, the pack has 2",
                  [](ModelPackT& p) { FindPq(p, 0)->codebook = 5; });
  ExpectPackError(StatusCode::kBadModel, "code bytes, expected",
                  [](ModelPackT& p) { FindPq(p, 0)->weights.push_back(0); });
  ExpectPackError(StatusCode::kBadModel, "code bytes, expected",
                  [](ModelPackT& p) { FindPq(p, 1)->weights.pop_back(); });
  ExpectPackError(StatusCode::kBadModel, "weight_bits 6, expected 4 or 8",
                  [](ModelPackT& p) { FindPq(p, 0)->weight_bits = 6; });
  ExpectPackError(StatusCode::kBadModel, "code 0 is 250, codebook 0 has 200 centroids",
                  [](ModelPackT& p) { FindPq(p, 0)->weights[0] = 250; });
  ExpectPackError(StatusCode::kBadModel, "is 15, codebook 1 has 15 centroids", [](ModelPackT& p) {
    p.codebooks[1]->centroids.resize(15 * 4);
    FindPq(p, 1)->weights[0] = 0xFF;
  });
  ExpectPackError(StatusCode::kBadModel, "pack: model 0 'small': branch 0",
                  [](ModelPackT& p) { FindPq(p, 0)->codebook = 9; });
  ExpectPackError(StatusCode::kBadModel, "models 0 and 1 are both named 'small'",
                  [](ModelPackT& p) { p.models[1]->name = "small"; });
  ExpectPackError(StatusCode::kBadModel, "pack: model 1 has no name",
                  [](ModelPackT& p) { p.models[1]->name = ""; });
  ExpectPackError(StatusCode::kBadModel, "pack: 0 models, expected 1 to 16",
                  [](ModelPackT& p) { p.models.clear(); });
  ExpectPackError(StatusCode::kBadModel, "pack: 17 models, expected 1 to 16", [](ModelPackT& p) {
    while (p.models.size() < 17) {
      auto m = std::make_unique<tm2::fbt::ModelT>(*p.models[0]);  // shallow: re-packed below
      (void)m;
      std::vector<uint8_t> one = tm2::test::PackPack(p);
      auto copy = tm2::test::UnpackPack(one);
      copy->models[0]->name = "m" + std::to_string(p.models.size());
      p.models.push_back(std::move(copy->models[0]));
    }
  });
  // A model's own rules still apply inside a pack.
  ExpectPackError(StatusCode::kBadModel, "pack: model 1 'multi': model: 1 labels",
                  [](ModelPackT& p) { p.models[1]->labels.resize(1); });
}

TEST_CASE("Packs: Narrow per-channel parameters read back as the wide vectors", "[format][pack]") {
  tm2::PackSpec spec = tm2::test::SamplePackSpec();
  spec.wide_channels = true;
  std::vector<uint8_t> wide_file;
  REQUIRE(tm2::WritePack(spec, &wide_file).ok());
  CHECK(wide_file[6] == 1);  // nothing needs 1.2: the file stays 1.1
  const std::vector<uint8_t>& narrow_file = BasePack();
  CHECK(narrow_file.size() < wide_file.size());
  std::vector<uint32_t> sa, sb;
  tm2::Pack narrow, wide;
  REQUIRE(tm2::test::LoadPackCopy(narrow_file, &sa, &narrow).ok());
  REQUIRE(tm2::test::LoadPackCopy(wide_file, &sb, &wide).ok());
  std::unique_ptr<ModelPackT> unpacked = tm2::test::UnpackPack(narrow_file);
  int narrow_layers = 0;
  for (auto& m : unpacked->models) {
    std::vector<LayerT*> all;
    for (auto& b : m->branches)
      for (auto& l : b->layers) all.push_back(l.get());
    for (auto& l : m->head) all.push_back(l.get());
    for (LayerT* l : all)
      if (l->channel_encoding == tm2::fbt::ChannelEncoding::Narrow) {
        ++narrow_layers;
        CHECK(l->bias.empty());
        CHECK(l->multiplier.empty());
        CHECK(l->shift.empty());
      }
  }
  CHECK(narrow_layers >= 4);
  tm2::PackSpec reread;
  reread.name = spec.name;
  reread.description = spec.description;
  reread.codebooks = spec.codebooks;
  for (int m = 0; m < narrow.num_models(); ++m) {
    tm2::ModelSpec a, b;
    REQUIRE(tm2::ReadModelSpec(narrow.model(m), &a).ok());
    REQUIRE(tm2::ReadModelSpec(wide.model(m), &b).ok());
    const tm2::ModelSpec& source = spec.models[static_cast<size_t>(m)];
    auto same = [](const tm2::LayerSpec& x, const tm2::LayerSpec& y) {
      CHECK(x.bias == y.bias);
      CHECK(x.multiplier == y.multiplier);
      CHECK(x.shift == y.shift);
    };
    for (size_t br = 0; br < source.branches.size(); ++br)
      for (size_t i = 0; i < source.branches[br].layers.size(); ++i) {
        same(a.branches[br].layers[i], source.branches[br].layers[i]);
        same(b.branches[br].layers[i], source.branches[br].layers[i]);
      }
    for (size_t i = 0; i < source.head.size(); ++i) {
      same(a.head[i], source.head[i]);
      same(b.head[i], source.head[i]);
    }
    // PQ layers read back decoded; keep the source's codes to rewrite.
    for (size_t br = 0; br < source.branches.size(); ++br)
      for (size_t i = 0; i < source.branches[br].layers.size(); ++i) {
        a.branches[br].layers[i].pq_codebook = source.branches[br].layers[i].pq_codebook;
        a.branches[br].layers[i].pq_codes = source.branches[br].layers[i].pq_codes;
        a.branches[br].layers[i].weight_bits = source.branches[br].layers[i].weight_bits;
      }
    for (size_t i = 0; i < source.head.size(); ++i) {
      a.head[i].pq_codebook = source.head[i].pq_codebook;
      a.head[i].pq_codes = source.head[i].pq_codes;
      a.head[i].weight_bits = source.head[i].weight_bits;
    }
    reread.models.push_back(a);
  }
  // Written again from what was read: the same bytes (the form follows
  // from the values alone).
  std::vector<uint8_t> again;
  REQUIRE(tm2::WritePack(reread, &again).ok());
  CHECK(again == narrow_file);
}

TEST_CASE("Packs: the verifier names every broken Narrow field", "[format][pack]") {
  // Where the sample's first Narrow layer keeps its parts.
  std::unique_ptr<ModelPackT> base = tm2::test::UnpackPack(BasePack());
  const LayerT& first = *FindNarrow(*base);
  const uint8_t header = first.channel_params[0];
  const size_t c = first.channel_params.size();
  INFO("header " << static_cast<int>(header) << ", " << c << " bytes");
  ExpectPackError(StatusCode::kBadModel, "narrow per-channel parameters need format 1.2 (the file says 1.1)",
                  [](ModelPackT&) {}, 1);
  ExpectPackError(StatusCode::kBadModel, "header 0x", [](ModelPackT& p) {
    FindNarrow(p)->channel_params[0] |= 0x10;
  });
  ExpectPackError(StatusCode::kBadModel, "bytes, expected", [](ModelPackT& p) {
    FindNarrow(p)->channel_params.pop_back();
  });
  ExpectPackError(StatusCode::kBadModel, "bytes, expected", [](ModelPackT& p) {
    FindNarrow(p)->channel_params.push_back(0);
  });
  ExpectPackError(StatusCode::kBadModel, "narrow channel_params: empty",
                  [](ModelPackT& p) { FindNarrow(p)->channel_params.clear(); });
  // A wider bias code than written: the length no longer matches.
  ExpectPackError(StatusCode::kBadModel, "bytes, expected", [](ModelPackT& p) {
    LayerT* l = FindNarrow(p);
    l->channel_params[0] = static_cast<uint8_t>((l->channel_params[0] & ~3u) | 3u);
  });
  ExpectPackError(StatusCode::kBadModel, "is negative", [](ModelPackT& p) {
    LayerT* l = FindNarrow(p);
    l->channel_params.back() = 0x80;  // the last multiplier's top byte
  });
  ExpectPackError(StatusCode::kBadModel, "outside [1, 62]", [](ModelPackT& p) {
    LayerT* l = FindNarrow(p);
    // The shift(s) sit just before the multiplier(s).
    const uint8_t h = l->channel_params[0];
    const bool one_shift = (h & tm2::kNarrowSharedShift) != 0;
    const bool one_mult = (h & tm2::kNarrowSharedMultiplier) != 0;
    const size_t width = (h & 3) == 3 ? 4 : (h & 3);
    // size = 1 + c x width + (1 or c) + 4 x (1 or c), solved for c.
    const size_t oc = (l->channel_params.size() - 1 - (one_shift ? 1 : 0) - (one_mult ? 4 : 0)) /
                      (width + (one_shift ? 0 : 1) + (one_mult ? 0 : 4));
    const size_t at = l->channel_params.size() - 4 * (one_mult ? 1 : oc) - 1;
    l->channel_params[at] = static_cast<uint8_t>(-40);  // n = 71
  });
  ExpectPackError(StatusCode::kBadModel, "a Narrow layer also carries", [](ModelPackT& p) {
    LayerT* l = FindNarrow(p);
    l->multiplier.assign(static_cast<size_t>(l->out_channels), 1 << 30);
  });
  ExpectPackError(StatusCode::kBadModel, "a Wide layer carries", [](ModelPackT& p) {
    FindNarrow(p)->channel_encoding = tm2::fbt::ChannelEncoding::Wide;
  });
  ExpectPackError(StatusCode::kUnsupported, "channel encoding 2 needs a newer reader",
                  [](ModelPackT& p) { FindNarrow(p)->channel_encoding = tm2::fbt::ChannelEncoding::Future; });
  ExpectPackError(StatusCode::kBadModel, "carries weights or per-channel vectors but has no weights",
                  [](ModelPackT& p) {
                    for (auto& l : p.models[0]->head)
                      if (l->type == tm2::fbt::LayerType::Softmax)
                        l->channel_encoding = tm2::fbt::ChannelEncoding::Narrow;
                  });
}
