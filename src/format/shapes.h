// Shape inference on a stored fb::Layer: how a layer maps its input shape
// to its output shape and how many weight bytes it carries. Internal to
// src/format (and its tests); the engine gets shapes from WalkModel
// (format/model.h).
#ifndef TM2_FORMAT_SHAPES_H_
#define TM2_FORMAT_SHAPES_H_

#include <cstddef>

#include "common/status.h"
#include "format/model.h"

namespace tm2 {
namespace fb {
struct Layer;
}

// Output shape of `layer` applied to `in`, and (for conv/pool types) its
// window. Rejects strides/kernels of 0, a kernel larger than a
// Valid-padded input, pointwise with stride != 1, Softmax on a non-vector,
// and sizes beyond 2^24 elements. `window` may be null.
Status InferLayerShape(const fb::Layer& layer, const TensorShape& in, TensorShape* out,
                       LayerWindow* window);

// Number of weight bytes the layer must carry for input shape `in`
// (0 for layers without weights).
size_t ExpectedWeightBytes(const fb::Layer& layer, const TensorShape& in);

}  // namespace tm2

#endif  // TM2_FORMAT_SHAPES_H_
