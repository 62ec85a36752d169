// One definition of how each layer type maps an input shape to an output
// shape and which weight matrix it carries (models/FORMAT.md, "Layers").
#include "format/layer_rules.h"

#include <cstdint>

namespace tm2 {
namespace format_internal {
namespace {

// LayerParams::type holds the file's number; these name it once, from the
// one numbering in format/model.h (LayerKind).
constexpr int Num(LayerKind k) { return static_cast<int>(k); }
constexpr int kConv2D = Num(LayerKind::kConv2D);
constexpr int kDepthwise = Num(LayerKind::kDepthwiseConv2D);
constexpr int kFullyConnected = Num(LayerKind::kFullyConnected);
constexpr int kPointwise = Num(LayerKind::kPointwiseConv2D);
constexpr int kMaxPool = Num(LayerKind::kMaxPool2D);
constexpr int kAvgPool = Num(LayerKind::kAvgPool2D);
constexpr int kGlobalAvgPool = Num(LayerKind::kGlobalAvgPool);

bool ShapeInRange(uint64_t h, uint64_t w, uint64_t c) {
  return h >= 1 && w >= 1 && c >= 1 && h <= kMaxTensorElements && w <= kMaxTensorElements &&
         c <= kMaxTensorElements && h * w <= kMaxTensorElements && h * w * c <= kMaxTensorElements;
}

// One spatial axis of a windowed layer (conv, depthwise, pools).
Status WindowAxis(const char* axis, int in, int k, int stride, bool same, int* out, int* pad) {
  if (k < 1 || stride < 1) {
    return Status::Error(StatusCode::kBadModel, "kernel %s %d and stride %s %d must be >= 1", axis,
                         k, axis, stride);
  }
  if (same) {
    *out = (in + stride - 1) / stride;
    const int64_t total = static_cast<int64_t>(*out - 1) * stride + k - in;
    *pad = total > 0 ? static_cast<int>(total / 2) : 0;
    return Status::Ok();
  }
  if (in < k) {
    return Status::Error(StatusCode::kBadModel,
                         "kernel %s %d larger than the input's %d (Valid padding)", axis, k, in);
  }
  *out = (in - k) / stride + 1;
  *pad = 0;
  return Status::Ok();
}

// Depthwise, pools and Softmax derive their channels; a stored value other
// than 0 must agree.
Status DerivedChannels(const LayerParams& layer, int in_c) {
  if (layer.out_channels != 0 && layer.out_channels != in_c) {
    return Status::Error(StatusCode::kBadModel,
                         "out_channels %d differs from the %d input channels (%s keeps channels)",
                         layer.out_channels, in_c, LayerTypeName(layer.type));
  }
  return Status::Ok();
}

}  // namespace

const char* LayerTypeName(int type) {
  static const char* const kNames[kNumLayerTypes] = {
      "Conv2D",    "DepthwiseConv2D", "FullyConnected", "PointwiseConv2D",
      "MaxPool2D", "AvgPool2D",       "GlobalAvgPool",  "Softmax"};
  return type >= 0 && type < kNumLayerTypes ? kNames[type] : "unknown";
}

}  // namespace format_internal

const char* LayerKindName(LayerKind kind) {
  return format_internal::LayerTypeName(static_cast<int>(kind));
}

namespace format_internal {

bool LayerHasWeights(int type) {
  return type == kConv2D || type == kDepthwise || type == kFullyConnected || type == kPointwise;
}

bool LayerIsPool(int type) {
  return type == kMaxPool || type == kAvgPool || type == kGlobalAvgPool;
}

Status InferShape(const LayerParams& layer, const TensorShape& in, TensorShape* out,
                  LayerWindow* window) {
  if (!ShapeInRange(in.h < 0 ? 0 : in.h, in.w < 0 ? 0 : in.w, in.c < 0 ? 0 : in.c)) {
    return Status::Error(StatusCode::kBadModel, "input shape %dx%dx%d is empty or beyond 2^24",
                         in.h, in.w, in.c);
  }
  LayerWindow g;
  TensorShape o = in;
  const int t = layer.type;
  if (t < 0 || t >= kNumLayerTypes) {
    return Status::Error(StatusCode::kUnsupported, "layer type %d needs a newer reader", t);
  }
  if (t == kConv2D || t == kDepthwise || t == kMaxPool || t == kAvgPool || t == kPointwise) {
    if (t == kPointwise && (layer.kernel_h != 1 || layer.kernel_w != 1 || layer.stride_h != 1 ||
                            layer.stride_w != 1)) {
      return Status::Error(
          StatusCode::kBadModel,
          "PointwiseConv2D needs kernel 1x1 and stride 1x1, has %dx%d stride %dx%d", layer.kernel_h,
          layer.kernel_w, layer.stride_h, layer.stride_w);
    }
    g.kernel_h = layer.kernel_h;
    g.kernel_w = layer.kernel_w;
    g.stride_h = layer.stride_h;
    g.stride_w = layer.stride_w;
    TM2_RETURN_IF_ERROR(WindowAxis("h", in.h, layer.kernel_h, layer.stride_h, layer.same_padding,
                                   &o.h, &g.pad_top));
    TM2_RETURN_IF_ERROR(WindowAxis("w", in.w, layer.kernel_w, layer.stride_w, layer.same_padding,
                                   &o.w, &g.pad_left));
    if (t == kConv2D || t == kPointwise) {
      if (layer.out_channels < 1) {
        return Status::Error(StatusCode::kBadModel, "out_channels must be >= 1");
      }
      const uint64_t row = static_cast<uint64_t>(layer.kernel_h) * layer.kernel_w * in.c;
      if (row > kMaxTensorElements) {
        return Status::Error(StatusCode::kBadModel, "kernel %dx%dx%d is beyond 2^24 values",
                             layer.kernel_h, layer.kernel_w, in.c);
      }
      o.c = layer.out_channels;
    } else {
      TM2_RETURN_IF_ERROR(DerivedChannels(layer, in.c));
    }
  } else if (t == kFullyConnected) {
    if (layer.out_channels < 1) {
      return Status::Error(StatusCode::kBadModel, "out_channels must be >= 1");
    }
    o.h = o.w = 1;
    o.c = layer.out_channels;
  } else if (t == kGlobalAvgPool) {
    TM2_RETURN_IF_ERROR(DerivedChannels(layer, in.c));
    o.h = o.w = 1;
  } else {  // Softmax
    TM2_RETURN_IF_ERROR(DerivedChannels(layer, in.c));
    if (in.h != 1 || in.w != 1) {
      return Status::Error(StatusCode::kBadModel, "Softmax needs a 1x1xN input, has %dx%dx%d", in.h,
                           in.w, in.c);
    }
  }
  if (!ShapeInRange(o.h, o.w, o.c)) {
    return Status::Error(StatusCode::kBadModel, "output %dx%dx%d is empty or beyond 2^24 values",
                         o.h, o.w, o.c);
  }
  *out = o;
  if (window != nullptr) *window = g;
  return Status::Ok();
}

WeightMatrix WeightLayout(const LayerParams& layer, const TensorShape& in) {
  WeightMatrix m;
  const uint64_t h = in.h > 0 ? in.h : 0, w = in.w > 0 ? in.w : 0, c = in.c > 0 ? in.c : 0;
  const uint64_t kh = layer.kernel_h > 0 ? layer.kernel_h : 0;
  const uint64_t kw = layer.kernel_w > 0 ? layer.kernel_w : 0;
  const uint64_t oc = layer.out_channels > 0 ? layer.out_channels : 0;
  switch (layer.type) {
    case kConv2D:
      m.rows = oc;
      m.row_length = kh * kw * c;
      break;
    case kDepthwise:
      m.rows = kh * kw;
      m.row_length = c;
      break;
    case kFullyConnected:
      m.rows = oc;
      m.row_length = h * w * c;
      break;
    case kPointwise:
      m.rows = oc;
      m.row_length = c;
      break;
    default:
      break;
  }
  return m;
}

size_t WeightBytes(const WeightMatrix& m, int bits) {
  if (m.rows == 0) return 0;
  if (m.row_length > kMaxTensorElements || m.rows > kMaxTensorElements) return SIZE_MAX;
  const uint64_t total = m.rows * RowBytes(m.row_length, bits);
  return total > SIZE_MAX ? SIZE_MAX : static_cast<size_t>(total);
}

}  // namespace format_internal
}  // namespace tm2
