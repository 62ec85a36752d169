// Reference fully connected layer, weights [out][in]; also the pointwise
// (1x1) convolution with rows = H*W. Activations int8 or packed int4
// (rq.in_bits / rq.out_bits), packed over the whole rows x in tensor.
#include "kernels/reference/ref_util.h"

namespace tm2 {
namespace {

template <int IN, int OUT>
void FullyConnected(int rows, int in, int out, const QuantizedWeights& w,
                    int32_t input_zero_point, const Requantization& rq, const int8_t* input,
                    int8_t* output) {
  const size_t row_bytes = WeightRowBytes(in, w.bits);
  for (int r = 0; r < rows; ++r) {
    const size_t x = static_cast<size_t>(r) * in;
    for (int o = 0; o < out; ++o) {
      const uint8_t* wrow = w.data + o * row_bytes;
      int32_t acc = w.bias ? w.bias[o] : 0;
      for (int i = 0; i < in; ++i) {
        acc = ref::MulAddWrap(acc, ref::LoadAct<IN>(input, x + i) - input_zero_point,
                              ref::WeightAt(wrow, i, w.bits));
      }
      ref::StoreAct<OUT>(output, static_cast<size_t>(r) * out + o,
                         RequantizeOne(acc, rq.multiplier[o], rq.shift[o], rq.output_zero_point,
                                       rq.output_min, rq.output_max));
    }
  }
}

}  // namespace

void qs8_fully_connected_ref(int rows, int in, int out, const QuantizedWeights& w,
                             int32_t input_zero_point, const Requantization& rq,
                             const int8_t* input, int8_t* output) {
  TM2_REF_DISPATCH_BITS(rq.in_bits, rq.out_bits, FullyConnected, rows, in, out, w,
                        input_zero_point, rq, input, output);
}

}  // namespace tm2
