#include "ilp/ram_plan.h"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "format/model.h"
#include "ilp/budget.h"
#include "kernels/select.h"

namespace tm2 {
namespace factory {

namespace {

bool Weighted(const LayerSpec& l) {
  return l.kind == LayerKind::kConv2D || l.kind == LayerKind::kDepthwiseConv2D ||
         l.kind == LayerKind::kFullyConnected || l.kind == LayerKind::kPointwiseConv2D;
}

// Calls f(stack row of PlanTrace::layer_buffer, layer index, layer, k): k is
// the weighted layer whose output bits the layer's output has (itself, or
// the last one before a pooling layer), -1 for none.
template <typename F>
void ForEachLayer(const ModelSpec& spec, F f) {
  int k = 0;
  auto stack = [&](int row, const std::vector<LayerSpec>& layers) {
    int source = -1;
    for (size_t i = 0; i < layers.size(); ++i) {
      if (Weighted(layers[i])) source = k++;
      f(row, static_cast<int>(i), layers[i], layers[i].kind == LayerKind::kSoftmax ? -1 : source);
    }
  };
  for (size_t b = 0; b < spec.branches.size(); ++b) stack(static_cast<int>(b), spec.branches[b].layers);
  stack(PlanTrace::kHead, spec.head);
}

Model LoadSpec(const ModelSpec& spec, std::vector<uint8_t>* bytes) {
  Status s = WriteModel(spec, bytes);
  if (!s.ok()) throw std::runtime_error(std::string("RAM plan: WriteModel: ") + s.message());
  Model model;
  s = LoadModel(bytes->data(), bytes->size(), &model);
  if (!s.ok()) throw std::runtime_error(std::string("RAM plan: LoadModel: ") + s.message());
  return model;
}

ArenaReport Plan(const ModelSpec& spec, PlanTrace* trace, bool in_place = true) {
  std::vector<uint8_t> bytes;
  const Model model = LoadSpec(spec, &bytes);
  EngineOptions o = SmallPartOptions(model.preprocess(0).sample_rate);
  o.plan_trace = trace;
  o.in_place = in_place;
  ArenaReport report;
  const Status s = Engine::ArenaBytes(model, &report, o);
  if (!s.ok()) throw std::runtime_error(std::string("RAM plan: ") + s.message());
  return report;
}

}  // namespace

EngineOptions SmallPartOptions(uint32_t sample_rate) {
  EngineOptions o;
  o.kernels = &ReferenceKernels();
  o.in_place = true;
  o.resampler_cache = false;
  o.input_rate = sample_rate;
  return o;
}

int64_t PlannedRamBytes(const std::vector<uint8_t>& file) {
  // The loader wants 4-byte aligned bytes.
  std::vector<uint32_t> aligned((file.size() + 3) / 4);
  std::copy(file.begin(), file.end(), reinterpret_cast<uint8_t*>(aligned.data()));
  Model model;
  Status s = LoadModel(reinterpret_cast<const uint8_t*>(aligned.data()), file.size(), &model);
  if (!s.ok()) throw std::runtime_error(std::string("RAM plan: LoadModel: ") + s.message());
  ArenaReport report;
  s = Engine::ArenaBytes(model, &report, SmallPartOptions(model.preprocess(0).sample_rate));
  if (!s.ok()) throw std::runtime_error(std::string("RAM plan: ") + s.message());
  return static_cast<int64_t>(report.total);
}

int NumWeightedLayers(const ModelSpec& spec) {
  int n = 0;
  ForEachLayer(spec, [&](int, int, const LayerSpec& l, int) { n += Weighted(l); });
  return n;
}

int64_t PlannedRamBytes(const ModelSpec& spec, ArenaReport* report) {
  const ArenaReport r = Plan(spec, nullptr);
  if (report) *report = r;
  return static_cast<int64_t>(r.total);
}

ModelSpec WithActBits(const ModelSpec& spec, const std::vector<int>& act_bits) {
  if (static_cast<int>(act_bits.size()) != NumWeightedLayers(spec))
    throw std::invalid_argument("WithActBits: one bit width per weighted layer");
  ModelSpec out = spec;
  auto stack = [&](std::vector<LayerSpec>& layers, int* k) {
    int bits = 8;  // a stack's input: int8 features or the fusion vector
    for (LayerSpec& l : layers) {
      if (l.kind == LayerKind::kSoftmax) continue;
      if (Weighted(l)) bits = act_bits[(*k)++];
      const int lo = bits == 4 ? -8 : -128, hi = bits == 4 ? 7 : 127;
      l.act_bits = bits;
      l.act_min = std::clamp(l.act_min, lo, hi);
      l.act_max = std::clamp(l.act_max, l.act_min, hi);
      l.output_zero_point = std::clamp(l.output_zero_point, lo, hi);
    }
  };
  int k = 0;
  for (auto& b : out.branches) stack(b.layers, &k);
  stack(out.head, &k);
  return out;
}

namespace {

RamModel BuildLayout(const ModelSpec& spec, bool in_place, bool* same_out) {
  const int n = NumWeightedLayers(spec);
  auto t8 = std::make_unique<PlanTrace>(), t4 = std::make_unique<PlanTrace>();
  const ArenaReport r8 = Plan(WithActBits(spec, std::vector<int>(n, 8)), t8.get(), in_place);
  Plan(WithActBits(spec, std::vector<int>(n, 4)), t4.get(), in_place);
  // The 4-bit sizes hold only if both plans made the same buffers of the
  // same layers (banding may group otherwise); if not, a buffer keeps its
  // 8-bit size in the model, and the planner's check after solving decides.
  bool same = t8->num_buffers == t4->num_buffers;
  for (int s = 0; s <= PlanTrace::kHead && same; ++s)
    same = std::equal(std::begin(t8->layer_buffer[s]), std::end(t8->layer_buffer[s]),
                      std::begin(t4->layer_buffer[s]));
  if (same_out) *same_out = same;
  RamModel m;
  m.fixed_bytes = static_cast<int64_t>(r8.total - r8.shared);
  m.floor_bytes = static_cast<int64_t>(r8.preprocess_scratch);
  m.buffers.resize(t8->num_buffers);
  for (int j = 0; j < t8->num_buffers; ++j) {
    m.buffers[j].bytes8 = t8->buffers[j].size;
    m.buffers[j].bytes4 = same ? t4->buffers[j].size : t8->buffers[j].size;
    m.buffers[j].first = t8->buffers[j].first;
    m.buffers[j].last = t8->buffers[j].last;
  }
  // A buffer that also holds a layer no weighted layer sets the bits of (a
  // pooling layer on the features) keeps its size.
  std::vector<bool> tied_fixed(m.buffers.size(), false);
  ForEachLayer(spec, [&](int row, int i, const LayerSpec&, int k) {
    const int j = i < PlanTrace::kMaxStackLayers ? t8->layer_buffer[row][i] : -1;
    if (j < 0) return;
    auto& ls = m.buffers[j].layers;
    if (k < 0) { tied_fixed[j] = true; return; }
    if (std::find(ls.begin(), ls.end(), k) == ls.end()) ls.push_back(k);
  });
  for (size_t j = 0; j < m.buffers.size(); ++j)
    if (tied_fixed[j]) { m.buffers[j].layers.clear(); m.buffers[j].bytes4 = m.buffers[j].bytes8; }
  return m;
}

}  // namespace

RamModel BuildRamModel(const ModelSpec& spec) { return BuildLayout(spec, true, nullptr); }

std::vector<RamModel> BuildRamModels(const ModelSpec& spec) {
  std::vector<RamModel> out{BuildLayout(spec, true, nullptr)};
  // Packed layers run whole, so the banded layout's steps misprice the
  // packed plan (even when its buffers line up with it). The layout without
  // bands or in-place reuse (both widths make the same buffers) bounds the
  // engine's plan from above: a fit there is a mixed allocation that fits.
  bool whole_same = true;
  RamModel whole = BuildLayout(spec, false, &whole_same);
  if (whole_same) out.push_back(std::move(whole));
  return out;
}


BitAllocation AllocateWithinPlan(const std::vector<LayerCost>& costs, const ModelSpec& spec,
                                 const std::vector<RamModel>& layouts, const BitBudgets& budgets,
                                 int64_t* planned_ram, int* tightenings) {
  // The planner places buffers greedily and can need more than the largest
  // step's live bytes (the ILP's bound): check with it, and tighten the
  // ILP's budget by the excess until the plan fits. Each layout is solved;
  // the least sensitive fit wins.
  const int n = static_cast<int>(costs.size());
  BitAllocation best;
  *planned_ram = 0;
  *tightenings = 0;
  std::vector<int> least(n);
  for (int i = 0; i < n; ++i) least[i] = costs[i].act_pinned8 ? 8 : 4;
  bool found = false;
  for (const RamModel& ram : layouts) {
    BitBudgets b = budgets;
    for (int tries = 0; tries <= 16; ++tries) {
      BitAllocation a = SolveBitAllocation(costs, ram, b);
      if (!a.feasible) break;
      const int64_t planned = budgets.ram >= 0 ? PlannedRamBytes(WithActBits(spec, a.act_bits)) : 0;
      if (planned <= budgets.ram || budgets.ram < 0) {
        if (!found || a.sensitivity < best.sensitivity) { best = a; *planned_ram = planned; }
        found = true;
        break;
      }
      ++*tightenings;
      b.ram -= planned - budgets.ram;
    }
  }
  const int64_t min_ram = budgets.ram >= 0 ? PlannedRamBytes(WithActBits(spec, least)) : 0;
  if (!found && budgets.ram >= 0 && min_ram <= budgets.ram) {
    // The ILP's bound missed every fit but the least-RAM outputs plan within
    // the budget (the figure the error below would report): take them, and
    // the weights the flash budget allows.
    BitAllocation a = SolveBitAllocation(costs, RamModel(), BitBudgets{budgets.flash, -1});
    if (a.feasible) {
      a.act_bits = least;
      for (int i = 0; i < n; ++i)
        if (least[i] == 4) a.sensitivity += costs[i].act_sens4 - costs[i].act_sens8;
      a.ram = min_ram;
      best = a;
      *planned_ram = min_ram;
      found = true;
    }
  }
  if (!found) throw std::runtime_error(InfeasibleMessage(budgets, MinimumFlash(costs), min_ram));
  return best;
}

}  // namespace factory
}  // namespace tm2
