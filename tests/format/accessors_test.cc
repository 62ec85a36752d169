// Model accessors: names, prompts, description, temperature and metadata
// are read in place from a written file.
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "format/model.h"
#include "format/writer.h"

TEST_CASE("model accessors read names, prompts, description and metadata in place") {
  tm2::ModelSpec spec;
  std::vector<uint8_t> bytes;
  {
    // The parity-style spec used elsewhere would pull in test libraries;
    // a two-label single-branch model is enough here.
    tm2::BranchSpec b;
    b.name = "cough-branch";
    b.modality = "cough";
    b.prompt = "Cough three times";
    b.preprocess.num_frames = 8;
    b.preprocess.mel_bins = 8;
    tm2::LayerSpec gap;
    gap.kind = tm2::LayerKind::kGlobalAvgPool;
    tm2::LayerSpec fc;
    fc.kind = tm2::LayerKind::kFullyConnected;
    fc.out_channels = 2;
    fc.weights = {1, 2};
    fc.multiplier = {1 << 30, 1 << 30};
    fc.shift = {0, 0};
    tm2::LayerSpec softmax;
    softmax.kind = tm2::LayerKind::kSoftmax;
    b.layers = {gap};
    spec.branches = {b};
    spec.head = {fc, softmax};
    spec.labels = {"no", "yes"};
    spec.name = "accessors";
    spec.description = "a model for the accessor test";
    spec.metadata = {{"zeta", "last"}, {"alpha", "first"}};
    spec.temperature = 1.25f;
  }
  const tm2::Status s = tm2::WriteModel(spec, &bytes);
  INFO(s.message());
  REQUIRE(s.ok());
  tm2::Model m;
  REQUIRE(tm2::LoadModel(bytes.data(), bytes.size(), &m).ok());
  CHECK(std::string(m.description()) == "a model for the accessor test");
  CHECK(std::string(m.branch_name(0)) == "cough-branch");
  CHECK(std::string(m.branch_prompt(0)) == "Cough three times");
  CHECK(std::string(m.branch_name(1)).empty());
  CHECK(m.temperature() == 1.25f);
  CHECK(std::string(m.metadata("alpha")) == "first");
  CHECK(std::string(m.metadata("zeta")) == "last");
  CHECK(std::string(m.metadata("missing")).empty());
  REQUIRE(m.num_metadata() == 2);
  CHECK(std::string(m.metadata_key(0)) == "alpha");  // stored sorted
  CHECK(std::string(m.metadata_value(1)) == "last");
}
