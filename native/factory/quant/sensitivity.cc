#include "quant/sensitivity.h"

namespace tm2 {
namespace factory {

std::vector<double> HessianTraces(TinyNet& net, const TensorSet& data, int samples, uint64_t seed) {
  auto layers = net->WeightedLayers();
  std::vector<torch::Tensor> params;
  for (NetLayer* l : layers) params.push_back(l->weight);
  net->eval();  // fixed BN statistics: the loss surface the deployed model sees
  const int64_t n = std::min<int64_t>(data.size(), 256);
  std::vector<torch::Tensor> x;
  for (const auto& t : data.x) x.push_back(t.slice(0, 0, n));
  const auto loss = torch::cross_entropy_loss(net->forward(x), data.y.slice(0, 0, n));
  const auto grads = torch::autograd::grad({loss}, params, {}, true, true);
  std::vector<double> trace(layers.size(), 0.0);
  torch::manual_seed(seed);
  for (int s = 0; s < samples; ++s) {
    // One Rademacher vector over all layers at once: per-layer v_l^T H_ll v_l
    // is unbiased for tr(H_ll) (cross-layer blocks only pair with v_l).
    std::vector<torch::Tensor> v;
    torch::Tensor gv = torch::zeros({});
    for (size_t i = 0; i < params.size(); ++i) {
      v.push_back(torch::randint(0, 2, params[i].sizes(), torch::kFloat32) * 2 - 1);
      gv = gv + (grads[i] * v[i]).sum();
    }
    const auto hv = torch::autograd::grad({gv}, params, {}, true, false);
    for (size_t i = 0; i < params.size(); ++i) trace[i] += (hv[i] * v[i]).sum().item<double>();
  }
  for (size_t i = 0; i < trace.size(); ++i)
    trace[i] /= static_cast<double>(samples) * params[i].numel();
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
