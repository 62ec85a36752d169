// The kernel table's packed form of a layer's weights (kernels/kernels.h,
// "Packed weights"), made once at Init so that Invoke never repacks.
// Internal to src/engine: the planner asks how many bytes, takes them from
// the arena, and fills them.
//
//   size_t bytes = PackedWeightBytes(k, kind, g, in, out);
//   if (bytes) PackWeightsInto(k, kind, g, in, out, weights, rq, arena_bytes);
//   // or both at once from the planner's arena:
//   weights.packed = PackWeightsIn(k, kind, g, in, out, weights, rq, &arena);
#ifndef TM2_ENGINE_WEIGHT_PACKING_H_
#define TM2_ENGINE_WEIGHT_PACKING_H_

#include <cstddef>

#include "engine/arena_cursor.h"
#include "format/model.h"
#include "kernels/kernels.h"

namespace tm2 {
namespace engine_internal {

// Bytes `k` packs a `kind` layer of geometry `g` (in -> out) into; 0 when
// its variant runs from the model's weights as stored.
size_t PackedWeightBytes(const KernelTable& k, LayerKind kind, const ConvGeometry& g,
                         const TensorShape& in, const TensorShape& out);

// Fills `dst` (PackedWeightBytes of them, 4-byte aligned) with the packed
// weights. Only for a layer whose PackedWeightBytes is not 0.
void PackWeightsInto(const KernelTable& k, LayerKind kind, const ConvGeometry& g,
                     const TensorShape& in, const TensorShape& out, const QuantizedWeights& w,
                     const Requantization& rq, void* dst);

// Both: the packed weights in bytes taken from *arena; null when the table
// packs nothing for the layer, or on a dry or overflowing arena.
const void* PackWeightsIn(const KernelTable& k, LayerKind kind, const ConvGeometry& g,
                          const TensorShape& in, const TensorShape& out, const QuantizedWeights& w,
                          const Requantization& rq, ArenaCursor* arena);

}  // namespace engine_internal
}  // namespace tm2

#endif  // TM2_ENGINE_WEIGHT_PACKING_H_
