// tm2-factory: train, distill, quantize and export a .tm2 model from a recipe.
//   tm2-factory info RECIPE                      parameters, MACs, weight bytes
//   tm2-factory train RECIPE --data DIR --out DIR [--resume] [--epochs N]
//   tm2-factory manifest FORMAT DIR OUT.csv      a dataset layout as a manifest CSV
#include <CLI/CLI.hpp>
#include <cstdio>

#include "data/dataset.h"
#include "factory.h"
#include "recipe/model_stats.h"

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
  train->add_option("--max-per-label", o.max_per_label, "use at most N recordings per label");
  auto* man = app.add_subcommand("manifest", "write a dataset layout as a manifest CSV");
  man->add_option("format", format)->required();
  man->add_option("dir", dir)->required();
  man->add_option("csv", csv)->required();
  man->add_option("--label", label, "coswara: sound_type or covid_status");
  CLI11_PARSE(app, argc, argv);
  try {
    if (*info) {
      const Recipe r = LoadRecipe(recipe_path);
      std::printf("%s (%zu branches, %zu labels)\n%s", r.name.c_str(), r.branches.size(),
                  r.labels.size(), FormatStats(ComputeStats(r)).c_str());
    } else if (*train) {
      RunFactory(LoadRecipe(recipe_path), o);
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
