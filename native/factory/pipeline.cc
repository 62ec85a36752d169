// The steps of a factory run shared by RunFactory and the pack factory.
#include "pipeline.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

#include "augment/pcm_augment.h"
#include "data/audio_file.h"
#include "data/feature_cache.h"
#include "data/tile_pad.h"
#include "engine/engine.h"
#include "format/model.h"

namespace tm2 {
namespace factory {

namespace {

torch::Tensor RawFeatures(FeatureCache& cache, const std::vector<const Item*>& items, size_t branch,
                          const PreprocessParams& p) {
  auto t = torch::empty({static_cast<int64_t>(items.size()), 1, p.num_frames, p.num_features()});
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string& path = items[i]->paths[branch];
    const Features f = cache.Get(path, FeatureCache::ContentHash(path));
    std::memcpy(t[i].data_ptr<float>(), f.values.data(), f.values.size() * sizeof(float));
  }
  return t;
}

// augment.copies views of every training recording, each from its own
// seeded PCM augmentation through the core's preprocessing:
// [copies, N, 1, frames, bins], not normalised.
torch::Tensor AugmentedFeatures(FeatureCache& cache, const std::vector<const Item*>& items, size_t branch,
                                const PreprocessParams& p, const AugmentConfig& aug, const NoisePool& pool) {
  const uint64_t aug_hash = AugmentHash(aug, pool);
  const std::vector<int64_t> shape = {aug.copies, static_cast<int64_t>(items.size()), 1, p.num_frames,
                                      p.num_features()};
  auto t = torch::empty(shape);
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string& path = items[i]->paths[branch];
    const uint64_t content = FeatureCache::ContentHash(path);
    for (int k = 0; k < aug.copies; ++k) {
      const uint64_t seed = ViewSeed(aug.seed, content, k);
      const auto view = [&](const Audio& a) {
        std::mt19937_64 rng(seed);
        return AugmentPcm(a, aug, pool, rng);
      };
      const Features f = cache.Get(path, content, view, Fnv1a64(&seed, sizeof(seed), aug_hash));
      std::memcpy(t[k][i].data_ptr<float>(), f.values.data(), f.values.size() * sizeof(float));
    }
  }
  return t;
}

Normalisation FitNorm(const torch::Tensor& raw, const std::string& kind) {
  Normalisation n;
  if (kind == "none") return n;
  const auto d = raw.to(torch::kFloat64);
  torch::Tensor mean, sd;
  if (kind == "global") {
    mean = d.mean().reshape({1});
    sd = d.std().reshape({1});
  } else {
    mean = d.mean({0, 1, 2});
    sd = d.std({0, 1, 2});
  }
  sd = torch::clamp(sd, 1e-3);
  for (int64_t i = 0; i < mean.size(0); ++i) {
    n.mean.push_back(static_cast<float>(mean[i].item<double>()));
    n.std.push_back(static_cast<float>(sd[i].item<double>()));
  }
  return n;
}

// (v - mean) / std in float32, the engine's exact operations and order.
torch::Tensor Normalise(const torch::Tensor& raw, const Normalisation& n) {
  if (n.mean.empty()) return raw;
  const auto m = torch::tensor(n.mean).reshape({1, 1, 1, -1});
  const auto s = torch::tensor(n.std).reshape({1, 1, 1, -1});
  return (raw - m) / s;
}

torch::Tensor GainUnit(const PreprocessParams& p, const Normalisation& n) {
  const int nf = p.num_features();
  auto u = torch::zeros({nf});
  auto sd = [&](int k) { return n.std.empty() ? 1.0 : n.std[n.std.size() == 1 ? 0 : k]; };
  if (p.dct_coefficients > 0) {
    u[0] = 2.0 * std::sqrt(static_cast<double>(p.mel_bins)) / sd(0);  // orthonormal DCT of a constant
  } else {
    for (int k = 0; k < nf; ++k) u[k] = 2.0 / sd(k);
  }
  return u;
}

}  // namespace


static TensorSet Labels(const std::vector<const Item*>& items) {
  TensorSet t;
  std::vector<int64_t> y;
  for (const Item* it : items) {
    y.push_back(it->label);
    t.source.push_back(it->source);
    t.group.push_back(it->group);
    t.path.push_back(it->paths[0]);
  }
  t.y = torch::tensor(y, torch::kLong);
  return t;
}

std::vector<std::string> NoiseSourcePaths(const Recipe& r, const std::vector<const Item*>& train) {
  const std::string& want = r.augment.noise_label;
  const auto at = std::find(r.labels.begin(), r.labels.end(), want);
  if (!want.empty() && at == r.labels.end())
    throw std::runtime_error("augment.noise_label '" + want + "' is not one of the labels");
  const int label = want.empty() ? -1 : static_cast<int>(at - r.labels.begin());
  std::vector<std::string> paths;
  for (const Item* it : train)
    if (label < 0 || it->label == label) paths.insert(paths.end(), it->paths.begin(), it->paths.end());
  if (paths.empty())
    throw std::runtime_error("augment: no training recordings" + (want.empty() ? std::string() : " labelled '" + want + "'") +
                             " to cut background noise from");
  return paths;
}

Data BuildData(const Recipe& r, const std::vector<Item>& items, const std::string& cache_dir) {
  Data d;
  std::vector<const Item*> tr;
  for (const auto& it : items)
    (it.split == "train" ? tr : it.split == "evaluation" ? d.eval_items : d.val_items).push_back(&it);
  if (tr.empty() || d.val_items.empty()) throw std::runtime_error("data: empty train or validation split");
  d.train = Labels(tr);
  d.val = Labels(d.val_items);
  if (!d.eval_items.empty()) d.eval = Labels(d.eval_items);
  NoisePool pool;
  if (r.augment.copies > 0 && r.augment.noise_probability > 0) {
    pool = NoisePoolOf(NoiseSourcePaths(r, tr), r.augment);
  }
  for (size_t b = 0; b < r.branches.size(); ++b) {
    const PreprocessParams& p = r.branches[b].preprocess;
    FeatureCache cache(p, cache_dir, r.branches[b].pad);
    const auto rt = RawFeatures(cache, tr, b, p);
    d.norm.push_back(FitNorm(rt, r.branches[b].normalization));
    d.train.x.push_back(Normalise(rt, d.norm.back()));
    if (r.augment.copies > 0) {
      // Normalised with the clean training statistics, as the engine will be.
      const auto views = Normalise(AugmentedFeatures(cache, tr, b, p, r.augment, pool).flatten(0, 1), d.norm.back());
      d.train.views.push_back(torch::cat({d.train.x.back().unsqueeze(0),
                                          views.reshape({r.augment.copies, rt.size(0), 1, rt.size(2), rt.size(3)})}));
    }
    d.val.x.push_back(Normalise(RawFeatures(cache, d.val_items, b, p), d.norm.back()));
    if (!d.eval_items.empty()) d.eval.x.push_back(Normalise(RawFeatures(cache, d.eval_items, b, p), d.norm.back()));
    d.gain_unit.push_back(GainUnit(p, d.norm.back()));
  }
  return d;
}

TrainRun MakeRun(const Recipe& r, const Data& d, const FactoryOptions& o, const std::string& tag,
                 int epochs, double lr) {
  TrainRun run;
  run.tag = tag;
  run.dir = o.out_dir;
  run.epochs = epochs;
  run.lr = lr;
  run.resume = o.resume;
  run.quiet = o.quiet;
  run.gain_unit = d.gain_unit;
  run.augment = r.augment;
  return run;
}

// Engine predictions on the reported recordings, from their PCM through
// the core's preprocessing: the whole deployed path.
std::vector<int> EnginePredictWith(Engine& engine, const Model& model, const std::vector<const Item*>& items,
                                   const std::vector<PadConfig>& pads) {
  std::vector<int> out;
  for (const Item* it : items) {
    for (int b = 0; b < engine.num_branches(); ++b) {
      Audio a = ReadAudio(it->paths[b]);
      const size_t limit = static_cast<size_t>(model.preprocess(b).max_seconds * a.sample_rate);
      if (a.frames() > limit) a.samples.resize(limit * a.channels);
      // pad_mode "tile": the model file says Tile and the core tiles.
      const bool tile = static_cast<size_t>(b) < pads.size() && pads[b].tile;
      if (tile && !pads[b].frames && model.preprocess(b).pad != PadMode::kTile)
        throw std::runtime_error("branch " + std::to_string(b) +
                                 ": the recipe tiles (pad_mode tile) but the model file zero-pads");
      Status s = engine.SetInput(b, PcmView::F32(a.samples.data(), a.frames(), a.sample_rate, a.channels));
      if (!s.ok()) throw std::runtime_error(it->paths[b] + ": " + s.message());
      if (tile && pads[b].frames) {
        const PreprocessParams& p = model.preprocess(b);
        std::vector<int8_t> rows(engine.features(b), engine.features(b) + p.num_frames * p.num_features());
        TileRows(rows.data(), p.num_frames, p.num_features(), KeptFrames(p, a.frames(), a.sample_rate),
                 GapRows(p, pads[b].gap_seconds));
        s = engine.SetFeatures(b, rows.data(), rows.size());
        if (!s.ok()) throw std::runtime_error(it->paths[b] + ": " + s.message());
      }
    }
    Status s = engine.Invoke();
    if (!s.ok()) throw std::runtime_error(s.message());
    int best = 0;
    for (int c = 1; c < engine.num_classes(); ++c)
      if (engine.probabilities()[c] > engine.probabilities()[best]) best = c;
    out.push_back(best);
  }
  return out;
}

std::vector<int> EnginePredict(const std::vector<uint8_t>& bytes, const std::vector<const Item*>& items,
                               size_t* arena_bytes, const std::vector<PadConfig>& pads) {
  Model model;
  Status s = LoadModel(bytes.data(), bytes.size(), &model);
  if (!s.ok()) throw std::runtime_error(std::string("exported model does not load: ") + s.message());
  s = Engine::ArenaBytes(model, arena_bytes);
  if (!s.ok()) throw std::runtime_error(s.message());
  std::vector<uint8_t> arena(*arena_bytes);
  Engine engine;
  s = engine.Init(model, arena.data(), arena.size());
  if (!s.ok()) throw std::runtime_error(std::string("engine init: ") + s.message());
  return EnginePredictWith(engine, model, items, pads);
}

std::vector<PadConfig> PadsOf(const Recipe& r) {
  std::vector<PadConfig> pads;
  for (const auto& b : r.branches) pads.push_back(b.pad);
  return pads;
}

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void CopyState(TinyNet& from, TinyNet& to) {
  torch::NoGradGuard ng;
  auto fp = from->named_parameters(true), tp = to->named_parameters(true);
  for (const auto& kv : fp) tp[kv.key()].copy_(kv.value());
  auto fb = from->named_buffers(true), tb = to->named_buffers(true);
  for (const auto& kv : fb) tb[kv.key()].copy_(kv.value());
}


}  // namespace factory
}  // namespace tm2
