#include "engine/pq_layer.h"

#include "kernels/kernels.h"

namespace tm2 {
namespace engine_internal {
namespace {

// Rows and row length of a weighted layer, from the planned shapes
// (kernels/kernels.h layouts).
void Matrix(const LayerView& v, size_t* rows, size_t* row) {
  *rows = static_cast<size_t>(v.out.c);
  switch (v.kind) {
    case LayerKind::kConv2D:
      *row = static_cast<size_t>(v.window.kernel_h) * v.window.kernel_w * v.in.c;
      break;
    case LayerKind::kDepthwiseConv2D:
      *rows = static_cast<size_t>(v.window.kernel_h) * v.window.kernel_w;
      *row = static_cast<size_t>(v.in.c);
      break;
    case LayerKind::kFullyConnected:
      *row = v.in.size();
      break;
    default:  // pointwise
      *row = static_cast<size_t>(v.in.c);
      break;
  }
}

class Sizer final : public ModelVisitor {
 public:
  Status BeginStack(int, const TensorInfo&, int) override { return Status::Ok(); }
  Status EndStack(int, const TensorInfo&) override { return Status::Ok(); }
  Status Layer(const LayerView& v) override {
    if (!v.pq) return Status::Ok();
    size_t rows = 0, row = 0;
    Matrix(v, &rows, &row);
    if (rows * row > max) max = rows * row;
    ++layers;
    return Status::Ok();
  }
  size_t max = 0;
  int layers = 0;
};

}  // namespace

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
  Sizer sizer;
  TM2_RETURN_IF_ERROR(WalkModel(model, &sizer));
  *max_decoded_bytes = sizer.max;
  *layers = sizer.layers;
  return Status::Ok();
}

}  // namespace engine_internal
}  // namespace tm2
