#include "frontier.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include "ilp/ram_plan.h"
#include "pipeline.h"
#include "quant/allocate.h"
#include "quant/calibrate.h"
#include "quant/int_sim.h"
#include "quant/sensitivity.h"
#include "recipe/model_stats.h"
#include "results/rows.h"

namespace tm2 {
namespace factory {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

TinyNet FoldedCopy(TinyNet& from, const Recipe& r) {
  TinyNet q(r);
  CopyState(from, q);
  q->FoldBatchNorm();
  return q;
}

// Observers from one pass over the training set, then frozen, in eval mode.
void CalibrateFrozen(TinyNet& net, const TensorSet& train) {
  CalibrateObservers(net, train);
  net->FreezeObservers(true);
  net->eval();
}

json Interval(const ResultRow& row) { return {{"value", row.value}, {"ci95", {row.lo, row.hi}}}; }

}  // namespace

json RunFrontier(const Recipe& recipe, const FrontierOptions& fo) {
  Recipe r = recipe;
  torch::set_num_threads(std::max(1, r.train.threads));
  const std::string best = (fs::path(fo.run_dir) / "float.best.pt").string();
  if (!fs::exists(best))
    throw std::runtime_error(best + " not found: run `tm2-factory train` with --out " + fo.run_dir + " first");
  ItemOptions io;
  io.max_per_label = r.data.max_per_label;
  io.fold_seed = r.data.split_seed;
  ItemCounts counts;
  const std::vector<Item> items = LoadItems(r, fo.data_path.empty() ? r.data.path : fo.data_path, io, &counts);
  const std::string cache = !fo.cache_dir.empty() ? fo.cache_dir
                            : (fs::path(fo.run_dir).parent_path() / "feature-cache").string();
  Data d = BuildData(r, items, cache);
  const TensorSet& rep = d.report();
  const bool by_group = r.data.score_by == "group";
  const uint64_t bseed = r.train.seed + 1000;
  TinyNet net(r);
  torch::load(net, best);
  net->eval();
  json out = {{"name", r.name}, {"metric", r.train.metric}, {"split", d.eval.size() ? "evaluation" : "validation"},
              {"items", rep.size()}, {"points", json::array()}};
  out["float"] = Interval(MakeRow("float", r.train.metric, PredictLogits(net, rep), rep, by_group, fo.bootstrap, bseed));

  Recipe r8 = r;
  r8.quant.weight_bits = r8.quant.act_bits = 8;
  r8.quant.layer_weight_bits.clear();
  r8.quant.layer_act_bits.clear();
  const ModelStats stats = ComputeStats(r8);
  // Sensitivities once, for every point.
  TinyNet base = FoldedCopy(net, r8);
  const std::vector<double> traces = HessianTraces(base, d.train, r.quant.hutchinson_samples, r.train.seed);
  const auto costs = LayerCosts(base, traces, stats, r.quant.pin_first_last);
  // The RAM range: all outputs 8-bit, and all but the logits 4-bit.
  CalibrateFrozen(base, d.train);
  const ModelSpec spec = BuildModelSpec(base, d.norm);
  const int n = NumWeightedLayers(spec);
  std::vector<int> least(n, 4);
  least[n - 1] = 8;
  const int64_t ram8 = PlannedRamBytes(WithActBits(spec, std::vector<int>(n, 8)));
  const int64_t ram_least = PlannedRamBytes(WithActBits(spec, least));
  std::set<int64_t> rams;
  for (int k = 0; k < fo.ram_levels; ++k)
    rams.insert(ram_least + (fo.ram_levels > 1 ? (ram8 - ram_least) * k / (fo.ram_levels - 1) : 0));
  std::set<int64_t> flashes = {MinimumFlash(costs)};
  for (double f : fo.flash_fractions) flashes.insert(static_cast<int64_t>(f * stats.weight_bytes));
  out["ram_all8"] = ram8;
  out["ram_least"] = ram_least;
  out["weight_bytes_w8"] = stats.weight_bytes;
  std::set<std::pair<std::vector<int>, std::vector<int>>> seen;  // one point per distinct allocation
  for (int64_t ram : rams) {
    for (int64_t flash : flashes) {
      TinyNet q = FoldedCopy(net, r8);
      MemoryAllocation m;
      try {
        m = AllocateBits(q, d.train, d.norm, r8.quant, BitBudgets{flash, ram}, stats, r.train.seed, true, &traces);
      } catch (const std::runtime_error& e) {
        if (!fo.quiet) std::printf("flash %lld, RAM %lld: %s\n", static_cast<long long>(flash),
                                   static_cast<long long>(ram), e.what());
        continue;
      }
      if (!seen.insert({m.bits.bits, m.bits.act_bits}).second) continue;
      q->FreezeObservers(false);
      CalibrateFrozen(q, d.train);
      const ModelSpec s = BuildModelSpec(q, d.norm);
      const ResultRow row = MakeRow("point", r.train.metric, DequantizeLogits(s, IntSimLogits(s, rep)), rep,
                                    by_group, fo.bootstrap, bseed);
      json p = Interval(row);
      p["flash_budget"] = flash;
      p["ram_budget"] = ram;
      p["weight_bytes"] = m.bits.bytes;
      p["planned_ram_bytes"] = PlannedRamBytes(s);
      p["weight_bits"] = m.bits.bits;
      p["act_bits"] = m.bits.act_bits;
      if (!fo.quiet)
        std::printf("flash %lld, RAM %lld: %lld weight bytes, planned RAM %lld, %s %.4f [%.4f, %.4f]\n",
                    static_cast<long long>(flash), static_cast<long long>(ram), static_cast<long long>(m.bits.bytes),
                    static_cast<long long>(p["planned_ram_bytes"].get<int64_t>()), r.train.metric.c_str(), row.value,
                    row.lo, row.hi);
      out["points"].push_back(p);
    }
  }
  if (!fo.shipped_model.empty()) {
    std::ifstream in(fo.shipped_model, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    json s = {{"model", fs::path(fo.shipped_model).filename().string()},
              {"planned_ram_bytes", PlannedRamBytes(bytes)}};
    if (!fo.shipped_results.empty()) {
      const json res = json::parse(std::ifstream(fo.shipped_results));
      for (const auto& row : res.at("rows"))
        if (row.at("name").get<std::string>().find(", shipped") != std::string::npos) {
          s["value"] = row.at("value");
          s["ci95"] = row.at("ci95");
          s["weight_bytes"] = row.at("weight_bytes");
          s["row"] = row.at("name");
        }
    }
    out["shipped"] = s;
  }
  return out;
}

}  // namespace factory
}  // namespace tm2
