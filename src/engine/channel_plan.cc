#include "engine/channel_plan.h"

#include "format/channel_params.h"

namespace tm2 {
namespace engine_internal {

size_t DecodeChannels(const LayerView& v, ArenaCursor* arena, DecodedChannels* out) {
  *out = DecodedChannels();
  const size_t c = static_cast<size_t>(v.out.c);
  const bool bias = NarrowChannelsHaveBias(v.channel_params);
  const size_t bias_bytes = bias ? 4 * c : 0;
  // Whole 16-byte units: the padding before it is what the next part
  // would have needed anyway, so the arena grows by exactly these bytes.
  constexpr size_t kAlign = ArenaCursor::kAlign;
  const size_t bytes = (bias_bytes + 4 * c + c + kAlign - 1) / kAlign * kAlign;
  uint8_t* block = static_cast<uint8_t*>(arena->Take(bytes));
  if (block == nullptr) return bytes;
  int32_t* b = bias ? reinterpret_cast<int32_t*>(block) : nullptr;
  int32_t* m = reinterpret_cast<int32_t*>(block + bias_bytes);
  int8_t* sh = reinterpret_cast<int8_t*>(block + bias_bytes + 4 * c);
  DecodeNarrowChannels(v.channel_params, v.out.c, b, m, sh);
  out->bias = b;
  out->multiplier = m;
  out->shift = sh;
  return bytes;
}

}  // namespace engine_internal
}  // namespace tm2
