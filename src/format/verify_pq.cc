// Checks of product-quantized weights (models/FORMAT.md 3.4): a pack's
// codebooks, and each ProductQuantized layer's codes against the codebook
// it names. Every code is read once here, so the decoder can index
// centroids without a bounds check.
#include <cstdio>

#include "format/layer_params.h"
#include "format/layer_rules.h"
#include "format/verify_model.h"

namespace tm2 {
namespace format_internal {

Status VerifyCodebook(const fb::Codebook& codebook) {
  const int dim = codebook.dim();
  if (dim < 1 || dim > kMaxPqDim) {
    return Status::Error(StatusCode::kBadModel, "dim %d, expected 1..%d", dim, kMaxPqDim);
  }
  const size_t values = codebook.centroids() ? codebook.centroids()->size() : 0;
  if (values == 0 || values % static_cast<size_t>(dim) != 0 ||
      values / static_cast<size_t>(dim) > static_cast<size_t>(kMaxPqCentroids)) {
    return Status::Error(StatusCode::kBadModel,
                         "%lu centroid values, expected 1..%d centroids of %d values",
                         static_cast<unsigned long>(values), kMaxPqCentroids, dim);
  }
  return Status::Ok();
}

Status VerifyPqCodes(const fb::Layer& layer, const TensorShape& in,
                     const CodebookVector* codebooks) {
  if (codebooks == nullptr) {
    return Status::Error(StatusCode::kBadModel,
                         "ProductQuantized weights outside a model pack (no codebooks)");
  }
  const int index = layer.codebook();
  if (static_cast<size_t>(index) >= codebooks->size()) {
    return Status::Error(StatusCode::kBadModel, "codebook %d, the pack has %lu", index,
                         static_cast<unsigned long>(codebooks->size()));
  }
  // The pack loader has verified every codebook before any model.
  const fb::Codebook& cb = *codebooks->Get(static_cast<flatbuffers::uoffset_t>(index));
  const int dim = cb.dim();
  const uint64_t k = cb.centroids()->size() / static_cast<size_t>(dim);
  const int bits = layer.weight_bits();
  const WeightMatrix codes = PqCodeLayout(WeightLayout(ParamsOf(layer), in), dim);
  const size_t expected = WeightBytes(codes, bits);
  const size_t have = layer.weights() ? layer.weights()->size() : 0;
  if (have != expected) {
    return Status::Error(StatusCode::kBadModel,
                         "%lu code bytes, expected %lu for %llu rows of %llu codes at %d bits",
                         static_cast<unsigned long>(have), static_cast<unsigned long>(expected),
                         static_cast<unsigned long long>(codes.rows),
                         static_cast<unsigned long long>(codes.row_length), bits);
  }
  // Codes below K; 4-bit rows of odd length end with a padding nibble,
  // which readers ignore like int4 padding.
  const uint8_t* data = layer.weights()->data();
  const uint64_t row_bytes = RowBytes(codes.row_length, bits);
  for (uint64_t r = 0; r < codes.rows; ++r) {
    const uint8_t* row = data + r * row_bytes;
    for (uint64_t i = 0; i < codes.row_length; ++i) {
      const unsigned code = bits == 8 ? row[i] : ((i & 1) ? row[i >> 1] >> 4 : row[i >> 1] & 0x0F);
      if (code >= k) {
        return Status::Error(StatusCode::kBadModel,
                             "row %llu code %llu is %u, codebook %d has %llu centroids",
                             static_cast<unsigned long long>(r), static_cast<unsigned long long>(i),
                             code, index, static_cast<unsigned long long>(k));
      }
    }
  }
  return Status::Ok();
}

}  // namespace format_internal
}  // namespace tm2
