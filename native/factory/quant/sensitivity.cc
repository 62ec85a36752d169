#include "quant/sensitivity.h"

#include <cmath>

namespace tm2 {
namespace factory {

std::vector<double> HessianTraces(TinyNet& net, const TensorSet& data, int samples, uint64_t seed,
                                  std::vector<double>* std_error) {
  auto layers = net->WeightedLayers();
  std::vector<torch::Tensor> params;
  for (NetLayer* l : layers) params.push_back(l->weight);
  net->eval();  // fixed BN statistics: the loss surface the deployed model sees
  // Each probe draws its own Rademacher vector on its own mini-batch from a
  // seeded permutation of the training set: the estimate averages over the
  // data as well as over probes, for the cost of `samples` small Hv.
  torch::manual_seed(seed);
  const int64_t n = data.size(), batch = std::min<int64_t>(n, 64);
  const auto perm = torch::randperm(n, torch::kLong);
  std::vector<std::vector<double>> est(layers.size());
  for (int s = 0; s < samples; ++s) {
    const int64_t start = (s * batch) % n;
    auto idx = perm.slice(0, start, std::min<int64_t>(n, start + batch));
    if (idx.size(0) < batch) idx = torch::cat({idx, perm.slice(0, 0, batch - idx.size(0))});
    std::vector<torch::Tensor> x;
    for (const auto& t : data.x) x.push_back(t.index_select(0, idx));
    const auto loss = torch::cross_entropy_loss(net->forward(x), data.y.index_select(0, idx));
    const auto grads = torch::autograd::grad({loss}, params, {}, true, true);
    // One Rademacher vector over all layers at once: per-layer v_l^T H_ll v_l
    // is unbiased for tr(H_ll) (cross-layer blocks only pair with v_l).
    std::vector<torch::Tensor> v;
    torch::Tensor gv = torch::zeros({});
    for (size_t i = 0; i < params.size(); ++i) {
      v.push_back(torch::randint(0, 2, params[i].sizes(), torch::kFloat32) * 2 - 1);
      gv = gv + (grads[i] * v[i]).sum();
    }
    const auto hv = torch::autograd::grad({gv}, params, {}, false, false);
    for (size_t i = 0; i < params.size(); ++i)
      est[i].push_back((hv[i] * v[i]).sum().item<double>() / params[i].numel());
  }
  std::vector<double> trace(layers.size(), 0.0);
  if (std_error) std_error->assign(layers.size(), 0.0);
  for (size_t i = 0; i < layers.size(); ++i) {
    double sum = 0, sq = 0;
    for (double e : est[i]) sum += e;
    trace[i] = sum / std::max<size_t>(1, est[i].size());
    for (double e : est[i]) sq += (e - trace[i]) * (e - trace[i]);
    if (std_error && est[i].size() > 1)
      (*std_error)[i] = std::sqrt(sq / (est[i].size() - 1) / est[i].size());
  }
  return trace;
}

std::vector<LayerCost> LayerCosts(TinyNet& net, const std::vector<double>& traces,
                                  const ModelStats& stats, bool pin_first_last) {
  auto layers = net->WeightedLayers();
  std::vector<LayerCost> out;
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerCost c;
    c.name = layers[i]->def.name;
    const auto w = layers[i]->weight.detach();
    for (int bits : {4, 8}) {
      const double pert = (w - FakeQuantWeight(w, bits)).pow(2).sum().item<double>();
      // A negative trace estimate (noise, or a saddle) would reward
      // quantization error; clamp at 0.
      (bits == 4 ? c.sens4 : c.sens8) = std::max(traces[i], 0.0) * pert;
    }
    for (const auto& ls : stats.layers)
      if (ls.name == c.name) { c.bytes4 = ls.bytes4; c.bytes8 = ls.bytes8; }
    c.pinned8 = pin_first_last && (i == 0 || i + 1 == layers.size());
    out.push_back(c);
  }
  return out;
}

}  // namespace factory
}  // namespace tm2
