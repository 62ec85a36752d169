// Builds a model pack (models/FORMAT.md 12) from Dense models: learns the
// shared product-quantization codebooks by k-means over the models' int8
// weight sub-vectors and chooses, per layer, PQ codes or the layer's own
// int8/int4 weights. No libtorch: fine-tuning each model with the
// codebooks fixed is the factory's later step (issue 11, stage 2).
//
// One codebook per source weight width: int8 layers share codebook 0 and
// int4 layers codebook 1 (their values live on different scales). A layer
// is coded when it has at least `min_weights` weights and its decoded
// weights stay within `max_error` (squared error over squared weights);
// otherwise it keeps its own weights. Everything is seeded: the same
// inputs and options give the same bytes.
//
//   std::vector<tm2::ModelSpec> models = ...;   // tm2::ReadModelSpec of each .tm2
//   tm2::pack::Options options;                 // d = 4, K = 64
//   tm2::PackSpec spec;
//   tm2::pack::Report report;
//   TM2_RETURN_IF_ERROR(tm2::pack::Build(models, options, &spec, &report));
//   std::vector<uint8_t> bytes;
//   TM2_RETURN_IF_ERROR(tm2::WritePack(spec, &bytes));
#ifndef TM2_NATIVE_PACK_PACK_BUILDER_H_
#define TM2_NATIVE_PACK_PACK_BUILDER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "format/writer.h"

namespace tm2 {
namespace pack {

struct Options {
  std::string name = "pack";
  int dim = 4;              // sub-vector length d (1..16)
  int centroids = 64;       // K per codebook (codes of 8 bits; <= 16 gives 4-bit codes)
  double max_error = 0.5;   // largest relative squared error a coded layer may have
  size_t min_weights = 256; // smaller layers keep their own weights
  int iterations = 30;      // Lloyd iterations
  size_t max_training = 1 << 16;  // sub-vectors sampled per codebook for k-means
  uint32_t seed = 1;
  bool keep_weight_scales = false;  // float scales are for tools; the engine never reads them
};

// Optional judge of a candidate: how well model `index` with some layers
// coded (`candidate`, whose PQ layers index `codebooks`) follows its
// source, as a share in [0, 1]. With one, Build codes layers greedily (the
// smallest reconstruction error first) and keeps a layer coded only while
// the share stays >= min_agreement.
using AgreementCheck = std::function<Status(size_t index, const ModelSpec& candidate,
                                            const std::vector<CodebookSpec>& codebooks,
                                            double* share)>;

struct LayerChoice {
  std::string model, layer;  // layer: "branch 0 layer 3" or "head layer 1"
  int source_bits = 8;
  size_t weights = 0;        // values
  bool coded = false;
  double error = 0;          // relative squared error of the PQ reconstruction
  double agreement = -1;     // the judge's share after this layer was tried (-1: not judged)
  size_t bytes_before = 0;   // the source's weight bytes
  size_t bytes_after = 0;    // codes, or the same as before
};

struct Report {
  std::vector<LayerChoice> layers;
  size_t codebook_bytes = 0;
  size_t weight_bytes_in = 0;   // all source layers' weights
  size_t weight_bytes_out = 0;  // codes + kept weights + codebooks
  size_t channel_bytes_in = 0;  // bias, multiplier, shift, weight_scales in the sources
  size_t channel_bytes_out = 0;
};

Status Build(const std::vector<ModelSpec>& models, const Options& options, PackSpec* pack,
             Report* report, const AgreementCheck& check = nullptr, double min_agreement = 1.0);

}  // namespace pack
}  // namespace tm2

#endif  // TM2_NATIVE_PACK_PACK_BUILDER_H_
