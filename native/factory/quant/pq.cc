#include "quant/pq.h"

namespace tm2 {
namespace factory {

torch::Tensor ToFileRows(const torch::Tensor& w, OpKind kind) {
  if (kind == OpKind::kConv) return w.permute({0, 2, 3, 1}).reshape({w.size(0), -1});
  if (kind == OpKind::kDepthwise) return w.squeeze(1).permute({1, 2, 0}).reshape({w.size(2) * w.size(3), -1});
  return w.reshape({w.size(0), -1});
}

torch::Tensor FromFileRows(const torch::Tensor& rows, OpKind kind, at::IntArrayRef s) {
  if (kind == OpKind::kConv) return rows.reshape({s[0], s[2], s[3], s[1]}).permute({0, 3, 1, 2}).contiguous();
  if (kind == OpKind::kDepthwise) return rows.reshape({s[2], s[3], s[0]}).permute({2, 0, 1}).unsqueeze(1).contiguous();
  return rows.reshape(s).contiguous();
}

namespace {

// Nearest centroid of each row of `v` [n, m] among `c` [K, m]: exact for
// integer values in float64, argmin keeps the first minimum.
torch::Tensor Nearest(const torch::Tensor& v, const torch::Tensor& c) {
  const auto d = (v * v).sum(1, true) - 2 * v.matmul(c.t()) + (c * c).sum(1).unsqueeze(0);
  return d.argmin(1);
}

}  // namespace

torch::Tensor PqQuantize(const torch::Tensor& ints, OpKind kind, const torch::Tensor& centroids,
                         torch::Tensor* codes) {
  torch::NoGradGuard ng;
  const auto rows = ToFileRows(ints.detach().to(torch::kFloat64), kind).contiguous();
  const int64_t n = rows.size(0), len = rows.size(1), d = centroids.size(1);
  const int64_t full = len / d, tail = len - full * d;
  std::vector<torch::Tensor> dec, code;
  if (full > 0) {
    const auto v = rows.slice(1, 0, full * d).reshape({n * full, d});
    const auto k = Nearest(v, centroids);
    dec.push_back(centroids.index_select(0, k).reshape({n, full * d}));
    code.push_back(k.reshape({n, full}));
  }
  if (tail > 0) {
    const auto c = centroids.slice(1, 0, tail).contiguous();
    const auto k = Nearest(rows.slice(1, full * d, len).contiguous(), c);
    dec.push_back(c.index_select(0, k));
    code.push_back(k.reshape({n, 1}));
  }
  if (codes) *codes = torch::cat(code, 1);
  return FromFileRows(torch::cat(dec, 1), kind, ints.sizes());
}

}  // namespace factory
}  // namespace tm2
