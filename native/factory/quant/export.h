// From a folded, fake-quantized TinyNet to the core's ModelSpec: integer
// weights in the layouts of models/FORMAT.md 3.3, int32 biases, Q31
// multipliers and shifts, zero points and ReLU clamps, normalisation and
// input quantization, fusion, labels, temperature.
#ifndef TM2_FACTORY_QUANT_EXPORT_H_
#define TM2_FACTORY_QUANT_EXPORT_H_

#include <vector>

#include "format/writer.h"
#include "train/net.h"

namespace tm2 {
namespace factory {

struct Normalisation {
  std::vector<float> mean, std;  // one (global) or one per feature
};

ModelSpec BuildModelSpec(TinyNet& net, const std::vector<Normalisation>& norm);

// Real multiplier -> (Q31 multiplier, shift), n = 31 - shift in [1, 62].
void QuantizeMultiplier(double real, int32_t* multiplier, int8_t* shift);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_QUANT_EXPORT_H_
