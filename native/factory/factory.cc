#include "factory.h"

#include <algorithm>
#include <chrono>
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

std::vector<Item> LoadItems(const Recipe& r, const std::string& data_path, int cap, int* dups,
                            int* quiet_dropped) {
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
  if (r.data.min_peak > 0 || r.data.min_loudest_second_rms > 0) {
    std::vector<Example> loud;
    std::vector<uint64_t> loud_hash;
    for (size_t i = 0; i < unique.size(); ++i) {
      const Audio a = ReadAudio(unique[i].path);
      const size_t n = a.frames(), sec = std::max<size_t>(1, a.sample_rate);
      std::vector<double> mono(n);
      double peak = 0;
      for (size_t f = 0; f < n; ++f) {
        double v = 0;
        for (int c = 0; c < a.channels; ++c) v += a.samples[f * a.channels + c];
        mono[f] = v / std::max<int>(1, a.channels);
        peak = std::max(peak, std::abs(mono[f]));
      }
      // RMS of the loudest one-second window (hop 0.1 s).
      double best = 0;
      for (size_t s0 = 0; s0 == 0 || s0 + sec <= n; s0 += std::max<size_t>(1, sec / 10)) {
        const size_t end = std::min(n, s0 + sec);
        double e = 0;
        for (size_t f = s0; f < end; ++f) e += mono[f] * mono[f];
        if (end > s0) best = std::max(best, std::sqrt(e / (end - s0)));
        if (end == n) break;
      }
      if (peak >= r.data.min_peak && best >= r.data.min_loudest_second_rms) {
        loud.push_back(unique[i]);
        loud_hash.push_back(unique_hash[i]);
      } else if (quiet_dropped) {
        ++*quiet_dropped;
      }
    }
    unique = loud;
    unique_hash = loud_hash;
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
  for (auto* it : tr) { ytr.push_back(it->label); d.train.source.push_back(it->source); }
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

std::string Fmt1(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

std::string Fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", v);
  return b;
}

// Metric with a 95 % percentile bootstrap interval over validation items.
ResultRow::Part Bootstrap(const std::string& metric, const torch::Tensor& scores, const torch::Tensor& y,
                          int resamples, uint64_t seed) {
  ResultRow::Part p;
  p.n = static_cast<int>(y.size(0));
  p.positives = static_cast<int>((y == 1).sum().item<int64_t>());
  p.value = p.lo = p.hi = Metric(metric, scores, y);
  if (resamples <= 0 || p.n < 2) return p;
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  std::vector<double> v;
  for (int i = 0; i < resamples; ++i) {
    const auto idx = torch::randint(p.n, {p.n}, gen, torch::kLong);
    v.push_back(Metric(metric, scores.index_select(0, idx), y.index_select(0, idx)));
  }
  std::sort(v.begin(), v.end());
  p.lo = v[static_cast<size_t>(0.025 * (resamples - 1))];
  p.hi = v[static_cast<size_t>(0.975 * (resamples - 1))];
  return p;
}

ResultRow MakeRow(const std::string& name, const std::string& metric, const torch::Tensor& scores,
                  const TensorSet& val, const FactoryOptions& o, uint64_t seed) {
  ResultRow row;
  row.name = name;
  row.metric = metric;
  const auto all = Bootstrap(metric, scores, val.y, o.bootstrap, seed);
  row.value = all.value;
  row.lo = all.lo;
  row.hi = all.hi;
  row.n = all.n;
  row.accuracy = Metric("accuracy", scores, val.y);
  const int64_t c = scores.size(1);
  row.confusion.assign(c, std::vector<int>(c, 0));
  const auto pred = scores.argmax(1);
  const auto prob = torch::softmax(scores.to(torch::kFloat64), 1);
  {
    std::vector<double> bin_n(10, 0), bin_conf(10, 0), bin_acc(10, 0);
    const auto conf = std::get<0>(prob.max(1));
    for (int64_t i = 0; i < val.size(); ++i) {
      const double cf = conf[i].item<double>();
      const int b = std::min(9, static_cast<int>(cf * 10));
      bin_n[b] += 1;
      bin_conf[b] += cf;
      bin_acc[b] += pred[i].item<int64_t>() == val.y[i].item<int64_t>();
    }
    for (int b = 0; b < 10; ++b)
      if (bin_n[b] > 0) row.ece += std::abs(bin_acc[b] - bin_conf[b]) / std::max<int64_t>(1, val.size());
  }
  std::vector<double> count(c, 0);
  for (int64_t i = 0; i < val.size(); ++i) {
    const int64_t t = val.y[i].item<int64_t>();
    row.confusion[t][pred[i].item<int64_t>()]++;
    count[t] += 1;
  }
  for (double th : {0.1, 0.2, 0.3, 0.5}) {
    std::vector<double> pass(c, 0), fpass(c, 0);
    for (int64_t i = 0; i < val.size(); ++i) {
      const int64_t t = val.y[i].item<int64_t>();
      for (int64_t k = 0; k < c; ++k)
        if (prob[i][k].item<double>() >= th) (k == t ? pass : fpass)[k] += 1;
    }
    const std::string key = Fmt1(th);
    for (int64_t k = 0; k < c; ++k) {
      row.pass_rate[key].push_back(count[k] ? pass[k] / count[k] : 0);
      const double others = val.size() - count[k];
      row.false_pass_rate[key].push_back(others ? fpass[k] / others : 0);
    }
  }
  std::map<std::string, std::vector<int64_t>> by_source;
  for (size_t i = 0; i < val.source.size(); ++i)
    if (!val.source[i].empty()) by_source[val.source[i]].push_back(static_cast<int64_t>(i));
  if (by_source.size() > 1 && by_source.size() < 10)
    for (const auto& s : by_source) {
      const auto idx = torch::tensor(s.second);
      row.per_source[s.first] = Bootstrap(metric, scores.index_select(0, idx), val.y.index_select(0, idx),
                                          o.bootstrap, seed + 1);
    }
  return row;
}

nlohmann::json RowJson(const ResultRow& r) {
  nlohmann::json j = {{"name", r.name}, {"metric", r.metric}, {"value", r.value}, {"ci95", {r.lo, r.hi}},
                      {"accuracy", r.accuracy}, {"ece", r.ece}, {"n", r.n}, {"weight_bytes", r.weight_bytes},
                      {"arena_bytes", r.arena_bytes}, {"seconds", r.seconds}};
  if (r.agreement >= 0) j["engine_agreement"] = r.agreement;
  j["confusion"] = r.confusion;
  j["pass_rate"] = r.pass_rate;
  j["false_pass_rate"] = r.false_pass_rate;
  if (!r.weight_bits.empty()) j["weight_bits"] = r.weight_bits;
  for (const auto& s : r.per_source)
    j["per_source"][s.first] = {{"value", s.second.value}, {"ci95", {s.second.lo, s.second.hi}},
                                {"n", s.second.n}, {"positives", s.second.positives}};
  return j;
}

std::string RowMarkdown(const ResultRow& r) {
  std::string s = "| " + r.name + " | " + Fmt(r.value) + " [" + Fmt(r.lo) + ", " + Fmt(r.hi) + "] | ";
  for (const auto& p : r.per_source)
    s += p.first + " " + Fmt(p.second.value) + " [" + Fmt(p.second.lo) + ", " + Fmt(p.second.hi) + "]; ";
  char b[96];
  std::snprintf(b, sizeof b, " | %.2f | %s |\n", r.weight_bytes / 1024.0,
                r.arena_bytes > 0 ? Fmt(r.arena_bytes / 1024.0).c_str() : "-");
  return s + b;
}

// Copies parameters and buffers (batch-norm statistics) between two nets of
// the same architecture: each quantized variant starts from the float student.
double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void CopyState(TinyNet& from, TinyNet& to) {
  torch::NoGradGuard ng;
  auto fp = from->named_parameters(true), tp = to->named_parameters(true);
  for (const auto& kv : fp) tp[kv.key()].copy_(kv.value());
  auto fb = from->named_buffers(true), tb = to->named_buffers(true);
  for (const auto& kv : fb) tb[kv.key()].copy_(kv.value());
}

void WriteCard(const Recipe& r, const FactoryResult& res, const std::string& dir) {
  nlohmann::json j;
  j["name"] = r.name;
  j["description"] = r.description;
  j["labels"] = r.labels;
  j["data"] = {{"format", r.data.format}, {"validation_fraction", r.data.validation_fraction},
               {"split_seed", r.data.split_seed}, {"train_items", res.train_items},
               {"validation_items", res.validation_items}, {"duplicates_removed", res.duplicates},
               {"too_quiet_removed", res.quiet_dropped}, {"min_peak", r.data.min_peak},
               {"min_loudest_second_rms", r.data.min_loudest_second_rms}};
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
  for (const char* k : {"intended_use", "positive_label"})
    if (r.metadata.count(k)) j[k] = r.metadata.at(k);
  j["confidence_intervals"] = "95 % percentile bootstrap over validation items";
  for (const auto& row : res.rows) j["results"].push_back(RowJson(row));
  std::ofstream(fs::path(dir) / (r.name + ".card.json")) << j.dump(2) << "\n";
  std::ofstream md(fs::path(dir) / (r.name + ".card.md"));
  md << "# " << r.name << "\n\n" << r.description << "\n\n"
     << "| | |\n|---|---|\n"
     << "| labels | " << nlohmann::json(r.labels).dump() << " |\n"
     << "| data | " << r.data.format << ", " << res.train_items << " train / " << res.validation_items
     << " validation items, split by group (seed " << r.data.split_seed << "), " << res.duplicates
     << " duplicate recordings removed, " << res.quiet_dropped << " too quiet for the page's level check removed |\n"
     << "| validation " << r.train.metric << " | float " << res.float_metric << ", quantized "
     << res.quant_metric << ", engine " << res.engine_metric << " |\n"
     << "| engine agreement | " << res.agreement << " |\n"
     << "| size | " << res.params << " params, " << res.macs << " MACs, " << res.weight_bytes
     << " weight bytes, arena " << res.arena_bytes << " bytes |\n"
     << "| temperature | " << res.temperature << " |\n";
  for (const auto& s : res.per_source_metric) md << "| " << r.train.metric << " on " << s.first << " | " << s.second << " |\n";
  if (!res.rows.empty()) {
    md << "\n## Results on the validation split (" << r.train.metric
       << ", 95 % bootstrap CI)\n\n| row | overall | per source | weight KB | arena KB |\n|---|---|---|---|---|\n";
    for (const auto& row : res.rows) md << RowMarkdown(row);
    for (const auto& row : res.rows) {
      if (row.name.find(", shipped") == std::string::npos) continue;
      md << "\nShipped model, confusion on validation (rows = true label, columns = predicted):\n\n| |";
      for (const auto& l : r.labels) md << " " << l << " |";
      md << " share with P(label) >= 0.2 / 0.3 / 0.5 | share of other labels with P(label) >= 0.2 / 0.3 / 0.5 |\n|---|";
      for (size_t k = 0; k < r.labels.size() + 2; ++k) md << "---|";
      md << "\n";
      for (size_t t = 0; t < r.labels.size(); ++t) {
        md << "| " << r.labels[t] << " |";
        for (int v : row.confusion[t]) md << " " << v << " |";
        for (const auto* rates : {&row.pass_rate, &row.false_pass_rate})
          md << " " << Fmt(rates->at("0.2")[t]) << " / " << Fmt(rates->at("0.3")[t]) << " / " << Fmt(rates->at("0.5")[t])
             << " |";
        md << "\n";
      }
    }
  }
  if (r.metadata.count("intended_use")) md << "\nIntended use: " << r.metadata.at("intended_use") << "\n";
  md << "\nLimits: "
     << (r.metadata.count("limits") ? r.metadata.at("limits") : "research demo, not a medical device.") << "\n";
}

}  // namespace

FactoryResult RunFactory(const Recipe& recipe, const FactoryOptions& o) {
  Recipe r = recipe;
  FactoryResult res;
  const double run_start = NowSeconds();
  torch::set_num_threads(std::max(1, r.train.threads));
  const ModelStats stats0 = ComputeStats(r);
  if (!o.quiet) std::printf("%s", FormatStats(stats0).c_str());
  fs::create_directories(o.out_dir);
  const std::string cache_dir = !o.cache_dir.empty() ? o.cache_dir
                                : (fs::path(o.out_dir).parent_path() / "feature-cache").string();
  const std::string data_path = o.data_path.empty() ? r.data.path : o.data_path;
  const int cap = o.max_per_label > 0 ? o.max_per_label : r.data.max_per_label;
  const std::vector<Item> items = LoadItems(r, data_path, cap, &res.duplicates, &res.quiet_dropped);
  Data d = BuildData(r, items, cache_dir);
  res.train_items = static_cast<int>(d.train.size());
  res.validation_items = static_cast<int>(d.val.size());
  if (!o.quiet)
    std::printf("data: %d train, %d validation items (%d duplicates removed, %d too quiet)\n", res.train_items,
                res.validation_items, res.duplicates, res.quiet_dropped);
  const int epochs = o.epochs > 0 ? o.epochs : r.train.epochs;

  // Teacher (distillation): same data and features, its own architecture.
  TinyNet teacher{nullptr};
  double teacher_seconds = 0;
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
    teacher_seconds = Train(teacher, d.train, d.val, tr.train, MakeRun(tr, d, o, "teacher", epochs, tr.train.lr)).seconds;
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

  const double float_seconds = tres.seconds;
  const auto float_logits = PredictLogits(net, d.val);

  // Rows of the results table: every metric on the same validation split.
  const uint64_t bseed = r.train.seed + 1000;
  if (teacher) {
    ResultRow t = MakeRow("float teacher", r.train.metric, PredictLogits(teacher, d.val), d.val, o, bseed);
    const Recipe tr = LoadRecipe((fs::path(r.path).parent_path() / r.distill.teacher).string());
    t.weight_bytes = ComputeStats(tr).params * 4;
    t.seconds = teacher_seconds;
    res.rows.push_back(t);
  }
  // Channel-only baseline: the training positive rate of the item's source
  // as its score (what knowing the source alone gives).
  {
    std::map<std::string, std::pair<double, double>> rate;  // source -> (count of label 1, count)
    for (size_t i = 0; i < d.train.source.size(); ++i) {
      rate[d.train.source[i]].first += d.train.y[i].item<int64_t>() == 1;
      rate[d.train.source[i]].second += 1;
    }
    if (rate.size() > 1 && r.labels.size() == 2) {
      auto sc = torch::zeros({d.val.size(), 2});
      for (int64_t i = 0; i < d.val.size(); ++i) {
        const auto& q = rate[d.val.source[i]];
        const double pr = std::clamp((q.first + 0.5) / (q.second + 1.0), 1e-3, 1 - 1e-3);
        sc[i][1] = std::log(pr / (1 - pr));
      }
      ResultRow b = MakeRow("channel-only baseline (source prior)", r.train.metric, sc, d.val, o, bseed);
      res.rows.push_back(b);
      if (!o.quiet)
        for (const auto& q : rate)
          std::printf("train source %s: %d items, %.1f %% label '%s'\n", q.first.c_str(), static_cast<int>(q.second.second),
                      100.0 * q.second.first / q.second.second, r.labels[1].c_str());
    }
  }
  if (o.compare_distill && teacher) {
    torch::manual_seed(r.train.seed);
    TinyNet plain(r);
    const TrainResult pres = Train(plain, d.train, d.val, r.train, MakeRun(r, d, o, "float-nokd", epochs, r.train.lr));
    ResultRow p = MakeRow("float student, no distillation", r.train.metric, PredictLogits(plain, d.val), d.val, o, bseed);
    p.weight_bytes = stats0.params * 4;
    p.seconds = pres.seconds;
    res.rows.push_back(p);
  }
  {
    ResultRow f = MakeRow(teacher ? "float student, distilled" : "float student", r.train.metric, float_logits,
                          d.val, o, bseed);
    f.weight_bytes = stats0.params * 4;
    f.seconds = float_seconds;
    res.rows.push_back(f);
  }

  // Quantized variants: the recipe's own config (shipped) first, then the
  // requested comparison rows, each from a copy of the float student.
  Recipe r8 = r;
  r8.quant.weight_bits = r8.quant.act_bits = 8;
  r8.quant.layer_weight_bits.clear();
  r8.quant.layer_act_bits.clear();
  r8.quant.weight_budget_bytes = 0;
  const long long w8_bytes = ComputeStats(r8).weight_bytes;
  std::vector<std::pair<std::string, Recipe>> variants = {{"", r}};
  for (const std::string& v : o.variants) {
    Recipe rv = r8;
    if (v == "w4a4") {
      rv.quant.weight_bits = rv.quant.act_bits = 4;
    } else if (v == "mixed") {
      rv.quant.weight_budget_bytes = static_cast<int64_t>(o.mixed_budget_fraction * w8_bytes);
    } else if (v != "w8a8") {
      throw std::runtime_error("variant '" + v + "': use w8a8, mixed or w4a4");
    }
    variants.push_back({v, rv});
  }
  for (auto& [vname, rv] : variants) {
    const double t0 = NowSeconds();
    TinyNet qnet(rv);
    CopyState(net, qnet);
    qnet->FoldBatchNorm();
    auto weighted = qnet->WeightedLayers();
    if (rv.quant.weight_budget_bytes > 0) {
      const auto traces = HessianTraces(qnet, d.train, rv.quant.hutchinson_samples, rv.train.seed);
      const auto costs = LayerCosts(qnet, traces, stats0, rv.quant.pin_first_last);
      if (!o.quiet) {
        std::printf("Hessian trace / parameter:");
        for (double t : traces) std::printf(" %.3g", t);
        std::printf("\n");
      }
      const BitAllocation a = SolveBitAllocation(costs, rv.quant.weight_budget_bytes);
      if (!o.quiet) std::printf("bit allocation (budget %lld bytes):\n%s", static_cast<long long>(rv.quant.weight_budget_bytes),
                                FormatAllocation(costs, a).c_str());
      if (!a.feasible) throw std::runtime_error("no bit allocation fits the weight budget");
      for (size_t i = 0; i < weighted.size(); ++i) {
        weighted[i]->weight_bits = a.bits[i];
        rv.quant.layer_weight_bits[weighted[i]->def.name] = a.bits[i];
      }
    }
    // QAT: one calibration pass sets the observers, then fine-tuning with
    // the engine's rounding in the forward pass.
    qnet->EnableFakeQuant(true);
    qnet->train();
    {
      torch::NoGradGuard ng;
      for (int64_t i = 0; i < d.train.size(); i += 64) {
        std::vector<torch::Tensor> x;
        for (const auto& t : d.train.x) x.push_back(t.slice(0, i, std::min<int64_t>(d.train.size(), i + 64)));
        qnet->forward(x);
      }
    }
    const int qat_epochs = o.qat_epochs >= 0 ? o.qat_epochs : r.train.qat_epochs;
    if (qat_epochs > 0) {
      TrainConfig qcfg = r.train;
      qcfg.patience = 0;
      Train(qnet, d.train, d.val, qcfg, MakeRun(r, d, o, vname.empty() ? "qat" : "qat-" + vname, qat_epochs, r.train.qat_lr));
    }
    qnet->FreezeObservers(true);
    qnet->eval();

    ModelSpec spec = BuildModelSpec(qnet, d.norm);
    const auto qlogits = IntSimLogits(spec, d.val);
    const auto deq = DequantizeLogits(spec, qlogits);
    const double temperature = FitTemperature(deq, d.val.y);
    spec.temperature = static_cast<float>(temperature);
    std::vector<uint8_t> bytes;
    Status s = WriteModel(spec, &bytes);
    if (!s.ok()) throw std::runtime_error(std::string("WriteModel: ") + s.message());
    const std::string path = (fs::path(o.out_dir) / (r.name + (vname.empty() ? "" : "." + vname) + ".tm2")).string();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());

    size_t arena = 0;
    const std::vector<int> engine_pred = EnginePredict(bytes, d.val_items, &arena);
    const auto factory_pred = qlogits.argmax(1);
    int agree = 0, correct = 0;
    for (size_t i = 0; i < engine_pred.size(); ++i) {
      agree += engine_pred[i] == factory_pred[i].item<int64_t>();
      correct += engine_pred[i] == d.val.y[i].item<int64_t>();
    }
    const ModelStats stats = ComputeStats(rv);
    std::string label;
    if (rv.quant.weight_budget_bytes > 0)
      label = "mixed 4/8 (ILP, budget " + std::to_string(rv.quant.weight_budget_bytes) + " B)";
    else
      label = "W" + std::to_string(rv.quant.weight_bits) + "A" + std::to_string(rv.quant.act_bits) +
              (rv.quant.layer_weight_bits.empty() && rv.quant.layer_act_bits.empty() ? "" : " (per-layer)");
    if (vname.empty()) label += ", shipped";
    ResultRow q = MakeRow("student " + label, r.train.metric, deq / temperature, d.val, o, bseed);
    q.weight_bytes = stats.weight_bytes;
    q.arena_bytes = static_cast<long long>(arena);
    q.agreement = static_cast<double>(agree) / engine_pred.size();
    for (NetLayer* l : weighted) q.weight_bits[l->def.name] = l->weight_bits;
    q.seconds = NowSeconds() - t0;
    if (!o.quiet)
      std::printf("%s: %s %.4f [%.4f, %.4f], engine agreement %.4f, %lld weight bytes, arena %lld bytes, T = %.3f\n",
                  path.c_str(), r.train.metric.c_str(), q.value, q.lo, q.hi, q.agreement, q.weight_bytes,
                  q.arena_bytes, temperature);
    if (vname.empty()) {
      res.model_path = path;
      res.file_bytes = static_cast<long long>(bytes.size());
      res.temperature = temperature;
      res.quant_metric = q.value;
      for (const auto& ps : q.per_source) res.per_source_metric[ps.first] = ps.second.value;
      res.arena_bytes = q.arena_bytes;
      res.agreement = q.agreement;
      res.engine_metric = r.train.metric == "accuracy" ? static_cast<double>(correct) / engine_pred.size()
                                                       : res.quant_metric;
      res.params = stats.params;
      res.macs = stats.macs;
      res.weight_bytes = stats.weight_bytes;
      res.weight_bits = q.weight_bits;
      if (r.quant.arena_budget_bytes > 0 && res.arena_bytes > r.quant.arena_budget_bytes)
        throw std::runtime_error("arena " + std::to_string(res.arena_bytes) + " bytes exceeds the budget");
      r.quant = rv.quant;  // the card describes the shipped allocation
    }
    res.rows.push_back(q);
  }

  WriteCard(r, res, o.out_dir);
  nlohmann::json out = {{"name", r.name}, {"recipe", r.path}, {"data", data_path}, {"metric", r.train.metric},
                        {"train_items", res.train_items}, {"validation_items", res.validation_items},
                        {"duplicates_removed", res.duplicates}, {"too_quiet_removed", res.quiet_dropped},
                        {"total_seconds", NowSeconds() - run_start},
                        {"threads", r.train.threads}};
  for (const auto& row : res.rows) out["rows"].push_back(RowJson(row));
  std::ofstream(fs::path(o.out_dir) / "results.json") << out.dump(2) << "\n";
  if (!o.quiet)
    std::printf("%s: float %s %.4f, quantized %.4f, engine agreement %.4f, %lld weight bytes, "
                "arena %lld bytes, T = %.3f, %.0f s in all\n",
                res.model_path.c_str(), r.train.metric.c_str(), res.float_metric, res.quant_metric,
                res.agreement, res.weight_bytes, res.arena_bytes, res.temperature, NowSeconds() - run_start);
  return res;
}

}  // namespace factory
}  // namespace tm2
