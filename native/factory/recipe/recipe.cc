#include "recipe/recipe.h"

#include "data/dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace tm2 {
namespace factory {
using nlohmann::json;

namespace {

[[noreturn]] void Fail(const std::string& where, const std::string& what) {
  throw std::runtime_error("recipe " + where + ": " + what);
}

void Pair(const json& j, const char* key, int* a, int* b, int dflt) {
  *a = *b = dflt;
  if (!j.contains(key)) return;
  if (j[key].is_array()) { *a = j[key].at(0); *b = j[key].at(1); }
  else { *a = *b = j[key].get<int>(); }
}

PreprocessParams ParsePreprocess(const json& j, const std::string& where) {
  PreprocessParams p;
  p.sample_rate = j.value("sample_rate", p.sample_rate);
  p.pre_emphasis = j.value("pre_emphasis", p.pre_emphasis);
  p.frame_length = j.value("frame_length", p.frame_length);
  p.frame_step = j.value("frame_step", p.frame_step);
  p.fft_size = j.value("fft_size", p.fft_size);
  const std::string window = j.value("window", "hann");
  if (window == "hann") p.window = WindowType::kHann;
  else if (window == "hamming") p.window = WindowType::kHamming;
  else Fail(where, "window '" + window + "' (hann, hamming)");
  p.mel_bins = j.value("mel_bins", p.mel_bins);
  p.mel_low_hz = j.value("mel_low_hz", p.mel_low_hz);
  p.mel_high_hz = j.value("mel_high_hz", p.mel_high_hz);
  p.log_floor = j.value("log_floor", p.log_floor);
  p.dct_coefficients = j.value("dct_coefficients", p.dct_coefficients);
  p.num_frames = j.value("num_frames", p.num_frames);
  const std::string crop = j.value("crop", "start");
  if (crop == "start") p.crop = CropPolicy::kStart;
  else if (crop == "center") p.crop = CropPolicy::kCenter;
  else if (crop == "loudest") p.crop = CropPolicy::kLoudest;
  else Fail(where, "crop '" + crop + "' (start, center, loudest)");
  p.min_seconds = j.value("min_seconds", p.min_seconds);
  p.max_seconds = j.value("max_seconds", p.max_seconds);
  const Status s = p.Validate();
  if (!s.ok()) Fail(where, s.message());
  return p;
}

OpDef Weighted(OpKind kind, const std::string& name, int out, const json& j) {
  OpDef op;
  op.kind = kind;
  op.name = name;
  op.out = out;
  op.relu = j.value("relu", true);
  op.bn = j.value("bn", kind != OpKind::kFc);
  return op;
}

// Appends the layers of one JSON entry (a "ds" block is two layers).
void ParseOp(const json& j, const std::string& prefix, std::vector<OpDef>* ops,
             const std::string& where) {
  const std::string type = j.value("type", "");
  const std::string name = prefix + j.value("name", type + std::to_string(ops->size()));
  OpDef op;
  if (type == "conv") {
    op = Weighted(OpKind::kConv, name, j.at("out"), j);
    Pair(j, "kernel", &op.kernel_h, &op.kernel_w, 3);
    Pair(j, "stride", &op.stride_h, &op.stride_w, 1);
    op.same = j.value("padding", "same") == "same";
    ops->push_back(op);
  } else if (type == "ds") {
    // Depthwise-separable block (MobileNet/DS-CNN): dw kxk + BN + ReLU,
    // then pw 1x1 + BN + ReLU.
    op = Weighted(OpKind::kDepthwise, name + ".dw", 0, j);
    Pair(j, "kernel", &op.kernel_h, &op.kernel_w, 3);
    Pair(j, "stride", &op.stride_h, &op.stride_w, 1);
    op.same = j.value("padding", "same") == "same";
    ops->push_back(op);
    ops->push_back(Weighted(OpKind::kPointwise, name + ".pw", j.at("out"), j));
  } else if (type == "maxpool" || type == "avgpool") {
    op.kind = type == "maxpool" ? OpKind::kMaxPool : OpKind::kAvgPool;
    op.name = name;
    Pair(j, "kernel", &op.kernel_h, &op.kernel_w, 2);
    Pair(j, "stride", &op.stride_h, &op.stride_w, op.kernel_h);
    if (j.value("padding", "valid") != "valid")
      Fail(where, "pools take valid padding only (" + name + ")");
    op.relu = op.bn = false;
    ops->push_back(op);
  } else if (type == "gap") {
    op.kind = OpKind::kGap;
    op.name = name;
    op.relu = op.bn = false;
    ops->push_back(op);
  } else if (type == "fc") {
    ops->push_back(Weighted(OpKind::kFc, name, j.at("out"), j));
  } else {
    Fail(where, "layer type '" + type + "' (conv, ds, maxpool, avgpool, gap, fc)");
  }
}

}  // namespace

Recipe ParseRecipe(const std::string& text, const std::string& path) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    Fail(path, std::string("not valid JSON: ") + e.what());
  }
  Recipe r;
  r.path = path;
  try {
    r.name = j.at("name");
    r.description = j.value("description", "");
    r.labels = j.at("labels").get<std::vector<std::string>>();
    if (r.labels.size() < 2) Fail(path, "needs at least 2 labels");
    if (j.contains("metadata")) r.metadata = j["metadata"].get<std::map<std::string, std::string>>();
    if (j.contains("data")) {
      const json& d = j["data"];
      r.data.format = d.value("format", r.data.format);
      if (!IsDatasetFormat(r.data.format))
        Fail(path, "data.format '" + r.data.format + "' is not one of " + kDatasetFormats);
      r.data.path = d.value("path", "");
      r.data.label_kind = d.value("label", "");
      if (d.contains("label_map")) r.data.label_map = d["label_map"].get<std::map<std::string, std::string>>();
      r.data.validation_fraction = d.value("validation_fraction", r.data.validation_fraction);
      r.data.split_seed = d.value("split_seed", r.data.split_seed);
      r.data.max_per_label = d.value("max_per_label", 0);
      r.data.min_peak = d.value("min_peak", 0.0);
      r.data.min_loudest_second_rms = d.value("min_loudest_second_rms", 0.0);
      if (d.contains("modalities")) r.data.modalities = d["modalities"].get<std::vector<std::string>>();
      if (d.contains("groups_with")) r.data.groups_with = d["groups_with"].get<std::vector<std::string>>();
      r.data.pairing = d.value("pairing", r.data.pairing);
      r.data.score_by = d.value("score_by", r.data.score_by);
      r.data.holdout = d.value("holdout", false);
      if (r.data.pairing != "first" && r.data.pairing != "all")
        Fail(path, "data.pairing '" + r.data.pairing + "' (first, all)");
      if (r.data.score_by != "item" && r.data.score_by != "group")
        Fail(path, "data.score_by '" + r.data.score_by + "' (item, group)");
      if (r.data.validation_fraction <= 0 || r.data.validation_fraction >= 1)
        Fail(path, "data.validation_fraction must be between 0 and 1");
    }
    for (const json& b : j.at("branches")) {
      BranchDef br;
      br.name = b.at("name");
      br.modality = b.value("modality", br.name);
      br.prompt = b.value("prompt", "");
      br.preprocess = ParsePreprocess(b.at("preprocess"), path + " branch " + br.name);
      br.normalization = b.at("preprocess").value("normalization", "per_bin");
      const std::string pad = b.at("preprocess").value("pad_mode", "zero");
      if (pad != "zero" && pad != "tile" && pad != "tile_frames")
        Fail(path, "pad_mode '" + pad + "' (zero, tile, tile_frames)");
      br.pad.tile = pad != "zero";
      br.pad.frames = pad == "tile_frames";
      br.pad.gap_seconds = b.at("preprocess").value("tile_gap_seconds", br.pad.gap_seconds);
      if (b.at("preprocess").contains("tile_gap_seconds") && !br.pad.tile)
        Fail(path, "tile_gap_seconds needs pad_mode 'tile'");
      if (!(br.pad.gap_seconds >= 0 && br.pad.gap_seconds <= 1))
        Fail(path, "tile_gap_seconds must be in [0, 1]");
      if (pad == "tile") {
        // The model file says it (Preprocess.pad Tile, format 1.3), in whole
        // milliseconds, and the core tiles: features, engine check, probe
        // and every deployed target alike.
        const double ms = br.pad.gap_seconds * 1000.0;
        if (std::fabs(ms - std::round(ms)) > 1e-6)
          Fail(path, "tile_gap_seconds must be a whole number of milliseconds (the model file stores ms)");
        br.preprocess.pad = PadMode::kTile;
        br.preprocess.tile_gap_ms = static_cast<uint16_t>(std::lround(ms));
      }
      if (br.normalization != "per_bin" && br.normalization != "global" && br.normalization != "none")
        Fail(path, "normalization '" + br.normalization + "' (per_bin, global, none)");
      for (const json& op : b.at("layers")) ParseOp(op, br.name + "/", &br.ops, path);
      r.branches.push_back(br);
    }
    if (r.branches.empty() || r.branches.size() > 8) Fail(path, "needs 1 to 8 branches");
    if (j.contains("head"))
      for (const json& op : j["head"]) ParseOp(op, "head/", &r.head, path);
    OpDef logits;
    logits.kind = OpKind::kFc;
    logits.name = "head/logits";
    logits.out = static_cast<int>(r.labels.size());
    logits.relu = logits.bn = false;
    r.head.push_back(logits);
    if (j.contains("train")) {
      const json& t = j["train"];
      TrainConfig& c = r.train;
      c.epochs = t.value("epochs", c.epochs);
      c.batch = t.value("batch", c.batch);
      c.patience = t.value("patience", c.patience);
      c.qat_epochs = t.value("qat_epochs", c.qat_epochs);
      c.threads = t.value("threads", c.threads);
      c.lr = t.value("lr", c.lr);
      c.qat_lr = t.value("qat_lr", c.qat_lr);
      c.weight_decay = t.value("weight_decay", c.weight_decay);
      c.seed = t.value("seed", c.seed);
      c.metric = t.value("metric", c.metric);
      c.gain_db = t.value("gain_db", c.gain_db);
      c.noise = t.value("noise", c.noise);
      c.shift_frames = t.value("shift_frames", c.shift_frames);
      c.balance = t.value("balance", c.balance);
      c.label_smoothing = t.value("label_smoothing", c.label_smoothing);
      c.lr_schedule = t.value("lr_schedule", c.lr_schedule);
      c.mixup = t.value("mixup", c.mixup);
      if (c.mixup < 0) Fail(path, "train.mixup (Beta alpha) >= 0");
      if (c.label_smoothing < 0 || c.label_smoothing >= 1) Fail(path, "train.label_smoothing in [0, 1)");
      if (c.lr_schedule != "constant" && c.lr_schedule != "cosine")
        Fail(path, "train.lr_schedule '" + c.lr_schedule + "' (constant, cosine)");
      if (c.balance != "none" && c.balance != "label" && c.balance != "label_source")
        Fail(path, "train.balance '" + c.balance + "' (none, label, label_source)");
      if (c.metric != "accuracy" && c.metric != "auc" && c.metric != "balanced_accuracy")
        Fail(path, "train.metric '" + c.metric + "' (accuracy, auc, balanced_accuracy)");
      if (c.metric == "auc" && r.labels.size() != 2) Fail(path, "train.metric auc needs 2 labels");
    }
    if (j.contains("augment")) {
      const json& a = j["augment"];
      AugmentConfig& c = r.augment;
      c.copies = a.value("copies", c.copies);
      c.seed = a.value("seed", c.seed);
      c.gain_db = a.value("gain_db", c.gain_db);
      c.shift_ms = a.value("shift_ms", c.shift_ms);
      c.noise_probability = a.value("noise_probability", c.noise_probability);
      if (a.contains("snr_db")) { c.snr_db_low = a["snr_db"].at(0); c.snr_db_high = a["snr_db"].at(1); }
      c.noise_recordings = a.value("noise_recordings", c.noise_recordings);
      c.noise_seconds = a.value("noise_seconds", c.noise_seconds);
      c.noise_label = a.value("noise_label", c.noise_label);
      if (!c.noise_label.empty() &&
          std::find(r.labels.begin(), r.labels.end(), c.noise_label) == r.labels.end())
        Fail(path, "augment.noise_label '" + c.noise_label + "' is not one of the labels");
      c.telephone_probability = a.value("telephone_probability", c.telephone_probability);
      c.time_masks = a.value("time_masks", c.time_masks);
      c.time_mask_frames = a.value("time_mask_frames", c.time_mask_frames);
      c.freq_masks = a.value("freq_masks", c.freq_masks);
      c.freq_mask_bins = a.value("freq_mask_bins", c.freq_mask_bins);
      c.crop_seconds = a.value("crop_seconds", c.crop_seconds);
      c.crop_min_power_ratio = a.value("crop_min_power_ratio", c.crop_min_power_ratio);
      if (c.crop_seconds < 0 || c.crop_min_power_ratio <= 0 || c.crop_min_power_ratio > 1)
        Fail(path, "augment: crop_seconds >= 0, crop_min_power_ratio in (0, 1]");
      if (a.contains("crop_seconds_min") != a.contains("crop_seconds_max"))
        Fail(path, "augment: crop_seconds_min and crop_seconds_max go together");
      c.crop_seconds_min = a.value("crop_seconds_min", c.crop_seconds_min);
      c.crop_seconds_max = a.value("crop_seconds_max", c.crop_seconds_max);
      if (a.contains("crop_seconds_max") &&
          (c.crop_seconds > 0 || c.crop_seconds_min <= 0 || c.crop_seconds_max < c.crop_seconds_min))
        Fail(path, "augment: 0 < crop_seconds_min <= crop_seconds_max, and no crop_seconds beside them");
      if (c.copies < 0 || c.gain_db < 0 || c.shift_ms < 0 || c.snr_db_low > c.snr_db_high ||
          c.noise_seconds <= 0 || c.time_masks < 0 || c.freq_masks < 0)
        Fail(path, "augment: copies, gain_db, shift_ms, masks >= 0, noise_seconds > 0, snr_db [low, high]");
    }
    if (j.contains("distill")) {
      const json& d = j["distill"];
      if (d.contains("teacher")) {
        const json& t = d["teacher"];
        if (t.is_string()) {
          if (!t.get<std::string>().empty()) r.distill.teachers.push_back(t.get<std::string>());
        } else if (t.is_array() && !t.empty()) {
          for (const json& e : t) {
            if (!e.is_string() || e.get<std::string>().empty())
              Fail(path, "distill.teacher: a list of recipe paths, each a non-empty string");
            r.distill.teachers.push_back(e.get<std::string>());
          }
        } else {
          Fail(path, "distill.teacher: a recipe path or a non-empty list of them");
        }
      }
      r.distill.temperature = d.value("temperature", r.distill.temperature);
      r.distill.weight = d.value("weight", r.distill.weight);
    }
    if (j.contains("quant")) {
      const json& q = j["quant"];
      QuantConfig& c = r.quant;
      c.weight_bits = q.value("weight_bits", c.weight_bits);
      c.act_bits = q.value("act_bits", c.act_bits);
      if (q.contains("layer_weight_bits")) c.layer_weight_bits = q["layer_weight_bits"].get<std::map<std::string, int>>();
      if (q.contains("layer_act_bits")) c.layer_act_bits = q["layer_act_bits"].get<std::map<std::string, int>>();
      c.weight_budget_bytes = q.value("weight_budget_bytes", int64_t{0});
      c.ram_budget_bytes = q.value("ram_budget_bytes", q.value("arena_budget_bytes", int64_t{0}));
      if (c.weight_budget_bytes < 0 || c.ram_budget_bytes < 0) Fail(path, "quant budgets must be >= 0");
      c.pin_first_last = q.value("pin_first_last", c.pin_first_last);
      c.hutchinson_samples = q.value("hutchinson_samples", c.hutchinson_samples);
      for (int b : {c.weight_bits, c.act_bits})
        if (b != 4 && b != 8) Fail(path, "quant bits must be 4 or 8");
    }
  } catch (const nlohmann::json::exception& e) {
    Fail(path, e.what());
  }
  return r;
}

Recipe LoadRecipe(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open recipe");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseRecipe(ss.str(), path);
}

}  // namespace factory
}  // namespace tm2
