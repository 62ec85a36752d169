// tinym2 model writer: build a .tm2 file from plain C++ values.
//
// Used by the model factory, the tests and the test-model generator. The
// writer packs 4-bit weights, fills the header (magic, version, size,
// CRC-32) and round-trips the result through LoadModel (default
// ModelLimits) before returning, so it never emits a file the loader would
// reject, including one over the default compute or memory budget.
//
//   tm2::ModelSpec spec;
//   spec.name = "cough-tiny";
//   spec.labels = {"negative", "positive"};
//   tm2::BranchSpec b; b.name = b.modality = "cough"; b.preprocess = ...;
//   b.layers.push_back(tm2::LayerSpec::Conv2D(...));
//   spec.branches.push_back(b);
//   spec.head = {...};
//   std::vector<uint8_t> bytes;
//   tm2::Status s = tm2::WriteModel(spec, &bytes);
#ifndef TM2_FORMAT_WRITER_H_
#define TM2_FORMAT_WRITER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "format/model.h"  // LayerKind
#include "preprocess/preprocess.h"

namespace tm2 {

struct LayerSpec {
  LayerKind kind = LayerKind::kConv2D;
  std::string name;
  int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  bool same_padding = false;
  int out_channels = 0;       // conv / pointwise / FC
  int weight_bits = 8;        // 8 or 4 (bits per weight, or per code when pq_codebook >= 0)
  std::vector<int8_t> weights;  // unpacked values in the layout of models/FORMAT.md
  // Pack members only (WritePack): product-quantized weights. The index of
  // a PackSpec codebook and one code per sub-vector, row by row
  // (ceil(row_length / dim) codes a row, FORMAT.md 3.4); `weights` is then
  // ignored.
  int pq_codebook = -1;
  std::vector<uint8_t> pq_codes;
  std::vector<int32_t> bias;
  std::vector<int32_t> multiplier;
  std::vector<int8_t> shift;
  std::vector<float> weight_scales;
  int output_zero_point = 0;
  float output_scale = 1.0f;
  int act_bits = 8;
  int act_min = -128, act_max = 127;
};

struct BranchSpec {
  std::string name, modality, prompt;
  PreprocessParams preprocess;           // norm pointers are copied from:
  std::vector<float> norm_mean, norm_std;  // (these, not the pointers)
  std::vector<LayerSpec> layers;
};

struct FusionSpec {
  std::vector<int32_t> multiplier;  // one per branch
  std::vector<int8_t> shift;
  int output_zero_point = 0;
  float output_scale = 1.0f;
};

struct ModelSpec {
  std::string name, description;
  std::vector<std::string> labels;
  std::vector<std::pair<std::string, std::string>> metadata;
  float temperature = 1.0f;
  std::vector<BranchSpec> branches;
  FusionSpec fusion;               // ignored for a single branch
  std::vector<LayerSpec> head;     // must end with a Softmax layer
};

// Serializes, packs, checksums and verifies. `out` is replaced.
Status WriteModel(const ModelSpec& spec, std::vector<uint8_t>* out);

// A model pack (format 1.1, FORMAT.md 12).
struct CodebookSpec {
  int dim = 0;                   // sub-vector length, 1..16
  std::vector<int8_t> centroids; // K x dim, K in 1..256
};
struct PackSpec {
  std::string name, description;
  std::vector<CodebookSpec> codebooks;
  std::vector<ModelSpec> models;  // 1..16, unique names
  // By default each weighted layer's bias, multiplier and shift are stored
  // Narrow (format 1.2, FORMAT.md 4.5) where that is smaller; the values
  // decode exactly, so outputs do not change. true: always the wide vectors
  // (a 1.1 file when nothing else needs 1.2).
  bool wide_channels = false;
};

// The bytes a weighted layer's bias, multiplier and shift take as WritePack
// stores them (data only, without FlatBuffers' vector lengths and padding):
// the Narrow block where that is smaller (FORMAT.md 4.5), else the wide
// vectors; `narrow` false: the wide vectors. weight_scales not included.
size_t ChannelParamBytes(const LayerSpec& layer, bool narrow = true);

// Serializes, checksums and verifies with LoadPack. `out` is replaced.
Status WritePack(const PackSpec& spec, std::vector<uint8_t>* out);

}  // namespace tm2

#endif  // TM2_FORMAT_WRITER_H_
