// Cortex-M4 kernel benchmark firmware: the KWS DS-CNN (MLPerf Tiny: 49x10
// MFCC, conv 64 10x4 s2, 4 x [dw 3x3 + pw 64], avg pool, FC 12) and the
// cough branch, int8 weights, through the reference and the selected table
// (cm4dsp). Time on QEMU is not the M4's, so each layer and each whole
// inference is bracketed by calls to tm2_insn_mark(), and the TCG plugin
// qemu_insn_count.c counts the instructions between each pair of marks
// (mcu_insn_count.sh joins those counts with the labels printed here).
// Also checks that both tables give the same bytes; main returns 1 if not.
#include <cstdio>
#include <cstring>
#include <vector>

#include "../kernels/kernel_case.h"
#include "kernels/select.h"

extern "C" __attribute__((noinline)) void tm2_insn_mark(void) { __asm__ volatile("" ::: "memory"); }

namespace tm2 {
namespace {

using test::LayerCase;
using test::MakeGeometry;
using test::Pad;
using test::Rng;

enum class Kind { kConv, kDepthwise, kFc, kMaxPool, kAvgPool, kGlobalAvg };

struct Layer {
  const char* name;
  Kind kind;
  ConvGeometry g{};
  int rows = 0, in = 0, out = 0;
  LayerCase lc;
  size_t out_size = 0;
  long macs = 0;
};

class Model {
 public:
  Model(const char* name, int h, int w, int c) : name(name), h_(h), w_(w), c_(c), in_size(static_cast<size_t>(h) * w * c) {}
  void Conv(const char* n, int out_c, int kh, int kw, int s) { AddConv(n, Kind::kConv, out_c, kh, kw, s, Pad::kSame); }
  void Depthwise(const char* n) { AddConv(n, Kind::kDepthwise, c_, 3, 3, 1, Pad::kSame); }
  void MaxPool(const char* n) { AddConv(n, Kind::kMaxPool, c_, 2, 2, 2, Pad::kValid); }
  void AvgPoolAll(const char* n) { AddConv(n, Kind::kAvgPool, c_, h_, w_, 1, Pad::kValid); }
  void Pointwise(const char* n, int out) { AddFc(n, h_ * w_, c_, out); }
  void Dense(const char* n, int out) { AddFc(n, 1, h_ * w_ * c_, out); h_ = w_ = 1; }
  // The last layer's channel ch at shift -1 (n = 32), its multiplier
  // scaled down to keep the layer's scale: a trained layer the M4's SIMD
  // output stage cannot take for that channel.
  void ShiftMinusOne(int ch) {
    LayerCase& lc = layers.back().lc;
    const int n = 31 - lc.shift[ch];
    lc.multiplier[ch] >>= n - 32;
    lc.shift[ch] = -1;
  }
  void GlobalAvg(const char* n) {
    layers.emplace_back();
    Layer& l = layers.back();
    l.name = n; l.kind = Kind::kGlobalAvg; l.rows = h_ * w_; l.in = c_; l.out_size = c_;
    h_ = w_ = 1;
  }

  const char* name;
  std::vector<Layer> layers;

 private:
  void AddConv(const char* n, Kind kind, int out_c, int kh, int kw, int s, Pad pad) {
    layers.emplace_back();
    Layer& l = layers.back();
    l.name = n; l.kind = kind;
    MakeGeometry(h_, w_, c_, out_c, kh, kw, s, s, pad, &l.g);
    if (kind == Kind::kConv) {
      l.lc.Fill(rng_, out_c, kh * kw * c_, out_c, 8, kh * kw * c_, test::RqStyle::kRelu6);
      l.macs = static_cast<long>(l.g.out_h) * l.g.out_w * out_c * kh * kw * c_;
    } else if (kind == Kind::kDepthwise) {
      l.lc.Fill(rng_, kh * kw, c_, c_, 8, kh * kw, test::RqStyle::kRelu6);
      l.macs = static_cast<long>(l.g.out_h) * l.g.out_w * c_ * kh * kw;
    }
    h_ = l.g.out_h; w_ = l.g.out_w; c_ = out_c;
    l.out_size = static_cast<size_t>(h_) * w_ * c_;
  }
  void AddFc(const char* n, int rows, int in, int out) {
    layers.emplace_back();
    Layer& l = layers.back();
    l.name = n; l.kind = Kind::kFc; l.rows = rows; l.in = in; l.out = out;
    l.lc.Fill(rng_, out, in, out, 8, in, test::RqStyle::kRelu6);
    l.macs = static_cast<long>(rows) * in * out;
    l.out_size = static_cast<size_t>(rows) * out;
    c_ = out;
  }

  int h_, w_, c_;
  Rng rng_{2024};

 public:
  size_t in_size;
};

void Run(const KernelTable& k, Layer& l, const int8_t* in, int8_t* out) {
  const Requantization& rq = l.lc.rq;
  switch (l.kind) {
    case Kind::kConv: k.conv2d(l.g, l.lc.w, l.lc.input_zero_point, rq, in, out); break;
    case Kind::kDepthwise: k.depthwise_conv2d(l.g, l.lc.w, l.lc.input_zero_point, rq, in, out); break;
    case Kind::kFc: k.fully_connected(l.rows, l.in, l.out, l.lc.w, l.lc.input_zero_point, rq, in, out); break;
    case Kind::kMaxPool: k.max_pool2d(l.g, -128, 127, in, out); break;
    case Kind::kAvgPool: k.avg_pool2d(l.g, -128, 127, in, out); break;
    case Kind::kGlobalAvg: k.global_avg_pool(l.rows, l.in, -128, 127, in, out); break;
  }
}

// Labels of the mark pairs, printed after all regions ran so that printing
// never falls inside a region.
struct Region {
  const char* model;
  const char* table;
  const char* layer;
  long macs;
};
Region g_regions[128];
int g_n_regions = 0;

// Runs every layer, then the whole model, through k; region per layer.
void Measure(Model& m, const KernelTable& k, std::vector<std::vector<int8_t>>& act) {
  long total_macs = 0;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    Layer& l = m.layers[i];
    tm2_insn_mark();
    Run(k, l, act[i].data(), act[i + 1].data());
    tm2_insn_mark();
    g_regions[g_n_regions++] = {m.name, k.name, l.name, l.macs};
    total_macs += l.macs;
  }
  tm2_insn_mark();
  for (size_t i = 0; i < m.layers.size(); ++i) Run(k, m.layers[i], act[i].data(), act[i + 1].data());
  tm2_insn_mark();
  g_regions[g_n_regions++] = {m.name, k.name, "whole inference", total_macs};
}

bool Bench(Model& m) {
  for (Layer& l : m.layers) l.lc.Bind();
  Rng rng(99);
  std::vector<std::vector<int8_t>> ref_act, fast_act;
  ref_act.push_back(test::RandomInt8(rng, m.in_size));
  fast_act.push_back(ref_act[0]);
  for (Layer& l : m.layers) {
    ref_act.emplace_back(l.out_size);
    fast_act.emplace_back(l.out_size);
  }
  Measure(m, ReferenceKernels(), ref_act);
  Measure(m, SelectKernels(), fast_act);
  bool same = true;
  for (size_t i = 1; i < ref_act.size(); ++i) {
    if (ref_act[i] != fast_act[i]) {
      printf("MISMATCH in %s, layer %s\n", m.name, m.layers[i - 1].name);
      same = false;
    }
  }
  return same;
}

}  // namespace
}  // namespace tm2

int main() {
  using namespace tm2;
  Model kws("kws", 49, 10, 1);
  kws.Conv("conv 10x4 s2 1->64", 64, 10, 4, 2);
  const char* dw[4] = {"dw 3x3 x64 (1)", "dw 3x3 x64 (2)", "dw 3x3 x64 (3)", "dw 3x3 x64 (4)"};
  const char* pw[4] = {"pw 64->64 (1)", "pw 64->64 (2)", "pw 64->64 (3)", "pw 64->64 (4)"};
  for (int b = 0; b < 4; ++b) {
    kws.Depthwise(dw[b]);
    kws.Pointwise(pw[b], 64);
  }
  kws.AvgPoolAll("avg pool 25x5");
  kws.Dense("fc 64->12", 12);

  Model cough("cough", 64, 64, 1);
  cough.Conv("conv 3x3 1->8", 8, 3, 3, 1);
  cough.MaxPool("maxpool 2x2 (1)");
  cough.Depthwise("dw 3x3 x8");
  cough.Pointwise("pw 8->16", 16);
  cough.MaxPool("maxpool 2x2 (2)");
  cough.Depthwise("dw 3x3 x16");
  cough.Pointwise("pw 16->32", 32);
  cough.MaxPool("maxpool 2x2 (3)");
  cough.GlobalAvg("global avg pool");
  cough.Dense("fc 32->16", 16);
  cough.Dense("fc 16->2", 2);

  // One channel out of the SIMD output stage's range (shift -1) in a
  // KWS-shaped conv, pointwise and dense layer: channel 0, 37 and 63.
  Model edge("kws, one channel at shift -1", 49, 10, 1);
  edge.Conv("conv 10x4 s2 1->64, ch 0", 64, 10, 4, 2);
  edge.ShiftMinusOne(0);
  edge.Pointwise("pw 64->64, ch 37", 64);
  edge.ShiftMinusOne(37);
  edge.Pointwise("pw 64->64, ch 63", 64);
  edge.ShiftMinusOne(63);
  edge.AvgPoolAll("avg pool 25x5");
  edge.Dense("fc 64->12, ch 5", 12);
  edge.ShiftMinusOne(5);

  const bool ok = Bench(kws) && Bench(cough) && Bench(edge);
  for (int i = 0; i < g_n_regions; ++i) {
    const Region& r = g_regions[i];
    printf("region %d: %s | %s | %s | %ld MACs\n", i, r.model, r.table, r.layer, r.macs);
  }
  printf("%s\n", ok ? "identical: yes" : "identical: NO");
  return ok ? 0 : 1;
}
