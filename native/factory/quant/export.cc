#include "quant/export.h"

#include <cmath>

#include "quant/pq.h"

namespace tm2 {
namespace factory {

void QuantizeMultiplier(double real, int32_t* multiplier, int8_t* shift) {
  int exponent = 0;
  const double mantissa = std::frexp(real, &exponent);  // real = mantissa * 2^exponent, [0.5, 1)
  int64_t m = std::llround(mantissa * 2147483648.0);
  if (m == 2147483648ll) { m /= 2; ++exponent; }
  if (exponent < -30) {  // below the smallest representable step: n would exceed 62
    m = 0;
    exponent = -30;
  }
  if (exponent > 30) throw std::runtime_error("requantization multiplier too large");
  *multiplier = static_cast<int32_t>(m);
  *shift = static_cast<int8_t>(exponent);
}

namespace {

LayerKind KindOf(OpKind k) {
  switch (k) {
    case OpKind::kConv: return LayerKind::kConv2D;
    case OpKind::kDepthwise: return LayerKind::kDepthwiseConv2D;
    case OpKind::kPointwise: return LayerKind::kPointwiseConv2D;
    case OpKind::kFc: return LayerKind::kFullyConnected;
    case OpKind::kMaxPool: return LayerKind::kMaxPool2D;
    case OpKind::kAvgPool: return LayerKind::kAvgPool2D;
    case OpKind::kGap: return LayerKind::kGlobalAvgPool;
  }
  return LayerKind::kConv2D;
}

// Returns the output QParams; `in` is the input tensor's.
QParams ExportStack(std::vector<NetLayer>& stack, QParams in, std::vector<LayerSpec>* out) {
  for (NetLayer& l : stack) {
    LayerSpec s;
    s.kind = KindOf(l.def.kind);
    s.name = l.def.name;
    s.kernel_h = l.def.kernel_h;
    s.kernel_w = l.def.kernel_w;
    s.stride_h = l.def.stride_h;
    s.stride_w = l.def.stride_w;
    s.same_padding = l.def.same;
    if (l.def.weighted()) {
      torch::Tensor ints, scales;
      QuantizeWeight(l.weight, l.weight_bits, &ints, &scales);
      if (l.pq_centroids.defined()) {  // the decoded centroids, and their codes for a pack
        torch::Tensor codes;
        ints = PqQuantize(ints, l.def.kind, l.pq_centroids, &codes);
        codes = codes.contiguous().to(torch::kInt64);
        s.pq_codebook = l.pq_codebook;
        for (int64_t i = 0; i < codes.numel(); ++i) s.pq_codes.push_back(static_cast<uint8_t>(codes.data_ptr<int64_t>()[i]));
      }
      // torch -> file layouts: conv OIHW -> [O][kh][kw][I]; depthwise C1HW
      // -> [kh][kw][C]; pointwise OI11 -> [O][I]; FC [O][I] (inputs already
      // flattened in NHWC order by the net).
      torch::Tensor laid;
      if (l.def.kind == OpKind::kConv) laid = ints.permute({0, 2, 3, 1});
      else if (l.def.kind == OpKind::kDepthwise) laid = ints.squeeze(1).permute({1, 2, 0});
      else laid = ints;
      laid = laid.contiguous().to(torch::kInt8);
      s.weights.assign(laid.data_ptr<int8_t>(), laid.data_ptr<int8_t>() + laid.numel());
      s.weight_bits = l.weight_bits;
      const QParams q = ChooseQParams(l.out_obs, l.act_bits, l.def.relu);
      const int oc = static_cast<int>(scales.size(0));
      s.out_channels = l.def.kind == OpKind::kDepthwise ? 0 : oc;
      const auto bias = l.bias.detach().to(torch::kFloat64);
      for (int c = 0; c < oc; ++c) {
        const double sw = scales[c].item<double>();
        const double acc_scale = in.scale * sw;
        s.weight_scales.push_back(static_cast<float>(sw));
        s.bias.push_back(static_cast<int32_t>(std::llround(bias[c].item<double>() / acc_scale)));
        int32_t m;
        int8_t sh;
        QuantizeMultiplier(acc_scale / q.scale, &m, &sh);
        s.multiplier.push_back(m);
        s.shift.push_back(sh);
      }
      s.output_zero_point = q.zero_point;
      s.output_scale = static_cast<float>(q.scale);
      s.act_bits = l.act_bits;
      s.act_min = q.act_min;
      s.act_max = q.act_max;
      in = q;
    } else {
      s.act_bits = in.qmin == -8 ? 4 : 8;
      s.act_min = in.qmin;
      s.act_max = in.qmax;
    }
    out->push_back(s);
  }
  return in;
}

}  // namespace

ModelSpec BuildModelSpec(TinyNet& net, const std::vector<Normalisation>& norm) {
  const Recipe& r = net->recipe();
  ModelSpec m;
  m.name = r.name;
  m.description = r.description;
  m.labels = r.labels;
  for (const auto& kv : r.metadata) m.metadata.push_back(kv);
  std::vector<QParams> branch_out;
  for (size_t b = 0; b < r.branches.size(); ++b) {
    BranchSpec bs;
    bs.name = r.branches[b].name;
    bs.modality = r.branches[b].modality;
    bs.prompt = r.branches[b].prompt;
    bs.preprocess = r.branches[b].preprocess;
    const QParams in = ChooseQParams(net->input_observers()[b], 8, false);
    if (!norm[b].mean.empty()) {
      bs.preprocess.normalization = NormalizationType::kFixed;
      bs.norm_mean = norm[b].mean;
      bs.norm_std = norm[b].std;
    }
    bs.preprocess.input_scale = static_cast<float>(in.scale);
    bs.preprocess.input_zero_point = static_cast<int8_t>(in.zero_point);
    branch_out.push_back(ExportStack(net->branches()[b], in, &bs.layers));
    m.branches.push_back(bs);
  }
  QParams head_in = branch_out[0];
  if (r.branches.size() > 1) {
    const auto& rl = net->branch_relu();
    const bool relu = std::all_of(rl.begin(), rl.end(), [](bool x) { return x; });
    head_in = ChooseQParams(net->fusion_observer(), 8, relu);
    for (const QParams& q : branch_out) {
      int32_t mul;
      int8_t sh;
      QuantizeMultiplier(q.scale / head_in.scale, &mul, &sh);
      m.fusion.multiplier.push_back(mul);
      m.fusion.shift.push_back(sh);
    }
    m.fusion.output_zero_point = head_in.zero_point;
    m.fusion.output_scale = static_cast<float>(head_in.scale);
  }
  ExportStack(net->head(), head_in, &m.head);
  LayerSpec softmax;
  softmax.kind = LayerKind::kSoftmax;
  softmax.name = "softmax";
  m.head.push_back(softmax);
  return m;
}

}  // namespace factory
}  // namespace tm2
