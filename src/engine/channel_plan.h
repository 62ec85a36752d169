// A Narrow layer's per-channel bias, multiplier and shift (format 1.2,
// format/channel_params.h), decoded once at Init into the kept part of the
// arena: the kernels read int32 / int32 / int8 arrays as for a wide layer,
// and Invoke does no decoding. Internal to src/engine (the planner calls it
// for each layer with channel_params; CheckLayer has checked the bytes).
//
//   engine_internal::DecodedChannels ch;
//   report.channel_params += engine_internal::DecodeChannels(v, &arena, &ch);
//   if (ch.multiplier) { bias = ch.bias; multiplier = ch.multiplier; shift = ch.shift; }
#ifndef TM2_ENGINE_CHANNEL_PLAN_H_
#define TM2_ENGINE_CHANNEL_PLAN_H_

#include <cstddef>
#include <cstdint>

#include "engine/arena_cursor.h"
#include "format/model.h"

namespace tm2 {
namespace engine_internal {

// The decoded arrays, out.c values each; bias null when the layer has none.
// All null when nothing was decoded (a sizing pass, or an arena too small:
// Plan reports that after the walk).
struct DecodedChannels {
  const int32_t* bias = nullptr;
  const int32_t* multiplier = nullptr;
  const int8_t* shift = nullptr;
};

// Takes one block (biases, multipliers, then shifts) from *arena, decodes
// v.channel_params into it and returns the block's bytes (whole 16-byte
// units), also on a sizing pass.
size_t DecodeChannels(const LayerView& v, ArenaCursor* arena, DecodedChannels* out);

}  // namespace engine_internal
}  // namespace tm2

#endif  // TM2_ENGINE_CHANNEL_PLAN_H_
