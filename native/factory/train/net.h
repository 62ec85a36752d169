// The TinyM2Net as a libtorch module, built from a recipe: per-branch
// DS-CNN, concatenation, FC head. Three ways to run it:
//   float          conv/FC + batch norm + ReLU (training, teacher);
//   folded float   after FoldBatchNorm(): BN merged into weights and bias;
//   fake-quant     after EnableFakeQuant(): folded, with per-channel
//                  symmetric weights and asymmetric activations rounded to
//                  the grid the engine uses (straight-through gradients);
//                  observers track activation ranges while training.
// Tensors are NCHW (N, C, time, bins); FC inputs are flattened in NHWC
// order, the engine's memory order.
#ifndef TM2_FACTORY_TRAIN_NET_H_
#define TM2_FACTORY_TRAIN_NET_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "recipe/recipe.h"

namespace tm2 {
namespace factory {

// Range of a tensor, tracked as an exponential moving average of batch
// min/max; gives the int8/int4 scale and zero point.
struct Observer {
  double lo = 0, hi = 0;
  bool seen = false;
  void Update(const torch::Tensor& t, bool relu);
};

struct QParams {
  double scale = 1;
  int zero_point = 0, qmin = -128, qmax = 127, act_min = -128, act_max = 127;
};
QParams ChooseQParams(const Observer& o, int bits, bool relu);

struct NetLayer {
  OpDef def;
  torch::Tensor weight, bias;        // torch layouts: conv OIHW, dw C1HW, pw OI11, fc OI
  torch::nn::BatchNorm2d bn{nullptr};
  int weight_bits = 8, act_bits = 8;
  Observer out_obs;
  // Pack factory: when defined, fake-quant decodes the int8 weights to
  // their nearest centroids of this fixed codebook ([K, d] float64,
  // quant/pq.h) and the export writes codes into codebook `pq_codebook`.
  torch::Tensor pq_centroids;
  int pq_codebook = -1;
};

class TinyNetImpl : public torch::nn::Module {
 public:
  explicit TinyNetImpl(const Recipe& recipe);
  // inputs: one [N, 1, frames, bins] tensor per branch (normalised features).
  torch::Tensor forward(const std::vector<torch::Tensor>& inputs);

  void FoldBatchNorm();
  void EnableFakeQuant(bool on) { fake_quant_ = on; }
  void FreezeObservers(bool frozen) { observers_frozen_ = frozen; }
  bool folded() const { return folded_; }

  const Recipe& recipe() const { return recipe_; }
  std::vector<std::vector<NetLayer>>& branches() { return branches_; }
  std::vector<NetLayer>& head() { return head_; }
  std::vector<NetLayer*> WeightedLayers();
  std::vector<Observer>& input_observers() { return input_obs_; }
  Observer& fusion_observer() { return fusion_obs_; }
  std::vector<bool>& branch_relu() { return branch_relu_; }

 private:
  torch::Tensor RunStack(std::vector<NetLayer>& stack, torch::Tensor x, QParams in_q);
  torch::Tensor FakeQuant(const torch::Tensor& x, const QParams& q);
  Recipe recipe_;
  std::vector<std::vector<NetLayer>> branches_;
  std::vector<NetLayer> head_;
  std::vector<Observer> input_obs_;
  Observer fusion_obs_;
  std::vector<bool> branch_relu_;  // does each branch end non-negative
  bool folded_ = false, fake_quant_ = false, observers_frozen_ = false;
};
TORCH_MODULE(TinyNet);

// Per-channel symmetric quantization of a weight (dim 0 = output channel,
// except depthwise where it is also dim 0 = channel): returns integers and
// scales; `qmax` = 127 or 7.
void QuantizeWeight(const torch::Tensor& w, int bits, torch::Tensor* ints, torch::Tensor* scales);
torch::Tensor FakeQuantWeight(const torch::Tensor& w, int bits);
// The same with the integers replaced by their PQ decoding (straight-through).
torch::Tensor FakeQuantWeightPq(const torch::Tensor& w, int bits, OpKind kind, const torch::Tensor& centroids);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_TRAIN_NET_H_
