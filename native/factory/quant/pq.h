// Product quantization of a layer's integer weights against a fixed
// codebook, in torch: the pack factory's fake-quant forward (net.cc) and
// its export (export.cc) share it, so the codes the model was fine-tuned
// with are the codes the pack stores.
//
// Sub-vectors are d consecutive values of a row of the file layout
// (models/FORMAT.md 3.3/3.4): conv [O][kh][kw][I] and pointwise/FC [O][I]
// have one row per output channel; depthwise [kh][kw][C] one row per tap.
// A row's last sub-vector may be shorter than d and is matched on the
// centroids' first values. Nearest centroid by squared distance, ties to
// the lowest index (as native/pack's integer Nearest).
//
//   torch::Tensor codes;
//   torch::Tensor decoded = PqQuantize(ints, OpKind::kConv, centroids, &codes);
#ifndef TM2_FACTORY_QUANT_PQ_H_
#define TM2_FACTORY_QUANT_PQ_H_

#include <torch/torch.h>

#include "recipe/recipe.h"

namespace tm2 {
namespace factory {

// Torch layout (conv OIHW, depthwise C1HW, pointwise OI11, FC OI) <-> file
// rows [rows, row_length].
torch::Tensor ToFileRows(const torch::Tensor& w, OpKind kind);
torch::Tensor FromFileRows(const torch::Tensor& rows, OpKind kind, at::IntArrayRef torch_shape);

// `ints`: integer-valued weights in torch layout (any float type);
// `centroids`: [K, d] float64. Returns the decoded integers in torch
// layout (float64); `codes` (optional) gets int64 [rows, ceil(len / d)].
torch::Tensor PqQuantize(const torch::Tensor& ints, OpKind kind, const torch::Tensor& centroids,
                         torch::Tensor* codes = nullptr);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_QUANT_PQ_H_
