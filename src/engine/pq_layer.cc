#include "engine/pq_layer.h"

#include "kernels/kernels.h"

namespace tm2 {
namespace engine_internal {

Status CheckPqLayer(const LayerView& v, size_t rows, size_t row, PqWeights* pq) {
  if (v.pq_dim < 1 || v.pq_codebook_size < 1 || v.pq_centroids == nullptr ||
      (v.weight_bits != 4 && v.weight_bits != 8) || rows > (1u << 24) || row > (1u << 24))
    return Status::Error(StatusCode::kBadModel, "engine: PQ layer: dim %d, %d centroids, %d bits",
                         v.pq_dim, v.pq_codebook_size, v.weight_bits);
  pq->codes = v.weights;
  pq->code_bits = v.weight_bits;
  pq->centroids = v.pq_centroids;
  pq->dim = v.pq_dim;
  pq->rows = static_cast<int>(rows);
  pq->row_length = static_cast<int>(row);
  const size_t per_row = PqCodesPerRow(*pq);
  const size_t row_bytes = WeightRowBytes(static_cast<int>(per_row), v.weight_bits);
  if (v.weights == nullptr || v.weight_bytes != rows * row_bytes)
    return Status::Error(StatusCode::kBadModel,
                         "engine: PQ layer has %lu code bytes, the plan needs %lu",
                         static_cast<unsigned long>(v.weight_bytes),
                         static_cast<unsigned long>(rows * row_bytes));
  const unsigned k = static_cast<unsigned>(v.pq_codebook_size);
  for (size_t r = 0; r < rows; ++r) {
    const uint8_t* c = v.weights + r * row_bytes;
    for (size_t i = 0; i < per_row; ++i) {
      const unsigned code = v.weight_bits == 8 ? c[i] : ((i & 1) ? c[i >> 1] >> 4 : c[i >> 1] & 0x0F);
      if (code >= k)
        return Status::Error(StatusCode::kBadModel, "engine: PQ code %u beyond %u centroids", code,
                             k);
    }
  }
  return Status::Ok();
}

Status PqPlanSizes(const Model& model, size_t* max_decoded_bytes, int* layers) {
  // The loader counted them (ModelCost) on its walk; the planner checks
  // each layer against these sizes (CheckLayer), so a wrong figure fails.
  const ModelCost& c = model.cost();
  if (c.pq_decoded_bytes > SIZE_MAX || c.pq_layers > (1u << 20))
    return Status::Error(StatusCode::kBadModel, "engine: PQ scratch beyond the address space");
  *max_decoded_bytes = static_cast<size_t>(c.pq_decoded_bytes);
  *layers = static_cast<int>(c.pq_layers);
  return Status::Ok();
}

}  // namespace engine_internal
}  // namespace tm2
