// Cortex-M4 instruction counts of the shipped models (KWS, COVID cough,
// sound gate), per layer and per Invoke, with the selected table (cm4dsp):
//   tests/bench/mcu_insn_count.sh build/mcu/tests/bench/model_bench_firmware.elf
// Each layer runs with its own weights (int8 or int4), requantization and
// shapes on seeded int8 input, first through the reference (not counted),
// then through the selected table between two tm2_insn_mark() calls, whole
// and in the bands the engine's in-place plan uses (engine/band.h: about
// 16 output pixels per call), and the bytes must agree; then the engine's
// Invoke (features given, default options, so layers run in bands where
// that lowers the arena) is counted the same way. main returns 1 on a
// mismatch.
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <vector>

#include "common/embedded_files.h"
#include "engine/band.h"
#include "engine/engine.h"
#include "format/model.h"
#include "kernels/select.h"

extern "C" __attribute__((noinline)) void tm2_insn_mark(void) { __asm__ volatile("" ::: "memory"); }

TM2_EMBEDDED_FILE(bench, kws_dscnn)
TM2_EMBEDDED_FILE(bench, covid_cough)
TM2_EMBEDDED_FILE(bench, sound_gate)

namespace tm2 {
namespace {

alignas(16) uint8_t g_arena[64 * 1024];

struct Region {
  char label[96];
};
std::vector<Region> g_regions;

void Mark(const char* fmt, const char* a, const char* b, unsigned long macs) {
  Region r;
  snprintf(r.label, sizeof(r.label), fmt, a, b, macs);
  g_regions.push_back(r);
}

class Collect : public ModelVisitor {
 public:
  std::vector<LayerView> layers;
  Status BeginStack(int, const TensorInfo&, int) override { return Status::Ok(); }
  Status EndStack(int, const TensorInfo&) override { return Status::Ok(); }
  Status Layer(const LayerView& v) override {
    if (v.kind != LayerKind::kSoftmax) layers.push_back(v);
    return Status::Ok();
  }
};

ConvGeometry Geometry(const LayerView& v) {
  return ConvGeometry{v.in.h, v.in.w, v.in.c, v.out.h, v.out.w, v.out.c,
                      v.window.kernel_h, v.window.kernel_w, v.window.stride_h, v.window.stride_w,
                      v.window.pad_top, v.window.pad_left};
}

// Layer v (or its band g) from in to out.
void Run(const KernelTable& k, const LayerView& v, const ConvGeometry& g, const int8_t* in,
         int8_t* out) {
  const QuantizedWeights w{v.weights, v.weight_bits, v.bias};
  const Requantization rq{v.multiplier, v.shift, v.output_zero_point,
                          static_cast<int16_t>(v.act_min), static_cast<int16_t>(v.act_max)};
  const int zp = v.input_zero_point;
  switch (v.kind) {
    case LayerKind::kConv2D: k.conv2d(g, w, zp, rq, in, out); break;
    case LayerKind::kDepthwiseConv2D: k.depthwise_conv2d(g, w, zp, rq, in, out); break;
    case LayerKind::kPointwiseConv2D:
      k.fully_connected(g.in_h * g.in_w, v.in.c, v.out.c, w, zp, rq, in, out);
      break;
    case LayerKind::kFullyConnected:
      k.fully_connected(1, static_cast<int>(v.in.size()), v.out.c, w, zp, rq, in, out);
      break;
    case LayerKind::kMaxPool2D: k.max_pool2d(g, v.act_min, v.act_max, in, out); break;
    case LayerKind::kAvgPool2D: k.avg_pool2d(g, v.act_min, v.act_max, in, out); break;
    case LayerKind::kGlobalAvgPool:
      k.global_avg_pool(v.in.h * v.in.w, v.in.c, v.act_min, v.act_max, in, out);
      break;
    case LayerKind::kSoftmax: break;
  }
}

bool BenchModel(const char* name, const unsigned char* bytes, size_t size) {
  Model model;
  Status s = LoadModel(bytes, size, &model);
  Collect c;
  if (s.ok()) s = WalkModel(model, &c);
  if (!s.ok()) return printf("%s: %s\n", name, s.message()), false;
  const KernelTable& ref = ReferenceKernels();
  const KernelTable& fast = SelectKernels();
  unsigned seed = 12345;
  bool same = true;
  for (const LayerView& v : c.layers) {
    std::vector<int8_t> in(v.in.size()), want(v.out.size(), 0), got(v.out.size(), 1);
    for (int8_t& x : in) x = static_cast<int8_t>((seed = seed * 1103515245u + 12345u) >> 24);
    const ConvGeometry g = Geometry(v);
    Run(ref, v, g, in.data(), want.data());
    tm2_insn_mark();
    Run(fast, v, g, in.data(), got.data());
    tm2_insn_mark();
    bool ok = want == got;
    char what[64];
    snprintf(what, sizeof(what), "%s%s %dx%dx%d>%dx%dx%d w%d", ok ? "" : "MISMATCH ",
             LayerKindName(v.kind), v.in.h, v.in.w, v.in.c, v.out.h, v.out.w, v.out.c,
             v.weight_bits);
    Mark("%s | %s | %lu MACs", name, what, static_cast<unsigned long>(v.macs));
    same = same && ok;
    if (!engine_internal::CanBand(v.kind)) continue;
    const int rows = engine_internal::BandRows(g);
    std::fill(got.begin(), got.end(), 1);
    tm2_insn_mark();
    for (int y0 = 0; y0 < g.out_h; y0 += rows) {
      size_t in_off, out_off;
      const ConvGeometry b = engine_internal::BandGeometry(v.kind, g, y0,
                                                           y0 + rows < g.out_h ? y0 + rows : g.out_h,
                                                           &in_off, &out_off);
      Run(fast, v, b, in.data() + in_off, got.data() + out_off);
    }
    tm2_insn_mark();
    ok = want == got;
    char calls[32];
    snprintf(calls, sizeof(calls), "in bands of %d rows", rows);
    Mark("%s |   %s | %lu MACs", name, ok ? calls : "MISMATCH in bands", static_cast<unsigned long>(v.macs));
    same = same && ok;
  }
  // The Invoke, features given (seeded bytes of the branches' shapes).
  EngineOptions options;
  options.kernels = &fast;
  options.features_only = true;
  Engine engine;
  s = engine.Init(model, g_arena, sizeof(g_arena), options);
  for (int b = 0; s.ok() && b < engine.num_branches(); ++b) {
    std::vector<int8_t> f(engine.input_shape(b).size());
    for (int8_t& x : f) x = static_cast<int8_t>((seed = seed * 1103515245u + 12345u) >> 24);
    s = engine.SetFeatures(b, f.data(), f.size());
  }
  if (!s.ok()) return printf("%s: %s\n", name, s.message()), false;
  tm2_insn_mark();
  s = engine.Invoke();
  tm2_insn_mark();
  if (!s.ok()) return printf("%s invoke: %s\n", name, s.message()), false;
  Mark("%s | %s | Invoke, engine defaults (layers in bands), %lu MACs", name, fast.name,
       static_cast<unsigned long>(model.cost().macs));
  return same;
}

}  // namespace
}  // namespace tm2

int main() {
  using namespace tm2;
  bool ok = BenchModel("kws-dscnn", bench_kws_dscnn, bench_kws_dscnn_size);
  ok = BenchModel("covid-cough", bench_covid_cough, bench_covid_cough_size) && ok;
  ok = BenchModel("sound-gate", bench_sound_gate, bench_sound_gate_size) && ok;
  // Labels for mcu_insn_count.sh, in region order.
  for (size_t i = 0; i < g_regions.size(); ++i) printf("region %u: %s\n", unsigned(i), g_regions[i].label);
  printf("model bench firmware: %s\n", ok ? "outputs identical" : "OUTPUTS DIFFER");
  return ok ? 0 : 1;
}
