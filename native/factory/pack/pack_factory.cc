#include "pack/pack_factory.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include "engine/pack_runner_host.h"
#include "format/pack.h"
#include "kmeans.h"
#include "pack/layer_choice.h"
#include "pack/pack_bytes.h"
#include "pipeline.h"
#include "quant/calibrate.h"
#include "quant/int_sim.h"
#include "quant/pq.h"
#include "recipe/model_stats.h"
#include "results/rows.h"

namespace tm2 {
namespace factory {
namespace fs = std::filesystem;
using nlohmann::json;

PackRecipe LoadPackRecipe(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open pack recipe");
  const json j = json::parse(in);
  PackRecipe p;
  p.path = path;
  p.name = j.at("name").get<std::string>();
  p.description = j.value("description", "");
  auto members = [&](const char* key, std::vector<PackMemberDef>* out) {
    if (!j.contains(key)) return;
    for (const auto& m : j.at(key))
      out->push_back({m.at("recipe").get<std::string>(), m.value("data", ""), m.value("epochs", -1),
                      m.value("finetune_epochs", -1), m.value("keep", std::vector<std::string>{})});
  };
  members("models", &p.models);
  members("generalization", &p.generalization);
  if (p.models.empty() || p.models.size() > 16) throw std::runtime_error(path + ": 1 to 16 models");
  p.dim = j.value("dim", p.dim);
  p.centroids = j.value("centroids", p.centroids);
  if (p.dim < 1 || p.dim > 16 || p.centroids < 1 || p.centroids > 256)
    throw std::runtime_error(path + ": dim 1..16, centroids 1..256");
  p.min_weights = j.value("min_weights", p.min_weights);
  p.max_error = j.value("max_error", p.max_error);
  p.min_compression = j.value("min_compression", p.min_compression);
  p.keep_bits = j.value("keep_bits", p.keep_bits);
  if (p.keep_bits != 4 && p.keep_bits != 8) throw std::runtime_error(path + ": keep_bits 4 or 8");
  p.sensitivity_samples = j.value("sensitivity_samples", p.sensitivity_samples);
  p.iterations = j.value("iterations", p.iterations);
  p.max_training = j.value("max_training", p.max_training);
  p.seed = j.value("seed", p.seed);
  p.finetune_epochs = j.value("finetune_epochs", p.finetune_epochs);
  p.finetune_lr = j.value("finetune_lr", p.finetune_lr);
  if (j.contains("sweep"))
    for (const auto& s : j.at("sweep")) p.sweep.push_back({s.at(0).get<int>(), s.at(1).get<int>()});
  p.sweep_epochs = j.value("sweep_epochs", p.sweep_epochs);
  return p;
}

namespace {

struct Baseline {
  double value = 0, lo = 0, hi = 0;
  long long weight_bytes = 0, file_bytes = 0;
};

json BaselineJson(const Baseline& b) {
  return {{"value", b.value}, {"ci95", {b.lo, b.hi}}, {"weight_bytes", b.weight_bytes}, {"file_bytes", b.file_bytes}};
}

// One model of the pack. Data points into `items`: a Member never moves.
struct Member {
  Recipe r, r8;  // the recipe, and its W8A8 version (the pack model's activations, uncoded layers)
  std::string data_path, dir;
  std::vector<Item> items;
  Data d;
  TinyNet float_net{nullptr};
  Baseline w8, mixed;
  long long float_bytes = 0;
  int finetune_epochs = -1;       // > 0: this member's fine-tuning epochs in the pack proper
  std::vector<std::string> keep;  // layers never coded
};

Recipe W8A8(Recipe r) {
  r.quant.weight_bits = r.quant.act_bits = 8;
  r.quant.layer_weight_bits.clear();
  r.quant.layer_act_bits.clear();
  r.quant.weight_budget_bytes = 0;
  return r;
}

// The member's W8A8 and mixed rows and files (training them first when needed).
void Baselines(Member& m, const PackOptions& o, const std::string& cache) {
  const fs::path results = fs::path(m.dir) / "results.json";
  if (o.retrain || !fs::exists(results)) {
    FactoryOptions fo;
    fo.data_path = m.data_path;
    fo.out_dir = m.dir;
    fo.cache_dir = cache;
    fo.quiet = o.quiet;
    fo.bootstrap = o.bootstrap;
    fo.epochs = o.epochs;
    fo.variants = {"w8a8"};
    if (m.r.quant.weight_budget_bytes == 0) fo.variants.push_back("mixed");
    RunFactory(m.r, fo);
  }
  const json j = json::parse(std::ifstream(results));
  bool have_w8 = false, have_mixed = false;
  for (const auto& row : j.at("rows")) {
    const std::string name = row.at("name");
    const bool shipped = name.find(", shipped") != std::string::npos;
    const bool w8 = name.find("W8A8") != std::string::npos, mixed = name.find("mixed") != std::string::npos;
    if (!w8 && !mixed) continue;
    Baseline b;
    b.value = row.at("value");
    b.lo = row.at("ci95").at(0);
    b.hi = row.at("ci95").at(1);
    b.weight_bytes = row.at("weight_bytes");
    const fs::path file = fs::path(m.dir) / (m.r.name + (shipped ? "" : w8 ? ".w8a8" : ".mixed") + ".tm2");
    b.file_bytes = static_cast<long long>(fs::file_size(file));
    (w8 ? m.w8 : m.mixed) = b;
    (w8 ? have_w8 : have_mixed) = true;
  }
  if (!have_w8 || !have_mixed) throw std::runtime_error(results.string() + ": no W8A8 or no mixed row");
}

void Prepare(Member& m, const std::string& cache) {
  ItemOptions io;
  io.max_per_label = m.r.data.max_per_label;
  io.fold_seed = m.r.data.split_seed;
  ItemCounts counts;
  m.items = LoadItems(m.r, m.data_path, io, &counts);
  m.d = BuildData(m.r, m.items, cache);
  m.float_net = TinyNet(m.r);
  torch::load(m.float_net, (fs::path(m.dir) / "float.best.pt").string());
  m.float_bytes = ComputeStats(m.r).params * 4;
}

// A fresh BN-folded W8A8 copy of the member's float student.
TinyNet Folded(Member& m) {
  TinyNet q(m.r8);
  CopyState(m.float_net, q);
  q->FoldBatchNorm();
  return q;
}

torch::Tensor Ints(const NetLayer& l) {
  torch::Tensor ints, scales;
  QuantizeWeight(l.weight, 8, &ints, &scales);
  return ints;
}

// k-means over the pooled int8 sub-vectors of the members' codable layers.
std::vector<int8_t> LearnCodebook(std::vector<std::unique_ptr<Member>>& members, const PackRecipe& p, int dim, int k) {
  std::vector<int8_t> points;
  for (auto& m : members) {
    TinyNet q = Folded(*m);
    for (NetLayer* l : q->WeightedLayers()) {
      if (!Codable(*l, p, dim)) continue;
      const auto rows = ToFileRows(Ints(*l), l->def.kind).to(torch::kInt8).contiguous();
      const int64_t len = rows.size(1);
      const int8_t* v = rows.data_ptr<int8_t>();
      for (int64_t r = 0; r < rows.size(0); ++r)
        for (int64_t at = 0; at + dim <= len; at += dim) points.insert(points.end(), v + r * len + at, v + r * len + at + dim);
    }
  }
  const size_t n = points.size() / static_cast<size_t>(dim);
  if (n == 0) throw std::runtime_error("pack: no layer has enough weights to learn a codebook from");
  if (n > p.max_training) {  // a seeded sample, in the original order
    std::mt19937 rng(p.seed);
    std::vector<size_t> idx(n);
    for (size_t i = 0; i < n; ++i) idx[i] = i;
    std::shuffle(idx.begin(), idx.end(), rng);
    idx.resize(p.max_training);
    std::sort(idx.begin(), idx.end());
    std::vector<int8_t> sample;
    for (size_t i : idx) sample.insert(sample.end(), points.begin() + static_cast<long>(i * dim),
                                       points.begin() + static_cast<long>((i + 1) * dim));
    points.swap(sample);
  }
  return pack::KMeans(points, dim, k, p.iterations, p.seed, -127, 127);
}


// Codes and fine-tunes every member with the codebook fixed, writes the
// pack, checks the engine against the integer model. Returns the
// configuration's json (models, bytes).
json PackAt(std::vector<std::unique_ptr<Member>>& members, const PackRecipe& p, const PackOptions& o,
            const std::vector<int8_t>& codebook, bool own_codebook, int dim, int k, int epochs, bool member_epochs,
            const std::string& tag, const std::string& pack_path) {
  const auto centroids = torch::tensor(std::vector<double>(codebook.begin(), codebook.end()), torch::kFloat64)
                             .reshape({k, dim});
  PackSpec pack;
  pack.name = p.name;
  pack.description = p.description;
  pack.codebooks.push_back({dim, codebook});
  json out = {{"dim", dim}, {"centroids", k}, {"finetune_epochs", epochs}};
  std::vector<torch::Tensor> factory_pred;
  long long weights = static_cast<long long>(codebook.size()), channels = 0;
  const double tc = NowSeconds();
  std::vector<ChoiceModel> choice;
  for (auto& m : members) choice.push_back({Folded(*m), &m->d.train, m->r.train.seed, m->float_bytes, m->keep});
  // Models coded with a codebook another pack carries are charged only their own bytes.
  long long charged = 0;
  const auto plans = ChooseLayers(choice, p, centroids, dim, k, own_codebook ? weights : 0, o.quiet, &charged);
  choice.clear();
  const double choice_seconds = NowSeconds() - tc;
  long long exact_channels = 0;
  for (size_t mi = 0; mi < members.size(); ++mi) {
    Member& m = *members[mi];
    const double t0 = NowSeconds();
    TinyNet q = Folded(m);
    int coded = 0, layers = 0;
    json kept = json::array();
    const auto weighted = q->WeightedLayers();
    for (size_t i = 0; i < weighted.size(); ++i) {
      NetLayer* l = weighted[i];
      ++layers;
      const int state = plans[mi].state[i];
      if (state == kLayerKept) {
        l->weight_bits = p.keep_bits;
        kept.push_back({{"layer", l->def.name}, {"bits", p.keep_bits}, {"sensitivity_share", plans[mi].share[i]}});
      }
      if (state != kLayerCoded) continue;
      l->pq_centroids = centroids;
      l->pq_codebook = 0;
      ++coded;
    }
    CalibrateObservers(q, m.d.train);
    const int member_ft = member_epochs && m.finetune_epochs > 0 ? m.finetune_epochs : epochs;
    if (member_ft > 0) {
      TrainConfig cfg = m.r.train;
      cfg.patience = 0;
      FactoryOptions fo;
      fo.out_dir = m.dir;
      fo.quiet = o.quiet;
      const double lr = p.finetune_lr > 0 ? p.finetune_lr : m.r.train.qat_lr;
      Train(q, m.d.train, m.d.val, cfg, MakeRun(m.r, m.d, fo, tag, member_ft, lr));
    }
    q->FreezeObservers(true);
    q->eval();
    ModelSpec spec = BuildModelSpec(q, m.d.norm);
    const TensorSet& rep = m.d.report();
    const double temperature = FitTemperature(DequantizeLogits(spec, IntSimLogits(spec, m.d.val)), m.d.val.y);
    const auto qlogits = IntSimLogits(spec, rep);
    spec.temperature = static_cast<float>(temperature);
    const ResultRow row = MakeRow("pack", m.r.train.metric, DequantizeLogits(spec, qlogits) / temperature, rep,
                                  m.r.data.score_by == "group", o.bootstrap, m.r.train.seed + 1000);
    factory_pred.push_back(qlogits.argmax(1));
    auto strip = [&](LayerSpec& l) {
      l.weight_scales.clear();  // float, for tools: the engine never reads them
      if (l.pq_codebook >= 0) l.weight_bits = k <= 16 ? 4 : 8;
    };
    for (auto& b : spec.branches)
      for (auto& l : b.layers) strip(l);
    for (auto& l : spec.head) strip(l);
    long long w = 0, c = 0;
    SpecBytes(spec, dim, &w, &c);
    const long long c_exact = ExactChannelBytes(spec);
    exact_channels += c_exact;
    weights += w;
    channels += c;
    out["models"].push_back({{"name", m.r.name}, {"metric", m.r.train.metric}, {"float_bytes", m.float_bytes},
                             {"w8a8", BaselineJson(m.w8)}, {"mixed", BaselineJson(m.mixed)},
                             {"pack", {{"value", row.value}, {"ci95", {row.lo, row.hi}}, {"weight_bytes", w},
                                       {"channel_bytes", c}, {"channel_bytes_exact_narrow", c_exact},
                                       {"coded_layers", coded}, {"layers", layers},
                                       {"kept_layers", kept}, {"finetune_epochs", member_ft},
                                       {"temperature", temperature}, {"seconds", NowSeconds() - t0}}},
                             {"n", row.n}, {"groups", row.groups}});
    if (!o.quiet)
      std::printf("%s d=%d K=%d: %s %.4f [%.4f, %.4f] (W8A8 %.4f, mixed %.4f), %d of %d layers coded, %lld weight bytes\n",
                  m.r.name.c_str(), dim, k, m.r.train.metric.c_str(), row.value, row.lo, row.hi, m.w8.value,
                  m.mixed.value, coded, layers, w);
    pack.models.push_back(std::move(spec));
  }
  std::vector<uint8_t> bytes;
  Status s = WritePack(pack, &bytes);
  if (!s.ok()) throw std::runtime_error(std::string("WritePack: ") + s.message());
  if (!pack_path.empty()) std::ofstream(pack_path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  out["layer_choice_seconds"] = choice_seconds;
  out["codebook_charged"] = own_codebook;
  out["charged_weight_bytes"] = charged;  // what the layer choice's budget counted
  out["pack_weight_bytes"] = weights;
  out["pack_channel_bytes"] = channels;
  out["pack_channel_bytes_exact_narrow"] = exact_channels;
  out["pack_file_bytes"] = static_cast<long long>(bytes.size());
  out["codebook_bytes"] = static_cast<long long>(codebook.size());
  // The engine runs the pack from PCM, one model after another in one arena.
  Pack loaded;
  s = LoadPack(bytes.data(), bytes.size(), &loaded);
  if (!s.ok()) throw std::runtime_error(std::string("pack does not load: ") + s.message());
  HostPackRunner host;
  s = host.Init(loaded);
  if (!s.ok()) throw std::runtime_error(std::string("pack runner: ") + s.message());
  PackRunner& runner = host.runner();
  out["arena_bytes"] = static_cast<long long>(host.arena_bytes());
  for (size_t i = 0; i < members.size(); ++i) {
    s = runner.Select(static_cast<int>(i));
    if (!s.ok()) throw std::runtime_error(std::string("select: ") + s.message());
    const auto pred = EnginePredictWith(runner.engine(), runner.model(), members[i]->d.report_items(),
                                         PadsOf(members[i]->r));
    int agree = 0;
    for (size_t j = 0; j < pred.size(); ++j) agree += pred[j] == factory_pred[i][static_cast<int64_t>(j)].item<int64_t>();
    const double share = pred.empty() ? 1.0 : static_cast<double>(agree) / pred.size();
    out["models"][i]["pack"]["engine_agreement"] = share;
    if (!o.quiet) std::printf("%s: engine vs factory integer model %d/%zu\n", members[i]->r.name.c_str(), agree, pred.size());
  }
  return out;
}

// A member's recipe, data and folder, from its definition in the pack recipe.
std::unique_ptr<Member> SetUp(const PackMemberDef& def, const PackRecipe& p, const PackOptions& o) {
  auto m = std::make_unique<Member>();
  m->r = LoadRecipe((fs::path(p.path).parent_path() / def.recipe).string());
  if (def.epochs > 0) m->r.train.epochs = def.epochs;
  if (o.epochs > 0) m->r.train.epochs = o.epochs;
  m->r8 = W8A8(m->r);
  m->finetune_epochs = def.finetune_epochs;
  m->keep = def.keep;
  m->data_path = def.data.empty() ? m->r.data.path
                 : o.data_root.empty() ? def.data : (fs::path(o.data_root) / def.data).string();
  m->dir = (fs::path(o.out_dir) / m->r.name).string();
  torch::set_num_threads(std::max(1, m->r.train.threads));
  return m;
}

std::vector<std::unique_ptr<Member>> LoadMembers(const std::vector<PackMemberDef>& defs, const PackRecipe& p,
                                                 const PackOptions& o, const std::string& cache) {
  std::vector<std::unique_ptr<Member>> out;
  for (const auto& def : defs) {
    auto m = SetUp(def, p, o);
    Baselines(*m, o, cache);
    Prepare(*m, cache);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

json RunPack(const PackRecipe& p, const PackOptions& o, const std::function<void(const json&)>& written) {
  const double t0 = NowSeconds();
  fs::create_directories(o.out_dir);
  const std::string cache = o.cache_dir.empty() ? (fs::path(o.out_dir) / "feature-cache").string() : o.cache_dir;
  if (o.train_only) {
    if (o.lanes < 1 || o.lane < 0 || o.lane >= o.lanes) throw std::runtime_error("pack: lane I of N needs 0 <= I < N");
    std::vector<PackMemberDef> all = p.models;
    all.insert(all.end(), p.generalization.begin(), p.generalization.end());
    json trained = json::array();
    for (size_t i = 0; i < all.size(); ++i) {
      if (static_cast<int>(i % static_cast<size_t>(o.lanes)) != o.lane) continue;
      auto m = SetUp(all[i], p, o);
      Baselines(*m, o, cache);
      trained.push_back(m->r.name);
    }
    return {{"name", p.name}, {"trained", trained}, {"seconds", NowSeconds() - t0}};
  }
  auto members = LoadMembers(p.models, p, o, cache);
  auto general = LoadMembers(p.generalization, p, o, cache);
  const int epochs = o.finetune_epochs > 0 ? o.finetune_epochs : p.finetune_epochs;
  json res = {{"name", p.name}, {"recipe", p.path}, {"min_weights", p.min_weights}, {"max_error", p.max_error},
              {"min_compression", p.min_compression}, {"keep_bits", p.keep_bits},
              {"sensitivity_samples", p.sensitivity_samples}};
  const auto codebook = LearnCodebook(members, p, p.dim, p.centroids);
  const std::string pack_path = (fs::path(o.out_dir) / (p.name + ".pack.tm2")).string();
  const std::string tag = "pack-d" + std::to_string(p.dim) + "k" + std::to_string(p.centroids);
  res["pack"] = PackAt(members, p, o, codebook, true, p.dim, p.centroids, epochs, o.finetune_epochs <= 0, tag, pack_path);
  res["pack"]["file"] = fs::path(pack_path).filename().string();
  if (!general.empty()) {
    const std::string gpath = (fs::path(o.out_dir) / (p.name + ".generalization.pack.tm2")).string();
    res["generalization"] = PackAt(general, p, o, codebook, false, p.dim, p.centroids, epochs, o.finetune_epochs <= 0, tag, gpath);
  }
  auto write = [&] {
    res["seconds"] = NowSeconds() - t0;
    std::ofstream(fs::path(o.out_dir) / "pack-results.json") << res.dump(2) << "\n";
    if (written) written(res);
  };
  write();
  if (o.sweep && !p.sweep.empty()) {
    for (const auto& [dim, k] : p.sweep) {
      const auto cb = LearnCodebook(members, p, dim, k);
      const std::string stag = "sweep-d" + std::to_string(dim) + "k" + std::to_string(k);
      res["sweep"].push_back(PackAt(members, p, o, cb, true, dim, k, p.sweep_epochs, false, stag, ""));
    }
    write();
  }
  return res;
}

}  // namespace factory
}  // namespace tm2
