#include "results/report.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "results/study.h"
#include "results/text.h"

namespace tm2 {
namespace factory {
namespace {

std::string Ci(const nlohmann::json& v) {
  return WithInterval(v["value"].get<double>(), v["ci95"][0].get<double>(), v["ci95"][1].get<double>());
}

}  // namespace

std::string ResultsMarkdown(const std::vector<std::string>& files) {
  std::ostringstream md;
  std::map<std::string, std::vector<nlohmann::json>> studies;
  for (const std::string& path : files) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    const nlohmann::json j = nlohmann::json::parse(in);
    if (j.contains("study")) studies[j["study"]].push_back(j);
    const std::string metric = j["metric"];
    const bool by_group = j.value("score_by", "item") == "group";
    const std::string unit = by_group ? "participants (groups)" : "items";
    md << "### " << j["name"].get<std::string>()
       << (j.contains("cross_validation") ? ", cross-validated" : "") << "\n\n";
    if (j.contains("cross_validation")) {
      const auto& cv = j["cross_validation"];
      const auto& row0 = j["rows"][0];
      md << cv["folds"].get<int>() << "-fold cross-validation by group, " << cv["repeats"].get<int>()
         << " repeat(s): every row is measured on the held-out folds, " << row0["groups"].get<int>()
         << " groups in all" << (by_group ? ", each scored once by the mean probability of its items" : "")
         << "; in each fold a quarter of the remaining groups pick the epoch and the temperature. Fold 0 had "
         << j["train_items"].get<int>() << " train and " << j["validation_items"].get<int>() << " validation items;";
    } else if (j.value("evaluation_items", 0) > 0) {
      md << "Held-out evaluation split (every row below): " << j["evaluation_items"].get<int>() << " items ("
         << j["train_items"].get<int>() << " train, " << j["validation_items"].get<int>()
         << " validation for the epoch and the temperature,";
    } else {
      md << "Validation split: " << j["validation_items"].get<int>() << " items (" << j["train_items"].get<int>()
         << " train,";
    }
    md << " " << j["duplicates_removed"].get<int>() << " duplicate recordings removed";
    if (j.value("too_quiet_removed", 0) > 0)
      md << ", " << j["too_quiet_removed"].get<int>() << " recordings too quiet for the page's level check removed";
    md << (j.contains("cross_validation") ? "" : " before the split)") << ". Metric: " << metric
       << ", 95 % percentile bootstrap interval over "
       << (j.value("ci", "items") == "groups" ? "groups (a group's items are resampled together)" : std::string("validation items"))
       << ". Whole run " << static_cast<int>(j["total_seconds"].get<double>() + 0.5) << " s on "
       << j.value("threads", 1) << " thread(s).\n\n";
    // Per-source columns when the rows carry them.
    std::vector<std::string> sources;
    for (const auto& row : j["rows"])
      if (row.contains("per_source"))
        for (auto it = row["per_source"].begin(); it != row["per_source"].end(); ++it)
          if (std::find(sources.begin(), sources.end(), it.key()) == sources.end()) sources.push_back(it.key());
    const bool wide = !sources.empty() && sources.size() <= 3;
    // ECE over 15 bins; results written before it was computed carry none.
    md << "| row | " << metric << " overall | accuracy | ECE |";
    if (wide)
      for (const auto& s : sources) md << " " << metric << " " << s << " |";
    md << " weight KB | arena KB | bits (weights) | engine agreement | time s |\n|---|---|---|";
    if (wide)
      for (size_t i = 0; i < sources.size(); ++i) md << "---|";
    md << "---|---|---|---|---|---|\n";
    for (const auto& row : j["rows"]) {
      md << "| " << row["name"].get<std::string>() << " | " << Ci(row) << " | " << F3(row["accuracy"].get<double>())
         << " | " << (row.contains("ece15") ? F3(row["ece15"].get<double>()) : "-") << " |";
      if (wide)
        for (const auto& s : sources)
          md << " " << (row.contains("per_source") && row["per_source"].contains(s) ? Ci(row["per_source"][s]) : "-")
             << " |";
      const long long wb = row["weight_bytes"].get<long long>(), ab = row["arena_bytes"].get<long long>();
      std::string bits = "float32";
      if (row.contains("weight_bits")) {
        int n4 = 0, n8 = 0;
        for (auto it = row["weight_bits"].begin(); it != row["weight_bits"].end(); ++it) (it.value() == 4 ? n4 : n8)++;
        bits = std::to_string(n8) + "x8, " + std::to_string(n4) + "x4";
      } else if (wb == 0) {
        bits = "-";
      }
      md << " " << (wb ? F3(wb / 1024.0) : "-") << " | " << (ab ? F3(ab / 1024.0) : "-") << " | " << bits << " | "
         << (row.contains("engine_agreement") ? F3(row["engine_agreement"].get<double>()) : "-") << " | "
         << static_cast<int>(row["seconds"].get<double>() + 0.5) << " |\n";
    }
    if (!wide && !sources.empty()) {
      md << "\nPer source/recording type (" << metric << ", 95 % CI, n):\n\n| row |";
      for (const auto& s : sources) md << " " << s << " |";
      md << "\n|---|";
      for (size_t i = 0; i < sources.size(); ++i) md << "---|";
      md << "\n";
      for (const auto& row : j["rows"]) {
        if (!row.contains("per_source")) continue;
        md << "| " << row["name"].get<std::string>() << " |";
        for (const auto& s : sources)
          md << " " << (row["per_source"].contains(s) ? Ci(row["per_source"][s]) + " n=" +
                        std::to_string(row["per_source"][s]["n"].get<int>()) : "-") << " |";
        md << "\n";
      }
    } else if (wide) {
      md << "\nValidation items per source:";
      const auto& row = j["rows"][0];
      for (const auto& s : sources)
        if (row.contains("per_source") && row["per_source"].contains(s))
          md << " " << s << " n=" << row["per_source"][s]["n"].get<int>() << " (" << row["per_source"][s]["positives"].get<int>()
             << " with label 1);";
      md << "\n";
    }
    bool repeats = false;
    for (const auto& row : j["rows"]) repeats = repeats || row.value("fold_values", std::vector<double>{}).size() > 1;
    if (repeats) {
      md << "\nEach repeat's pooled folds (" << metric << "):\n\n";
      for (const auto& row : j["rows"]) {
        md << "- " << row["name"].get<std::string>() << ":";
        for (double v : row["fold_values"].get<std::vector<double>>()) md << " " << F3(v);
        md << "\n";
      }
    }
    md << "\n";
  }
  for (const auto& s : studies)
    if (s.second.size() > 1) md << StudyMarkdown(s.first, s.second);
  return md.str();
}

void UpdateReport(const std::string& report_md, const std::string& tables, const std::string& section) {
  const std::string begin = "<!-- " + section + ":begin -->", end = "<!-- " + section + ":end -->";
  std::string text;
  {
    std::ifstream in(report_md);
    if (in) text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t b = text.find(begin), e = text.find(end);
  const std::string block = begin + "\n" + tables + end;
  if (b == std::string::npos || e == std::string::npos || e < b)
    text += (text.empty() ? "" : "\n") + block + "\n";
  else
    text = text.substr(0, b) + block + text.substr(e + end.size());
  std::ofstream(report_md) << text;
}

}  // namespace factory
}  // namespace tm2
