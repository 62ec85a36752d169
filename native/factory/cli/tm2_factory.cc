// tm2-factory: train, distill, quantize and export a .tm2 model from a recipe.
//   tm2-factory info RECIPE                      parameters, MACs, weight bytes
//   tm2-factory train RECIPE --data DIR --out DIR [--resume] [--epochs N]
//                     [--variants w8a8,mixed,w4a4] [--compare-distill]   rows of the results table
//                     [--budget ram=32K,flash=16K]   4/8-bit weights and activations under both
//                     [--folds K [--repeats R]]   k-fold cross-validation by group, rows pooled
//   tm2-factory manifest FORMAT DIR OUT.csv      a dataset layout as a manifest CSV
//   tm2-factory split RECIPE --data DIR --out OUT.csv [--hold-out]   the recipe's items and their split, as a manifest
//   tm2-factory report REPORT.md RESULTS.json... the results tables into REPORT.md
//   tm2-factory compare A.json B.json [--row-a NAME] [--row-b NAME] [--threshold T [--threshold-b T]]
//                     two --folds runs on the same units, paired over groups; refusals below T
//   tm2-factory probe RECIPE MODEL.tm2 --data DIR [--shift-ms 64] [--shifts 33] [--telephone] [--against M.tm2]
//                     [--threshold T] [--against-tile]
//   tm2-factory pack PACK.json --out DIR [--data-root DIR] [--report REPORT.md --plot SVG] [--retrain] [--no-sweep]
//                    [--train-only I/N]   (members only, those of lane I of N: several processes at once)
//                     shared PQ codebook, fine-tuning with it fixed, the pack, its card and REPORT section
//   tm2-factory frontier RECIPE --run DIR --out F.json [--shipped M.tm2 --shipped-results R.json]
//                     accuracy vs flash/RAM budgets, post-training, from the run's float student
//   tm2-factory frontier-report F.json... --report REPORT.md --plot SVG
//   tm2-factory pack-report PACK-RESULTS.json --report REPORT.md [--plot SVG]   the same section from saved results
//                     start-offset spread, telephone band, calibration on validation
#include <CLI/CLI.hpp>
#include <cstdio>

#include "data/dataset.h"
#include "data/items.h"
#include "factory.h"
#include "frontier.h"
#include "ilp/budget.h"
#include "pack/pack_factory.h"
#include "probe.h"
#include "recipe/model_stats.h"
#include "results/compare.h"
#include "results/frontier_report.h"
#include "results/pack_report.h"
#include "results/report.h"
#include <filesystem>
#include <map>
#include <fstream>

// A results file, or an error that names it.
static nlohmann::json ParseJsonFile(const std::string& path) {
  std::ifstream in(path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": not a results JSON file (" + e.what() + ")");
  }
}

int main(int argc, char** argv) {
  using namespace tm2::factory;
  CLI::App app{"tinym2 model factory"};
  app.require_subcommand(1);
  std::string recipe_path, data, out, cache, format, dir, csv, label;
  FactoryOptions o;
  auto* info = app.add_subcommand("info", "print a recipe's layers, parameters, MACs and weight bytes");
  info->add_option("recipe", recipe_path)->required()->check(CLI::ExistingFile);
  auto* train = app.add_subcommand("train", "train, quantize, export and check a model");
  train->add_option("recipe", recipe_path)->required()->check(CLI::ExistingFile);
  train->add_option("--data", o.data_path, "dataset folder or manifest (default: the recipe's)");
  train->add_option("--out", o.out_dir, "output folder")->required();
  train->add_option("--cache", o.cache_dir, "feature cache folder");
  train->add_flag("--resume", o.resume, "continue from the checkpoints in --out");
  train->add_option("--epochs", o.epochs, "override train.epochs");
  train->add_option("--qat-epochs", o.qat_epochs, "override train.qat_epochs");
  int threads = 0;
  train->add_option("--threads", threads, "override train.threads (libtorch's results depend on it: compare runs "
                                          "at one thread count)")->check(CLI::Range(1, 256));
  train->add_option("--max-per-label", o.max_per_label, "use at most N recordings per label");
  train->add_option("--variants", o.variants, "also evaluate and export these quantized variants: w8a8 mixed w4a4")
      ->delimiter(',');
  std::string budget;
  train->add_option("--budget", budget, "memory budgets of the shipped model, e.g. ram=32K,flash=16K: the ILP picks "
                                        "4/8-bit weights and activations under both (overrides the recipe's)");
  train->add_option("--budget-fraction", o.mixed_budget_fraction, "mixed variant: weight budget as a fraction of W8A8 bytes (0.7)");
  train->add_flag("--compare-distill", o.compare_distill, "also train the student without distillation");
  train->add_option("--bootstrap", o.bootstrap, "bootstrap resamples for the 95 % intervals (1000)");
  train->add_option("--folds", o.folds, "k-fold cross-validation by group: every row measured on the held-out folds")
      ->check(CLI::Range(2, 50));
  train->add_option("--repeats", o.repeats, "cross-validation: run the k folds R times with other fold seeds (1)")
      ->check(CLI::Range(1, 20));
  auto* man = app.add_subcommand("manifest", "write a dataset layout as a manifest CSV");
  man->add_option("format", format)->required();
  man->add_option("dir", dir)->required();
  man->add_option("csv", csv)->required();
  man->add_option("--label", label, "coswara: sound_type, covid_status or gender");
  std::string report_md;
  std::vector<std::string> results;
  auto* rep = app.add_subcommand("report", "write the results tables of train runs into a Markdown report");
  rep->add_option("report", report_md, "Markdown file; the text between <!-- tables:begin/end --> is replaced")->required();
  rep->add_option("results", results, "results.json files written by train")->required()->check(CLI::ExistingFile);
  std::string split_out;
  bool hold_out = false;
  auto* split = app.add_subcommand("split", "the recordings a recipe keeps (deduplicated, level-checked) and the split "
                                            "each is in, written as a manifest");
  split->add_option("recipe", recipe_path)->required()->check(CLI::ExistingFile);
  split->add_option("--data", o.data_path, "dataset folder or manifest (default: the recipe's)");
  split->add_option("--out", split_out, "manifest CSV to write")->required();
  split->add_flag("--hold-out", hold_out, "write the evaluation rows with split 'test', which training never loads: "
                                          "a manifest to cross-validate on everything but the held-out recordings");
  std::string cmp_a, cmp_b, row_a, row_b;
  int cmp_resamples = 1000;
  auto* cmp = app.add_subcommand("compare", "two cross-validated runs on the same units: each metric and the "
                                            "paired difference, overall and per source");
  cmp->add_option("a", cmp_a, "results.json of `train --folds`")->required()->check(CLI::ExistingFile);
  cmp->add_option("b", cmp_b, "results.json of `train --folds` on the same data and folds")->required()
      ->check(CLI::ExistingFile);
  cmp->add_option("--row-a", row_a, "row of A (its name or the start of it; default: the row marked ', shipped')");
  cmp->add_option("--row-b", row_b, "row of B (the same default)");
  double cmp_threshold = 0, cmp_threshold_b = -1;
  cmp->add_option("--threshold", cmp_threshold, "also count units refused, P(true label) below this (a gate's rule)")
      ->check(CLI::Range(0.0, 1.0));
  cmp->add_option("--threshold-b", cmp_threshold_b, "B's threshold when it differs from A's")->check(CLI::Range(0.0, 1.0));
  cmp->add_option("--bootstrap", cmp_resamples, "bootstrap resamples (1000)")->check(CLI::Range(0, 100000));
  std::string model_path;
  ProbeOptions po;
  auto* probe = app.add_subcommand("probe", "an exported model on its recipe's validation split: start offsets, "
                                            "telephone band, calibration (engine from PCM)");
  probe->add_option("recipe", recipe_path)->required()->check(CLI::ExistingFile);
  probe->add_option("model", model_path)->required()->check(CLI::ExistingFile);
  probe->add_option("--data", po.data_path, "dataset folder or manifest (default: the recipe's)");
  probe->add_option("--shift-ms", po.shift_ms, "largest start delay (64)");
  probe->add_option("--shifts", po.shifts, "number of delays from 0 to --shift-ms (33)")->check(CLI::Range(1, 1000));
  probe->add_flag("--telephone", po.telephone, "also score telephone-band versions of the clips");
  probe->add_option("--bootstrap", po.bootstrap, "bootstrap resamples (1000)");
  probe->add_option("--split", po.split, "evaluation | validation (default: evaluation if held out, else validation)");
  probe->add_option("--threshold", po.threshold, "per source, share of clips whose true label scores below it");
  probe->add_option("--predictions", po.predictions, "write each clip's probabilities at delay 0 to this CSV");
  probe->add_option("--against", po.against, "another model of the recipe: paired differences (this minus that)")
      ->check(CLI::ExistingFile);
  probe->add_flag("--against-tile", po.against_tile,
                  "tile the --against model's input in the factory when its file zero-pads (default: padded as "
                  "its file says; the core tiles a file whose pad is Tile)");
  std::string pack_recipe, pack_report, pack_plot;
  PackOptions pk;
  bool no_sweep = false;
  auto* pack = app.add_subcommand("pack", "several trained models in one pack with a shared PQ codebook, "
                                          "fine-tuned with it fixed (docs/packs.md)");
  pack->add_option("recipe", pack_recipe, "pack recipe (models/recipes/pack-*.json)")->required()->check(CLI::ExistingFile);
  pack->add_option("--out", pk.out_dir, "output folder (members' runs, pack, card, pack-results.json)")->required();
  pack->add_option("--data-root", pk.data_root, "folder the members' \"data\" names are in (default: each recipe's data.path)");
  pack->add_option("--cache", pk.cache_dir, "feature cache folder (default <out>/feature-cache)");
  pack->add_flag("--retrain", pk.retrain, "retrain members even where <out>/<name>/results.json exists");
  pack->add_flag("--no-sweep", no_sweep, "skip the d/K sweep");
  pack->add_option("--epochs", pk.epochs, "override the members' train.epochs (quick runs, tests)");
  pack->add_option("--finetune-epochs", pk.finetune_epochs, "override the pack's finetune_epochs");
  pack->add_option("--bootstrap", pk.bootstrap, "bootstrap resamples (1000)");
  std::string lane;
  pack->add_option("--train-only", lane, "I/N: only train the members whose index (models, then generalization) "
                                         "is I modulo N, for N processes at once; then run without it");
  pack->add_option("--report", pack_report, "also write the pack section (<!-- pack:begin/end -->) of this Markdown file");
  pack->add_option("--plot", pack_plot, "also write the sweep plot (SVG) here");
  std::string pack_results;
  auto* pack_rep = app.add_subcommand("pack-report", "the pack section of a report (and the sweep plot) from a saved pack-results.json");
  pack_rep->add_option("results", pack_results, "pack-results.json")->required()->check(CLI::ExistingFile);
  pack_rep->add_option("--report", pack_report, "Markdown file (<!-- pack:begin/end -->)")->required();
  pack_rep->add_option("--plot", pack_plot, "also write the sweep plot (SVG) here");
  FrontierOptions fo;
  std::string frontier_json;
  auto* frontier = app.add_subcommand("frontier", "accuracy against flash and RAM budgets: post-training bit "
                                                  "allocations of a trained float student (docs/factory.md)");
  frontier->add_option("recipe", recipe_path)->required()->check(CLI::ExistingFile);
  frontier->add_option("--run", fo.run_dir, "the --out folder of its `train` run (float.best.pt)")->required();
  frontier->add_option("--data", fo.data_path, "dataset folder or manifest (default: the recipe's)");
  frontier->add_option("--cache", fo.cache_dir, "feature cache folder");
  frontier->add_option("--out", frontier_json, "frontier JSON to write")->required();
  frontier->add_option("--shipped", fo.shipped_model, "the shipped .tm2 to place on the plot")->check(CLI::ExistingFile);
  frontier->add_option("--shipped-results", fo.shipped_results, "its results.json (metric and interval)")
      ->check(CLI::ExistingFile);
  frontier->add_option("--bootstrap", fo.bootstrap, "bootstrap resamples (1000)");
  frontier->add_option("--flash-fractions", fo.flash_fractions, "flash budgets as fractions of the W8A8 weight bytes "
                                                               "(0.55,0.6,0.7,0.8,0.9,1; the least reachable is added)")
      ->delimiter(',');
  frontier->add_option("--ram-levels", fo.ram_levels, "RAM budgets from the least reachable to all 8-bit (3)")
      ->check(CLI::Range(1, 20));
  std::vector<std::string> frontiers;
  std::string frontier_plot;
  auto* frontier_rep = app.add_subcommand("frontier-report", "the memory frontier section of a report and its plot");
  frontier_rep->add_option("results", frontiers, "frontier JSON files")->required()->check(CLI::ExistingFile);
  frontier_rep->add_option("--report", report_md, "Markdown file (<!-- frontier:begin/end -->)")->required();
  frontier_rep->add_option("--plot", frontier_plot, "the plot (SVG)")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    if (*info) {
      const Recipe r = LoadRecipe(recipe_path);
      std::printf("%s (%zu branches, %zu labels)\n%s", r.name.c_str(), r.branches.size(),
                  r.labels.size(), FormatStats(ComputeStats(r)).c_str());
    } else if (*train) {
      if (!budget.empty()) {
        const BitBudgets b = ParseBudgets(budget);
        o.ram_budget = b.ram;
        o.flash_budget = b.flash;
      }
      Recipe r = LoadRecipe(recipe_path);
      if (threads > 0) r.train.threads = threads;
      if (o.folds > 1) CrossValidate(r, o);
      else RunFactory(r, o);
    } else if (*probe) {
      const Recipe r = LoadRecipe(recipe_path);
      FactoryOptions data_only;
      data_only.data_path = po.data_path;
      CheckRunArguments(r, data_only);
      std::printf("%s", ProbeMarkdown(r, po, Probe(r, model_path, po)).c_str());
    } else if (*pack) {
      namespace fs = std::filesystem;
      pk.sweep = !no_sweep;
      const PackRecipe pr = LoadPackRecipe(pack_recipe);
      if (!lane.empty()) {
        const size_t slash = lane.find('/');
        if (slash == std::string::npos) throw std::runtime_error("--train-only takes I/N, e.g. 0/2");
        pk.train_only = true;
        pk.lane = std::stoi(lane.substr(0, slash));
        pk.lanes = std::stoi(lane.substr(slash + 1));
        std::printf("%s\n", RunPack(pr, pk).dump().c_str());
        return 0;
      }
      const auto written = [&](const nlohmann::json& res) {
        const std::string card = (fs::path(pk.out_dir) / (pr.name + ".pack.card.md")).string();
        std::ofstream(card) << "# Model pack " << pr.name << "\n\n" << pr.description << "\n\n" << PackMarkdown(res, "");
        if (!pack_plot.empty()) std::ofstream(pack_plot) << PackSweepSvg(res);
        if (!pack_report.empty()) {
          const std::string rel = pack_plot.empty() ? "" :
              fs::relative(fs::absolute(pack_plot), fs::absolute(pack_report).parent_path()).string();
          UpdateReport(pack_report, PackMarkdown(res, rel), "pack");
        }
      };
      std::printf("%s", PackMarkdown(RunPack(pr, pk, written), "").c_str());
    } else if (*pack_rep) {
      namespace fs = std::filesystem;
      const nlohmann::json res = nlohmann::json::parse(std::ifstream(pack_results));
      if (!pack_plot.empty()) std::ofstream(pack_plot) << PackSweepSvg(res);
      const std::string rel = pack_plot.empty() ? "" :
          fs::relative(fs::absolute(pack_plot), fs::absolute(pack_report).parent_path()).string();
      UpdateReport(pack_report, PackMarkdown(res, rel), "pack");
    } else if (*frontier) {
      const Recipe r = LoadRecipe(recipe_path);
      FactoryOptions data_only;
      data_only.data_path = fo.data_path;
      CheckRunArguments(r, data_only);
      const nlohmann::json j = RunFrontier(r, fo);
      std::ofstream(frontier_json) << j.dump(2) << "\n";
      std::printf("%zu points -> %s\n", j["points"].size(), frontier_json.c_str());
    } else if (*frontier_rep) {
      namespace fs = std::filesystem;
      std::vector<nlohmann::json> runs;
      for (const auto& f : frontiers) runs.push_back(nlohmann::json::parse(std::ifstream(f)));
      std::ofstream(frontier_plot) << FrontierSvg(runs);
      const std::string rel = fs::relative(fs::absolute(frontier_plot), fs::absolute(report_md).parent_path()).string();
      UpdateReport(report_md, FrontierMarkdown(runs, rel), "frontier");
    } else if (*split) {
      const Recipe r = LoadRecipe(recipe_path);
      ItemOptions io;
      io.fold_seed = r.data.split_seed;
      io.max_per_label = r.data.max_per_label;
      ItemCounts counts;
      const auto items = LoadItems(r, CheckRunArguments(r, o), io, &counts);
      std::vector<Example> rows;
      std::map<std::string, int> per_split;
      for (const Item& it : items) {
        const std::string s = hold_out && it.split == "evaluation" ? "test" : it.split;
        ++per_split[s];
        for (size_t b = 0; b < it.paths.size(); ++b)
          rows.push_back({std::filesystem::absolute(it.paths[b]).lexically_normal().string(), r.labels[it.label], it.group, r.branches[b].modality, s, it.source});
      }
      WriteManifest(split_out, rows);
      std::printf("%zu items (%d duplicates, %d too quiet left out):", items.size(), counts.duplicates,
                  counts.quiet_dropped);
      for (const auto& p : per_split) std::printf(" %s %d", p.first.c_str(), p.second);
      std::printf(" -> %s\n", split_out.c_str());
    } else if (*cmp) {
      const nlohmann::json a = ParseJsonFile(cmp_a), b = ParseJsonFile(cmp_b);
      std::printf("%s", CompareMarkdown({a, row_a, cmp_a, cmp_threshold},
                                                   {b, row_b, cmp_b, cmp_threshold_b < 0 ? cmp_threshold : cmp_threshold_b},
                                                   cmp_resamples, 7).c_str());
    } else if (*rep) {
      UpdateReport(report_md, ResultsMarkdown(results));
      std::printf("%zu result files -> %s\n", results.size(), report_md.c_str());
    } else if (*man) {
      const auto rows = LoadDataset(format, dir, label);
      WriteManifest(csv, rows);
      std::printf("%zu rows -> %s\n", rows.size(), csv.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tm2-factory: %s\n", e.what());
    return 1;
  }
  return 0;
}
