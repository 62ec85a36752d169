#include "results/compare.h"

#include <algorithm>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "results/metric.h"
#include "results/text.h"

namespace tm2 {
namespace factory {
namespace {

const nlohmann::json& RowOf(const CompareSide& s) {
  const nlohmann::json* found = nullptr;
  for (const auto& row : s.results.at("rows")) {
    const std::string name = row.at("name");
    const bool hit = s.row.empty() ? name.size() >= 9 && name.compare(name.size() - 9, 9, ", shipped") == 0
                                   : name == s.row || name.rfind(s.row, 0) == 0;
    if (!hit) continue;
    if (found) throw std::runtime_error(s.label + ": more than one row matches '" + s.row + "'; give the whole name");
    found = &row;
  }
  if (!found)
    throw std::runtime_error(s.label + ": no row " + (s.row.empty() ? "marked ', shipped'" : "named '" + s.row + "'"));
  if (!found->contains("predictions"))
    throw std::runtime_error(s.label + ": row '" + found->at("name").get<std::string>() +
                             "' has no per-unit predictions (only `train --folds` writes them)");
  return *found;
}

struct Unit {
  std::string group, source;
  int label;
  std::vector<double> pa, pb;
};

std::vector<Unit> PairedUnits(const nlohmann::json& ra, const nlohmann::json& rb, const CompareSide& a,
                              const CompareSide& b) {
  const auto& pa = ra.at("predictions");
  const auto& pb = rb.at("predictions");
  if (pa.size() != pb.size())
    throw std::runtime_error(a.label + " has " + std::to_string(pa.size()) + " predictions, " + b.label + " " +
                             std::to_string(pb.size()) +
                             ": not the same units (same manifest, data settings, split_seed, folds and repeats?)");
  std::vector<Unit> units;
  for (size_t i = 0; i < pa.size(); ++i) {
    Unit u{pa[i].at("group"), pa[i].value("source", ""), pa[i].at("label"), pa[i].at("p"), pb[i].at("p")};
    if (pb[i].at("group") != u.group || pb[i].value("source", "") != u.source || pb[i].at("label") != u.label)
      throw std::runtime_error("unit " + std::to_string(i) + " differs: " + a.label + " has group " + u.group + ", " +
                               b.label + " group " + pb[i].at("group").get<std::string>() +
                               ": not the same units (same manifest, data settings, split_seed, folds and repeats?)");
    units.push_back(std::move(u));
  }
  if (units.empty()) throw std::runtime_error(a.label + ": no predictions");
  return units;
}

struct Paired {
  double a, b, a_lo, a_hi, b_lo, b_hi, d, d_lo, d_hi, a_wins;  // a_wins: share of resamples with a > b
};

// Percentile bootstrap over the groups of `idx`: each resample draws whole
// groups, and both runs are scored on the same draw.
Paired Bootstrap(const std::string& metric, const std::vector<Unit>& units, const std::vector<size_t>& idx,
                 int resamples, uint64_t seed) {
  auto score = [&](const std::vector<size_t>& pick, double* ma, double* mb) {
    std::vector<std::vector<double>> a, b;
    std::vector<int> label;
    for (size_t i : pick) {
      a.push_back(units[i].pa);
      b.push_back(units[i].pb);
      label.push_back(units[i].label);
    }
    *ma = MetricOf(metric, a, label);
    *mb = MetricOf(metric, b, label);
  };
  std::map<std::string, std::vector<size_t>> members;
  for (size_t i : idx) members[units[i].group].push_back(i);
  std::vector<const std::vector<size_t>*> groups;
  for (const auto& g : members) groups.push_back(&g.second);
  Paired p{};
  score(idx, &p.a, &p.b);
  p.d = p.a - p.b;
  std::vector<double> va, vb, vd;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> draw(0, groups.size() - 1);
  double wins = 0;
  for (int k = 0; k < resamples; ++k) {
    std::vector<size_t> pick;
    for (size_t g = 0; g < groups.size(); ++g) {
      const auto& m = *groups[draw(rng)];
      pick.insert(pick.end(), m.begin(), m.end());
    }
    double ma, mb;
    score(pick, &ma, &mb);
    va.push_back(ma);
    vb.push_back(mb);
    vd.push_back(ma - mb);
    wins += ma > mb;
  }
  auto pct = [&](std::vector<double>& v, double q, double fallback) {
    if (v.empty()) return fallback;
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(q * (v.size() - 1))];
  };
  p.a_lo = pct(va, 0.025, p.a), p.a_hi = pct(va, 0.975, p.a);
  p.b_lo = pct(vb, 0.025, p.b), p.b_hi = pct(vb, 0.975, p.b);
  p.d_lo = pct(vd, 0.025, p.d), p.d_hi = pct(vd, 0.975, p.d);
  p.a_wins = resamples ? wins / resamples : 0;
  return p;
}

std::string Signed(double v) { return (v >= 0 ? "+" : "") + F3(v); }

}  // namespace

std::string CompareMarkdown(const CompareSide& a, const CompareSide& b, int resamples, uint64_t seed) {
  const std::string metric = a.results.at("metric");
  if (b.results.at("metric") != metric)
    throw std::runtime_error(a.label + " reports " + metric + ", " + b.label + " " +
                             b.results.at("metric").get<std::string>());
  const nlohmann::json& ra = RowOf(a);
  const nlohmann::json& rb = RowOf(b);
  const std::vector<Unit> units = PairedUnits(ra, rb, a, b);
  std::map<std::string, std::vector<size_t>> by_source;
  std::vector<size_t> all;
  std::map<std::string, int> groups;
  for (size_t i = 0; i < units.size(); ++i) {
    all.push_back(i);
    by_source[units[i].source].push_back(i);
    groups[units[i].group] = 1;
  }
  std::ostringstream md;
  md << "A = " << a.label << " (recipe " << a.results.at("name").get<std::string>() << ", row '"
     << ra.at("name").get<std::string>() << "'), B = " << b.label << " (recipe "
     << b.results.at("name").get<std::string>() << ", row '" << rb.at("name").get<std::string>() << "'): "
     << units.size() << " out-of-fold predictions of " << groups.size() << " groups, " << metric
     << ", 95 % intervals from " << resamples << " bootstrap resamples of groups (paired: one draw for both).\n\n"
     << "| units | n | A | B | A minus B | resamples with A > B |\n|---|---|---|---|---|---|\n";
  auto line = [&](const std::string& name, const std::vector<size_t>& idx, uint64_t s) {
    const Paired p = Bootstrap(metric, units, idx, resamples, s);
    md << "| " << name << " | " << idx.size() << " | " << WithInterval(p.a, p.a_lo, p.a_hi) << " | "
       << WithInterval(p.b, p.b_lo, p.b_hi) << " | " << Signed(p.d) << " [" << Signed(p.d_lo) << ", "
       << Signed(p.d_hi) << "] | " << Fmt("%.3f", p.a_wins) << " |\n";
  };
  line("all", all, seed);
  if (by_source.size() > 1)
    for (const auto& s : by_source) line(s.first.empty() ? "(no source)" : s.first, s.second, seed + 1);
  if (a.threshold > 0 || b.threshold > 0) {
    // What a quality gate does with the scores: refuse a unit when the
    // probability of the label it should have is below the threshold.
    md << "\nRefused, P(true label) below the threshold (A " << F3(a.threshold) << ", B " << F3(b.threshold)
       << "):\n\n| units | n | A refused | B refused |\n|---|---|---|---|\n";
    auto refused = [&](const std::string& name, const std::vector<size_t>& idx) {
      int ra = 0, rb = 0;
      for (size_t i : idx) {
        ra += units[i].pa.at(units[i].label) < a.threshold;
        rb += units[i].pb.at(units[i].label) < b.threshold;
      }
      md << "| " << name << " | " << idx.size() << " | " << ra << " (" << Fmt("%.3f", double(ra) / idx.size())
         << ") | " << rb << " (" << Fmt("%.3f", double(rb) / idx.size()) << ") |\n";
    };
    refused("all", all);
    for (const auto& s : by_source) refused(s.first.empty() ? "(no source)" : s.first, s.second);
  }
  return md.str();
}

}  // namespace factory
}  // namespace tm2
