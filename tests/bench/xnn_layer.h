// One tinym2 layer as Debian's XNNPACK operator, for model_bench's side by
// side (built only when libXNNPACK is found; TM2_HAVE_XNNPACK).
//
// Conv2D and depthwise (groups = channels) map to XNNPACK's QC8
// convolution (per-channel float kernel scales); pointwise and dense layers
// to a 1x1 QC8 convolution, because this XNNPACK's fully connected operator
// has no per-channel form. int4 weights are widened to int8 (XNNPACK has no
// int4). The integer requantization multiplier * 2^-n becomes the kernel
// scale with input and output scale 1, so XNNPACK's float output stage
// rounds differently in rare ties: outputs may differ by 1.
//
//   tm2::XnnLayer x;
//   std::string why;
//   if (!x.Create(view, &why)) printf("xnnpack: %s\n", why.c_str());
//   x.Bind(input, output);   // input has XnnLayer::kExtraBytes of slack
//   x.Run();                 // per call
#ifndef TM2_TESTS_BENCH_XNN_LAYER_H_
#define TM2_TESTS_BENCH_XNN_LAYER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "format/model.h"

namespace tm2 {

class XnnLayer {
 public:
  static const size_t kExtraBytes;  // XNN_EXTRA_BYTES: slack after every input
  XnnLayer() = default;
  XnnLayer(const XnnLayer&) = delete;
  XnnLayer& operator=(const XnnLayer&) = delete;
  ~XnnLayer();
  // False (and why) when XNNPACK has no operator for the layer.
  bool Create(const LayerView& v, std::string* why);
  // Fixes the buffers every Run reads and writes (XNNPACK's setup step).
  bool Bind(const int8_t* input, int8_t* output);
  bool Run();

 private:
  void* op_ = nullptr;  // xnn_operator_t
  int in_h_ = 0, in_w_ = 0;
};

}  // namespace tm2

#endif  // TM2_TESTS_BENCH_XNN_LAYER_H_
