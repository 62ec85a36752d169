// Recipes: a TinyM2Net described in JSON (docs/factory.md has the schema).
// One depthwise-separable CNN branch per modality, late fusion by
// concatenation, a fully connected head; plus the data, training,
// distillation and quantization settings that reproduce a model.
#ifndef TM2_FACTORY_RECIPE_RECIPE_H_
#define TM2_FACTORY_RECIPE_RECIPE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "preprocess/preprocess.h"

namespace tm2 {
namespace factory {

enum class OpKind { kConv, kDepthwise, kPointwise, kFc, kMaxPool, kAvgPool, kGap };

// One layer after expansion ("ds" blocks become depthwise + pointwise).
// Weighted layers carry conv/FC + optional batch norm + optional ReLU.
struct OpDef {
  OpKind kind = OpKind::kConv;
  std::string name;
  int out = 0;  // output channels (conv, pointwise, fc)
  int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  bool same = false;
  bool relu = true;
  bool bn = true;
  bool weighted() const { return kind <= OpKind::kFc; }
};

// How a clip shorter than the window is filled (preprocess.pad_mode).
struct PadConfig {
  bool tile = false;         // "zero" (false): the core's silence padding; "tile": the core's
                             // PadMode::kTile (BranchDef::preprocess.pad, written to the model)
  // "tile_frames": the clip's feature rows are repeated (the gap in whole
  // silence rows) instead of its PCM.
  bool frames = false;
  double gap_seconds = 0.1;  // preprocess.tile_gap_seconds: silence between repeats
};

struct BranchDef {
  std::string name, modality, prompt;
  PreprocessParams preprocess;  // normalization filled at export
  // "tile" also sets preprocess.pad = kTile (the core tiles, the model file
  // says so); "tile_frames" stays factory-side (features, engine check, probe).
  PadConfig pad;
  std::string normalization = "per_bin";  // per_bin | global | none
  std::vector<OpDef> ops;
};

struct DataConfig {
  std::string format = "manifest", path, label_kind;
  std::map<std::string, std::string> label_map;  // dataset label -> recipe label
  double validation_fraction = 0.2;
  uint64_t split_seed = 1;
  int max_per_label = 0;  // 0 = all (a cap keeps quick runs quick)
  // Level check before the split (0 = off): drop recordings the screening
  // page's quality gate would reject as too quiet (docs/web.md: peak < 0.02
  // or RMS of the loudest second < 0.003), so train and validation hold
  // what the deployed model can be given.
  double min_peak = 0, min_loudest_second_rms = 0;
  // Which rows a recipe uses: only these modalities (empty = all), and only
  // groups holding a row of each of `groups_with` (so studies that compare
  // branches see the same participants).
  std::vector<std::string> modalities, groups_with;
  // Several branches: "first" joins each group's first recording of every
  // branch's modality into one item; "all" makes an item of every
  // combination (at most 64 per group).
  std::string pairing = "first";
  // "group": metrics score each group once, by its items' mean probability
  // (a participant-level label measured per participant).
  std::string score_by = "item";
  // Single split only: the groups the split would hold out for validation
  // become an evaluation split that only the measurement touches (rows,
  // probe); a new validation split for the epoch and the temperature is
  // drawn from the rest. Manifest rows may also name split "evaluation".
  bool holdout = false;
};

struct TrainConfig {
  int epochs = 30, batch = 32, patience = 6, qat_epochs = 4, threads = 1;
  double lr = 3e-3, weight_decay = 0.0, qat_lr = 5e-4;
  uint64_t seed = 1;
  std::string metric = "accuracy";  // accuracy | auc (binary) | balanced_accuracy
  double gain_db = 6.0, noise = 0.05;  // augmentation: gain range, feature noise (in std units)
  int shift_frames = 4;                // augmentation: circular time shift range
  // Loss weights per training item: "none"; "label" (every label weighs the
  // same in total); "label_source" (every label the same, and within a
  // label every source the same, so a source with few recordings of a
  // label is not drowned by one with many).
  std::string balance = "none";
  // Cross-entropy against (1 - s) one-hot + s / labels (Szegedy et al.
  // 2016); 0 = plain one-hot targets.
  double label_smoothing = 0;
  // Learning rate per epoch: "constant", or "cosine" (lr x (1 + cos(pi e / E)) / 2
  // over the run's E epochs, float and QAT alike), so the last epochs take small
  // steps instead of the best epoch being picked from a noisy plateau.
  std::string lr_schedule = "constant";
  // Mixup (Zhang et al. 2018): each batch is mixed with a shuffled copy of
  // itself, x = l x_i + (1 - l) x_j and the loss weighted l / (1 - l) between
  // the two labels, l ~ Beta(alpha, alpha) per batch; 0 = off.
  double mixup = 0;
};

// Augmentation of the training split ("augment" in a recipe; off by
// default so existing recipes reproduce). `copies` augmented views of each
// training recording are made from its PCM (gain, shift, background noise,
// telephone band) and preprocessed by the core; each epoch draws, per item,
// the clean features or one of its views, then applies the masks.
struct AugmentConfig {
  int copies = 0;  // 0 = no PCM augmentation
  uint64_t seed = 1;
  double gain_db = 0;   // uniform in [-gain_db, +gain_db]
  double shift_ms = 0;  // start offset uniform in [-shift_ms, +shift_ms], in samples
  double noise_probability = 0, snr_db_low = 10, snr_db_high = 30;
  int noise_recordings = 64;   // training recordings whose quietest segment is background
  double noise_seconds = 0.5;  // length of that segment
  // Non-empty: background only from training recordings of this label
  // (e.g. Speech Commands' "_silence_", cut from recorded background noise).
  std::string noise_label;
  double telephone_probability = 0;  // 300-3400 Hz through 8 kHz
  // SpecAugment (Park et al. 2019) on normalised features: masks set to 0,
  // the training mean. Widths uniform in [0, max].
  int time_masks = 0, time_mask_frames = 0, freq_masks = 0, freq_mask_bins = 0;
  // > 0: each view starts from a random window of this many seconds among
  // the windows whose mean square is at least crop_min_power_ratio of the
  // loudest one, so a long recording gives several different crops, not the
  // one loudest window every time. 0 = whole recording (the default).
  double crop_seconds = 0, crop_min_power_ratio = 0.25;
  // crop_seconds_max > 0: each view's crop length is drawn uniformly from
  // [crop_seconds_min, crop_seconds_max] instead of one crop_seconds, so
  // every label is seen at many lengths, short ones padded to the window
  // as the 0.3-1 s speech clips are (replaces crop_seconds; same windows).
  double crop_seconds_min = 0, crop_seconds_max = 0;
};

struct DistillConfig {
  // Recipe paths (relative to this recipe), empty = none. "teacher" in the
  // JSON is one path or a list: with several, the student learns from the
  // mean of their softened probabilities (an ensemble of teachers).
  std::vector<std::string> teachers;
  double temperature = 4.0, weight = 0.5;
};

struct QuantConfig {
  int weight_bits = 8, act_bits = 8;     // defaults for every layer
  std::map<std::string, int> layer_weight_bits, layer_act_bits;  // overrides by name
  // Budgets for the ILP (docs/factory.md "Memory budgets"): > 0 chooses
  // 4/8 bits per layer under them. Flash = weight bytes; RAM = the arena
  // the engine plans on a small part (ilp/ram_plan.h), which also lets
  // activations go to 4 bits. JSON: weight_budget_bytes, ram_budget_bytes
  // (arena_budget_bytes, its older name, means the same).
  int64_t weight_budget_bytes = 0;
  int64_t ram_budget_bytes = 0;
  bool pin_first_last = true;            // first and last weighted layers stay 8-bit
  int hutchinson_samples = 32;  // probes, each on its own mini-batch of 64
};

struct Recipe {
  std::string name, description, path;  // path: the recipe file (for relative paths)
  std::vector<std::string> labels;
  std::map<std::string, std::string> metadata;
  DataConfig data;
  std::vector<BranchDef> branches;
  std::vector<OpDef> head;  // ends with the logits layer (added by the parser)
  TrainConfig train;
  AugmentConfig augment;
  DistillConfig distill;
  QuantConfig quant;
};

// Throws std::runtime_error naming the bad field.
Recipe LoadRecipe(const std::string& path);
Recipe ParseRecipe(const std::string& json_text, const std::string& path_for_messages);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RECIPE_RECIPE_H_
