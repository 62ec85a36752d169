// shapes.h on a verified fb::Layer: the stored fields, read through the
// shared rules of layer_rules.cc.
#include "format/shapes.h"

#include "format/layer_params.h"
#include "format/layer_rules.h"

namespace tm2 {

Status InferLayerShape(const fb::Layer& layer, const TensorShape& in, TensorShape* out,
                       LayerWindow* window) {
  return format_internal::InferShape(format_internal::ParamsOf(layer), in, out, window);
}

size_t ExpectedWeightBytes(const fb::Layer& layer, const TensorShape& in) {
  const format_internal::LayerParams p = format_internal::ParamsOf(layer);
  return format_internal::WeightBytes(format_internal::WeightLayout(p, in), layer.weight_bits());
}

}  // namespace tm2
