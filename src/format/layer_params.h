// The shape-relevant fields of a stored layer, as plain values.
#ifndef TM2_FORMAT_LAYER_PARAMS_H_
#define TM2_FORMAT_LAYER_PARAMS_H_

#include "format/layer_rules.h"
#include "format/tm2_generated.h"

namespace tm2 {
namespace format_internal {

inline LayerParams ParamsOf(const fb::Layer& layer) {
  LayerParams p;
  p.type = static_cast<int>(layer.type());
  p.kernel_h = layer.kernel_h();
  p.kernel_w = layer.kernel_w();
  p.stride_h = layer.stride_h();
  p.stride_w = layer.stride_w();
  p.same_padding = layer.padding() == fb::Padding::Same;
  p.out_channels = layer.out_channels();
  return p;
}

}  // namespace format_internal
}  // namespace tm2

#endif  // TM2_FORMAT_LAYER_PARAMS_H_
