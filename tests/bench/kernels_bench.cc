// Kernel benchmark: per-layer and whole-model time of the reference and the
// selected kernels on the shapes the shipped models use (cough branch, KWS
// DS-CNN, a 64x64x8 conv/depthwise pair), with the speed-up per layer.
// Also checks that both tables produce the same bytes.
//
//   kernels_bench [--smoke] [--min-ms N] [--rounds N] [--int8] [--only cough|KWS|64x64x8]
//                                                       (native, qemu-aarch64)
//   node --no-experimental-fetch bench.js [same options]             (wasm)
// Times and speed-ups are medians over alternating rounds (default 21).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../kernels/kernel_case.h"
#include "kernels/select.h"

namespace tm2 {
namespace {

using test::LayerCase;
using test::MakeGeometry;
using test::Pad;
using test::Rng;

enum class Kind { kConv, kDepthwise, kPointwise, kDense, kMaxPool, kAvgPool, kGlobalAvg };

struct Layer {
  std::string name;
  Kind kind;
  ConvGeometry g{};
  int rows = 0, in = 0, out = 0;  // FC
  LayerCase lc;
  size_t in_size = 0, out_size = 0;
  long macs = 0;
};

class Model {
 public:
  Model(const char* name, int h, int w, int c, int bits) : name_(name), bits_(bits), h_(h), w_(w), c_(c) {
    in_size_ = static_cast<size_t>(h) * w * c;
  }
  void Conv(const char* n, int out_c, int kh, int kw, int s, Pad pad) { AddConv(n, Kind::kConv, out_c, kh, kw, s, pad); }
  void Depthwise(const char* n, int k, Pad pad) { AddConv(n, Kind::kDepthwise, c_, k, k, 1, pad); }
  void MaxPool(const char* n, int k) { AddConv(n, Kind::kMaxPool, c_, k, k, k, Pad::kValid); }
  void AvgPoolAll(const char* n) { AddConv(n, Kind::kAvgPool, c_, h_, w_, 1, Pad::kValid); }
  void Pointwise(const char* n, int out) { AddFc(n, Kind::kPointwise, h_ * w_, c_, out); }
  void GlobalAvg(const char* n) {
    Layer l;
    l.name = n; l.kind = Kind::kGlobalAvg; l.rows = h_ * w_; l.in = c_;
    l.in_size = static_cast<size_t>(h_) * w_ * c_; l.out_size = c_;
    h_ = w_ = 1;
    layers_.push_back(l);
  }
  void Dense(const char* n, int out) { AddFc(n, Kind::kDense, 1, h_ * w_ * c_, out); }

  const char* name() const { return name_; }
  std::vector<Layer>& layers() { return layers_; }
  size_t in_size() const { return in_size_; }

 private:
  void AddConv(const char* n, Kind kind, int out_c, int kh, int kw, int s, Pad pad) {
    Layer l;
    l.name = n; l.kind = kind;
    MakeGeometry(h_, w_, c_, out_c, kh, kw, s, s, pad, &l.g);
    const int taps = kh * kw;
    if (kind == Kind::kConv) {
      l.lc.Fill(rng_, out_c, taps * c_, out_c, bits_, taps * c_, test::RqStyle::kRelu6);
      l.macs = static_cast<long>(l.g.out_h) * l.g.out_w * out_c * taps * c_;
    } else if (kind == Kind::kDepthwise) {
      l.lc.Fill(rng_, taps, c_, c_, bits_, taps, test::RqStyle::kRelu6);
      l.macs = static_cast<long>(l.g.out_h) * l.g.out_w * c_ * taps;
    }
    l.in_size = static_cast<size_t>(h_) * w_ * c_;
    h_ = l.g.out_h; w_ = l.g.out_w; c_ = out_c;
    l.out_size = static_cast<size_t>(h_) * w_ * c_;
    layers_.push_back(l);
  }
  void AddFc(const char* n, Kind kind, int rows, int in, int out) {
    Layer l;
    l.name = n; l.kind = kind; l.rows = rows; l.in = in; l.out = out;
    l.lc.Fill(rng_, out, in, out, bits_, in, test::RqStyle::kRelu6);
    l.macs = static_cast<long>(rows) * in * out;
    l.in_size = static_cast<size_t>(rows) * in;
    l.out_size = static_cast<size_t>(rows) * out;
    if (kind == Kind::kDense) { h_ = 1; w_ = 1; }
    c_ = out;
    layers_.push_back(l);
  }

  const char* name_;
  int bits_;
  int h_, w_, c_;
  size_t in_size_;
  std::vector<Layer> layers_;
  Rng rng_{2024};
};

void Run(const KernelTable& k, Layer& l, const int8_t* in, int8_t* out) {
  const Requantization& rq = l.lc.rq;
  switch (l.kind) {
    case Kind::kConv: k.conv2d(l.g, l.lc.w, l.lc.input_zero_point, rq, in, out); break;
    case Kind::kDepthwise: k.depthwise_conv2d(l.g, l.lc.w, l.lc.input_zero_point, rq, in, out); break;
    case Kind::kPointwise:
    case Kind::kDense: k.fully_connected(l.rows, l.in, l.out, l.lc.w, l.lc.input_zero_point, rq, in, out); break;
    case Kind::kMaxPool: k.max_pool2d(l.g, -128, 127, in, out); break;
    case Kind::kAvgPool: k.avg_pool2d(l.g, -128, 127, in, out); break;
    case Kind::kGlobalAvg: k.global_avg_pool(l.rows, l.in, -128, 127, in, out); break;
  }
}

double NowUs() {
  using namespace std::chrono;
  return duration<double, std::micro>(steady_clock::now().time_since_epoch()).count();
}

int g_rounds = 21;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Microseconds per call of a and of b, measured in alternating rounds so
// that both see the same machine load (other jobs share these cores). Each
// round times a, then b, for about min_us / (2 * rounds) each; the result
// is the median over rounds of each time and of the per-round ratio a / b
// (a ratio taken within one round cancels slow drifts of the load).
template <class F, class G>
void TimePairUs(F a, G b, double min_us, bool smoke, double* a_us, double* b_us, double* ratio) {
  *a_us = *b_us = *ratio = 0;
  if (smoke) { a(); b(); return; }
  std::vector<double> ta, tb, r;
  for (int round = 0; round < g_rounds; ++round) {
    double t_round[2];
    for (int which = 0; which < 2; ++which) {
      long n = 0;
      const double t0 = NowUs();
      double t = t0;
      do {
        if (which == 0) a(); else b();
        ++n;
        t = NowUs();
      } while (t - t0 < min_us / (2 * g_rounds));
      t_round[which] = (t - t0) / n;
    }
    ta.push_back(t_round[0]);
    tb.push_back(t_round[1]);
    r.push_back(t_round[0] / t_round[1]);
  }
  *a_us = Median(ta);
  *b_us = Median(tb);
  *ratio = Median(r);
}

bool BenchModel(Model& m, const KernelTable& ref, const KernelTable& fast, double min_us, bool smoke) {
  // Layers were copied into the model's vector: point each case at its own
  // storage again.
  for (Layer& l : m.layers()) {
    l.lc.Bind();
    if (l.kind == Kind::kConv) l.lc.PackConv(fast, l.g);
    if (l.kind == Kind::kPointwise || l.kind == Kind::kDense) {
      l.lc.PackFullyConnected(fast, l.rows, l.in, l.out);
    }
  }
  Rng rng(99);
  std::vector<std::vector<int8_t>> ref_act, fast_act;
  ref_act.push_back(test::RandomInt8(rng, m.in_size()));
  fast_act.push_back(ref_act[0]);
  for (Layer& l : m.layers()) {
    ref_act.emplace_back(l.out_size);
    fast_act.emplace_back(l.out_size);
  }
  printf("\n%s\n%-28s %10s %12s %12s %8s\n", m.name(), "layer", "MACs", "ref us", "fast us", "speedup");
  bool same = true;
  double ref_sum = 0, fast_sum = 0;
  for (size_t i = 0; i < m.layers().size(); ++i) {
    Layer& l = m.layers()[i];
    Run(ref, l, ref_act[i].data(), ref_act[i + 1].data());
    Run(fast, l, ref_act[i].data(), fast_act[i + 1].data());
    if (ref_act[i + 1] != fast_act[i + 1]) {
      printf("  MISMATCH in layer %s\n", l.name.c_str());
      same = false;
    }
    double tr, tf, ratio;
    TimePairUs([&] { Run(ref, l, ref_act[i].data(), ref_act[i + 1].data()); },
               [&] { Run(fast, l, ref_act[i].data(), fast_act[i + 1].data()); }, min_us, smoke, &tr,
               &tf, &ratio);
    ref_sum += tr;
    fast_sum += tf;
    printf("%-28s %10ld %12.1f %12.1f %7.1fx\n", l.name.c_str(), l.macs, tr, tf, ratio);
  }
  auto whole = [&](const KernelTable& k, std::vector<std::vector<int8_t>>& act) {
    for (size_t i = 0; i < m.layers().size(); ++i) Run(k, m.layers()[i], act[i].data(), act[i + 1].data());
  };
  double tr, tf, ratio;
  TimePairUs([&] { whole(ref, ref_act); }, [&] { whole(fast, fast_act); }, min_us * 2, smoke, &tr, &tf,
             &ratio);
  for (size_t i = 1; i < ref_act.size(); ++i) {
    if (ref_act[i] != fast_act[i]) {
      printf("  MISMATCH in the whole-model run, first at layer %s\n", m.layers()[i - 1].name.c_str());
      same = false;
      break;
    }
  }
  printf("%-28s %10s %12.1f %12.1f %7.1fx   (sum of layers %.1f / %.1f)  identical: %s\n",
         "whole model", "", tr, tf, ratio, ref_sum, fast_sum, same ? "yes" : "NO");
  return same;
}

}  // namespace
}  // namespace tm2

int main(int argc, char** argv) {
  using namespace tm2;
  bool smoke = false, int8_only = false;
  const char* only = "";  // run only models whose title contains this
  double min_ms = 60;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--smoke")) smoke = true;
    if (!strcmp(argv[i], "--min-ms") && i + 1 < argc) min_ms = atof(argv[++i]);
    if (!strcmp(argv[i], "--rounds") && i + 1 < argc) g_rounds = atoi(argv[++i]);
    if (!strcmp(argv[i], "--int8")) int8_only = true;
    if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
  }
  const KernelTable& ref = ReferenceKernels();
  const KernelTable& fast = SelectKernels();
  printf("tinym2 kernels: reference '%s' vs selected '%s'; median of %d alternating rounds, %.0f ms "
         "per layer\n", ref.name, fast.name, g_rounds, min_ms);
  bool ok = true;
  for (int bits : {8, 4}) {
    if (bits == 4 && int8_only) break;
    char title[96];
    snprintf(title, sizeof(title), "== cough branch, 64x64x1 log-mel, int%d weights", bits);
    Model cough(title, 64, 64, 1, bits);
    cough.Conv("conv 3x3 1->8", 8, 3, 3, 1, test::Pad::kSame);
    cough.MaxPool("maxpool 2x2", 2);
    cough.Depthwise("dw 3x3 x8", 3, test::Pad::kSame);
    cough.Pointwise("pw 8->16", 16);
    cough.MaxPool("maxpool 2x2", 2);
    cough.Depthwise("dw 3x3 x16", 3, test::Pad::kSame);
    cough.Pointwise("pw 16->32", 32);
    cough.MaxPool("maxpool 2x2", 2);
    cough.GlobalAvg("global avg pool");
    cough.Dense("fc 32->16", 16);
    cough.Dense("fc 16->2", 2);
    if (strstr(cough.name(), only)) ok = BenchModel(cough, ref, fast, min_ms * 1000, smoke) && ok;

    snprintf(title, sizeof(title), "== KWS DS-CNN, 49x10x1 MFCC, int%d weights", bits);
    Model kws(title, 49, 10, 1, bits);
    kws.Conv("conv 10x4 s2 1->64", 64, 10, 4, 2, test::Pad::kSame);
    for (int b = 1; b <= 4; ++b) {
      kws.Depthwise(b == 1 ? "dw 3x3 x64 (1)" : b == 2 ? "dw 3x3 x64 (2)" : b == 3 ? "dw 3x3 x64 (3)" : "dw 3x3 x64 (4)", 3, test::Pad::kSame);
      kws.Pointwise(b == 1 ? "pw 64->64 (1)" : b == 2 ? "pw 64->64 (2)" : b == 3 ? "pw 64->64 (3)" : "pw 64->64 (4)", 64);
    }
    kws.AvgPoolAll("avg pool 25x5");
    kws.Dense("fc 64->12", 12);
    if (strstr(kws.name(), only)) ok = BenchModel(kws, ref, fast, min_ms * 1000, smoke) && ok;

    snprintf(title, sizeof(title), "== 64x64x8 conv/depthwise pair, int%d weights", bits);
    Model pair(title, 64, 64, 8, bits);
    pair.Conv("conv 3x3 8->8", 8, 3, 3, 1, test::Pad::kSame);
    pair.Depthwise("dw 3x3 x8", 3, test::Pad::kSame);
    if (strstr(pair.name(), only)) ok = BenchModel(pair, ref, fast, min_ms * 1000, smoke) && ok;
  }
  printf("\n%s\n", ok ? "all outputs identical" : "OUTPUTS DIFFER");
  return ok ? 0 : 1;
}
