#include "results/rows.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "results/calibration.h"
#include "results/text.h"

namespace tm2 {
namespace factory {
namespace {

// Metric with a 95 % percentile interval; each resample draws whole
// clusters (cluster[i] = index of item i's group) with replacement.
ResultRow::Part Bootstrap(const std::string& metric, const torch::Tensor& scores, const torch::Tensor& y,
                          const std::vector<int64_t>& cluster, int resamples, uint64_t seed) {
  ResultRow::Part p;
  p.n = static_cast<int>(y.size(0));
  p.positives = static_cast<int>((y == 1).sum().item<int64_t>());
  p.value = p.lo = p.hi = Metric(metric, scores, y);
  int64_t clusters = 0;
  for (int64_t c : cluster) clusters = std::max(clusters, c + 1);
  if (resamples <= 0 || clusters < 2) return p;
  std::vector<std::vector<int64_t>> members(clusters);
  for (size_t i = 0; i < cluster.size(); ++i) members[cluster[i]].push_back(static_cast<int64_t>(i));
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  std::vector<double> v;
  for (int i = 0; i < resamples; ++i) {
    const auto pick = torch::randint(clusters, {clusters}, gen, torch::kLong);
    std::vector<int64_t> idx;
    for (int64_t k = 0; k < clusters; ++k)
      for (int64_t m : members[pick[k].item<int64_t>()]) idx.push_back(m);
    const auto t = torch::tensor(idx);
    v.push_back(Metric(metric, scores.index_select(0, t), y.index_select(0, t)));
  }
  std::sort(v.begin(), v.end());
  p.lo = v[static_cast<size_t>(0.025 * (resamples - 1))];
  p.hi = v[static_cast<size_t>(0.975 * (resamples - 1))];
  return p;
}

std::vector<int64_t> ClusterIndex(const std::vector<std::string>& groups, const std::vector<int64_t>& subset) {
  std::map<std::string, int64_t> id;
  std::vector<int64_t> out;
  for (int64_t i : subset) out.push_back(id.emplace(groups[i], static_cast<int64_t>(id.size())).first->second);
  return out;
}

}  // namespace

ResultRow MakeRow(const std::string& name, const std::string& metric, const torch::Tensor& scores,
                  const TensorSet& set, bool by_group, int bootstrap, uint64_t seed) {
  const auto prob = torch::softmax(scores.to(torch::kFloat64), 1).contiguous();
  const int64_t c = prob.size(1);
  std::vector<ResultRow::Prediction> preds;
  std::map<std::string, size_t> slot;
  std::vector<int> count;
  for (int64_t i = 0; i < set.size(); ++i) {
    const std::string group = i < static_cast<int64_t>(set.group.size()) ? set.group[i] : std::to_string(i);
    const double* p = prob[i].data_ptr<double>();
    if (by_group && slot.count(group)) {
      auto& pr = preds[slot[group]];
      for (int64_t k = 0; k < c; ++k) pr.prob[k] += p[k];
      ++count[slot[group]];
      continue;
    }
    slot[group] = preds.size();
    const std::string source = !by_group && i < static_cast<int64_t>(set.source.size()) ? set.source[i] : "";
    preds.push_back({group, source, static_cast<int>(set.y[i].item<int64_t>()), std::vector<double>(p, p + c)});
    count.push_back(1);
  }
  for (size_t g = 0; g < preds.size(); ++g)
    for (double& v : preds[g].prob) v /= count[g];
  return RowFromPredictions(name, metric, preds, bootstrap, seed);
}

ResultRow RowFromPredictions(const std::string& name, const std::string& metric,
                             const std::vector<ResultRow::Prediction>& preds, int bootstrap, uint64_t seed) {
  ResultRow row;
  row.name = name;
  row.metric = metric;
  row.predictions = preds;
  const int64_t n = static_cast<int64_t>(preds.size());
  if (n == 0) return row;
  const int64_t c = static_cast<int64_t>(preds[0].prob.size());
  auto prob = torch::empty({n, c}, torch::kFloat64);
  std::vector<int64_t> labels, all(n);
  std::vector<std::string> groups;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < c; ++k) prob[i][k] = preds[i].prob[k];
    labels.push_back(preds[i].label);
    groups.push_back(preds[i].group);
    all[i] = i;
  }
  const auto y = torch::tensor(labels);
  const auto scores = torch::log(torch::clamp(prob, 1e-12));
  const std::vector<int64_t> cluster = ClusterIndex(groups, all);
  const auto part = Bootstrap(metric, scores, y, cluster, bootstrap, seed);
  row.value = part.value;
  row.lo = part.lo;
  row.hi = part.hi;
  row.n = part.n;
  row.groups = static_cast<int>(*std::max_element(cluster.begin(), cluster.end()) + 1);
  row.accuracy = Metric("accuracy", scores, y);
  const auto pred = prob.argmax(1);
  row.confusion.assign(c, std::vector<int>(c, 0));
  std::vector<double> count(c, 0);
  std::vector<std::vector<double>> unit_prob;
  std::vector<int> unit_label;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = labels[i], p = pred[i].item<int64_t>();
    row.confusion[t][p]++;
    count[t] += 1;
    unit_prob.push_back(preds[i].prob);
    unit_label.push_back(preds[i].label);
  }
  row.reliability = CalibrationOf(unit_prob, unit_label, 15);
  row.ece = row.reliability.ece;
  for (double th : {0.1, 0.2, 0.3, 0.5}) {
    std::vector<double> pass(c, 0), fpass(c, 0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < c; ++k)
        if (prob[i][k].item<double>() >= th) (k == labels[i] ? pass : fpass)[k] += 1;
    const std::string key = Fmt("%.1f", th);
    for (int64_t k = 0; k < c; ++k) {
      row.pass_rate[key].push_back(count[k] ? pass[k] / count[k] : 0);
      const double others = n - count[k];
      row.false_pass_rate[key].push_back(others ? fpass[k] / others : 0);
    }
  }
  std::map<std::string, std::vector<int64_t>> by_source;
  for (size_t i = 0; i < preds.size(); ++i)
    if (!preds[i].source.empty()) by_source[preds[i].source].push_back(static_cast<int64_t>(i));
  // Up to 16 sources (the gate: Coswara's nine recording types and four datasets).
  if (by_source.size() > 1 && by_source.size() <= 16)
    for (const auto& s : by_source) {
      const auto idx = torch::tensor(s.second);
      row.per_source[s.first] = Bootstrap(metric, scores.index_select(0, idx), y.index_select(0, idx),
                                          ClusterIndex(groups, s.second), bootstrap, seed + 1);
    }
  return row;
}

nlohmann::json RowJson(const ResultRow& r, bool with_predictions) {
  nlohmann::json j = {{"name", r.name}, {"metric", r.metric}, {"value", r.value}, {"ci95", {r.lo, r.hi}},
                      {"accuracy", r.accuracy}, {"ece15", r.ece}, {"n", r.n}, {"groups", r.groups},
                      {"weight_bytes", r.weight_bytes}, {"arena_bytes", r.arena_bytes}, {"seconds", r.seconds}};
  if (r.agreement >= 0) j["engine_agreement"] = r.agreement;
  // What a perfectly calibrated model with these confidences would score (mean, 95 % range).
  j["ece15_calibrated"] = {r.reliability.calibrated_mean, r.reliability.calibrated_lo, r.reliability.calibrated_hi};
  j["confusion"] = r.confusion;
  j["pass_rate"] = r.pass_rate;
  j["false_pass_rate"] = r.false_pass_rate;
  if (!r.weight_bits.empty()) j["weight_bits"] = r.weight_bits;
  if (!r.fold_values.empty()) j["fold_values"] = r.fold_values;
  if (!r.per_fold.empty()) j["per_fold"] = r.per_fold;
  for (const auto& s : r.per_source)
    j["per_source"][s.first] = {{"value", s.second.value}, {"ci95", {s.second.lo, s.second.hi}},
                                {"n", s.second.n}, {"positives", s.second.positives}};
  if (with_predictions)
    for (const auto& p : r.predictions) j["predictions"].push_back({{"group", p.group}, {"source", p.source}, {"label", p.label}, {"p", p.prob}});
  return j;
}

std::string RowMarkdown(const ResultRow& r) {
  std::string s = "| " + r.name + " | " + WithInterval(r.value, r.lo, r.hi) + " | ";
  for (const auto& p : r.per_source) s += p.first + " " + WithInterval(p.second.value, p.second.lo, p.second.hi) + "; ";
  return s + " | " + Fmt("%.2f", r.weight_bytes / 1024.0) + " | " +
         (r.arena_bytes > 0 ? F3(r.arena_bytes / 1024.0) : std::string("-")) + " |\n";
}

nlohmann::json ResultsJson(const Recipe& r, const FactoryResult& res, const std::string& data_path,
                           bool with_predictions) {
  nlohmann::json out = {{"name", r.name}, {"recipe", r.path}, {"data", data_path}, {"metric", r.train.metric},
                        {"score_by", r.data.score_by}, {"train_items", res.train_items},
                        {"validation_items", res.validation_items}, {"duplicates_removed", res.duplicates},
                        {"too_quiet_removed", res.quiet_dropped}, {"total_seconds", res.total_seconds},
                        {"threads", r.train.threads}, {"ci", "groups"}};
  // Rows are measured on the held-out evaluation split when there is one.
  if (res.folds <= 1 && res.evaluation_items > 0) out["evaluation_items"] = res.evaluation_items;
  if (res.folds > 1) {
    out["cross_validation"] = {{"folds", res.folds}, {"repeats", res.repeats},
                               {"evaluation_items", res.evaluation_items}};
  }
  std::vector<std::string> modalities;
  for (const auto& b : r.branches) modalities.push_back(b.modality);
  out["branches"] = modalities;
  if (r.metadata.count("study")) out["study"] = r.metadata.at("study");
  for (const auto& row : res.rows) out["rows"].push_back(RowJson(row, with_predictions));
  return out;
}

}  // namespace factory
}  // namespace tm2
