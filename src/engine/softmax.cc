#include "common/det_math.h"
#include "engine/engine.h"

namespace tm2 {

// p_i = exp(z_i - max z) / sum_j exp(z_j - max z), z = (q - zp) * scale / T.
// DetExp and a fixed summation order keep the probabilities bit-identical
// across targets, like the features.
void SoftmaxLogits(const int8_t* logits, int n, float scale, int32_t zero_point, float temperature,
                   float* probs) {
  if (n <= 0) return;
  const float k = scale / temperature;
  float max_z = static_cast<float>(logits[0] - zero_point) * k;
  for (int i = 1; i < n; ++i) {
    const float z = static_cast<float>(logits[i] - zero_point) * k;
    if (z > max_z) max_z = z;
  }
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    probs[i] = DetExp(static_cast<float>(logits[i] - zero_point) * k - max_z);
    sum += probs[i];
  }
  for (int i = 0; i < n; ++i) probs[i] /= sum;
}

}  // namespace tm2
