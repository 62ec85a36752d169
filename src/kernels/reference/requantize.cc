// Reference elementwise requantization (one multiplier/shift for all
// values): moves a tensor to another scale and zero point, e.g. for concat.
#include "kernels/reference/ref_util.h"

namespace tm2 {

void qs8_requantize_ref(size_t n, int32_t input_zero_point, const Requantization& rq,
                        const int8_t* input, int8_t* output) {
  for (size_t i = 0; i < n; ++i) {
    output[i] = RequantizeOne(input[i] - input_zero_point, rq.multiplier[0], rq.shift[0],
                              rq.output_zero_point, rq.output_min, rq.output_max);
  }
}

}  // namespace tm2
