#include "train/net.h"

#include "quant/pq.h"

#include <algorithm>
#include <cmath>

namespace tm2 {
namespace factory {
namespace F = torch::nn::functional;

void Observer::Update(const torch::Tensor& t, bool relu) {
  const double mn = relu ? 0.0 : std::min(0.0, t.min().item<double>());
  const double mx = std::max(0.0, t.max().item<double>());
  // The first batch sets the range; later ones move it by 10 %, so one
  // outlier batch does not stretch the scale for good.
  if (!seen) { lo = mn; hi = mx; seen = true; return; }
  lo = 0.9 * lo + 0.1 * mn;
  hi = 0.9 * hi + 0.1 * mx;
}

QParams ChooseQParams(const Observer& o, int bits, bool relu) {
  QParams q;
  q.qmin = bits == 4 ? -8 : -128;
  q.qmax = bits == 4 ? 7 : 127;
  const double lo = relu ? 0.0 : std::min(o.lo, 0.0);
  const double hi = std::max(o.hi, lo + 1e-6);
  // Asymmetric: [lo, hi] onto [qmin, qmax] with 0 exactly representable
  // (zero point = the code of real 0; padding and ReLU rely on it).
  q.scale = (hi - lo) / (q.qmax - q.qmin);
  q.zero_point = std::clamp(static_cast<int>(std::lround(q.qmin - lo / q.scale)), q.qmin, q.qmax);
  q.act_min = relu ? q.zero_point : q.qmin;
  q.act_max = q.qmax;
  return q;
}

void QuantizeWeight(const torch::Tensor& w, int bits, torch::Tensor* ints, torch::Tensor* scales) {
  const double qmax = bits == 4 ? 7.0 : 127.0;
  const auto flat = w.detach().reshape({w.size(0), -1}).to(torch::kFloat64);
  auto s = std::get<0>(flat.abs().max(1)) / qmax;
  s = torch::where(s > 0, s, torch::full_like(s, 1e-8));
  *scales = s;
  auto shape = std::vector<int64_t>(w.dim(), 1);
  shape[0] = w.size(0);
  *ints = torch::clamp(torch::round(w.detach().to(torch::kFloat64) / s.reshape(shape)), -qmax, qmax);
}

torch::Tensor FakeQuantWeight(const torch::Tensor& w, int bits) {
  torch::Tensor ints, scales;
  QuantizeWeight(w, bits, &ints, &scales);
  auto shape = std::vector<int64_t>(w.dim(), 1);
  shape[0] = w.size(0);
  const auto q = (ints * scales.reshape(shape)).to(w.scalar_type());
  return w + (q - w).detach();  // straight-through estimator
}

torch::Tensor FakeQuantWeightPq(const torch::Tensor& w, int bits, OpKind kind, const torch::Tensor& centroids) {
  torch::Tensor ints, scales;
  QuantizeWeight(w, bits, &ints, &scales);
  auto shape = std::vector<int64_t>(w.dim(), 1);
  shape[0] = w.size(0);
  const auto q = (PqQuantize(ints, kind, centroids) * scales.reshape(shape)).to(w.scalar_type());
  return w + (q - w).detach();
}

TinyNetImpl::TinyNetImpl(const Recipe& recipe) : recipe_(recipe) {
  auto build = [this](const std::vector<OpDef>& ops, int c, const std::string& prefix) {
    std::vector<NetLayer> stack;
    int in_c = c;
    int h = 0, w = 0;  // only needed for FC fan-in: computed lazily below
    (void)h; (void)w;
    for (const OpDef& op : ops) {
      NetLayer l;
      l.def = op;
      l.weight_bits = op.weighted() ? (recipe_.quant.layer_weight_bits.count(op.name)
                                           ? recipe_.quant.layer_weight_bits.at(op.name)
                                           : recipe_.quant.weight_bits) : 8;
      l.act_bits = recipe_.quant.layer_act_bits.count(op.name) ? recipe_.quant.layer_act_bits.at(op.name)
                                                                : recipe_.quant.act_bits;
      std::string pname = op.name;
      std::replace(pname.begin(), pname.end(), '/', '_');
      std::replace(pname.begin(), pname.end(), '.', '_');
      if (op.kind == OpKind::kConv || op.kind == OpKind::kPointwise) {
        const int k_h = op.kind == OpKind::kConv ? op.kernel_h : 1;
        const int k_w = op.kind == OpKind::kConv ? op.kernel_w : 1;
        l.weight = register_parameter(pname + "_w", torch::empty({op.out, in_c, k_h, k_w}));
        torch::nn::init::kaiming_normal_(l.weight, 0.0, torch::kFanIn, torch::kReLU);
        in_c = op.out;
      } else if (op.kind == OpKind::kDepthwise) {
        l.weight = register_parameter(pname + "_w", torch::empty({in_c, 1, op.kernel_h, op.kernel_w}));
        torch::nn::init::kaiming_normal_(l.weight, 0.0, torch::kFanIn, torch::kReLU);
      }
      if (op.weighted() && op.kind != OpKind::kFc) {
        const int oc = op.kind == OpKind::kDepthwise ? in_c : op.out;
        l.bias = register_parameter(pname + "_b", torch::zeros({oc}));
        if (op.bn) l.bn = register_module(pname + "_bn", torch::nn::BatchNorm2d(oc));
      }
      stack.push_back(l);
    }
    return stack;
  };
  for (const BranchDef& b : recipe_.branches) {
    branches_.push_back(build(b.ops, 1, b.name));
    input_obs_.emplace_back();
  }
  head_ = build(recipe_.head, 0, "head");
  // FC fan-in needs the shape walk; do it with a dummy forward of zeros.
  std::vector<torch::Tensor> probe;
  for (const BranchDef& b : recipe_.branches)
    probe.push_back(torch::zeros({1, 1, b.preprocess.num_frames, b.preprocess.num_features()}));
  torch::NoGradGuard ng;
  int64_t fused = 0;
  for (size_t i = 0; i < branches_.size(); ++i) {
    torch::Tensor x = probe[i];
    for (NetLayer& l : branches_[i]) {
      if (l.def.kind == OpKind::kFc && !l.weight.defined()) {
        std::string pname = l.def.name;
        std::replace(pname.begin(), pname.end(), '/', '_');
        std::replace(pname.begin(), pname.end(), '.', '_');
        l.weight = register_parameter(pname + "_w", torch::empty({l.def.out, x.numel()}));
        l.bias = register_parameter(pname + "_b", torch::zeros({l.def.out}));
        torch::nn::init::kaiming_normal_(l.weight, 0.0, torch::kFanIn, torch::kReLU);
      }
      std::vector<NetLayer> one{l};
      x = RunStack(one, x, QParams());
    }
    fused += x.numel();
    bool relu = true;
    for (const NetLayer& l : branches_[i]) if (l.def.weighted()) relu = l.def.relu;
    branch_relu_.push_back(relu);
  }
  int64_t in = fused;
  for (NetLayer& l : head_) {
    if (l.def.kind != OpKind::kFc) throw std::runtime_error("recipe: head layers must be fc");
    std::string pname = l.def.name;
    std::replace(pname.begin(), pname.end(), '/', '_');
    l.weight = register_parameter(pname + "_w", torch::empty({l.def.out, in}));
    l.bias = register_parameter(pname + "_b", torch::zeros({l.def.out}));
    if (l.def.relu) torch::nn::init::kaiming_normal_(l.weight, 0.0, torch::kFanIn, torch::kReLU);
    else torch::nn::init::xavier_uniform_(l.weight);
    in = l.def.out;
  }
}

std::vector<NetLayer*> TinyNetImpl::WeightedLayers() {
  std::vector<NetLayer*> out;
  for (auto& s : branches_)
    for (auto& l : s) if (l.def.weighted()) out.push_back(&l);
  for (auto& l : head_) out.push_back(&l);
  return out;
}

torch::Tensor TinyNetImpl::FakeQuant(const torch::Tensor& x, const QParams& q) {
  const double lo = (q.act_min - q.zero_point) * q.scale, hi = (q.act_max - q.zero_point) * q.scale;
  const auto xc = torch::clamp(x, lo, hi);
  const auto r = (torch::clamp(torch::round(xc / q.scale) + q.zero_point, q.act_min, q.act_max) -
                  q.zero_point) * q.scale;
  return xc + (r - xc).detach();
}

// Explicit "same" padding: the engine puts the extra cell at the bottom /
// right (pad_top = total / 2), which torch's symmetric padding cannot.
static torch::Tensor PadSame(const torch::Tensor& x, const OpDef& op, int kh, int kw) {
  if (!op.same) return x;
  auto total = [](int64_t in, int k, int s) {
    const int64_t out = (in + s - 1) / s;
    return std::max<int64_t>((out - 1) * s + k - in, 0);
  };
  const int64_t th = total(x.size(2), kh, op.stride_h), tw = total(x.size(3), kw, op.stride_w);
  if (th == 0 && tw == 0) return x;
  return F::pad(x, F::PadFuncOptions({tw / 2, tw - tw / 2, th / 2, th - th / 2}));
}

torch::Tensor TinyNetImpl::RunStack(std::vector<NetLayer>& stack, torch::Tensor x, QParams cur) {
  const bool update = fake_quant_ && is_training() && !observers_frozen_;
  for (NetLayer& l : stack) {
    const OpDef& op = l.def;
    if (op.weighted()) {
      const auto w = !fake_quant_ ? l.weight
                     : l.pq_centroids.defined() ? FakeQuantWeightPq(l.weight, l.weight_bits, op.kind, l.pq_centroids)
                                                : FakeQuantWeight(l.weight, l.weight_bits);
      torch::Tensor y;
      if (op.kind == OpKind::kFc) {
        y = torch::linear(x.permute({0, 2, 3, 1}).reshape({x.size(0), -1}), w, l.bias);
        y = y.reshape({y.size(0), y.size(1), 1, 1});
      } else {
        const int kh = static_cast<int>(w.size(2)), kw = static_cast<int>(w.size(3));
        const int64_t groups = op.kind == OpKind::kDepthwise ? x.size(1) : 1;
        y = torch::conv2d(PadSame(x, op, kh, kw), w, folded_ || !l.bn ? l.bias : torch::Tensor(),
                          torch::IntArrayRef{op.stride_h, op.stride_w}, torch::IntArrayRef{0, 0},
                          torch::IntArrayRef{1, 1}, groups);
        if (l.bn && !folded_) y = l.bn->forward(y);
      }
      if (fake_quant_) {
        if (update) l.out_obs.Update(op.relu ? torch::relu(y) : y, op.relu);
        cur = ChooseQParams(l.out_obs, l.act_bits, op.relu);
        x = FakeQuant(y, cur);
      } else {
        x = op.relu ? torch::relu(y) : y;
      }
    } else if (op.kind == OpKind::kMaxPool) {
      x = torch::max_pool2d(x, {op.kernel_h, op.kernel_w}, {op.stride_h, op.stride_w});
    } else if (op.kind == OpKind::kAvgPool) {
      x = torch::avg_pool2d(x, {op.kernel_h, op.kernel_w}, {op.stride_h, op.stride_w});
      if (fake_quant_) x = FakeQuant(x, cur);  // the engine rounds the mean to the same grid
    } else if (op.kind == OpKind::kGap) {
      x = x.mean({2, 3}, true);
      if (fake_quant_) x = FakeQuant(x, cur);
    }
  }
  return x;
}

torch::Tensor TinyNetImpl::forward(const std::vector<torch::Tensor>& inputs) {
  const bool update = fake_quant_ && is_training() && !observers_frozen_;
  std::vector<torch::Tensor> outs;
  for (size_t b = 0; b < branches_.size(); ++b) {
    torch::Tensor x = inputs[b];
    QParams in_q;
    if (fake_quant_) {
      if (update) input_obs_[b].Update(x, false);
      in_q = ChooseQParams(input_obs_[b], 8, false);
      x = FakeQuant(x, in_q);
    }
    x = RunStack(branches_[b], x, in_q);
    outs.push_back(x.permute({0, 2, 3, 1}).reshape({x.size(0), -1}));
  }
  torch::Tensor x = outs.size() == 1 ? outs[0] : torch::cat(outs, 1);
  if (fake_quant_ && outs.size() > 1) {
    const bool relu = std::all_of(branch_relu_.begin(), branch_relu_.end(), [](bool r) { return r; });
    if (update) fusion_obs_.Update(x, relu);
    x = FakeQuant(x, ChooseQParams(fusion_obs_, 8, relu));
  }
  x = x.reshape({x.size(0), -1, 1, 1});
  QParams none;
  x = RunStack(head_, x, none);
  return x.reshape({x.size(0), -1});
}

void TinyNetImpl::FoldBatchNorm() {
  if (folded_) return;
  torch::NoGradGuard ng;
  for (NetLayer* l : WeightedLayers()) {
    if (!l->bn) continue;
    // w' = w * g / sqrt(var + eps);  b' = (b - mean) * g / sqrt(var + eps) + beta
    const auto k = l->bn->weight / torch::sqrt(l->bn->running_var + l->bn->options.eps());
    l->weight.mul_(k.reshape({-1, 1, 1, 1}));
    l->bias.copy_((l->bias - l->bn->running_mean) * k + l->bn->bias);
  }
  folded_ = true;
}

}  // namespace factory
}  // namespace tm2
