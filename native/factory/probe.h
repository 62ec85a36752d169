// Robustness of an exported .tm2 on a recipe's validation (or held-out
// evaluation) split, run by the
// core's engine from PCM (the deployed path):
// - start offsets: each clip delayed by 0..shift_ms of leading silence in
//   `shifts` equal steps; per clip the spread (max - min) of the scored
//   probability (binary: the positive label's; else the true label's), and
//   the metric at each delay and of the mean probability over delays;
// - telephone band: each clip band-limited to 300-3400 Hz at 8 kHz;
// - calibration: ECE (15 bins) and the reliability table at delay 0;
// - with `against`, the same measures' paired differences to another model.
//
//   ProbeOptions o; o.data_path = "..."; o.shift_ms = 64; o.shifts = 33;
//   ProbeResult p = Probe(LoadRecipe("models/recipes/covid-cough.json"), "models/covid-cough.tm2", o);
#ifndef TM2_FACTORY_PROBE_H_
#define TM2_FACTORY_PROBE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "factory.h"

namespace tm2 {
namespace factory {

struct ProbeOptions {
  std::string data_path;
  double shift_ms = 64;
  int shifts = 33;
  bool telephone = false;
  int bootstrap = 1000;
  std::string against;  // another .tm2 of the same recipe: paired differences
  // The recipe's preprocess.pad_mode "tile": the core tiles a model file
  // whose pad is Tile; the `against` model is padded as its own file says
  // (the shipped gate: zero-padded). Set, a zero-padding `against` file
  // gets the clip tiled by the factory instead (data/tile_pad.h).
  bool against_tile = false;
  double threshold = 0;  // > 0: per source, clips whose true label scores below it (the page's refusals)
  // "validation": measure the validation split even when an evaluation
  // split is held out (to choose a threshold without touching evaluation).
  std::string split;
  // Non-empty: one CSV row per clip at delay 0 (group, source, label, the
  // model's probability of every label), to study calibration offline.
  std::string predictions;
};

struct ProbeResult {
  int clips = 0;
  std::string split;  // evaluation when the recipe holds one out, else validation
  double spread_mean = 0, spread_lo = 0, spread_hi = 0;  // 95 % bootstrap over groups
  double spread_median = 0, spread_p90 = 0, spread_max = 0;
  ResultRow at_zero, mean_over_shifts, telephone;  // telephone.n == 0 when not asked for
  double metric_min = 0, metric_max = 0;  // over the single delays
  Calibration calibration;                // at delay 0
  // With options.against: this model minus that one, 95 % paired bootstrap.
  struct Paired { double value = 0, lo = 0, hi = 0; };
  Paired d_at_zero, d_telephone, d_spread;
  std::map<std::string, std::pair<int, int>> refused;  // source -> (refused, clips), with threshold
  // Source (the label where there is none) -> confusion at delay 0 (rows
  // the true label, columns the top label): which source each confusion
  // comes from.
  std::map<std::string, std::vector<std::vector<int>>> confusion_by_source;
};

ProbeResult Probe(const Recipe& recipe, const std::string& model_path, const ProbeOptions& options);
std::string ProbeMarkdown(const Recipe& recipe, const ProbeOptions& options, const ProbeResult& result);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_PROBE_H_
