// Which layer outputs the engine stores as packed int4 (models/FORMAT.md
// 3.1, kernels/kernels.h "Packed activations"). Internal to src/engine.
//
// An output is packed when the model declares it 4-bit (act_bits 4, clamp
// inside [-8, 7]), the layer's kernel can write packed, and the next layer
// of the same stack can read it. A stack's last output (the branch output
// that fusion or the head reads, the logits) stays int8, as does a 4-bit
// output whose reader cannot unpack (global average pool, Softmax): the
// planner then takes the packing back (ReadsPacked). Packing changes only
// the storage: every value, and so every result, is the same.
//
//   bool out4 = WritesPacked(v, num_layers);         // at the producer
//   if (prev_out4 && !ReadsPacked(v.kind)) ...       // at the consumer
#ifndef TM2_ENGINE_ACT_PACKING_H_
#define TM2_ENGINE_ACT_PACKING_H_

#include "format/model.h"

namespace tm2 {
namespace engine_internal {

// Kinds whose kernels read and write packed int4 activations.
inline bool ReadsPacked(LayerKind k) {
  return k == LayerKind::kConv2D || k == LayerKind::kDepthwiseConv2D ||
         k == LayerKind::kPointwiseConv2D || k == LayerKind::kFullyConnected ||
         k == LayerKind::kMaxPool2D || k == LayerKind::kAvgPool2D;
}

// Whether `v`'s output may be stored packed, before its reader is known.
inline bool WritesPacked(const LayerView& v, int num_layers) {
  return v.act_bits == 4 && v.act_min >= -8 && v.act_max <= 7 && ReadsPacked(v.kind) &&
         v.index + 1 < num_layers;
}

}  // namespace engine_internal
}  // namespace tm2

#endif  // TM2_ENGINE_ACT_PACKING_H_
