#include "results/card.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "results/rows.h"
#include "results/text.h"

namespace tm2 {
namespace factory {
namespace fs = std::filesystem;
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
  j["data"]["evaluation_items"] = res.evaluation_items;
  // The split every figure below is measured on (card.md says the same).
  j["reported_split"] = res.evaluation_items > 0 ? "evaluation" : "validation";
  j["metric"] = r.train.metric;
  j["metrics"] = {{"float", res.float_metric}, {"quantized", res.quant_metric},
                  {"engine", res.engine_metric}, {"engine_agreement", res.agreement},
                  {"per_source", res.per_source_metric}};
  j["size"] = {{"params", res.params}, {"macs", res.macs}, {"weight_bytes", res.weight_bytes},
               {"arena_bytes", res.arena_bytes}, {"file_bytes", res.file_bytes}};
  j["weight_bits"] = res.weight_bits;
  j["act_bits"] = res.act_bits;
  // Budgets 0 = none; RAM as the engine plans it on a small part (docs/factory.md).
  j["memory"] = {{"planned_ram_bytes", res.planned_ram_bytes}, {"ram_budget_bytes", res.ram_budget},
                 {"flash_weight_bytes", res.weight_bytes}, {"flash_budget_bytes", res.flash_budget}};
  j["temperature"] = res.temperature;
  j["limits"] = r.metadata.count("limits") ? r.metadata.at("limits") : "research use only";
  for (const char* k : {"intended_use", "positive_label"})
    if (r.metadata.count(k)) j[k] = r.metadata.at(k);
  j["confidence_intervals"] = "95 % percentile bootstrap over the groups of the reported split (participants, speakers, or recordings where there are no ids)";
  for (const auto& row : res.rows) j["results"].push_back(RowJson(row, false));
  std::ofstream(fs::path(dir) / (r.name + ".card.json")) << j.dump(2) << "\n";
  const std::string split = j["reported_split"];
  std::ofstream md(fs::path(dir) / (r.name + ".card.md"));
  md << "# " << r.name << "\n\n" << r.description << "\n\n"
     << "| | |\n|---|---|\n"
     << "| labels | " << nlohmann::json(r.labels).dump() << " |\n"
     << "| data | " << r.data.format << ", " << res.train_items << " train / " << res.validation_items
     << " validation" << (res.evaluation_items > 0 ? " / " + std::to_string(res.evaluation_items) + " evaluation" : "")
     << " items, split by group (seed " << r.data.split_seed << "), " << res.duplicates
     << " duplicate recordings removed, " << res.quiet_dropped << " too quiet for the page's level check removed |\n"
     << "| " << split << " " << r.train.metric << " | float " << res.float_metric << ", quantized "
     << res.quant_metric << ", engine " << res.engine_metric << " |\n"
     << "| engine agreement | " << res.agreement << " |\n"
     << "| size | " << res.params << " params, " << res.macs << " MACs, " << res.weight_bytes
     << " weight bytes, arena " << res.arena_bytes << " bytes |\n"
     << "| memory (small part) | planned RAM " << res.planned_ram_bytes << " bytes"
     << (res.ram_budget > 0 ? " (budget " + std::to_string(res.ram_budget) + ")" : std::string())
     << ", flash " << res.weight_bytes << " weight bytes"
     << (res.flash_budget > 0 ? " (budget " + std::to_string(res.flash_budget) + ")" : std::string()) << " |\n"
     << "| bits per layer (weights/outputs) |";
  for (const auto& wb : res.weight_bits)
    md << " " << wb.first << " W" << wb.second << "A" << (res.act_bits.count(wb.first) ? res.act_bits.at(wb.first) : 8);
  md << " |\n"
     << "| temperature | " << res.temperature << " |\n";
  for (const auto& s : res.per_source_metric) md << "| " << r.train.metric << " on " << s.first << " | " << s.second << " |\n";
  if (!res.rows.empty()) {
    md << "\n## Results on the " << split << " split (" << r.train.metric
       << ", 95 % bootstrap CI)\n\n| row | overall | per source | weight KB | arena KB |\n|---|---|---|---|---|\n";
    for (const auto& row : res.rows) md << RowMarkdown(row);
    for (const auto& row : res.rows) {
      if (row.name.find(", shipped") == std::string::npos) continue;
      md << "\nShipped model, confusion on " << split << " (rows = true label, columns = predicted):\n\n| |";
      for (const auto& l : r.labels) md << " " << l << " |";
      md << " share with P(label) >= 0.2 / 0.3 / 0.5 | share of other labels with P(label) >= 0.2 / 0.3 / 0.5 |\n|---|";
      for (size_t k = 0; k < r.labels.size() + 2; ++k) md << "---|";
      md << "\n";
      for (size_t t = 0; t < r.labels.size(); ++t) {
        md << "| " << r.labels[t] << " |";
        for (int v : row.confusion[t]) md << " " << v << " |";
        for (const auto* rates : {&row.pass_rate, &row.false_pass_rate})
          md << " " << F3(rates->at("0.2")[t]) << " / " << F3(rates->at("0.3")[t]) << " / " << F3(rates->at("0.5")[t])
             << " |";
        md << "\n";
      }
      md << "\nReliability of the shipped model's top-label probability (temperature fitted on validation, "
            "measured on the "
         << split << " split):\n\n"
         << ReliabilityMarkdown(row.reliability);
    }
  }
  if (r.metadata.count("intended_use")) md << "\nIntended use: " << r.metadata.at("intended_use") << "\n";
  md << "\nLimits: "
     << (r.metadata.count("limits") ? r.metadata.at("limits") : "research demo, not a medical device.") << "\n";
}


}  // namespace factory
}  // namespace tm2
