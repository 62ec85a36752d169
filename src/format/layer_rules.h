// Shape rules of .tm2 layers on plain values. The loader reaches them
// through shapes.h (on a verified fb::Layer) and the writer through its
// LayerSpec, so the file's reader and its writer can never disagree about a
// layer's geometry or its weight layout. Internal to src/format.
#ifndef TM2_FORMAT_LAYER_RULES_H_
#define TM2_FORMAT_LAYER_RULES_H_

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "format/model.h"

namespace tm2 {
namespace format_internal {

// Largest tensor (and largest weight row) a layer may produce or use.
constexpr uint64_t kMaxTensorElements = uint64_t{1} << 24;
// LayerType values this reader knows (models/tm2.fbs).
constexpr int kNumLayerTypes = 8;

struct LayerParams {
  int type = 0;  // fb::LayerType value
  int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  bool same_padding = false;
  int out_channels = 0;  // as stored; 0 = derived (depthwise, pools, Softmax)
};

// A layer's weights as `rows` rows of `row_length` values; each row starts
// on a byte boundary (4-bit rows of odd length end with a padding nibble).
struct WeightMatrix {
  uint64_t rows = 0;  // 0: the layer has no weights
  uint64_t row_length = 0;
};

const char* LayerTypeName(int type);  // "Conv2D", ..., "unknown"
bool LayerHasWeights(int type);       // conv, depthwise, pointwise, FC
bool LayerIsPool(int type);           // max, avg, global avg

Status InferShape(const LayerParams& layer, const TensorShape& in, TensorShape* out,
                  LayerWindow* window);

// Bytes one row of `k` weights takes at `bits` (FORMAT.md 3.3: every row
// starts on a byte boundary).
inline uint64_t RowBytes(uint64_t k, int bits) { return bits == 4 ? (k + 1) / 2 : k; }

// Valid only for an `in` that InferShape accepted.
WeightMatrix WeightLayout(const LayerParams& layer, const TensorShape& in);

// Packed bytes of `m` at `bits` per value; SIZE_MAX when it cannot fit.
size_t WeightBytes(const WeightMatrix& m, int bits);

// The codes of `m` product-quantized with sub-vectors of `dim` values
// (FORMAT.md 3.4): one code per sub-vector, the last of a row possibly
// shorter, so ceil(row_length / dim) codes per row.
inline WeightMatrix PqCodeLayout(const WeightMatrix& m, int dim) {
  WeightMatrix c = m;
  if (dim > 0) c.row_length = (m.row_length + static_cast<uint64_t>(dim) - 1) / static_cast<uint64_t>(dim);
  return c;
}

// Limits of a codebook (FORMAT.md 3.4).
constexpr int kMaxPqDim = 16;
constexpr int kMaxPqCentroids = 256;

}  // namespace format_internal
}  // namespace tm2

#endif  // TM2_FORMAT_LAYER_RULES_H_
