// Packed weights of conv, depthwise, pointwise and dense layers (weight_packing.h).
#include "engine/weight_packing.h"

namespace tm2 {
namespace engine_internal {

size_t PackedWeightBytes(const KernelTable& k, LayerKind kind, const ConvGeometry& g,
                         const TensorShape& in, const TensorShape& out) {
  if (kind == LayerKind::kConv2D && k.conv2d_packed_bytes) return k.conv2d_packed_bytes(g);
  if (kind == LayerKind::kPointwiseConv2D && k.fully_connected_packed_bytes)
    return k.fully_connected_packed_bytes(in.h * in.w, in.c, out.c);
  if (kind == LayerKind::kDepthwiseConv2D && k.depthwise_conv2d_packed_bytes)
    return k.depthwise_conv2d_packed_bytes(g);
  // A dense layer is one row: most tables pack nothing (0 bytes); AVX-512 VNNI packs.
  if (kind == LayerKind::kFullyConnected && k.fully_connected_packed_bytes)
    return k.fully_connected_packed_bytes(1, static_cast<int>(in.size()), out.c);
  return 0;
}

void PackWeightsInto(const KernelTable& k, LayerKind kind, const ConvGeometry& g,
                     const TensorShape& in, const TensorShape& out, const QuantizedWeights& w,
                     const Requantization& rq, void* dst) {
  if (kind == LayerKind::kConv2D) {
    k.conv2d_pack(g, w, rq, dst);
  } else if (kind == LayerKind::kDepthwiseConv2D) {
    k.depthwise_conv2d_pack(g, w, rq, dst);
  } else if (kind == LayerKind::kFullyConnected) {
    k.fully_connected_pack(1, static_cast<int>(in.size()), out.c, w, rq, dst);
  } else {
    k.fully_connected_pack(in.h * in.w, in.c, out.c, w, rq, dst);
  }
}

const void* PackWeightsIn(const KernelTable& k, LayerKind kind, const ConvGeometry& g,
                          const TensorShape& in, const TensorShape& out, const QuantizedWeights& w,
                          const Requantization& rq, ArenaCursor* arena) {
  const size_t bytes = PackedWeightBytes(k, kind, g, in, out);
  if (bytes == 0) return nullptr;
  void* dst = arena->Take(bytes);
  if (dst) PackWeightsInto(k, kind, g, in, out, w, rq, dst);
  return dst;
}

}  // namespace engine_internal
}  // namespace tm2
