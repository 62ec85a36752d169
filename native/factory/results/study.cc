#include "results/study.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

#include "results/metric.h"
#include "results/text.h"

namespace tm2 {
namespace factory {
namespace {

// The study's columns, from the factory's row names.
const char* ColumnOf(const std::string& row) {
  if (row == "float student" || row == "float student, no distillation") return "float";
  if (row == "float student, distilled") return "float, distilled";
  if (row.rfind("student W8A8", 0) == 0) return "W8A8";
  if (row.rfind("student mixed", 0) == 0) return "mixed 4/8";
  if (row.rfind("student W4A4", 0) == 0) return "W4A4";
  return nullptr;
}
const std::vector<std::string> kColumns = {"float", "float, distilled", "W8A8", "mixed 4/8", "W4A4"};

// One model's scores per group: probabilities averaged over the group's
// predictions (several with repeats).
struct Scores {
  std::map<std::string, std::vector<double>> prob;
  std::map<std::string, int> label;
};

Scores ScoresOf(const nlohmann::json& row) {
  if (!row.contains("predictions")) throw std::runtime_error("study: row '" + row["name"].get<std::string>() +
                                                             "' has no predictions (run with --folds)");
  Scores s;
  std::map<std::string, int> n;
  for (const auto& p : row["predictions"]) {
    const std::string g = p["group"];
    const auto v = p["p"].get<std::vector<double>>();
    auto& acc = s.prob[g];
    if (acc.empty()) acc.assign(v.size(), 0.0);
    for (size_t k = 0; k < v.size(); ++k) acc[k] += v[k];
    ++n[g];
    s.label[g] = p["label"];
  }
  for (auto& g : s.prob)
    for (double& v : g.second) v /= n[g.first];
  return s;
}

double MetricOn(const std::string& metric, const Scores& s, const std::vector<std::string>& groups) {
  std::vector<std::vector<double>> prob;
  std::vector<int> label;
  for (const auto& g : groups) {
    prob.push_back(s.prob.at(g));
    label.push_back(s.label.at(g));
  }
  return MetricOf(metric, prob, label);
}

struct Interval { double value, lo, hi; };

// Percentile bootstrap over groups of f(groups).
template <typename F>
Interval Boot(const std::vector<std::string>& groups, int resamples, uint64_t seed, F f) {
  Interval r{f(groups), 0, 0};
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, groups.size() - 1);
  std::vector<double> v;
  std::vector<std::string> sample(groups.size());
  for (int i = 0; i < resamples; ++i) {
    for (auto& g : sample) g = groups[pick(rng)];
    v.push_back(f(sample));
  }
  std::sort(v.begin(), v.end());
  r.lo = resamples ? v[static_cast<size_t>(0.025 * (resamples - 1))] : r.value;
  r.hi = resamples ? v[static_cast<size_t>(0.975 * (resamples - 1))] : r.value;
  return r;
}

std::string Show(const Interval& i) { return WithInterval(i.value, i.lo, i.hi); }

std::string Signed(const Interval& i) {
  auto s = [](double v) { return (v >= 0 ? "+" : "") + F3(v); };
  return s(i.value) + " [" + s(i.lo) + ", " + s(i.hi) + "]";
}

}  // namespace

std::string StudyMarkdown(const std::string& study, const std::vector<nlohmann::json>& results, int resamples,
                          uint64_t seed) {
  if (results.size() < 2) throw std::runtime_error("study " + study + ": needs two or more results");
  const std::string metric = results[0]["metric"];
  // The reference: the recipe with the most branches.
  size_t ref = 0;
  for (size_t i = 0; i < results.size(); ++i)
    if (results[i]["branches"].size() > results[ref]["branches"].size()) ref = i;
  auto name_of = [](const nlohmann::json& j) {
    std::string s;
    for (const auto& b : j["branches"]) s += (s.empty() ? "" : " + ") + b.get<std::string>();
    return j["branches"].size() > 1 ? s + " (fused)" : s + " alone";
  };
  // scores[result][column]
  std::vector<std::map<std::string, Scores>> scores(results.size());
  for (size_t i = 0; i < results.size(); ++i)
    for (const auto& row : results[i]["rows"])
      if (const char* c = ColumnOf(row["name"])) scores[i][c] = ScoresOf(row);
  if (scores[ref].empty())
    throw std::runtime_error("study " + study + ": " + results[ref]["name"].get<std::string>() + " has no student rows");
  std::vector<std::string> groups;
  for (const auto& g : scores[ref].begin()->second.label) groups.push_back(g.first);
  for (size_t i = 0; i < results.size(); ++i)
    for (const auto& c : scores[i])
      for (const auto& g : groups)
        if (!c.second.prob.count(g))
          throw std::runtime_error("study " + study + ": " + results[i]["name"].get<std::string>() +
                                   " has no prediction for group " + g + " (recipes must share data.groups_with)");
  std::ostringstream md;
  md << "### Study: " << study << "\n\n" << metric << " per group over " << groups.size()
     << " groups (out-of-fold predictions), 95 % bootstrap interval over groups (" << resamples
     << " resamples). Difference = this row minus " << name_of(results[ref])
     << " on the same groups, one paired bootstrap.\n\n| branches | recipe | weight KB (W8A8) |";
  for (const auto& c : kColumns) md << " " << c << " |";
  md << " difference (float) | difference (W8A8) |\n|---|---|---|";
  for (size_t k = 0; k < kColumns.size() + 2; ++k) md << "---|";
  md << "\n";
  auto diff = [&](const Scores& a, const Scores& b, uint64_t s) {
    return Boot(groups, resamples, s, [&](const std::vector<std::string>& g) {
      return MetricOn(metric, a, g) - MetricOn(metric, b, g);
    });
  };
  std::vector<long long> w8(results.size(), 0);
  for (size_t i = 0; i < results.size(); ++i)
    for (const auto& row : results[i]["rows"])
      if (ColumnOf(row["name"]) && std::string(ColumnOf(row["name"])) == "W8A8") w8[i] = row["weight_bytes"];
  for (size_t i = 0; i < results.size(); ++i) {
    md << "| " << name_of(results[i]) << " | " << results[i]["name"].get<std::string>() << " | " << F3(w8[i] / 1024.0)
       << " |";
    for (const auto& c : kColumns) {
      if (!scores[i].count(c)) {
        md << " - |";
        continue;
      }
      const Scores& s = scores[i][c];
      md << " " << Show(Boot(groups, resamples, seed, [&](const std::vector<std::string>& g) {
        return MetricOn(metric, s, g);
      })) << " |";
    }
    for (const char* c : {"float", "W8A8"}) {
      if (i == ref || !scores[i].count(c) || !scores[ref].count(c)) md << " - |";
      else md << " " << Signed(diff(scores[i][c], scores[ref][c], seed + 7)) << " |";
    }
    md << "\n";
  }
  // Late fusion: the one-branch models' probabilities averaged per group,
  // one model per modality (the smallest, like for like with the fused
  // model's branches).
  std::map<std::string, size_t> smallest;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i]["branches"].size() != 1) continue;
    const std::string m = results[i]["branches"][0];
    if (!smallest.count(m) || w8[i] < w8[smallest[m]]) smallest[m] = i;
  }
  std::vector<size_t> singles;
  std::string members;
  for (const auto& m : smallest) {
    singles.push_back(m.second);
    members += (members.empty() ? "" : ", ") + results[m.second]["name"].get<std::string>();
  }
  if (singles.size() >= 2) {
    md << "| late fusion: mean probability of the one-branch models | " << members << " | - |";
    std::map<std::string, Scores> late;
    for (const auto& c : kColumns) {
      bool all = true;
      for (size_t i : singles) all = all && scores[i].count(c);
      if (!all) {
        md << " - |";
        continue;
      }
      Scores s;
      for (const auto& g : groups) {
        std::vector<double> p(scores[singles[0]][c].prob.at(g).size(), 0.0);
        for (size_t i : singles)
          for (size_t k = 0; k < p.size(); ++k) p[k] += scores[i][c].prob.at(g)[k] / singles.size();
        s.prob[g] = p;
        s.label[g] = scores[ref].begin()->second.label.at(g);
      }
      late[c] = s;
      md << " " << Show(Boot(groups, resamples, seed, [&](const std::vector<std::string>& g) {
        return MetricOn(metric, s, g);
      })) << " |";
    }
    for (const char* c : {"float", "W8A8"})
      md << " " << (late.count(c) && scores[ref].count(c) ? Signed(diff(late[c], scores[ref][c], seed + 7)) : "-")
         << " |";
    md << "\n";
  }
  md << "\n";
  return md.str();
}

}  // namespace factory
}  // namespace tm2
