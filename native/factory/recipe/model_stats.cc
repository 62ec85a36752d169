#include "recipe/model_stats.h"

#include <cstdio>
#include <stdexcept>

namespace tm2 {
namespace factory {

namespace {

// Output size per axis (models/FORMAT.md 3.2).
int OutSize(int in, int k, int s, bool same, const std::string& name) {
  if (same) return (in + s - 1) / s;
  if (in < k) throw std::runtime_error(name + ": input " + std::to_string(in) +
                                       " is smaller than the kernel " + std::to_string(k));
  return (in - k) / s + 1;
}

int64_t RowBytes(int64_t k, int bits) { return bits == 4 ? (k + 1) / 2 : k; }

void Walk(const Recipe& r, const std::vector<OpDef>& ops, int h, int w, int c, ModelStats* s,
          int* out_size) {
  for (const OpDef& op : ops) {
    LayerStats l{op.name, op.kind, h, w, c, h, w, c};
    switch (op.kind) {
      case OpKind::kConv:
      case OpKind::kDepthwise:
      case OpKind::kMaxPool:
      case OpKind::kAvgPool:
        l.out_h = OutSize(h, op.kernel_h, op.stride_h, op.same, op.name);
        l.out_w = OutSize(w, op.kernel_w, op.stride_w, op.same, op.name);
        break;
      case OpKind::kPointwise: break;
      case OpKind::kFc: l.out_h = l.out_w = 1; break;
      case OpKind::kGap: l.out_h = l.out_w = 1; break;
    }
    int64_t rows = 0, row = 0;
    const int64_t pixels = static_cast<int64_t>(l.out_h) * l.out_w;
    if (op.kind == OpKind::kConv) {
      l.out_c = op.out; rows = op.out; row = int64_t{op.kernel_h} * op.kernel_w * c;
      l.macs = pixels * rows * row;
    } else if (op.kind == OpKind::kDepthwise) {
      rows = int64_t{op.kernel_h} * op.kernel_w; row = c;
      l.macs = pixels * rows * c;
    } else if (op.kind == OpKind::kPointwise) {
      l.out_c = op.out; rows = op.out; row = c;
      l.macs = pixels * rows * row;
    } else if (op.kind == OpKind::kFc) {
      l.out_c = op.out; rows = op.out; row = int64_t{h} * w * c;
      l.macs = rows * row;
    }
    if (op.weighted()) {
      l.weights = rows * row;
      l.biases = l.out_c;
      l.bytes8 = rows * RowBytes(row, 8);
      l.bytes4 = rows * RowBytes(row, 4);
      s->params += l.weights + l.biases;
      s->macs += l.macs;
      s->weight_bytes += WeightBitsOf(r, op.name) == 4 ? l.bytes4 : l.bytes8;
    }
    s->layers.push_back(l);
    h = l.out_h; w = l.out_w; c = l.out_c;
  }
  *out_size = h * w * c;
}

}  // namespace

int WeightBitsOf(const Recipe& r, const std::string& layer) {
  auto it = r.quant.layer_weight_bits.find(layer);
  return it != r.quant.layer_weight_bits.end() ? it->second : r.quant.weight_bits;
}

int ActBitsOf(const Recipe& r, const std::string& layer) {
  auto it = r.quant.layer_act_bits.find(layer);
  return it != r.quant.layer_act_bits.end() ? it->second : r.quant.act_bits;
}

ModelStats ComputeStats(const Recipe& r) {
  ModelStats s;
  for (const BranchDef& b : r.branches) {
    int size = 0;
    Walk(r, b.ops, b.preprocess.num_frames, b.preprocess.num_features(), 1, &s, &size);
    s.fused_size += size;
  }
  int out = 0;
  Walk(r, r.head, 1, 1, s.fused_size, &s, &out);
  if (out != static_cast<int>(r.labels.size()))
    throw std::runtime_error("recipe: head gives " + std::to_string(out) + " outputs for " +
                             std::to_string(r.labels.size()) + " labels");
  return s;
}

std::string FormatStats(const ModelStats& s) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof(line), "%-22s %-14s %-14s %9s %9s %7s %7s\n", "layer", "in", "out",
                "params", "MACs", "B@8", "B@4");
  out += line;
  for (const auto& l : s.layers) {
    char in[32], o[32];
    std::snprintf(in, sizeof(in), "%dx%dx%d", l.in_h, l.in_w, l.in_c);
    std::snprintf(o, sizeof(o), "%dx%dx%d", l.out_h, l.out_w, l.out_c);
    std::snprintf(line, sizeof(line), "%-22s %-14s %-14s %9lld %9lld %7lld %7lld\n", l.name.c_str(),
                  in, o, static_cast<long long>(l.weights + l.biases),
                  static_cast<long long>(l.macs), static_cast<long long>(l.bytes8),
                  static_cast<long long>(l.bytes4));
    out += line;
  }
  std::snprintf(line, sizeof(line), "total: %lld parameters, %lld MACs, %lld weight bytes (%.2f KB)\n",
                static_cast<long long>(s.params), static_cast<long long>(s.macs),
                static_cast<long long>(s.weight_bytes), s.weight_bytes / 1024.0);
  out += line;
  return out;
}

}  // namespace factory
}  // namespace tm2
