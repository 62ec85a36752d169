// The engine's side of product-quantized layers (kernels/pq_decode.h):
// re-checking what the decoder will read, and sizing the one decode
// scratch a model needs. Internal to src/engine.
#ifndef TM2_ENGINE_PQ_LAYER_H_
#define TM2_ENGINE_PQ_LAYER_H_

#include <cstddef>

#include "common/status.h"
#include "format/model.h"
#include "kernels/pq_decode.h"

namespace tm2 {
namespace engine_internal {

// Code bytes a layer of `rows` x `row` weights takes with `v`'s codebook
// dim and code bits; fills `pq` and checks every code against the
// codebook's size (the engine does not take the loader's word for it).
Status CheckPqLayer(const LayerView& v, size_t rows, size_t row, PqWeights* pq);

// The largest decoded PQ layer of `model` and the number of PQ layers
// (both 0 when it has none), as the loader counted them (ModelCost).
Status PqPlanSizes(const Model& model, size_t* max_decoded_bytes, int* layers);

}  // namespace engine_internal
}  // namespace tm2

#endif  // TM2_ENGINE_PQ_LAYER_H_
