#include "pack/pack_bytes.h"

#include "quant/pq.h"

namespace tm2 {
namespace factory {
namespace {

size_t Rows(const LayerSpec& l) {
  return l.kind == LayerKind::kDepthwiseConv2D ? static_cast<size_t>(l.kernel_h) * l.kernel_w
                                               : static_cast<size_t>(l.out_channels);
}

template <typename F>
void ForEachLayer(const ModelSpec& m, F&& f) {
  for (const auto& b : m.branches)
    for (const auto& l : b.layers) f(l);
  for (const auto& l : m.head) f(l);
}

}  // namespace

long long LayerBytes(const NetLayer& l, bool coded, int bits, int dim, int k) {
  const auto rows = ToFileRows(l.weight, l.def.kind);
  const long long n = rows.size(0), len = rows.size(1);
  const long long per_row = coded ? (len + dim - 1) / dim : len;
  const bool nibbles = coded ? k <= 16 : bits == 4;
  return n * (nibbles ? (per_row + 1) / 2 : per_row);
}

void SpecBytes(const ModelSpec& m, int dim, long long* weights, long long* channels) {
  ForEachLayer(m, [&](const LayerSpec& l) {
    *channels += static_cast<long long>(l.bias.size() * 4 + l.multiplier.size() * 4 + l.shift.size() + l.weight_scales.size() * 4);
    if (l.weights.empty()) return;
    const size_t rows = Rows(l), len = l.weights.size() / rows;
    const size_t per_row = l.pq_codebook >= 0 ? (len + dim - 1) / dim : len;
    *weights += static_cast<long long>(rows * (l.weight_bits == 4 ? (per_row + 1) / 2 : per_row));
  });
}

long long ExactChannelBytes(const ModelSpec& m) {
  long long total = 0;
  ForEachLayer(m, [&](const LayerSpec& l) {
    if (!l.multiplier.empty()) total += static_cast<long long>(ChannelParamBytes(l));
  });
  return total;
}

}  // namespace factory
}  // namespace tm2
