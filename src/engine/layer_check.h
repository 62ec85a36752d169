// The engine's checks of one layer before it plans it, and the kernels'
// view of its window. Internal to src/engine (engine_plan.cc).
//
//   PqWeights pq;
//   TM2_RETURN_IF_ERROR(CheckLayer(view, &pq));
//   ConvGeometry g = Geometry(view);
#ifndef TM2_ENGINE_LAYER_CHECK_H_
#define TM2_ENGINE_LAYER_CHECK_H_

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "format/model.h"
#include "kernels/kernels.h"
#include "kernels/pq_decode.h"

namespace tm2 {
namespace engine_internal {

// Conv, depthwise, fully connected and pointwise layers.
bool HasWeights(LayerKind k);

// The kernels' view of a layer's window (kernels/kernels.h), int8 layouts.
ConvGeometry Geometry(const LayerView& v);

// Every channel's multiplier >= 0 and n = 31 - shift in [1, 62].
Status RequantOk(const int32_t* multiplier, const int8_t* shift, size_t count);

// What the kernels will read, from the planned shapes alone, against what
// the file holds (the engine does not take the loader's word for it);
// fills `pq` for a product-quantized layer.
Status CheckLayer(const LayerView& v, PqWeights* pq);

}  // namespace engine_internal
}  // namespace tm2

#endif  // TM2_ENGINE_LAYER_CHECK_H_
