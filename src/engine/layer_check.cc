// Layer checks and geometry for the planner (layer_check.h).
#include "engine/layer_check.h"

#include "engine/pq_layer.h"
#include "format/channel_params.h"

namespace tm2 {
namespace engine_internal {

bool HasWeights(LayerKind k) {
  return k == LayerKind::kConv2D || k == LayerKind::kDepthwiseConv2D ||
         k == LayerKind::kFullyConnected || k == LayerKind::kPointwiseConv2D;
}

// The kernels' view of a layer's window (kernels/kernels.h).
ConvGeometry Geometry(const LayerView& v) {
  const LayerWindow& w = v.window;
  return ConvGeometry{v.in.h,     v.in.w,     v.in.c,     v.out.h,    v.out.w, v.out.c,
                      w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.pad_top, w.pad_left};
}

Status RequantOk(const int32_t* multiplier, const int8_t* shift, size_t count) {
  for (size_t c = 0; c < count; ++c) {
    const int n = 31 - shift[c];
    if (multiplier[c] < 0 || n < 1 || n > 62)
      return Status::Error(StatusCode::kBadModel,
                           "engine: channel %lu multiplier %ld / shift %d out of range "
                           "(multiplier >= 0, n = 31 - shift in [1, 62])",
                           static_cast<unsigned long>(c), static_cast<long>(multiplier[c]),
                           shift[c]);
  }
  return Status::Ok();
}

// What the kernels will read, from the planned shapes alone (the kernels'
// layouts, kernels/kernels.h), against what the file holds: the engine does
// not take the loader's word for it.
Status CheckLayer(const LayerView& v, PqWeights* pq) {
  if (v.act_min < -128 || v.act_max > 127 || v.act_min > v.act_max)
    return Status::Error(StatusCode::kBadModel, "engine: clamp [%d, %d] is not inside int8",
                         static_cast<int>(v.act_min), static_cast<int>(v.act_max));
  const bool keeps_channels = v.kind == LayerKind::kDepthwiseConv2D ||
                              v.kind == LayerKind::kMaxPool2D || v.kind == LayerKind::kAvgPool2D ||
                              v.kind == LayerKind::kGlobalAvgPool;
  if (keeps_channels && v.in.c != v.out.c)
    return Status::Error(StatusCode::kBadModel, "engine: %d input channels but %d output",
                         v.in.c, v.out.c);
  if (!HasWeights(v.kind)) return Status::Ok();
  if (v.weight_bits != 4 && v.weight_bits != 8)
    return Status::Error(StatusCode::kBadModel, "engine: weight_bits %d", v.weight_bits);
  size_t rows = static_cast<size_t>(v.out.c), row = 0;
  switch (v.kind) {
    case LayerKind::kConv2D:
      row = static_cast<size_t>(v.window.kernel_h) * v.window.kernel_w * v.in.c;
      break;
    case LayerKind::kDepthwiseConv2D:
      rows = static_cast<size_t>(v.window.kernel_h) * v.window.kernel_w;
      row = static_cast<size_t>(v.in.c);
      break;
    case LayerKind::kFullyConnected:
      row = v.in.size();
      break;
    default:  // pointwise
      row = static_cast<size_t>(v.in.c);
      break;
  }
  const size_t channels = static_cast<size_t>(v.out.c);
  if (v.pq) TM2_RETURN_IF_ERROR(engine_internal::CheckPqLayer(v, rows, row, pq));
  const size_t weight_bytes =
      v.pq ? v.weight_bytes : rows * WeightRowBytes(static_cast<int>(row), v.weight_bits);
  if (v.channel_params != nullptr) {
    // Narrow (format 1.2): decoded at Init; the same rules as the vectors.
    if (v.weights == nullptr || v.weight_bytes != weight_bytes || v.multiplier || v.shift || v.bias)
      return Status::Error(StatusCode::kBadModel,
                           "engine: %lu weight bytes (the plan needs %lu) or vectors beside "
                           "narrow channel parameters",
                           static_cast<unsigned long>(v.weight_bytes),
                           static_cast<unsigned long>(weight_bytes));
    return CheckNarrowChannels(v.channel_params, v.channel_params_bytes, v.out.c);
  }
  if (v.weights == nullptr || v.weight_bytes != weight_bytes || v.multiplier == nullptr ||
      v.multiplier_count != channels || v.shift == nullptr || v.shift_count != channels ||
      (v.bias != nullptr && v.bias_count != channels))
    return Status::Error(StatusCode::kBadModel,
                         "engine: %lu weight bytes, %lu multipliers, %lu shifts, %lu biases; the "
                         "plan (%dx%dx%d -> %dx%dx%d) needs %lu bytes and %lu of each",
                         static_cast<unsigned long>(v.weight_bytes),
                         static_cast<unsigned long>(v.multiplier_count),
                         static_cast<unsigned long>(v.shift_count),
                         static_cast<unsigned long>(v.bias_count), v.in.h, v.in.w, v.in.c,
                         v.out.h, v.out.w, v.out.c, static_cast<unsigned long>(weight_bytes),
                         static_cast<unsigned long>(channels));
  return RequantOk(v.multiplier, v.shift, channels);
}

}  // namespace engine_internal
}  // namespace tm2
