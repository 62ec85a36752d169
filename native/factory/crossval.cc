// k-fold cross-validation by group: one RunFactory per fold and repeat,
// every row pooled over the held-out folds.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "factory.h"
#include "results/rows.h"

namespace tm2 {
namespace factory {
namespace fs = std::filesystem;

FactoryResult CrossValidate(const Recipe& r, const FactoryOptions& o) {
  if (o.folds < 2) throw std::runtime_error("cross-validation needs --folds of at least 2");
  if (o.repeats < 1) throw std::runtime_error("cross-validation needs --repeats of at least 1");
  CheckRunArguments(r, o);
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t seed0 = o.fold_seed ? o.fold_seed : r.data.split_seed;
  const std::string cache = !o.cache_dir.empty() ? o.cache_dir
                            : (fs::path(o.out_dir).parent_path() / "feature-cache").string();
  FactoryResult res;
  std::vector<std::string> order;                                        // row names, first fold's order
  std::map<std::string, std::vector<ResultRow::Prediction>> pooled;      // every repeat
  std::map<std::string, std::vector<double>> per_repeat, per_fold;
  std::map<std::string, ResultRow> first;                                // sizes, bits
  std::map<std::string, double> worst_agreement, seconds;
  for (int rep = 0; rep < o.repeats; ++rep) {
    std::map<std::string, std::vector<ResultRow::Prediction>> this_repeat;
    for (int k = 0; k < o.folds; ++k) {
      FactoryOptions fo = o;
      fo.fold = k;
      fo.fold_seed = seed0 + static_cast<uint64_t>(rep);
      fo.cache_dir = cache;
      fo.keep_predictions = true;
      fo.out_dir = (fs::path(o.out_dir) / ("repeat-" + std::to_string(rep)) / ("fold-" + std::to_string(k))).string();
      if (!o.quiet) std::printf("== %s: repeat %d/%d, fold %d/%d ==\n", r.name.c_str(), rep + 1, o.repeats, k + 1, o.folds);
      const FactoryResult f = RunFactory(r, fo);
      if (rep == 0 && k == 0) {
        res = f;
        res.evaluation_items = 0;
      }
      if (rep == 0) res.evaluation_items += f.evaluation_items;  // every group once
      for (const ResultRow& row : f.rows) {
        if (!first.count(row.name)) {
          if (rep > 0 || k > 0) throw std::runtime_error("fold " + std::to_string(k) + " has a new row '" + row.name + "'");
          order.push_back(row.name);
          first[row.name] = row;
          worst_agreement[row.name] = row.agreement;
        }
        // Each fold alone: a model on recordings it never saw, like a new
        // batch of recordings (the pooled figure mixes five models' scales).
        if (rep == 0) per_fold[row.name].push_back(RowFromPredictions(row.name, r.train.metric, row.predictions, 0, 0).value);
        auto& dst = this_repeat[row.name];
        dst.insert(dst.end(), row.predictions.begin(), row.predictions.end());
        if (row.agreement >= 0) worst_agreement[row.name] = std::min(worst_agreement[row.name], row.agreement);
        seconds[row.name] += row.seconds;
      }
    }
    for (const auto& name : order) {
      const auto& preds = this_repeat[name];
      per_repeat[name].push_back(RowFromPredictions(name, r.train.metric, preds, 0, 0).value);
      pooled[name].insert(pooled[name].end(), preds.begin(), preds.end());
    }
  }
  res.rows.clear();
  for (const auto& name : order) {
    ResultRow row = RowFromPredictions(name, r.train.metric, pooled[name], o.bootstrap, r.train.seed + 1000);
    const ResultRow& f0 = first[name];
    row.weight_bytes = f0.weight_bytes;
    row.arena_bytes = f0.arena_bytes;
    row.weight_bits = f0.weight_bits;
    row.agreement = worst_agreement[name];
    row.seconds = seconds[name] / (o.folds * o.repeats);
    row.fold_values = per_repeat[name];
    row.per_fold = per_fold[name];
    res.rows.push_back(row);
  }
  for (const ResultRow& row : res.rows) {
    if (row.name.find("float student") == 0) res.float_metric = row.value;
    if (row.name.find(", shipped") != std::string::npos) {
      res.quant_metric = row.value;
      res.agreement = row.agreement;
    }
  }
  res.folds = o.folds;
  res.repeats = o.repeats;
  res.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fs::create_directories(o.out_dir);
  std::ofstream(fs::path(o.out_dir) / "results.json")
      << ResultsJson(r, res, o.data_path.empty() ? r.data.path : o.data_path, true).dump(2) << "\n";
  if (!o.quiet)
    for (const ResultRow& row : res.rows) {
      std::printf("%-48s %s %.3f [%.3f, %.3f] over %d units of %d groups; per fold", row.name.c_str(),
                  r.train.metric.c_str(), row.value, row.lo, row.hi, row.n, row.groups);
      for (double v : row.per_fold) std::printf(" %.3f", v);
      std::printf("\n");
    }
  return res;
}

}  // namespace factory
}  // namespace tm2
