// The factory's integer model: runs a ModelSpec exactly as models/FORMAT.md
// section 4 defines it (int64 tensors for the requantization products), on
// the factory's normalised float features. Its predictions are what the
// parity check compares with the core's engine.
#ifndef TM2_FACTORY_QUANT_INT_SIM_H_
#define TM2_FACTORY_QUANT_INT_SIM_H_

#include <torch/torch.h>

#include "format/writer.h"
#include "train/trainer.h"

namespace tm2 {
namespace factory {

// Int8 model input from normalised features, as the core's QuantizeFeature
// does it: x = v / scale in float32, round half away from zero, + zp, clamp.
torch::Tensor QuantizeInput(const torch::Tensor& features, float scale, int zero_point);

// Int8 logits [N, labels] (as int64 values).
torch::Tensor IntSimLogits(const ModelSpec& spec, const TensorSet& set);
// Dequantized logits (q - zp) * scale of the last weighted head layer.
torch::Tensor DequantizeLogits(const ModelSpec& spec, const torch::Tensor& int_logits);

// Temperature minimising the validation negative log-likelihood.
double FitTemperature(const torch::Tensor& logits, const torch::Tensor& y);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_QUANT_INT_SIM_H_
