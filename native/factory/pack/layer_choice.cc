#include "pack/layer_choice.h"

#include <algorithm>
#include <cstdio>

#include "pack/pack_bytes.h"
#include "quant/pq.h"
#include "quant/sensitivity.h"

namespace tm2 {
namespace factory {

bool Codable(const NetLayer& l, const PackRecipe& p, int dim) {
  if (!l.def.weighted() || static_cast<size_t>(l.weight.numel()) < p.min_weights) return false;
  return ToFileRows(l.weight, l.def.kind).size(1) >= dim;
}

std::vector<LayerPlan> ChooseLayers(std::vector<ChoiceModel>& models, const PackRecipe& p,
                                    const torch::Tensor& centroids, int dim, int k, long long codebook_bytes,
                                    bool quiet, long long* total_bytes) {
  struct Candidate {
    size_t model, layer;
    double gain;
    long long extra;
  };
  std::vector<LayerPlan> plans(models.size());
  std::vector<Candidate> cands;
  long long total = codebook_bytes, float_bytes = 0;
  for (size_t mi = 0; mi < models.size(); ++mi) {
    ChoiceModel& m = models[mi];
    float_bytes += m.float_bytes;
    const auto layers = m.net->WeightedLayers();
    std::vector<double> trace(layers.size(), 1.0);
    if (p.min_compression > 0 && p.sensitivity_samples > 0 && m.train != nullptr)
      trace = HessianTraces(m.net, *m.train, p.sensitivity_samples, m.seed);
    LayerPlan& plan = plans[mi];
    plan.state.assign(layers.size(), kLayerInt8);
    plan.share.assign(layers.size(), 0.0);
    std::vector<double> omega_pq(layers.size(), 0.0), omega_keep(layers.size(), 0.0);
    double sum = 0;
    for (size_t i = 0; i < layers.size(); ++i) {
      const NetLayer& l = *layers[i];
      if (!Codable(l, p, dim)) {
        total += LayerBytes(l, false, 8, dim, k);
        continue;
      }
      torch::Tensor ints, scales, ik, sk;
      QuantizeWeight(l.weight, 8, &ints, &scales);
      const double energy = (ints * ints).sum().item<double>();
      const auto decoded = PqQuantize(ints, l.def.kind, centroids);
      const double err = (decoded - ints).pow(2).sum().item<double>();
      if (energy > 0 && err / energy > p.max_error) {
        total += LayerBytes(l, false, 8, dim, k);
        continue;
      }
      auto shape = std::vector<int64_t>(l.weight.dim(), 1);
      shape[0] = l.weight.size(0);
      const auto w = l.weight.detach().to(torch::kFloat64);
      QuantizeWeight(l.weight, p.keep_bits, &ik, &sk);
      const double t = std::max(0.0, trace[i]);
      omega_pq[i] = t * (w - decoded * scales.reshape(shape)).pow(2).sum().item<double>();
      omega_keep[i] = t * (w - ik * sk.reshape(shape)).pow(2).sum().item<double>();
      sum += omega_pq[i];
      plan.state[i] = kLayerCoded;
      total += LayerBytes(l, true, 8, dim, k);
    }
    for (size_t i = 0; i < layers.size(); ++i) {
      if (plan.state[i] != kLayerCoded) continue;
      const NetLayer& l = *layers[i];
      plan.share[i] = sum > 0 ? omega_pq[i] / sum : 0;
      const double gain = sum > 0 ? (omega_pq[i] - omega_keep[i]) / sum : 0;
      const long long extra = LayerBytes(l, false, p.keep_bits, dim, k) - LayerBytes(l, true, 8, dim, k);
      if (std::find(m.keep.begin(), m.keep.end(), l.def.name) != m.keep.end()) {
        plan.state[i] = kLayerKept;
        total += extra;
      } else if (p.min_compression > 0 && gain > 0) {
        cands.push_back({mi, i, gain, extra});
      }
    }
  }
  if (p.min_compression > 0) {
    const double budget = static_cast<double>(float_bytes) / p.min_compression;
    // Most coding error saved per extra byte first.
    std::stable_sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
      return a.gain / std::max<long long>(1, a.extra) > b.gain / std::max<long long>(1, b.extra);
    });
    for (const Candidate& c : cands) {
      if (static_cast<double>(total + c.extra) > budget) continue;
      plans[c.model].state[c.layer] = kLayerKept;
      total += c.extra;
    }
    if (!quiet)
      std::printf("layer choice d=%d K=%d: %lld weight bytes charged (codebook %lld; budget %.0f = float %lld / %.2f)\n",
                  dim, k, total, codebook_bytes, budget, float_bytes, p.min_compression);
  }
  if (total_bytes != nullptr) *total_bytes = total;
  return plans;
}

}  // namespace factory
}  // namespace tm2
