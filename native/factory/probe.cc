#include "probe.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <map>
#include <random>
#include <stdexcept>

#include "augment/band_limit.h"
#include "augment/pcm_augment.h"
#include "data/audio_file.h"
#include "data/items.h"
#include "data/tile_pad.h"
#include "engine/engine.h"
#include "format/model.h"
#include "results/metric.h"
#include "results/rows.h"

namespace tm2 {
namespace factory {

namespace {

class Runner {
 public:
  Runner(const std::string& path, const PadConfig& pad) : bytes_(ReadBytes(path)), pad_(pad) {
    Check(LoadModel(bytes_.data(), bytes_.size(), &model_), path);
    size_t arena = 0;
    Check(Engine::ArenaBytes(model_, &arena), path);
    arena_.resize(arena);
    Check(engine_.Init(model_, arena_.data(), arena_.size()), path);
    if (engine_.num_branches() != 1) throw std::runtime_error("probe: one-branch models only");
  }
  double max_seconds() const { return model_.preprocess(0).max_seconds; }
  std::vector<double> Run(const Audio& in) {
    // A model file with pad Tile (1.3) is tiled by the core. Only a file
    // that zero-pads while the recipe (or --against-tile) tiles, such as
    // one exported before the format had the field, is tiled here, by the
    // same rule (data/tile_pad.h).
    const bool factory_tiles =
        pad_.tile && !pad_.frames && model_.preprocess(0).pad != PadMode::kTile;
    const Audio a = factory_tiles ? TileToWindow(in, model_.preprocess(0), pad_.gap_seconds) : in;
    Check(engine_.SetInput(0, PcmView::F32(a.samples.data(), a.frames(), a.sample_rate, a.channels)), "input");
    if (pad_.tile && pad_.frames) {
      const PreprocessParams& p = model_.preprocess(0);
      std::vector<int8_t> rows(engine_.features(0), engine_.features(0) + p.num_frames * p.num_features());
      TileRows(rows.data(), p.num_frames, p.num_features(), KeptFrames(p, a.frames(), a.sample_rate),
               GapRows(p, pad_.gap_seconds));
      Check(engine_.SetFeatures(0, rows.data(), rows.size()), "features");
    }
    Check(engine_.Invoke(), "invoke");
    return std::vector<double>(engine_.probabilities(), engine_.probabilities() + engine_.num_classes());
  }

 private:
  static void Check(const Status& s, const std::string& what) {
    if (!s.ok()) throw std::runtime_error(what + ": " + s.message());
  }
  std::vector<uint8_t> bytes_, arena_;
  PadConfig pad_;
  Model model_;
  Engine engine_;
};

void Cut(Audio& a, double seconds) {
  const size_t limit = static_cast<size_t>(seconds * a.sample_rate);
  if (a.frames() > limit) a.samples.resize(limit * a.channels);
}

// Leading silence of `ms` (rounded to samples, so most delays are sub-frame).
Audio Delayed(const Audio& a, double ms) {
  Audio d = a;
  const size_t n = static_cast<size_t>(std::lround(ms / 1000 * a.sample_rate)) * a.channels;
  d.samples.insert(d.samples.begin(), n, 0.0f);
  return d;
}

ResultRow RowOf(const std::string& name, const Recipe& r, const std::vector<std::vector<double>>& prob,
                const TensorSet& set, int bootstrap) {
  auto scores = torch::empty({static_cast<int64_t>(prob.size()), static_cast<int64_t>(prob[0].size())});
  for (size_t i = 0; i < prob.size(); ++i)
    for (size_t k = 0; k < prob[i].size(); ++k) scores[i][k] = std::log(std::max(prob[i][k], 1e-12));
  return MakeRow(name, r.train.metric, scores, set, false, bootstrap, r.train.seed + 1000);
}

// Engine probabilities of every clip at every delay (and telephone band).
struct Scores {
  std::vector<std::vector<std::vector<double>>> prob;  // [delay][clip][class]
  std::vector<std::vector<double>> mean, tel;           // [clip][class]
  std::vector<double> spread;                           // [clip]
};

Scores ScoreClips(const std::string& model_path, const PadConfig& pad, const std::vector<const Item*>& val,
                  const ProbeOptions& o, bool binary) {
  Runner run(model_path, pad);
  const int steps = std::max(1, o.shifts);
  Scores sc;
  sc.prob.resize(steps);
  sc.mean.resize(val.size());
  for (size_t i = 0; i < val.size(); ++i) {
    Audio a = ReadAudio(val[i]->paths[0]);
    Cut(a, run.max_seconds());
    double lo = 1, hi = 0;
    for (int s = 0; s < steps; ++s) {
      Audio d = Delayed(a, steps > 1 ? o.shift_ms * s / (steps - 1) : 0);
      Cut(d, run.max_seconds());
      sc.prob[s].push_back(run.Run(d));
      const auto& p = sc.prob[s].back();
      if (sc.mean[i].empty()) sc.mean[i].assign(p.size(), 0);
      for (size_t k = 0; k < p.size(); ++k) sc.mean[i][k] += p[k] / steps;
      const double v = p[binary ? 1 : val[i]->label];
      lo = std::min(lo, v), hi = std::max(hi, v);
    }
    sc.spread.push_back(hi - lo);
    if (o.telephone) {
      Audio t;
      t.channels = 1;
      t.sample_rate = 8000;
      t.samples = TelephoneBand(MixToMono(a), a.sample_rate);
      sc.tel.push_back(run.Run(t));
    }
  }
  return sc;
}

// This model minus `other` on the same clips: metric at delay 0, on the
// telephone band, and mean spread, with a percentile bootstrap that draws
// whole groups once for both models (a paired interval).
void ComparePaired(const Recipe& r, const std::vector<const Item*>& val, const std::vector<int>& label,
                   const Scores& a, const Scores& b, const ProbeOptions& o, ProbeResult* res) {
  const std::string& m = r.train.metric;
  const bool tel = o.telephone;
  auto diffs = [&](const std::vector<size_t>& idx) {
    std::vector<std::vector<double>> a0, b0, at, bt;
    std::vector<int> lab;
    double spread = 0;
    for (size_t i : idx) {
      a0.push_back(a.prob[0][i]);
      b0.push_back(b.prob[0][i]);
      lab.push_back(label[i]);
      spread += a.spread[i] - b.spread[i];
      if (tel) at.push_back(a.tel[i]), bt.push_back(b.tel[i]);
    }
    return std::vector<double>{MetricOf(m, a0, lab) - MetricOf(m, b0, lab),
                               tel ? MetricOf(m, at, lab) - MetricOf(m, bt, lab) : 0, spread / idx.size()};
  };
  std::map<std::string, std::vector<size_t>> members;
  for (size_t i = 0; i < val.size(); ++i) members[val[i]->group].push_back(i);
  std::vector<std::vector<size_t>> groups;
  std::vector<size_t> all;
  for (const auto& g : members) {
    groups.push_back(g.second);
    all.insert(all.end(), g.second.begin(), g.second.end());
  }
  const std::vector<double> point = diffs(all);
  std::vector<std::vector<double>> boot(3);
  std::mt19937_64 rng(r.train.seed + 3000);
  for (int k = 0; k < o.bootstrap; ++k) {
    std::vector<size_t> idx;
    for (size_t g = 0; g < groups.size(); ++g) {
      const auto& pick = groups[rng() % groups.size()];
      idx.insert(idx.end(), pick.begin(), pick.end());
    }
    const auto d = diffs(idx);
    for (int j = 0; j < 3; ++j) boot[j].push_back(d[j]);
  }
  ProbeResult::Paired* out[3] = {&res->d_at_zero, &res->d_telephone, &res->d_spread};
  for (int j = 0; j < 3; ++j) {
    out[j]->value = out[j]->lo = out[j]->hi = point[j];
    if (boot[j].empty()) continue;
    std::sort(boot[j].begin(), boot[j].end());
    out[j]->lo = boot[j][static_cast<size_t>(0.025 * (boot[j].size() - 1))];
    out[j]->hi = boot[j][static_cast<size_t>(0.975 * (boot[j].size() - 1))];
  }
}

}  // namespace

ProbeResult Probe(const Recipe& r, const std::string& model_path, const ProbeOptions& o) {
  ItemOptions io;
  io.fold_seed = r.data.split_seed;
  io.max_per_label = r.data.max_per_label;
  ItemCounts counts;
  const std::vector<Item> items = LoadItems(r, o.data_path.empty() ? r.data.path : o.data_path, io, &counts);
  ProbeResult res;
  TensorSet set;
  std::vector<const Item*> val;
  std::vector<int64_t> y;
  // The evaluation split when the recipe holds one out (data.holdout),
  // else validation.
  bool has_eval = false;
  for (const Item& it : items) has_eval = has_eval || it.split == "evaluation";
  const std::string held = !o.split.empty() ? o.split : has_eval ? "evaluation" : "validation";
  if (held != "evaluation" && held != "validation") throw std::runtime_error("probe: --split must be evaluation or validation");
  for (const Item& it : items) {
    if (it.split != held) continue;
    val.push_back(&it);
    y.push_back(it.label);
    set.group.push_back(it.group);
    set.source.push_back(it.source);
  }
  if (val.empty()) throw std::runtime_error("probe: no " + held + " items");
  res.split = held;
  set.y = torch::tensor(y, torch::kLong);
  const bool binary = r.labels.size() == 2;
  const Scores sc = ScoreClips(model_path, r.branches[0].pad, val, o, binary);
  const auto& prob = sc.prob;
  const auto& mean = sc.mean;
  const auto& tel = sc.tel;
  std::vector<double> spread = sc.spread;
  const int steps = static_cast<int>(prob.size());
  res.clips = static_cast<int>(val.size());
  res.at_zero = RowOf("delay 0", r, prob[0], set, o.bootstrap);
  res.mean_over_shifts = RowOf("mean over delays", r, mean, set, o.bootstrap);
  if (o.telephone) res.telephone = RowOf("telephone band", r, tel, set, o.bootstrap);
  res.metric_min = 1, res.metric_max = 0;
  for (int s = 0; s < steps; ++s) {
    const double m = RowOf("", r, prob[s], set, 0).value;
    res.metric_min = std::min(res.metric_min, m), res.metric_max = std::max(res.metric_max, m);
  }
  std::vector<int> label(val.size());
  for (size_t i = 0; i < val.size(); ++i) label[i] = val[i]->label;
  if (!o.predictions.empty()) {
    std::ofstream csv(o.predictions);
    if (!csv) throw std::runtime_error("probe: cannot write " + o.predictions);
    csv << "group,source,label";
    for (const auto& l : r.labels) csv << ",p_" << l;
    csv << "\n" << std::setprecision(9);
    for (size_t i = 0; i < val.size(); ++i) {
      csv << val[i]->group << "," << val[i]->source << "," << r.labels[label[i]];
      for (double v : prob[0][i]) csv << "," << v;
      csv << "\n";
    }
  }
  res.calibration = CalibrationOf(prob[0], label, 15);
  if (o.threshold > 0)  // the page refuses a clip whose requested label scores below the threshold
    for (size_t i = 0; i < val.size(); ++i) {
      auto& c = res.refused[val[i]->source.empty() ? r.labels[label[i]] : val[i]->source];
      c.second += 1;
      c.first += prob[0][i][label[i]] < o.threshold;
    }
  for (size_t i = 0; i < val.size(); ++i) {
    const size_t k = r.labels.size();
    auto& m = res.confusion_by_source[val[i]->source.empty() ? r.labels[label[i]] : val[i]->source];
    if (m.empty()) m.assign(k, std::vector<int>(k, 0));
    const auto& p = prob[0][i];
    ++m[label[i]][std::max_element(p.begin(), p.end()) - p.begin()];
  }

  // Mean spread with a percentile bootstrap that draws whole groups.
  std::map<std::string, std::vector<double>> by_group;
  for (size_t i = 0; i < val.size(); ++i) by_group[val[i]->group].push_back(spread[i]);
  std::vector<std::vector<double>> groups;
  for (auto& g : by_group) groups.push_back(g.second);
  auto mean_of = [](const std::vector<const std::vector<double>*>& gs) {
    double s = 0;
    size_t n = 0;
    for (const auto* g : gs) for (double v : *g) s += v, ++n;
    return n ? s / n : 0;
  };
  std::vector<const std::vector<double>*> all;
  for (const auto& g : groups) all.push_back(&g);
  res.spread_mean = mean_of(all);
  std::mt19937_64 rng(r.train.seed + 2000);
  std::vector<double> boot;
  for (int b = 0; b < o.bootstrap; ++b) {
    std::vector<const std::vector<double>*> draw;
    for (size_t k = 0; k < groups.size(); ++k) draw.push_back(&groups[rng() % groups.size()]);
    boot.push_back(mean_of(draw));
  }
  std::sort(boot.begin(), boot.end());
  if (!boot.empty()) {
    res.spread_lo = boot[static_cast<size_t>(0.025 * (boot.size() - 1))];
    res.spread_hi = boot[static_cast<size_t>(0.975 * (boot.size() - 1))];
  }
  std::sort(spread.begin(), spread.end());
  res.spread_median = spread[spread.size() / 2];
  res.spread_p90 = spread[static_cast<size_t>(0.9 * (spread.size() - 1))];
  res.spread_max = spread.back();
  if (!o.against.empty()) {
    PadConfig against_pad = r.branches[0].pad;
    against_pad.tile = o.against_tile;
    ComparePaired(r, val, label, sc, ScoreClips(o.against, against_pad, val, o, binary), o, &res);
  }
  return res;
}

std::string ProbeMarkdown(const Recipe& r, const ProbeOptions& o, const ProbeResult& p) {
  char b[1024];
  std::string s;
  auto row = [&](const ResultRow& x) {
    std::snprintf(b, sizeof(b), "| %s | %.3f [%.3f, %.3f] | %.3f |\n", x.name.c_str(), x.value, x.lo, x.hi, x.accuracy);
    return std::string(b);
  };
  std::snprintf(b, sizeof(b),
                "%d %s clips; start delayed by 0-%.0f ms in %d steps (%s).\n\n"
                "Spread of the scored probability over the delays: mean %.3f [%.3f, %.3f], median %.3f, "
                "90th percentile %.3f, max %.3f.\n%s over single delays: %.3f to %.3f.\n\n"
                "| input | %s | accuracy |\n|---|---|---|\n",
                p.clips, p.split.c_str(), o.shift_ms, o.shifts, r.labels.size() == 2 ? "P(positive label)" : "P(true label)",
                p.spread_mean, p.spread_lo, p.spread_hi, p.spread_median, p.spread_p90, p.spread_max,
                r.train.metric.c_str(), p.metric_min, p.metric_max, r.train.metric.c_str());
  s += b;
  if (r.branches[0].pad.frames)
    s.insert(0, "Feature rows tiled to the window (pad_mode tile_frames, gap " +
                    std::to_string(r.branches[0].pad.gap_seconds).substr(0, 4) +
                    " s) by the factory around the engine; the --against model " +
                    (o.against_tile ? "tiled too" : "zero-padded by the core") + ".\n\n");
  else if (r.branches[0].pad.tile)
    s.insert(0, "Input tiled to the window (pad_mode tile, gap " +
                    std::to_string(r.branches[0].pad.gap_seconds).substr(0, 4) +
                    " s) by the core (the model file's pad Tile); the --against model padded as its "
                    "file says" + std::string(o.against_tile ? ", or tiled by the factory (--against-tile)" : "") +
                    ".\n\n");
  s += row(p.at_zero) + row(p.mean_over_shifts);
  if (p.telephone.n) s += row(p.telephone);
  for (const ResultRow* x : {&p.at_zero, &p.telephone}) {
    if (!x->n || x->per_source.size() < 2) continue;
    s += "\n" + x->name + " per source:";
    for (const auto& ps : x->per_source) {
      std::snprintf(b, sizeof(b), " %s %.3f [%.3f, %.3f] (n %d);", ps.first.c_str(), ps.second.value, ps.second.lo,
                    ps.second.hi, ps.second.n);
      s += b;
    }
    s += "\n";
  }
  if (p.telephone.n && r.labels.size() > 2) {
    s += "\nTelephone band, share of each label's clips recognised:";
    for (size_t k = 0; k < r.labels.size(); ++k) {
      int n = 0;
      for (int v : p.telephone.confusion[k]) n += v;
      std::snprintf(b, sizeof(b), " %s %d/%d;", r.labels[k].c_str(), p.telephone.confusion[k][k], n);
      s += b;
    }
    s += "\n";
  }
  if (!o.against.empty()) {
    std::snprintf(b, sizeof(b),
                  "\nAgainst %s (this minus that, same clips, paired 95 %% bootstrap over groups): %s at delay 0 "
                  "%+.3f [%+.3f, %+.3f]; mean spread %+.3f [%+.3f, %+.3f]",
                  o.against.c_str(), r.train.metric.c_str(), p.d_at_zero.value, p.d_at_zero.lo, p.d_at_zero.hi,
                  p.d_spread.value, p.d_spread.lo, p.d_spread.hi);
    s += b;
    if (o.telephone) {
      std::snprintf(b, sizeof(b), "; telephone band %+.3f [%+.3f, %+.3f]", p.d_telephone.value, p.d_telephone.lo,
                    p.d_telephone.hi);
      s += b;
    }
    s += ".\n";
  }
  if (!p.refused.empty()) {
    std::snprintf(b, sizeof(b), "\nRefused at delay 0 (P(true label) < %.2f), per source:", o.threshold);
    s += b;
    for (const auto& c : p.refused) {
      std::snprintf(b, sizeof(b), " %s %d/%d (%.3f);", c.first.c_str(), c.second.first, c.second.second,
                    static_cast<double>(c.second.first) / c.second.second);
      s += b;
    }
    s += "\n";
  }
  if (!p.confusion_by_source.empty()) {
    s += "\nConfusion at delay 0 per source (rows = true label, columns = top label):\n\n| source | true |";
    for (const auto& l : r.labels) s += " " + l + " |";
    s += "\n|---|---|";
    for (size_t k = 0; k < r.labels.size(); ++k) s += "---|";
    s += "\n";
    for (const auto& c : p.confusion_by_source)
      for (size_t t = 0; t < r.labels.size(); ++t) {
        int n = 0;
        for (int v : c.second[t]) n += v;
        if (!n) continue;
        s += "| " + c.first + " | " + r.labels[t] + " |";
        for (int v : c.second[t]) s += " " + std::to_string(v) + " |";
        s += "\n";
      }
  }
  return s + "\nCalibration at delay 0:\n\n" + ReliabilityMarkdown(p.calibration);
}

}  // namespace factory
}  // namespace tm2
