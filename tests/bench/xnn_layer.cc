#include "xnn_layer.h"

#include <xnnpack.h>

#include <cmath>
#include <vector>

#include "kernels/kernels.h"

namespace tm2 {

const size_t XnnLayer::kExtraBytes = XNN_EXTRA_BYTES;

namespace {

bool InitXnn() {
  static const bool ok = xnn_initialize(nullptr) == xnn_status_success;
  return ok;
}

// Padding after the input XNNPACK needs to produce `out` cells (tinym2
// stores only the leading pad; the rest follows from the shapes).
int TrailingPad(int in, int out, int kernel, int stride, int lead) {
  const int p = (out - 1) * stride + kernel - in - lead;
  return p > 0 ? p : 0;
}

int8_t ClampInt8(int32_t v) { return static_cast<int8_t>(v < -128 ? -128 : v > 127 ? 127 : v); }

}  // namespace

XnnLayer::~XnnLayer() {
  if (op_) xnn_delete_operator(static_cast<xnn_operator_t>(op_));
}

bool XnnLayer::Create(const LayerView& v, std::string* why) {
  if (!InitXnn()) {
    *why = "xnn_initialize failed";
    return false;
  }
  if (v.pq || (v.weight_bits != 8 && v.weight_bits != 4)) {
    *why = "no weights XNNPACK takes";
    return false;
  }
  const bool depthwise = v.kind == LayerKind::kDepthwiseConv2D;
  int in_h = v.in.h, in_w = v.in.w, in_c = v.in.c;
  LayerWindow win = v.window;
  switch (v.kind) {
    case LayerKind::kConv2D:
    case LayerKind::kDepthwiseConv2D:
    case LayerKind::kPointwiseConv2D:
      break;
    case LayerKind::kFullyConnected:
      in_h = in_w = 1;
      in_c = static_cast<int>(v.in.size());
      win = LayerWindow{};
      break;
    default:
      *why = "not a weighted layer";
      return false;
  }
  const int out_c = v.out.c;
  // Weights as int8, in XNNPACK's layout, which is tinym2's: conv
  // [out_c][kh][kw][in_c], depthwise [kh][kw][channels].
  const int rows = depthwise ? win.kernel_h * win.kernel_w : out_c;
  const int row_len = depthwise ? out_c : win.kernel_h * win.kernel_w * in_c;
  const size_t row_bytes = WeightRowBytes(row_len, v.weight_bits);
  std::vector<int8_t> kernel(static_cast<size_t>(rows) * row_len);
  for (int r = 0; r < rows; ++r) {
    const uint8_t* src = v.weights + r * row_bytes;
    for (int i = 0; i < row_len; ++i) {
      kernel[static_cast<size_t>(r) * row_len + i] =
          static_cast<int8_t>(v.weight_bits == 4 ? UnpackInt4(src, i) : static_cast<int8_t>(src[i]));
    }
  }
  std::vector<float> scale(out_c);
  for (int c = 0; c < out_c; ++c) {
    scale[c] = static_cast<float>(std::ldexp(static_cast<double>(v.multiplier[c]), v.shift[c] - 31));
    if (!(scale[c] > 0) || !std::isnormal(scale[c])) {
      *why = "a channel's scale is not a positive normal float";
      return false;
    }
  }
  std::vector<int32_t> bias(out_c, 0);
  for (int c = 0; c < out_c && v.bias; ++c) bias[c] = v.bias[c];
  const int pad_b = TrailingPad(in_h, v.out.h, win.kernel_h, win.stride_h, win.pad_top);
  const int pad_r = TrailingPad(in_w, v.out.w, win.kernel_w, win.stride_w, win.pad_left);
  if ((in_h + win.pad_top + pad_b - win.kernel_h) / win.stride_h + 1 != v.out.h ||
      (in_w + win.pad_left + pad_r - win.kernel_w) / win.stride_w + 1 != v.out.w) {
    *why = "output shape XNNPACK would not produce";
    return false;
  }
  xnn_operator_t op = nullptr;
  const xnn_status s = xnn_create_convolution2d_nhwc_qc8(
      win.pad_top, pad_r, pad_b, win.pad_left, win.kernel_h, win.kernel_w, win.stride_h,
      win.stride_w, 1, 1, depthwise ? out_c : 1, depthwise ? 1 : in_c, depthwise ? 1 : out_c,
      in_c, out_c, ClampInt8(v.input_zero_point), 1.0f, scale.data(), kernel.data(), bias.data(),
      ClampInt8(v.output_zero_point), 1.0f, ClampInt8(v.act_min), ClampInt8(v.act_max),
      depthwise ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0, &op);
  if (s != xnn_status_success) {
    *why = "xnn_create_convolution2d_nhwc_qc8 refused the layer (status " + std::to_string(s) + ")";
    return false;
  }
  op_ = op;
  in_h_ = in_h;
  in_w_ = in_w;
  return true;
}

bool XnnLayer::Bind(const int8_t* input, int8_t* output) {
  return op_ && xnn_setup_convolution2d_nhwc_qc8(static_cast<xnn_operator_t>(op_), 1, in_h_, in_w_,
                                                 input, output, nullptr) == xnn_status_success;
}

bool XnnLayer::Run() {
  return xnn_run_operator(static_cast<xnn_operator_t>(op_), nullptr) == xnn_status_success;
}

}  // namespace tm2
