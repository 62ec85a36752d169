#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <nlohmann/json.hpp>

#include "augment/spec_mask.h"
#include "results/metric.h"

namespace tm2 {
namespace factory {
namespace fs = std::filesystem;

namespace {

torch::Tensor Augment(const std::vector<torch::Tensor>& gain_unit, const TrainConfig& cfg,
                      torch::Tensor x, size_t branch) {
  const int64_t n = x.size(0);
  if (cfg.gain_db > 0 && branch < gain_unit.size()) {
    // A gain g scales power by g^2: log-mel moves by 2 ln g in every bin.
    const auto db = (torch::rand({n, 1, 1, 1}) * 2 - 1) * cfg.gain_db;
    const auto ln_g = db * (std::log(10.0) / 20.0);
    x = x + ln_g * gain_unit[branch].reshape({1, 1, 1, -1});
  }
  if (cfg.noise > 0) x = x + torch::randn_like(x) * cfg.noise;
  if (cfg.shift_frames > 0) {
    const auto shifts = torch::randint(-cfg.shift_frames, cfg.shift_frames + 1, {n});
    std::vector<torch::Tensor> rows;
    for (int64_t i = 0; i < n; ++i) rows.push_back(torch::roll(x[i], shifts[i].item<int64_t>(), 1));
    x = torch::stack(rows);
  }
  return x;
}

std::string Clock(double s) {
  char b[32];
  std::snprintf(b, sizeof(b), "%d:%02d", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return b;
}

}  // namespace

// A cell is a label, or a (label, source) pair; weight = N / (labels present
// x cells of the label x items in the cell).
torch::Tensor ItemWeights(const TensorSet& train, const std::string& balance) {
  const int64_t n = train.size();
  if (balance == "none" || n == 0) return {};
  std::map<int64_t, std::map<std::string, int64_t>> count;  // label -> source -> items
  const auto y = train.y.to(torch::kLong).contiguous();
  const int64_t* yl = y.data_ptr<int64_t>();
  auto key = [&](int64_t i) {
    return balance == "label_source" && static_cast<size_t>(i) < train.source.size() ? train.source[i] : std::string();
  };
  for (int64_t i = 0; i < n; ++i) ++count[yl[i]][key(i)];
  std::vector<float> w(n);
  for (int64_t i = 0; i < n; ++i) {
    const auto& cells = count[yl[i]];
    w[i] = static_cast<float>(static_cast<double>(n) /
                              (static_cast<double>(count.size()) * cells.size() * cells.at(key(i))));
  }
  return torch::tensor(w);
}

std::vector<torch::Tensor> MixBatch(const std::vector<torch::Tensor>& x, const torch::Tensor& partner, double l) {
  std::vector<torch::Tensor> out;
  for (const auto& t : x) out.push_back(l * t + (1 - l) * t.index_select(0, partner));
  return out;
}

double LearningRate(const std::string& schedule, double lr, int epoch, int epochs) {
  if (schedule != "cosine") return lr;
  return lr * 0.5 * (1.0 + std::cos(std::acos(-1.0) * epoch / std::max(1, epochs)));
}

double Metric(const std::string& metric, const torch::Tensor& scores, const torch::Tensor& y) {
  const auto prob = torch::softmax(scores.to(torch::kFloat64), 1).contiguous();
  const auto labels = y.to(torch::kLong).contiguous();
  const int64_t n = prob.size(0), c = prob.size(1);
  const double* p = prob.data_ptr<double>();
  std::vector<std::vector<double>> rows(n);
  std::vector<int> label(n);
  for (int64_t i = 0; i < n; ++i) {
    rows[i].assign(p + i * c, p + (i + 1) * c);
    label[i] = static_cast<int>(labels.data_ptr<int64_t>()[i]);
  }
  return MetricOf(metric, rows, label);
}

torch::Tensor TeacherSoftTargets(const std::vector<TinyNet*>& teachers, const std::vector<torch::Tensor>& x,
                                 double temperature) {
  if (teachers.empty()) throw std::runtime_error("TeacherSoftTargets: no teacher");
  torch::NoGradGuard ng;
  torch::Tensor sum;
  for (TinyNet* t : teachers) {
    (*t)->eval();
    const auto p = torch::softmax((*t)->forward(x) / temperature, 1);
    sum = sum.defined() ? sum + p : p;
  }
  return teachers.size() == 1 ? sum : sum / static_cast<double>(teachers.size());
}

torch::Tensor PredictLogits(TinyNet& net, const TensorSet& set) {
  torch::NoGradGuard ng;
  const bool was_training = net->is_training();
  net->eval();
  std::vector<torch::Tensor> outs;
  for (int64_t i = 0; i < set.size(); i += 256) {
    const int64_t end = std::min<int64_t>(set.size(), i + 256);
    std::vector<torch::Tensor> x;
    for (const auto& t : set.x) x.push_back(t.slice(0, i, end));
    outs.push_back(net->forward(x));
  }
  if (was_training) net->train();
  return torch::cat(outs);
}

TrainResult Train(TinyNet& net, const TensorSet& train, const TensorSet& val,
                  const TrainConfig& cfg, const TrainRun& run) {
  TrainResult res;
  torch::optim::Adam opt(net->parameters(),
                         torch::optim::AdamOptions(run.lr).weight_decay(cfg.weight_decay));
  const std::string base = run.dir.empty() ? "" : (fs::path(run.dir) / run.tag).string();
  std::ofstream log;
  int start_epoch = 0, bad = 0;
  res.best_metric = -1;
  if (!base.empty()) {
    fs::create_directories(run.dir);
    if (run.resume && fs::exists(base + ".state.json")) {
      nlohmann::json st = nlohmann::json::parse(std::ifstream(base + ".state.json"));
      torch::load(net, base + ".ckpt.pt");
      torch::load(opt, base + ".opt.pt");
      start_epoch = st["epoch"];
      bad = st["bad_epochs"];
      res.best_metric = st["best_metric"];
      res.best_epoch = st["best_epoch"];
      if (!run.quiet) std::printf("[%s] resumed after epoch %d\n", run.tag.c_str(), start_epoch);
    }
    log.open(base + ".log", start_epoch > 0 ? std::ios::app : std::ios::trunc);
  }
  // Seeded per epoch, so a resumed run draws what an uninterrupted one would.
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t n = train.size();
  const torch::Tensor item_weight = ItemWeights(train, cfg.balance);
  for (int epoch = start_epoch; epoch < run.epochs; ++epoch) {
    torch::manual_seed(cfg.seed * 1000003ull + epoch);
    if (cfg.lr_schedule != "constant") {
      // Set from the epoch alone, so a resumed run continues the same curve.
      const double lr = LearningRate(cfg.lr_schedule, run.lr, epoch, run.epochs);
      for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    }
    net->train();
    const auto perm = torch::randperm(n, torch::kLong);
    double loss_sum = 0;
    int64_t seen = 0;
    for (int64_t i = 0; i < n; i += cfg.batch) {
      const auto idx = perm.slice(0, i, std::min<int64_t>(n, i + cfg.batch));
      if (idx.size(0) < 2) continue;  // batch norm needs two samples
      std::vector<torch::Tensor> x;
      for (size_t b = 0; b < train.x.size(); ++b) {
        torch::Tensor xb;
        if (b < train.views.size()) {
          const auto view = torch::randint(0, train.views[b].size(0), {idx.size(0)}, torch::kLong);
          xb = train.views[b].index({view, idx});
        } else {
          xb = train.x[b].index_select(0, idx);
        }
        x.push_back(SpecMask(Augment(run.gain_unit, cfg, xb, b), run.augment));
      }
      const auto y = train.y.index_select(0, idx);
      const torch::Tensor w = item_weight.defined() ? item_weight.index_select(0, idx) : torch::Tensor();
      const double ls = cfg.label_smoothing;
      auto ce = [&](const torch::Tensor& logits, const torch::Tensor& target, const torch::Tensor& weight) {
        return weight.defined()
                   ? (torch::cross_entropy_loss(logits, target, {}, at::Reduction::None, -100, ls) * weight).mean()
                   : torch::cross_entropy_loss(logits, target, {}, at::Reduction::Mean, -100, ls);
      };
      torch::Tensor loss, logits;
      if (cfg.mixup > 0) {
        // Mixup: one l per batch, each item mixed with a shuffled partner.
        const auto g = torch::_standard_gamma(torch::full({2}, cfg.mixup, torch::kDouble));
        const double l = (g[0] / (g[0] + g[1])).item<double>();
        const auto partner = torch::randperm(idx.size(0), torch::kLong);
        x = MixBatch(x, partner, l);
        logits = net->forward(x);
        loss = l * ce(logits, y, w) +
               (1 - l) * ce(logits, y.index_select(0, partner), w.defined() ? w.index_select(0, partner) : w);
      } else {
        logits = net->forward(x);
        loss = ce(logits, y, w);
      }
      if (!run.teachers.empty() && run.kd_weight > 0) {
        const torch::Tensor soft = TeacherSoftTargets(run.teachers, x, run.kd_temperature);
        // Hinton et al.: T^2 keeps the soft term's gradient scale comparable.
        const auto kd = torch::kl_div(torch::log_softmax(logits / run.kd_temperature, 1), soft,
                                      at::Reduction::Sum) / static_cast<double>(idx.size(0)) *
                        (run.kd_temperature * run.kd_temperature);
        loss = (1 - run.kd_weight) * loss + run.kd_weight * kd;
      }
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>() * idx.size(0);
      seen += idx.size(0);
    }
    const double loss = seen ? loss_sum / seen : 0;
    if (epoch == start_epoch) res.first_loss = loss;
    res.last_loss = loss;
    const double metric = Metric(cfg.metric, PredictLogits(net, val), val.y);
    ++res.epochs_run;
    if (metric > res.best_metric) {
      res.best_metric = metric;
      res.best_epoch = epoch + 1;
      bad = 0;
      if (!base.empty()) torch::save(net, base + ".best.pt");
    } else {
      ++bad;
    }
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double left = el / res.epochs_run * (run.epochs - epoch - 1);
    char line[256];
    std::snprintf(line, sizeof(line), "[%s] epoch %d/%d  loss %.4f  val %s %.4f  best %.4f @%d  %s, ~%s left",
                  run.tag.c_str(), epoch + 1, run.epochs, loss, cfg.metric.c_str(), metric,
                  res.best_metric, res.best_epoch, Clock(el).c_str(), Clock(left).c_str());
    if (!run.quiet) std::printf("%s\n", line), std::fflush(stdout);
    if (log) log << line << "\n" << std::flush;
    if (!base.empty()) {
      torch::save(net, base + ".ckpt.pt");
      torch::save(opt, base + ".opt.pt");
      nlohmann::json st = {{"epoch", epoch + 1}, {"bad_epochs", bad}, {"best_metric", res.best_metric},
                           {"best_epoch", res.best_epoch}};
      std::ofstream(base + ".state.json") << st.dump(1);
    }
    if (cfg.patience > 0 && bad >= cfg.patience) {
      if (!run.quiet) std::printf("[%s] early stop: no gain for %d epochs\n", run.tag.c_str(), bad);
      break;
    }
  }
  if (!base.empty() && fs::exists(base + ".best.pt")) torch::load(net, base + ".best.pt");
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace factory
}  // namespace tm2
