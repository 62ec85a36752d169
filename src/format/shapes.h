// Shape inference for .tm2 layers: the one definition of how a layer maps
// its input shape to its output shape. The loader uses it to verify weight
// and bias lengths; the engine uses it to plan the arena and call kernels.
#ifndef TM2_FORMAT_SHAPES_H_
#define TM2_FORMAT_SHAPES_H_

#include <cstddef>

#include "common/status.h"
#include "kernels/kernels.h"

namespace tm2 {
namespace fb {
struct Layer;
}

struct TensorShape {
  int h = 0, w = 0, c = 0;
  size_t size() const { return static_cast<size_t>(h) * w * c; }
};

// Output shape of `layer` applied to `in`, and (for conv/pool types) the
// kernel geometry. Rejects strides/kernels of 0, a kernel larger than a
// Valid-padded input, pointwise with stride != 1, Softmax on a non-vector,
// and sizes beyond 2^24 elements. `geometry` may be null.
Status InferLayerShape(const fb::Layer& layer, const TensorShape& in, TensorShape* out,
                       ConvGeometry* geometry);

// Number of weight bytes the layer must carry for input shape `in`
// (0 for layers without weights).
size_t ExpectedWeightBytes(const fb::Layer& layer, const TensorShape& in);

}  // namespace tm2

#endif  // TM2_FORMAT_SHAPES_H_
