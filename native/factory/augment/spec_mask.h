// SpecAugment-style masks (Park et al. 2019) on a batch of normalised
// features [N, 1, frames, bins]: per item, `time_masks` runs of whole
// frames and `freq_masks` runs of bins set to 0 (the training mean after
// normalisation), each run's width uniform in [0, max] and its start
// uniform where it fits. Draws from torch's global generator, which the
// trainer seeds per epoch.
#ifndef TM2_FACTORY_AUGMENT_SPEC_MASK_H_
#define TM2_FACTORY_AUGMENT_SPEC_MASK_H_

#include <torch/torch.h>

#include "recipe/recipe.h"

namespace tm2 {
namespace factory {

torch::Tensor SpecMask(const torch::Tensor& x, const AugmentConfig& config);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_AUGMENT_SPEC_MASK_H_
