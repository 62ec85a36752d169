#include "factory.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "data/audio_file.h"
#include "data/dataset.h"
#include "data/feature_cache.h"
#include "data/split.h"
#include "engine/engine.h"
#include "format/model.h"
#include "ilp/bit_allocation.h"
#include "quant/export.h"
#include "quant/int_sim.h"
#include "quant/sensitivity.h"
#include "recipe/model_stats.h"
#include "train/trainer.h"

namespace tm2 {
namespace factory {
namespace fs = std::filesystem;

namespace {

// One training item: a recording per branch, a label index, its group.
struct Item {
  std::vector<std::string> paths;
  int label = 0;
  std::string group, source, split;
};

std::vector<Item> LoadItems(const Recipe& r, const std::string& data_path, int cap, int* dups) {
  std::vector<Example> rows = LoadDataset(r.data.format, data_path, r.data.label_kind);
  std::map<std::string, int> index;
  for (size_t i = 0; i < r.labels.size(); ++i) index[r.labels[i]] = static_cast<int>(i);
  std::vector<Example> kept;
  for (Example e : rows) {
    auto m = r.data.label_map.find(e.label);
    if (m != r.data.label_map.end()) e.label = m->second;
    if (index.count(e.label) && e.split != "test") kept.push_back(e);
  }
  std::vector<uint64_t> hashes;
  for (const auto& e : kept) hashes.push_back(FeatureCache::ContentHash(e.path));
  std::vector<Example> unique;
  std::vector<uint64_t> unique_hash;
  for (size_t i : Deduplicate(kept, hashes, dups)) {
    unique.push_back(kept[i]);
    unique_hash.push_back(hashes[i]);
  }
  if (cap > 0) {
    // Keep the `cap` rows per label with the smallest content hash: a
    // deterministic sample that does not depend on file order.
    std::vector<size_t> order(unique.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return unique_hash[a] < unique_hash[b]; });
    std::map<std::string, int> count;
    std::vector<Example> capped;
    for (size_t i : order)
      if (count[unique[i].label]++ < cap) capped.push_back(unique[i]);
    unique = capped;
  }
  SplitByGroup(&unique, r.data.validation_fraction, r.data.split_seed);
  std::vector<Item> items;
  if (r.branches.size() == 1) {
    for (const auto& e : unique) items.push_back({{e.path}, index[e.label], e.group, e.source, e.split});
    return items;
  }
  // Several branches: one item per group holding every branch's modality
  // (the first recording of each), with one label across them.
  std::map<std::string, std::map<std::string, const Example*>> by_group;
  for (const auto& e : unique)
    if (!by_group[e.group].count(e.modality)) by_group[e.group][e.modality] = &e;
  for (const auto& g : by_group) {
    Item it;
    bool complete = true;
    for (const auto& b : r.branches) {
      auto f = g.second.find(b.modality);
      if (f == g.second.end()) { complete = false; break; }
      it.paths.push_back(f->second->path);
      it.label = index[f->second->label];
      it.split = f->second->split;
      it.source = f->second->source;
    }
    it.group = g.first;
    if (complete) items.push_back(it);
  }
  return items;
}

torch::Tensor RawFeatures(FeatureCache& cache, const std::vector<const Item*>& items, size_t branch,
                          const PreprocessParams& p) {
  auto t = torch::empty({static_cast<int64_t>(items.size()), 1, p.num_frames, p.num_features()});
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string& path = items[i]->paths[branch];
    const Features f = cache.Get(path, FeatureCache::ContentHash(path));
    std::memcpy(t[i].data_ptr<float>(), f.values.data(), f.values.size() * sizeof(float));
  }
  return t;
}

Normalisation FitNorm(const torch::Tensor& raw, const std::string& kind) {
  Normalisation n;
  if (kind == "none") return n;
  const auto d = raw.to(torch::kFloat64);
  torch::Tensor mean, sd;
  if (kind == "global") {
    mean = d.mean().reshape({1});
    sd = d.std().reshape({1});
  } else {
    mean = d.mean({0, 1, 2});
    sd = d.std({0, 1, 2});
  }
  sd = torch::clamp(sd, 1e-3);
  for (int64_t i = 0; i < mean.size(0); ++i) {
    n.mean.push_back(static_cast<float>(mean[i].item<double>()));
    n.std.push_back(static_cast<float>(sd[i].item<double>()));
  }
  return n;
}

// (v - mean) / std in float32, the engine's exact operations and order.
torch::Tensor Normalise(const torch::Tensor& raw, const Normalisation& n) {
  if (n.mean.empty()) return raw;
  const auto m = torch::tensor(n.mean).reshape({1, 1, 1, -1});
  const auto s = torch::tensor(n.std).reshape({1, 1, 1, -1});
  return (raw - m) / s;
}

torch::Tensor GainUnit(const PreprocessParams& p, const Normalisation& n) {
  const int nf = p.num_features();
  auto u = torch::zeros({nf});
  auto sd = [&](int k) { return n.std.empty() ? 1.0 : n.std[n.std.size() == 1 ? 0 : k]; };
  if (p.dct_coefficients > 0) {
    u[0] = 2.0 * std::sqrt(static_cast<double>(p.mel_bins)) / sd(0);  // orthonormal DCT of a constant
  } else {
    for (int k = 0; k < nf; ++k) u[k] = 2.0 / sd(k);
  }
  return u;
}

struct Data {
  TensorSet train, val;
  std::vector<Normalisation> norm;
  std::vector<torch::Tensor> gain_unit;
  std::vector<const Item*> val_items;
};

Data BuildData(const Recipe& r, const std::vector<Item>& items, const std::string& cache_dir) {
  Data d;
  std::vector<const Item*> tr, va;
  for (const auto& it : items) (it.split == "train" ? tr : va).push_back(&it);
  if (tr.empty() || va.empty()) throw std::runtime_error("data: empty train or validation split");
  d.val_items = va;
  std::vector<int64_t> ytr, yva;
  for (auto* it : tr) ytr.push_back(it->label);
  for (auto* it : va) { yva.push_back(it->label); d.val.source.push_back(it->source); d.val.path.push_back(it->paths[0]); }
  d.train.y = torch::tensor(ytr);
  d.val.y = torch::tensor(yva);
  for (size_t b = 0; b < r.branches.size(); ++b) {
    const PreprocessParams& p = r.branches[b].preprocess;
    FeatureCache cache(p, cache_dir);
    const auto rt = RawFeatures(cache, tr, b, p), rv = RawFeatures(cache, va, b, p);
    d.norm.push_back(FitNorm(rt, r.branches[b].normalization));
    d.train.x.push_back(Normalise(rt, d.norm.back()));
    d.val.x.push_back(Normalise(rv, d.norm.back()));
    d.gain_unit.push_back(GainUnit(p, d.norm.back()));
  }
  return d;
}

TrainRun MakeRun(const Recipe& r, const Data& d, const FactoryOptions& o, const std::string& tag,
                 int epochs, double lr) {
  TrainRun run;
  run.tag = tag;
  run.dir = o.out_dir;
  run.epochs = epochs;
  run.lr = lr;
  run.resume = o.resume;
  run.quiet = o.quiet;
  run.gain_unit = d.gain_unit;
  return run;
}

// Engine predictions on the validation recordings, from their PCM through
// the core's preprocessing: the whole deployed path.
std::vector<int> EnginePredict(const std::vector<uint8_t>& bytes, const std::vector<const Item*>& items,
                               size_t* arena_bytes) {
  Model model;
  Status s = LoadModel(bytes.data(), bytes.size(), &model);
  if (!s.ok()) throw std::runtime_error(std::string("exported model does not load: ") + s.message());
  s = Engine::ArenaBytes(model, arena_bytes);
  if (!s.ok()) throw std::runtime_error(s.message());
  std::vector<uint8_t> arena(*arena_bytes);
  Engine engine;
  s = engine.Init(model, arena.data(), arena.size());
  if (!s.ok()) throw std::runtime_error(std::string("engine init: ") + s.message());
  std::vector<int> out;
  for (const Item* it : items) {
    for (int b = 0; b < engine.num_branches(); ++b) {
      Audio a = ReadAudio(it->paths[b]);
      const size_t limit = static_cast<size_t>(model.preprocess(b).max_seconds * a.sample_rate);
      if (a.frames() > limit) a.samples.resize(limit * a.channels);
      s = engine.SetInput(b, PcmView::F32(a.samples.data(), a.frames(), a.sample_rate, a.channels));
      if (!s.ok()) throw std::runtime_error(it->paths[b] + ": " + s.message());
    }
    s = engine.Invoke();
    if (!s.ok()) throw std::runtime_error(s.message());
    int best = 0;
    for (int c = 1; c < engine.num_classes(); ++c)
      if (engine.probabilities()[c] > engine.probabilities()[best]) best = c;
    out.push_back(best);
  }
  return out;
}

void WriteCard(const Recipe& r, const FactoryResult& res, const std::string& dir) {
  nlohmann::json j;
  j["name"] = r.name;
  j["description"] = r.description;
  j["labels"] = r.labels;
  j["data"] = {{"format", r.data.format}, {"validation_fraction", r.data.validation_fraction},
               {"split_seed", r.data.split_seed}, {"train_items", res.train_items},
               {"validation_items", res.validation_items}, {"duplicates_removed", res.duplicates}};
  if (r.metadata.count("licence")) j["data"]["licence"] = r.metadata.at("licence");
  j["metric"] = r.train.metric;
  j["metrics"] = {{"float", res.float_metric}, {"quantized", res.quant_metric},
                  {"engine", res.engine_metric}, {"engine_agreement", res.agreement},
                  {"per_source", res.per_source_metric}};
  j["size"] = {{"params", res.params}, {"macs", res.macs}, {"weight_bytes", res.weight_bytes},
               {"arena_bytes", res.arena_bytes}, {"file_bytes", res.file_bytes}};
  j["weight_bits"] = res.weight_bits;
  j["temperature"] = res.temperature;
  j["limits"] = r.metadata.count("limits") ? r.metadata.at("limits") : "research use only";
  std::ofstream(fs::path(dir) / (r.name + ".card.json")) << j.dump(2) << "\n";
  std::ofstream md(fs::path(dir) / (r.name + ".card.md"));
  md << "# " << r.name << "\n\n" << r.description << "\n\n"
     << "| | |\n|---|---|\n"
     << "| labels | " << nlohmann::json(r.labels).dump() << " |\n"
     << "| data | " << r.data.format << ", " << res.train_items << " train / " << res.validation_items
     << " validation items, split by group (seed " << r.data.split_seed << "), " << res.duplicates
     << " duplicate recordings removed |\n"
     << "| validation " << r.train.metric << " | float " << res.float_metric << ", quantized "
     << res.quant_metric << ", engine " << res.engine_metric << " |\n"
     << "| engine agreement | " << res.agreement << " |\n"
     << "| size | " << res.params << " params, " << res.macs << " MACs, " << res.weight_bytes
     << " weight bytes, arena " << res.arena_bytes << " bytes |\n"
     << "| temperature | " << res.temperature << " |\n";
  for (const auto& s : res.per_source_metric) md << "| " << r.train.metric << " on " << s.first << " | " << s.second << " |\n";
  md << "\nIntended use and limits: "
     << (r.metadata.count("limits") ? r.metadata.at("limits") : "research demo, not a medical device.") << "\n";
}

}  // namespace

FactoryResult RunFactory(const Recipe& recipe, const FactoryOptions& o) {
  Recipe r = recipe;
  FactoryResult res;
  torch::set_num_threads(std::max(1, r.train.threads));
  const ModelStats stats0 = ComputeStats(r);
  if (!o.quiet) std::printf("%s", FormatStats(stats0).c_str());
  fs::create_directories(o.out_dir);
  const std::string cache_dir = !o.cache_dir.empty() ? o.cache_dir
                                : (fs::path(o.out_dir).parent_path() / "feature-cache").string();
  const std::string data_path = o.data_path.empty() ? r.data.path : o.data_path;
  const int cap = o.max_per_label > 0 ? o.max_per_label : r.data.max_per_label;
  const std::vector<Item> items = LoadItems(r, data_path, cap, &res.duplicates);
  Data d = BuildData(r, items, cache_dir);
  res.train_items = static_cast<int>(d.train.size());
  res.validation_items = static_cast<int>(d.val.size());
  if (!o.quiet)
    std::printf("data: %d train, %d validation items (%d duplicates removed)\n", res.train_items,
                res.validation_items, res.duplicates);
  const int epochs = o.epochs > 0 ? o.epochs : r.train.epochs;

  // Teacher (distillation): same data and features, its own architecture.
  TinyNet teacher{nullptr};
  if (!r.distill.teacher.empty() && r.distill.weight > 0) {
    const Recipe tr = LoadRecipe((fs::path(r.path).parent_path() / r.distill.teacher).string());
    if (tr.branches.size() != r.branches.size())
      throw std::runtime_error("teacher and student need the same branches");
    for (size_t b = 0; b < tr.branches.size(); ++b)
      if (FeatureParamsHash(tr.branches[b].preprocess) != FeatureParamsHash(r.branches[b].preprocess) ||
          tr.branches[b].normalization != r.branches[b].normalization)
        throw std::runtime_error("teacher and student need the same preprocessing");
    torch::manual_seed(tr.train.seed);
    teacher = TinyNet(tr);
    Train(teacher, d.train, d.val, tr.train, MakeRun(tr, d, o, "teacher", epochs, tr.train.lr));
  }

  torch::manual_seed(r.train.seed);
  TinyNet net(r);
  TrainRun run = MakeRun(r, d, o, "float", epochs, r.train.lr);
  if (teacher) { run.teacher = &teacher; run.kd_temperature = r.distill.temperature; run.kd_weight = r.distill.weight; }
  const TrainResult tres = Train(net, d.train, d.val, r.train, run);
  res.first_loss = tres.first_loss;
  res.last_loss = tres.last_loss;
  res.train_seconds = tres.seconds;
  res.float_metric = Metric(r.train.metric, PredictLogits(net, d.val), d.val.y);

  net->FoldBatchNorm();
  auto weighted = net->WeightedLayers();
  if (r.quant.weight_budget_bytes > 0) {
    const auto traces = HessianTraces(net, d.train, r.quant.hutchinson_samples, r.train.seed);
    const auto costs = LayerCosts(net, traces, stats0, r.quant.pin_first_last);
    const BitAllocation a = SolveBitAllocation(costs, r.quant.weight_budget_bytes);
    if (!o.quiet) std::printf("bit allocation (budget %lld bytes):\n%s", static_cast<long long>(r.quant.weight_budget_bytes),
                              FormatAllocation(costs, a).c_str());
    if (!a.feasible) throw std::runtime_error("no bit allocation fits the weight budget");
    for (size_t i = 0; i < weighted.size(); ++i) {
      weighted[i]->weight_bits = a.bits[i];
      r.quant.layer_weight_bits[weighted[i]->def.name] = a.bits[i];
    }
  }
  // QAT: one calibration pass sets the observers, then fine-tuning with
  // the engine's rounding in the forward pass.
  net->EnableFakeQuant(true);
  net->train();
  {
    torch::NoGradGuard ng;
    for (int64_t i = 0; i < d.train.size(); i += 64) {
      std::vector<torch::Tensor> x;
      for (const auto& t : d.train.x) x.push_back(t.slice(0, i, std::min<int64_t>(d.train.size(), i + 64)));
      net->forward(x);
    }
  }
  const int qat_epochs = o.qat_epochs >= 0 ? o.qat_epochs : r.train.qat_epochs;
  if (qat_epochs > 0) {
    TrainConfig qcfg = r.train;
    qcfg.patience = 0;
    Train(net, d.train, d.val, qcfg, MakeRun(r, d, o, "qat", qat_epochs, r.train.qat_lr));
  }
  net->FreezeObservers(true);
  net->eval();

  ModelSpec spec = BuildModelSpec(net, d.norm);
  const auto qlogits = IntSimLogits(spec, d.val);
  const auto deq = DequantizeLogits(spec, qlogits);
  res.temperature = FitTemperature(deq, d.val.y);
  spec.temperature = static_cast<float>(res.temperature);
  res.quant_metric = Metric(r.train.metric, deq / res.temperature, d.val.y);
  std::map<std::string, std::vector<int64_t>> by_source;
  for (size_t i = 0; i < d.val.source.size(); ++i)
    if (!d.val.source[i].empty()) by_source[d.val.source[i]].push_back(static_cast<int64_t>(i));
  if (by_source.size() > 1 && by_source.size() < 10)
    for (const auto& s : by_source) {
      const auto idx = torch::tensor(s.second);
      res.per_source_metric[s.first] =
          Metric(r.train.metric, deq.index_select(0, idx), d.val.y.index_select(0, idx));
    }

  std::vector<uint8_t> bytes;
  Status s = WriteModel(spec, &bytes);
  if (!s.ok()) throw std::runtime_error(std::string("WriteModel: ") + s.message());
  res.model_path = (fs::path(o.out_dir) / (r.name + ".tm2")).string();
  std::ofstream(res.model_path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  res.file_bytes = static_cast<long long>(bytes.size());

  size_t arena = 0;
  const std::vector<int> engine_pred = EnginePredict(bytes, d.val_items, &arena);
  res.arena_bytes = static_cast<long long>(arena);
  const auto factory_pred = qlogits.argmax(1);
  int agree = 0, correct = 0;
  for (size_t i = 0; i < engine_pred.size(); ++i) {
    agree += engine_pred[i] == factory_pred[i].item<int64_t>();
    correct += engine_pred[i] == d.val.y[i].item<int64_t>();
  }
  res.agreement = static_cast<double>(agree) / engine_pred.size();
  res.engine_metric = r.train.metric == "accuracy" ? static_cast<double>(correct) / engine_pred.size()
                                                   : res.quant_metric;
  if (r.quant.arena_budget_bytes > 0 && res.arena_bytes > r.quant.arena_budget_bytes)
    throw std::runtime_error("arena " + std::to_string(res.arena_bytes) + " bytes exceeds the budget");

  const ModelStats stats = ComputeStats(r);
  res.params = stats.params;
  res.macs = stats.macs;
  res.weight_bytes = stats.weight_bytes;
  for (NetLayer* l : weighted) res.weight_bits[l->def.name] = l->weight_bits;
  WriteCard(r, res, o.out_dir);
  if (!o.quiet)
    std::printf("%s: float %s %.4f, quantized %.4f, engine agreement %.4f, %lld weight bytes, "
                "arena %lld bytes, T = %.3f\n",
                res.model_path.c_str(), r.train.metric.c_str(), res.float_metric, res.quant_metric,
                res.agreement, res.weight_bytes, res.arena_bytes, res.temperature);
  return res;
}

}  // namespace factory
}  // namespace tm2
