#include "factory.h"

#include "pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "augment/pcm_augment.h"
#include "data/audio_file.h"
#include "data/dataset.h"
#include "data/items.h"
#include "data/feature_cache.h"
#include "data/split.h"
#include "engine/engine.h"
#include "format/model.h"
#include "ilp/ram_plan.h"
#include "quant/allocate.h"
#include "quant/calibrate.h"
#include "quant/export.h"
#include "quant/int_sim.h"
#include "recipe/model_stats.h"
#include "results/card.h"
#include "results/rows.h"
#include "train/trainer.h"

namespace tm2 {
namespace factory {
namespace fs = std::filesystem;

std::string CheckRunArguments(const Recipe& r, const FactoryOptions& o) {
  const std::string data_path = o.data_path.empty() ? r.data.path : o.data_path;
  const std::string data_name = o.data_path.empty() ? "the recipe's data.path" : "--data";
  if (data_path.empty())
    throw std::runtime_error("no data: give --data (recipe '" + r.name + "' has no data.path)");
  std::error_code ec;
  const fs::file_status st = fs::status(data_path, ec);
  if (!fs::exists(st)) throw std::runtime_error(data_name + " '" + data_path + "': no such file or folder");
  const bool manifest = r.data.format == "manifest";
  if (manifest ? !fs::is_regular_file(st) : !fs::is_directory(st))
    throw std::runtime_error(data_name + " '" + data_path + "': the " + r.data.format + " format reads " +
                             (manifest ? "a manifest CSV file" : "a folder"));
  bool mixed = false;
  for (const std::string& v : o.variants) {
    if (v != "w8a8" && v != "mixed" && v != "w4a4")
      throw std::runtime_error("variant '" + v + "': use w8a8, mixed or w4a4");
    mixed = mixed || v == "mixed";
  }
  if (mixed && !(o.mixed_budget_fraction > 0))
    throw std::runtime_error("--budget-fraction must be above 0, not " + std::to_string(o.mixed_budget_fraction));
  if (r.distill.weight > 0) {
    for (const std::string& tpath : r.distill.teachers) {
      const fs::path p = fs::path(r.path).parent_path() / tpath;
      if (!fs::is_regular_file(p))
        throw std::runtime_error("distill.teacher '" + tpath + "': no such recipe (" + p.string() + ")");
    }
  }
  return data_path;
}

FactoryResult RunFactory(const Recipe& recipe, const FactoryOptions& o) {
  const std::string data_path = CheckRunArguments(recipe, o);
  Recipe r = recipe;
  if (o.ram_budget >= 0) r.quant.ram_budget_bytes = o.ram_budget;
  if (o.flash_budget >= 0) r.quant.weight_budget_bytes = o.flash_budget;
  FactoryResult res;
  const double run_start = NowSeconds();
  torch::set_num_threads(std::max(1, r.train.threads));
  const ModelStats stats0 = ComputeStats(r);
  if (!o.quiet) std::printf("%s", FormatStats(stats0).c_str());
  fs::create_directories(o.out_dir);
  const std::string cache_dir = !o.cache_dir.empty() ? o.cache_dir
                                : (fs::path(o.out_dir).parent_path() / "feature-cache").string();
  ItemOptions io;
  io.max_per_label = o.max_per_label > 0 ? o.max_per_label : r.data.max_per_label;
  io.folds = o.folds;
  io.fold = o.fold;
  io.fold_seed = o.fold_seed ? o.fold_seed : r.data.split_seed;
  ItemCounts counts;
  const std::vector<Item> items = LoadItems(r, data_path, io, &counts);
  res.duplicates = counts.duplicates;
  res.quiet_dropped = counts.quiet_dropped;
  res.other_modality = counts.other_modality;
  res.incomplete_groups = counts.incomplete_groups;
  Data d = BuildData(r, items, cache_dir);
  const TensorSet& rep = d.report();
  const bool by_group = r.data.score_by == "group";
  res.train_items = static_cast<int>(d.train.size());
  res.validation_items = static_cast<int>(d.val.size());
  res.evaluation_items = static_cast<int>(d.eval.size());
  if (!o.quiet)
    std::printf("data: %d train, %d validation, %d evaluation items (%d duplicates removed, %d too quiet, "
                "%d of other modalities, %d groups lacking a modality)\n", res.train_items, res.validation_items,
                res.evaluation_items, res.duplicates, res.quiet_dropped, res.other_modality, res.incomplete_groups);
  const int epochs = o.epochs > 0 ? o.epochs : r.train.epochs;

  // Teachers (distillation): same data and features, their own architectures.
  // The first keeps the checkpoint tag "teacher", so one-teacher runs resume
  // as before; further ones are "teacher2", "teacher3", ...
  std::vector<TinyNet> teachers;
  std::vector<Recipe> teacher_recipes;
  std::vector<double> teacher_seconds;
  if (r.distill.weight > 0) {
    for (const std::string& tpath : r.distill.teachers) {
      const Recipe tr = LoadRecipe((fs::path(r.path).parent_path() / tpath).string());
      if (tr.branches.size() != r.branches.size())
        throw std::runtime_error("teacher '" + tpath + "' and the student need the same branches");
      for (size_t b = 0; b < tr.branches.size(); ++b)
        if (FeatureParamsHash(tr.branches[b].preprocess) != FeatureParamsHash(r.branches[b].preprocess) ||
            tr.branches[b].normalization != r.branches[b].normalization)
          throw std::runtime_error("teacher '" + tpath + "' and the student need the same preprocessing");
      const std::string tag = teachers.empty() ? "teacher" : "teacher" + std::to_string(teachers.size() + 1);
      torch::manual_seed(tr.train.seed);
      TinyNet t(tr);
      teacher_seconds.push_back(Train(t, d.train, d.val, tr.train, MakeRun(tr, d, o, tag, epochs, tr.train.lr)).seconds);
      teachers.push_back(t);
      teacher_recipes.push_back(tr);
    }
  }
  const bool distilled = !teachers.empty();

  torch::manual_seed(r.train.seed);
  TinyNet net(r);
  TrainRun run = MakeRun(r, d, o, "float", epochs, r.train.lr);
  if (distilled) {
    for (TinyNet& t : teachers) run.teachers.push_back(&t);
    run.kd_temperature = r.distill.temperature;
    run.kd_weight = r.distill.weight;
  }
  const TrainResult tres = Train(net, d.train, d.val, r.train, run);
  res.first_loss = tres.first_loss;
  res.last_loss = tres.last_loss;
  res.train_seconds = tres.seconds;
  const double float_seconds = tres.seconds;
  const auto float_logits = PredictLogits(net, rep);

  // Rows of the results table: every metric on the same validation split.
  const uint64_t bseed = r.train.seed + 1000;
  for (size_t k = 0; k < teachers.size(); ++k) {
    const std::string name = teachers.size() == 1 ? "float teacher"
                                                  : "float teacher " + std::to_string(k + 1) + " (" + teacher_recipes[k].name + ")";
    ResultRow t = MakeRow(name, r.train.metric, PredictLogits(teachers[k], rep), rep, by_group, o.bootstrap, bseed);
    t.weight_bytes = ComputeStats(teacher_recipes[k]).params * 4;
    t.seconds = teacher_seconds[k];
    res.rows.push_back(t);
  }
  if (teachers.size() > 1) {
    // The ensemble the student learns from, at temperature 1: log of the
    // mean probability, so the row's metric is that of the averaged teachers.
    std::vector<torch::Tensor> probs;
    for (TinyNet& t : teachers) probs.push_back(torch::softmax(PredictLogits(t, rep), 1));
    const auto mean = torch::stack(probs).mean(0);
    ResultRow e = MakeRow("float teacher ensemble (mean probability)", r.train.metric, torch::log(mean.clamp_min(1e-12)),
                          rep, by_group, o.bootstrap, bseed);
    for (size_t k = 0; k < teachers.size(); ++k) {
      e.weight_bytes += ComputeStats(teacher_recipes[k]).params * 4;
      e.seconds += teacher_seconds[k];
    }
    res.rows.push_back(e);
  }
  // Channel-only baseline: the training positive rate of the item's source
  // as its score (what knowing the source alone gives).
  {
    std::map<std::string, std::pair<double, double>> rate;  // source -> (count of label 1, count)
    for (size_t i = 0; i < d.train.source.size(); ++i) {
      rate[d.train.source[i]].first += d.train.y[i].item<int64_t>() == 1;
      rate[d.train.source[i]].second += 1;
    }
    if (rate.size() > 1 && r.labels.size() == 2 && !by_group) {  // a group mixes sources
      auto sc = torch::zeros({rep.size(), 2});
      for (int64_t i = 0; i < rep.size(); ++i) {
        const auto& q = rate[rep.source[i]];
        const double pr = std::clamp((q.first + 0.5) / (q.second + 1.0), 1e-3, 1 - 1e-3);
        sc[i][1] = std::log(pr / (1 - pr));
      }
      ResultRow b = MakeRow("channel-only baseline (source prior)", r.train.metric, sc, rep, by_group, o.bootstrap, bseed);
      res.rows.push_back(b);
      if (!o.quiet)
        for (const auto& q : rate)
          std::printf("train source %s: %d items, %.1f %% label '%s'\n", q.first.c_str(), static_cast<int>(q.second.second),
                      100.0 * q.second.first / q.second.second, r.labels[1].c_str());
    }
  }
  if (o.compare_distill && distilled) {
    torch::manual_seed(r.train.seed);
    TinyNet plain(r);
    const TrainResult pres = Train(plain, d.train, d.val, r.train, MakeRun(r, d, o, "float-nokd", epochs, r.train.lr));
    ResultRow p = MakeRow("float student, no distillation", r.train.metric, PredictLogits(plain, rep), rep, by_group,
                          o.bootstrap, bseed);
    p.weight_bytes = stats0.params * 4;
    p.seconds = pres.seconds;
    res.rows.push_back(p);
  }
  {
    ResultRow f = MakeRow(distilled ? "float student, distilled" : "float student", r.train.metric, float_logits,
                          rep, by_group, o.bootstrap, bseed);
    res.float_metric = f.value;
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
  r8.quant.ram_budget_bytes = 0;
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
    } else if (r.quant.weight_bits == 8 && r.quant.act_bits == 8 && r.quant.weight_budget_bytes == 0 &&
               r.quant.ram_budget_bytes == 0 && r.quant.layer_weight_bits.empty() && r.quant.layer_act_bits.empty()) {
      continue;  // the shipped row is already W8A8
    }
    variants.push_back({v, rv});
  }
  for (auto& [vname, rv] : variants) {
    const double t0 = NowSeconds();
    TinyNet qnet(rv);
    CopyState(net, qnet);
    qnet->FoldBatchNorm();
    auto weighted = qnet->WeightedLayers();
    int64_t planned_ram = 0;
    if (rv.quant.weight_budget_bytes > 0 || rv.quant.ram_budget_bytes > 0) {
      BitBudgets b;
      if (rv.quant.weight_budget_bytes > 0) b.flash = rv.quant.weight_budget_bytes;
      if (rv.quant.ram_budget_bytes > 0) b.ram = rv.quant.ram_budget_bytes;
      const MemoryAllocation m = AllocateBits(qnet, d.train, d.norm, rv.quant, b, stats0, rv.train.seed, o.quiet);
      planned_ram = m.planned_ram;
      for (size_t i = 0; i < weighted.size(); ++i) {
        rv.quant.layer_weight_bits[weighted[i]->def.name] = weighted[i]->weight_bits;
        if (b.ram >= 0) rv.quant.layer_act_bits[weighted[i]->def.name] = weighted[i]->act_bits;
      }
    }
    // QAT: one calibration pass sets the observers, then fine-tuning with
    // the engine's rounding in the forward pass.
    CalibrateObservers(qnet, d.train);
    const int qat_epochs = o.qat_epochs >= 0 ? o.qat_epochs : r.train.qat_epochs;
    if (qat_epochs > 0) {
      TrainConfig qcfg = r.train;
      qcfg.patience = 0;
      qcfg.mixup = 0;  // QAT fits the rounding on the clips the engine will see, not blends
      Train(qnet, d.train, d.val, qcfg, MakeRun(r, d, o, vname.empty() ? "qat" : "qat-" + vname, qat_epochs, r.train.qat_lr));
    }
    qnet->FreezeObservers(true);
    qnet->eval();

    ModelSpec spec = BuildModelSpec(qnet, d.norm);
    // The temperature is fitted on validation; the rows measure `rep`.
    const double temperature = FitTemperature(DequantizeLogits(spec, IntSimLogits(spec, d.val)), d.val.y);
    const auto qlogits = IntSimLogits(spec, rep);
    const auto deq = DequantizeLogits(spec, qlogits);
    spec.temperature = static_cast<float>(temperature);
    std::vector<uint8_t> bytes;
    Status s = WriteModel(spec, &bytes);
    if (!s.ok()) throw std::runtime_error(std::string("WriteModel: ") + s.message());
    const std::string path = (fs::path(o.out_dir) / (r.name + (vname.empty() ? "" : "." + vname) + ".tm2")).string();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());

    // The RAM the engine plans for this model on a small part, checked
    // against the budget the allocation was made under.
    planned_ram = PlannedRamBytes(spec);
    if (rv.quant.ram_budget_bytes > 0 && planned_ram > rv.quant.ram_budget_bytes)
      throw std::runtime_error("planned RAM " + std::to_string(planned_ram) + " bytes exceeds the budget of " +
                               std::to_string(rv.quant.ram_budget_bytes));
    size_t arena = 0;
    const std::vector<int> engine_pred = EnginePredict(bytes, d.report_items(), &arena, PadsOf(r));
    const auto factory_pred = qlogits.argmax(1);
    int agree = 0, correct = 0;
    for (size_t i = 0; i < engine_pred.size(); ++i) {
      agree += engine_pred[i] == factory_pred[i].item<int64_t>();
      correct += engine_pred[i] == rep.y[i].item<int64_t>();
    }
    const ModelStats stats = ComputeStats(rv);
    std::string label;
    if (rv.quant.weight_budget_bytes > 0 && rv.quant.ram_budget_bytes > 0)
      label = "mixed 4/8 (ILP, flash " + std::to_string(rv.quant.weight_budget_bytes) + " B, RAM " +
              std::to_string(rv.quant.ram_budget_bytes) + " B)";
    else if (rv.quant.ram_budget_bytes > 0)
      label = "mixed 4/8 (ILP, RAM " + std::to_string(rv.quant.ram_budget_bytes) + " B)";
    else if (rv.quant.weight_budget_bytes > 0)
      label = "mixed 4/8 (ILP, budget " + std::to_string(rv.quant.weight_budget_bytes) + " B)";
    else
      label = "W" + std::to_string(rv.quant.weight_bits) + "A" + std::to_string(rv.quant.act_bits) +
              (rv.quant.layer_weight_bits.empty() && rv.quant.layer_act_bits.empty() ? "" : " (per-layer)");
    if (vname.empty()) label += ", shipped";
    ResultRow q = MakeRow("student " + label, r.train.metric, deq / temperature, rep, by_group, o.bootstrap, bseed);
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
      for (NetLayer* l : weighted) res.act_bits[l->def.name] = l->act_bits;
      res.planned_ram_bytes = planned_ram;
      res.ram_budget = rv.quant.ram_budget_bytes;
      res.flash_budget = rv.quant.weight_budget_bytes;
      r.quant = rv.quant;  // the card describes the shipped allocation
    }
    res.rows.push_back(q);
  }

  WriteCard(r, res, o.out_dir);
  res.total_seconds = NowSeconds() - run_start;
  std::ofstream(fs::path(o.out_dir) / "results.json")
      << ResultsJson(r, res, data_path, o.keep_predictions).dump(2) << "\n";
  if (!o.quiet)
    std::printf("%s: float %s %.4f, quantized %.4f, engine agreement %.4f, %lld weight bytes, "
                "arena %lld bytes, T = %.3f, %.0f s in all\n",
                res.model_path.c_str(), r.train.metric.c_str(), res.float_metric, res.quant_metric,
                res.agreement, res.weight_bytes, res.arena_bytes, res.temperature, res.total_seconds);
  return res;
}

}  // namespace factory
}  // namespace tm2
