// Per-layer profile of a real .tm2 model: every layer with its own weights
// (int8 or int4), requantization and shapes, run through the reference and
// the selected kernel table exactly as the engine calls them (weights
// packed once, as at Init), on seeded int8 input. Prints microseconds per
// call, the speed-up, GMAC/s and the share of a stated bound, and checks
// that both tables give the same bytes.
//
//   model_bench [--smoke] [--min-ms N] [--rounds N] [--ghz G] MODEL.tm2 ...
//                                                   (native, qemu-aarch64)
//   --dot-emulated: the relaxed WASM build packs as it does where its dot
//   product is emulated (SetRelaxedDotNative(false); web/engine.js).
//   node --no-experimental-fetch model_bench.js [same options]   (wasm; paths on the host)
//
// The bound: int16 multiply-adds that sum pairs of products into int32
// (x86 vpmaddwd, WASM i32x4.dot_i16x8_s, NEON smlal2 pairs) are the widest
// exact int8 MAC these kernels use; the table's vector width in int16
// lanes times 2 instructions per cycle gives MACs per cycle, times --ghz
// (default 2.6, this machine's clock). Depthwise has no reduction across
// channels, so its kernels do one int16 multiply per MAC: half that bound.
// With AVX-512 VNNI (hwy:AVX3_DL) pointwise and dense layers run on
// vpdpbusd, four int8 products per int32 lane: twice the bound.
//
// Built with XNNPACK (native, when Debian's libxnnpack-dev is installed),
// it also runs each conv, depthwise, pointwise and dense layer through
// XNNPACK's QC8 operator (xnn_layer.h) on the same int8 input, one thread,
// timed in the same alternating rounds, and prints its time, tinym2's
// speed relative to it and the largest output difference.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "format/model.h"
#include "kernels/select.h"
#if defined(TM2_HAVE_XNNPACK)
#include "xnn_layer.h"
#endif

namespace tm2 {
namespace {

struct LayerRun {
  LayerView v;
  ConvGeometry g{};
  QuantizedWeights w{};
  Requantization rq{};
  std::vector<uint8_t> packed;
  std::vector<int8_t> in, out_ref, out_fast;
#if defined(TM2_HAVE_XNNPACK)
  std::unique_ptr<XnnLayer> xnn;  // null: XNNPACK has no operator for it
  std::vector<int8_t> xnn_in, xnn_out;
#endif
};

class Collect : public ModelVisitor {
 public:
  std::vector<LayerRun> layers;
  Status BeginStack(int, const TensorInfo&, int) override { return Status::Ok(); }
  Status EndStack(int, const TensorInfo&) override { return Status::Ok(); }
  Status Layer(const LayerView& v) override {
    if (v.kind == LayerKind::kSoftmax) return Status::Ok();
    LayerRun l;
    l.v = v;
    l.g = ConvGeometry{v.in.h, v.in.w, v.in.c, v.out.h, v.out.w, v.out.c,
                       v.window.kernel_h, v.window.kernel_w, v.window.stride_h, v.window.stride_w,
                       v.window.pad_top, v.window.pad_left};
    l.w = QuantizedWeights{v.weights, v.weight_bits, v.bias};
    l.rq = Requantization{v.multiplier, v.shift, v.output_zero_point,
                          static_cast<int16_t>(v.act_min), static_cast<int16_t>(v.act_max)};
    layers.push_back(std::move(l));
    return Status::Ok();
  }
};

void Pack(const KernelTable& k, LayerRun& l) {
  const int rows = l.v.in.h * l.v.in.w;
  if (l.v.kind == LayerKind::kConv2D && k.conv2d_packed_bytes) {
    l.packed.resize(k.conv2d_packed_bytes(l.g));
    if (!l.packed.empty()) k.conv2d_pack(l.g, l.w, l.rq, l.packed.data());
  } else if (l.v.kind == LayerKind::kDepthwiseConv2D && k.depthwise_conv2d_packed_bytes) {
    l.packed.resize(k.depthwise_conv2d_packed_bytes(l.g));
    if (!l.packed.empty()) k.depthwise_conv2d_pack(l.g, l.w, l.rq, l.packed.data());
  } else if (l.v.kind == LayerKind::kPointwiseConv2D && k.fully_connected_packed_bytes) {
    l.packed.resize(k.fully_connected_packed_bytes(rows, l.v.in.c, l.v.out.c));
    if (!l.packed.empty()) k.fully_connected_pack(rows, l.v.in.c, l.v.out.c, l.w, l.rq, l.packed.data());
  } else if (l.v.kind == LayerKind::kFullyConnected && k.fully_connected_packed_bytes) {
    const int in = static_cast<int>(l.v.in.size());
    l.packed.resize(k.fully_connected_packed_bytes(1, in, l.v.out.c));
    if (!l.packed.empty()) k.fully_connected_pack(1, in, l.v.out.c, l.w, l.rq, l.packed.data());
  }
}

void Run(const KernelTable& k, const LayerRun& l, QuantizedWeights w, int8_t* out) {
  const int8_t* in = l.in.data();
  const int zp = l.v.input_zero_point;
  switch (l.v.kind) {
    case LayerKind::kConv2D: k.conv2d(l.g, w, zp, l.rq, in, out); break;
    case LayerKind::kDepthwiseConv2D: k.depthwise_conv2d(l.g, w, zp, l.rq, in, out); break;
    case LayerKind::kPointwiseConv2D:
      k.fully_connected(l.v.in.h * l.v.in.w, l.v.in.c, l.v.out.c, w, zp, l.rq, in, out);
      break;
    case LayerKind::kFullyConnected:
      k.fully_connected(1, static_cast<int>(l.v.in.size()), l.v.out.c, w, zp, l.rq, in, out);
      break;
    case LayerKind::kMaxPool2D: k.max_pool2d(l.g, l.rq.output_min, l.rq.output_max, in, out); break;
    case LayerKind::kAvgPool2D: k.avg_pool2d(l.g, l.rq.output_min, l.rq.output_max, in, out); break;
    case LayerKind::kGlobalAvgPool:
      k.global_avg_pool(l.v.in.h * l.v.in.w, l.v.in.c, l.rq.output_min, l.rq.output_max, in, out);
      break;
    case LayerKind::kSoftmax: break;
  }
}

// This thread's CPU time where the OS gives it (time the thread waits
// while other jobs run is not counted), else the steady clock.
double NowUs() {
#if defined(__linux__) && !defined(__EMSCRIPTEN__)
  timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
#endif
  using namespace std::chrono;
  return duration<double, std::micro>(steady_clock::now().time_since_epoch()).count();
}

// Fastest of `rounds` rounds of the time per call of each function, all of
// them alternating so that each sees the same load from other jobs: other
// jobs only ever slow a round down (caches, the shared core), so the
// fastest round is the figure that repeats on a busy machine.
std::vector<double> TimeAll(const std::vector<std::function<void()>>& fns, double min_us,
                            int rounds) {
  // Calls per clock read, per function: enough for about 20 us, so that
  // reading the thread CPU clock (a system call of about 0.2 us) stays
  // under 1 % of what is timed. Eight calls per read (stage 3) still
  // left about 25 ns of clock in each call of a 20 ns dense layer, which
  // pulled the tinym2 / XNNPACK ratio of such layers toward 1.
  std::vector<long> batch(fns.size(), 8);
  for (size_t which = 0; which < fns.size(); ++which) {
    const double t0 = NowUs();
    for (int i = 0; i < 64; ++i) fns[which]();
    const double per_call = (NowUs() - t0) / 64;
    if (per_call > 0) batch[which] = std::max(8L, std::min(1L << 16, static_cast<long>(20.0 / per_call)));
  }
  std::vector<std::vector<double>> t(fns.size());
  for (int r = 0; r < rounds; ++r) {
    for (size_t which = 0; which < fns.size(); ++which) {
      long n = 0;
      const double t0 = NowUs();
      double now = t0;
      do {
        for (long i = 0; i < batch[which]; ++i) fns[which]();
        n += batch[which];
        now = NowUs();
      } while (now - t0 < min_us / (fns.size() * rounds));
      t[which].push_back((now - t0) / n);
    }
  }
  std::vector<double> med;
  for (auto& v : t) med.push_back(*std::min_element(v.begin(), v.end()));
  return med;
}

// int16 lanes per vector of the selected table ("hwy:AVX2" -> 16).
int Int16Lanes(const char* name) {
  const std::string n = name;
  if (n.find("AVX3") != std::string::npos) return 32;
  if (n.find("AVX2") != std::string::npos) return 16;
  if (n.find("SSE") != std::string::npos || n.find("WASM") != std::string::npos ||
      n.find("NEON") != std::string::npos) return 8;
  return 1;
}

// AVX3_DL tables run pointwise and dense layers on vpdpbusd: four int8
// products per int32 lane, twice the pair bound.
bool VnniQuads(const char* name) { return std::string(name).find("AVX3_DL") != std::string::npos; }
// The relaxed WASM build runs pointwise layers with int4 weights (and
// int8 ones inside 7 bits, which this table cannot tell) on
// i32x4.relaxed_dot_i8x16_i7x16_add_s: four int8 products per lane too.
bool RelaxedQuads(const char* name) { return std::string(name).find("+relaxed") != std::string::npos; }

#if defined(TM2_HAVE_XNNPACK)
bool HaveXnn() { return true; }
// XNNPACK's operator for the layer, run once into xnn_out; false (why set
// unless the layer has no weights) when XNNPACK cannot express it.
bool MakeXnn(LayerRun& l, std::string* why) {
  if (l.v.weight_bits == 0) return false;
  auto x = std::make_unique<XnnLayer>();
  if (!x->Create(l.v, why)) return false;
  l.xnn_in.assign(l.in.size() + XnnLayer::kExtraBytes, 0);
  std::copy(l.in.begin(), l.in.end(), l.xnn_in.begin());
  l.xnn_out.assign(l.v.out.size(), 0);
  if (!x->Bind(l.xnn_in.data(), l.xnn_out.data()) || !x->Run()) {
    *why = "XNNPACK setup or run failed";
    return false;
  }
  l.xnn = std::move(x);
  return true;
}
void XnnRun(LayerRun& l) { l.xnn->Run(); }
// Largest |XNNPACK - reference| over the layer's outputs.
int XnnMaxDiff(const LayerRun& l) {
  int d = 0;
  for (size_t j = 0; j < l.xnn_out.size(); ++j) d = std::max(d, std::abs(l.xnn_out[j] - l.out_ref[j]));
  return d;
}
#else
bool HaveXnn() { return false; }
bool MakeXnn(LayerRun&, std::string*) { return false; }
void XnnRun(LayerRun&) {}
int XnnMaxDiff(const LayerRun&) { return 0; }
#endif

// `only`: time just the layers of this kind ("FullyConnected", ...), or
// all when empty; a profiler then sees those layers alone.
bool BenchModel(const char* path, double min_us, int rounds, double ghz, bool smoke,
                const std::string& only) {
  FILE* f = fopen(path, "rb");
  if (!f) {
    printf("cannot open %s\n", path);
    return false;
  }
  std::vector<uint8_t> bytes;
  uint8_t buf[65536];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), f)) > 0;) bytes.insert(bytes.end(), buf, buf + n);
  fclose(f);
  Model model;
  Status s = LoadModel(bytes.data(), bytes.size(), &model);
  Collect c;
  if (s.ok()) s = WalkModel(model, &c);
  if (!s.ok()) {
    printf("%s: %s\n", path, s.message());
    return false;
  }
  const KernelTable& ref = ReferenceKernels();
  const KernelTable& fast = SelectKernels();
  const double peak = 2.0 * Int16Lanes(fast.name) * ghz;  // GMAC/s, pairwise int16 multiply-add
  printf("\n%s (%s, %.2f M MACs): reference '%s' vs '%s%s'; bound %.0f GMAC/s (%.0f depthwise%s)\n", path,
         model.name(), model.cost().macs / 1e6, ref.name, fast.name,
         RelaxedQuads(fast.name) && !RelaxedDotNative() ? " (dot emulated)" : "", peak, peak / 2,
         VnniQuads(fast.name)      ? ", twice for pointwise and dense"
         : RelaxedQuads(fast.name) ? ", twice for int4 pointwise"
                                   : "");
  const bool xnn_on = HaveXnn();
  printf("%-4s %-15s %-22s %4s %5s %9s %9s %9s %7s %7s %6s", "#", "layer", "shape", "bits", "min n",
         "MACs", "ref us", "fast us", "speedup", "GMAC/s", "bound");
  if (xnn_on) printf(" %9s %8s %5s", "xnn us", "xnn/fast", "|d|");
  printf("\n");
  unsigned seed = 12345;
  bool same = true;
  double sum_ref = 0, sum_fast = 0, sum_xnn = 0, sum_fast_xnn = 0, sum_macs = 0;
  int max_diff_all = 0;
  int i = 0;
  for (LayerRun& l : c.layers) {
    if (!only.empty() && only != LayerKindName(l.v.kind)) {
      ++i;
      continue;
    }
    Pack(fast, l);
    l.in.resize(l.v.in.size());
    for (int8_t& x : l.in) x = static_cast<int8_t>((seed = seed * 1103515245u + 12345u) >> 24);
    l.out_ref.assign(l.v.out.size(), 0);
    l.out_fast.assign(l.v.out.size(), 1);
    QuantizedWeights wf = l.w;
    wf.packed = l.packed.empty() ? nullptr : l.packed.data();
    Run(ref, l, l.w, l.out_ref.data());
    Run(fast, l, wf, l.out_fast.data());
    const bool ok = l.out_ref == l.out_fast;
    same = same && ok;
    std::vector<std::function<void()>> fns = {[&] { Run(ref, l, l.w, l.out_ref.data()); },
                                              [&] { Run(fast, l, wf, l.out_fast.data()); }};
    int max_diff = -1;
    std::string why;
    if (xnn_on && MakeXnn(l, &why)) {
      max_diff = XnnMaxDiff(l);
      max_diff_all = std::max(max_diff_all, max_diff);
      fns.push_back([&] { XnnRun(l); });
    }
    std::vector<double> t(fns.size(), 0.0);
    if (!smoke) t = TimeAll(fns, min_us, rounds);
    const double tr = t[0], tf = t[1], tx = t.size() > 2 ? t[2] : 0;
    sum_ref += tr;
    sum_fast += tf;
    sum_macs += static_cast<double>(l.v.macs);
    if (t.size() > 2) {
      sum_xnn += tx;
      sum_fast_xnn += tf;
    }
    char shape[48];
    snprintf(shape, sizeof(shape), "%dx%dx%d>%dx%dx%d", l.v.in.h, l.v.in.w, l.v.in.c, l.v.out.h,
             l.v.out.w, l.v.out.c);
    const double gmacs = tf > 0 ? l.v.macs / (tf * 1e3) : 0;
    const bool quads = (VnniQuads(fast.name) && (l.v.kind == LayerKind::kPointwiseConv2D ||
                                                  l.v.kind == LayerKind::kFullyConnected)) ||
                       (RelaxedQuads(fast.name) && l.v.kind == LayerKind::kPointwiseConv2D &&
                        l.v.weight_bits == 4);
    const double bound = l.v.kind == LayerKind::kDepthwiseConv2D ? peak / 2 : quads ? 2 * peak : peak;
    char k[16] = "", n[16] = "";
    if (l.v.weight_bits > 0) snprintf(k, sizeof(k), "%d", l.v.weight_bits);
    // Smallest requantization shift n = 31 - shift of the layer: the
    // Highway kernels' vector output stage needs n >= 33 (requant_row.h).
    int min_n = 99;
    for (size_t ch = 0; ch < l.v.shift_count; ++ch) min_n = std::min(min_n, 31 - l.v.shift[ch]);
    if (l.v.shift_count) snprintf(n, sizeof(n), "%d", min_n);
    printf("%-4d %-15s %-22s %4s %5s %9llu %9.3f %9.3f %6.1fx %7.2f %5.0f%%", i++, LayerKindName(l.v.kind),
           shape, k, n, static_cast<unsigned long long>(l.v.macs), tr, tf, tf > 0 ? tr / tf : 0, gmacs,
           l.v.macs ? 100 * gmacs / bound : 0);
    if (xnn_on && max_diff >= 0) {
      printf(" %9.3f %7.2fx %5d", tx, tf > 0 ? tx / tf : 0, max_diff);
    } else if (xnn_on) {
      printf(" %9s %8s %5s", "-", "-", "-");
    }
    printf("%s\n", ok ? "" : "  MISMATCH");
    if (!why.empty()) printf("     xnnpack: %s\n", why.c_str());
  }
  printf("sum of layers: ref %.1f us, fast %.1f us (%.1fx), %.2f GMAC/s; identical: %s\n", sum_ref,
         sum_fast, sum_fast > 0 ? sum_ref / sum_fast : 0,
         sum_fast > 0 ? sum_macs / (sum_fast * 1e3) : 0, same ? "yes" : "NO");
  if (xnn_on) {
    printf("layers XNNPACK runs: tinym2 %.1f us, XNNPACK %.1f us (tinym2 %.2fx XNNPACK's speed); "
           "largest output difference %d\n",
           sum_fast_xnn, sum_xnn, sum_fast_xnn > 0 ? sum_xnn / sum_fast_xnn : 0, max_diff_all);
  }
  return same;
}

}  // namespace
}  // namespace tm2

int main(int argc, char** argv) {
  bool smoke = false, ok = true, any = false;
  double min_ms = 100, ghz = 2.6;
  int rounds = 21;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--smoke")) { smoke = true; continue; }
    if (!strcmp(argv[i], "--min-ms") && i + 1 < argc) { min_ms = atof(argv[++i]); continue; }
    if (!strcmp(argv[i], "--rounds") && i + 1 < argc) { rounds = atoi(argv[++i]); continue; }
    if (!strcmp(argv[i], "--ghz") && i + 1 < argc) { ghz = atof(argv[++i]); continue; }
    if (!strcmp(argv[i], "--only") && i + 1 < argc) { only = argv[++i]; continue; }
    if (!strcmp(argv[i], "--dot-emulated")) { tm2::SetRelaxedDotNative(false); continue; }
    any = true;
    ok = tm2::BenchModel(argv[i], min_ms * 1000, rounds < 1 ? 1 : rounds, ghz, smoke, only) && ok;
  }
  if (!any) {
    printf("usage: model_bench [--smoke] [--min-ms N] [--rounds N] [--ghz G] [--only KIND] [--dot-emulated] MODEL.tm2 ...\n");
    return 2;
  }
  printf("\n%s\n", ok ? "all outputs identical" : "OUTPUTS DIFFER");
  return ok ? 0 : 1;
}
