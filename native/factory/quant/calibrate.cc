#include "quant/calibrate.h"

#include <torch/torch.h>

#include <algorithm>
#include <vector>

namespace tm2 {
namespace factory {

void CalibrateObservers(TinyNet& net, const TensorSet& train) {
  torch::NoGradGuard ng;
  net->EnableFakeQuant(true);
  net->train();
  for (int64_t i = 0; i < train.size(); i += 64) {
    std::vector<torch::Tensor> x;
    for (const auto& t : train.x) x.push_back(t.slice(0, i, std::min<int64_t>(train.size(), i + 64)));
    net->forward(x);
  }
}

}  // namespace factory
}  // namespace tm2
