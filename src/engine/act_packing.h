// Which layer outputs the engine stores as packed int4 (models/FORMAT.md
// 3.1, kernels/kernels.h "Packed activations"). Internal to src/engine.
//
// An output is packed when the model declares it 4-bit (act_bits 4, clamp
// inside [-8, 7]), the layer's kernel can write packed, and the next layer
// of the same stack can read it. A stack's last output (the branch output
// that fusion or the head reads, the logits) stays int8, as does a 4-bit
// output whose reader cannot unpack (global average pool, Softmax): the
// planner then takes the packing back (unpack_previous). Packing changes
// only the storage: every value, and so every result, is the same.
//
// Whether a model packs at all is chosen here too (Engine::ChoosePacking in
// act_packing.cc): packed layers run whole, so the plan keeps packing only
// where the arena's peak falls.
//
//   engine_internal::StackPacking packing(options.pack_int4_activations);
//   packing.BeginStack();                        // each branch, then the head
//   for each layer v of the stack:
//     const engine_internal::ActBits bits = packing.Next(v, num_layers);
//     if (bits.unpack_previous) ...              // plan the previous output int8
//     geometry.in_bits = bits.in; geometry.out_bits = bits.out;
#ifndef TM2_ENGINE_ACT_PACKING_H_
#define TM2_ENGINE_ACT_PACKING_H_

#include "format/model.h"

namespace tm2 {
namespace engine_internal {

// A layer's activation storage: 4 (packed) or 8 bits.
struct ActBits {
  uint8_t in = 8, out = 8;
  // The previous output was planned packed, but this layer cannot read it:
  // it is int8 after all (`in` is then 8).
  bool unpack_previous = false;
};

// Decides layer by layer, in a stack's order, before each output's reader
// is known (so at times after the fact: unpack_previous).
class StackPacking {
 public:
  explicit StackPacking(bool enabled) : enabled_(enabled) {}
  void BeginStack() { prev_packed_ = false; }
  ActBits Next(const LayerView& v, int num_layers);

 private:
  bool enabled_;
  bool prev_packed_ = false;
};

}  // namespace engine_internal
}  // namespace tm2

#endif  // TM2_ENGINE_ACT_PACKING_H_
