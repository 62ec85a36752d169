#include "quant/int_sim.h"

#include <cmath>

namespace tm2 {
namespace factory {
namespace F = torch::nn::functional;

torch::Tensor QuantizeInput(const torch::Tensor& features, float scale, int zero_point) {
  auto x = torch::clamp(features.to(torch::kFloat32) / scale, -512.0, 512.0);
  auto r = torch::trunc(x);
  const auto frac = x - r;  // exact for |x| < 2^23
  r = r + (frac >= 0.5f).to(torch::kFloat32) - (frac <= -0.5f).to(torch::kFloat32);
  return torch::clamp(r.to(torch::kInt64) + zero_point, -128, 127);
}

namespace {

struct IntTensor {
  torch::Tensor q;  // int64 NCHW
  int64_t zp;
};

torch::Tensor Requantize(const torch::Tensor& acc, const LayerSpec& s) {
  // y = zp + ((acc * M + 2^(n-1)) >> n), n = 31 - shift, per channel (dim 1).
  const int64_t c = static_cast<int64_t>(s.multiplier.size());
  std::vector<int64_t> m(c), half(c), div(c);
  for (int64_t i = 0; i < c; ++i) {
    const int n = 31 - s.shift[i];
    m[i] = s.multiplier[i];
    half[i] = int64_t{1} << (n - 1);
    div[i] = int64_t{1} << n;
  }
  auto shape = std::vector<int64_t>{1, c, 1, 1};
  const auto mt = torch::tensor(m).reshape(shape), ht = torch::tensor(half).reshape(shape),
             dt = torch::tensor(div).reshape(shape);
  const auto y = torch::div(acc * mt + ht, dt, "floor") + s.output_zero_point;
  return torch::clamp(y, s.act_min, s.act_max);
}

torch::Tensor PadSame(const torch::Tensor& x, const LayerSpec& s) {
  if (!s.same_padding) return x;
  auto total = [](int64_t in, int k, int st) {
    const int64_t out = (in + st - 1) / st;
    return std::max<int64_t>((out - 1) * st + k - in, 0);
  };
  const int64_t th = total(x.size(2), s.kernel_h, s.stride_h), tw = total(x.size(3), s.kernel_w, s.stride_w);
  return F::pad(x, F::PadFuncOptions({tw / 2, tw - tw / 2, th / 2, th - th / 2}));
}

// Round half away from zero of sum / count, as the reference pools.
torch::Tensor DivRoundAway(const torch::Tensor& sum, int64_t count) {
  const auto mag = torch::div(sum.abs() + count / 2, count, "floor");
  return torch::where(sum >= 0, mag, -mag);
}

IntTensor RunLayers(const std::vector<LayerSpec>& layers, IntTensor t) {
  for (const LayerSpec& s : layers) {
    if (s.kind == LayerKind::kSoftmax) break;
    const auto x = t.q;
    const int64_t in_c = x.size(1);
    if (s.kind == LayerKind::kMaxPool2D) {
      t.q = torch::max_pool2d(x.to(torch::kFloat64), {s.kernel_h, s.kernel_w}, {s.stride_h, s.stride_w})
                .to(torch::kInt64);
      t.q = torch::clamp(t.q, s.act_min, s.act_max);
      continue;
    }
    if (s.kind == LayerKind::kAvgPool2D) {
      const auto sum = torch::avg_pool2d(x.to(torch::kFloat64), {s.kernel_h, s.kernel_w},
                                         {s.stride_h, s.stride_w}) * (s.kernel_h * s.kernel_w);
      t.q = torch::clamp(DivRoundAway(torch::round(sum).to(torch::kInt64), s.kernel_h * s.kernel_w),
                         s.act_min, s.act_max);
      continue;
    }
    if (s.kind == LayerKind::kGlobalAvgPool) {
      const int64_t hw = x.size(2) * x.size(3);
      t.q = torch::clamp(DivRoundAway(x.sum({2, 3}, true), hw), s.act_min, s.act_max);
      continue;
    }
    // Weighted: accumulate (x - zp) * w exactly in float64 (|acc| << 2^53).
    const auto xc = (x - t.zp).to(torch::kFloat64);
    const auto w = torch::tensor(std::vector<double>(s.weights.begin(), s.weights.end()), torch::kFloat64);
    const auto bias = torch::tensor(std::vector<double>(s.bias.begin(), s.bias.end()), torch::kFloat64);
    torch::Tensor acc;
    if (s.kind == LayerKind::kFullyConnected) {
      const auto flat = xc.permute({0, 2, 3, 1}).reshape({x.size(0), -1});
      acc = torch::linear(flat, w.reshape({s.out_channels, -1}), bias);
      acc = acc.reshape({x.size(0), s.out_channels, 1, 1});
    } else if (s.kind == LayerKind::kDepthwiseConv2D) {
      const auto wt = w.reshape({s.kernel_h, s.kernel_w, in_c}).permute({2, 0, 1}).unsqueeze(1);
      acc = torch::conv2d(PadSame(xc, s), wt, bias, torch::IntArrayRef{s.stride_h, s.stride_w},
                          torch::IntArrayRef{0, 0}, torch::IntArrayRef{1, 1}, in_c);
    } else {
      const int kh = s.kind == LayerKind::kConv2D ? s.kernel_h : 1;
      const int kw = s.kind == LayerKind::kConv2D ? s.kernel_w : 1;
      const auto wt = w.reshape({s.out_channels, kh, kw, in_c}).permute({0, 3, 1, 2});
      acc = torch::conv2d(PadSame(xc, s), wt, bias, torch::IntArrayRef{s.stride_h, s.stride_w});
    }
    t.q = Requantize(torch::round(acc).to(torch::kInt64), s);
    t.zp = s.output_zero_point;
  }
  return t;
}

}  // namespace

torch::Tensor IntSimLogits(const ModelSpec& spec, const TensorSet& set) {
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> flat;
  std::vector<int64_t> zps;
  for (size_t b = 0; b < spec.branches.size(); ++b) {
    const BranchSpec& bs = spec.branches[b];
    IntTensor t{QuantizeInput(set.x[b], bs.preprocess.input_scale, bs.preprocess.input_zero_point),
                bs.preprocess.input_zero_point};
    t = RunLayers(bs.layers, t);
    flat.push_back(t.q.permute({0, 2, 3, 1}).reshape({t.q.size(0), -1}));
    zps.push_back(t.zp);
  }
  IntTensor head;
  if (spec.branches.size() == 1) {
    head = {flat[0].reshape({flat[0].size(0), -1, 1, 1}), zps[0]};
  } else {
    std::vector<torch::Tensor> parts;
    for (size_t b = 0; b < flat.size(); ++b) {
      LayerSpec rq;
      rq.multiplier = {spec.fusion.multiplier[b]};
      rq.shift = {spec.fusion.shift[b]};
      rq.output_zero_point = spec.fusion.output_zero_point;
      const auto acc = (flat[b] - zps[b]).reshape({flat[b].size(0), 1, -1, 1});
      parts.push_back(Requantize(acc, rq).reshape({flat[b].size(0), -1}));
    }
    const auto cat = torch::cat(parts, 1);
    head = {cat.reshape({cat.size(0), -1, 1, 1}), spec.fusion.output_zero_point};
  }
  head = RunLayers(spec.head, head);
  return head.q.reshape({head.q.size(0), -1});
}

torch::Tensor DequantizeLogits(const ModelSpec& spec, const torch::Tensor& q) {
  const LayerSpec* last = nullptr;
  for (const auto& l : spec.head) if (l.kind == LayerKind::kFullyConnected) last = &l;
  return (q - last->output_zero_point).to(torch::kFloat64) * last->output_scale;
}

double FitTemperature(const torch::Tensor& logits, const torch::Tensor& y) {
  // NLL(T) is smooth and unimodal in log T in practice: a log grid suffices.
  double best_t = 1, best = 1e300;
  for (int i = 0; i <= 200; ++i) {
    const double t = std::exp(std::log(0.05) + i * (std::log(20.0) - std::log(0.05)) / 200);
    const double nll = torch::nll_loss(torch::log_softmax(logits / t, 1), y).item<double>();
    if (nll < best) { best = nll; best_t = t; }
  }
  return best_t;
}

}  // namespace factory
}  // namespace tm2
