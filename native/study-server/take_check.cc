#include "take_check.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace tm2study {
namespace {

// web/quality.js QUALITY, on samples scaled to [-1, 1].
constexpr double kQuietRms = 0.003, kQuietPeak = 0.02, kClipLevel = 0.999, kClipFraction = 0.002;
constexpr int kClipMinSamples = 20;

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

std::string Fixed1(double v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.1f", v);
  return b;
}

std::string Describe(const std::string& modality) {
  if (modality == "cough") return "a cough";
  if (modality == "speech") return "speech";
  if (modality == "breath") return "breathing";
  return "the requested sound (" + modality + ")";
}

}  // namespace

TakeChecker::TakeChecker(const std::string& manifest_path) {
  if (manifest_path.empty()) return;
  const auto text = ReadAll(manifest_path);
  const auto manifest = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (manifest.is_discarded()) throw std::runtime_error(manifest_path + ": not valid JSON");
  const auto gate = manifest.find("gate");
  if (gate == manifest.end() || gate->is_null()) return;
  const std::string dir = manifest_path.substr(0, manifest_path.find_last_of('/') + 1);
  model_bytes_ = ReadAll(dir + gate->at("url").get<std::string>());
  tm2::Status s = tm2::LoadModel(model_bytes_.data(), model_bytes_.size(), &model_);
  size_t need = 0;
  if (s.ok()) s = tm2::Engine::ArenaBytes(model_, &need);
  arena_.resize(need);
  if (s.ok()) s = engine_.Init(model_, arena_.data(), arena_.size());
  if (!s.ok()) throw std::runtime_error(dir + gate->at("url").get<std::string>() + ": " + s.message());
  threshold_ = gate->value("threshold", 0.5);
  const nlohmann::json labels = gate->value("labels", nlohmann::json::object());
  for (const auto& [modality, label] : labels.items())
    for (int i = 0; i < model_.num_labels(); ++i)
      if (label == model_.label(i)) label_index_[modality] = i;
  ready_ = true;
}

Verdict TakeChecker::Check(const std::vector<uint8_t>& wav, const WavHeader& h,
                           const TaskLimits& task) {
  const auto* pcm = reinterpret_cast<const int16_t*>(wav.data() + h.data_offset);
  const size_t n = h.data_bytes / 2;
  const size_t frames = n / h.channels;
  const double seconds = h.seconds();
  if (seconds < task.min_seconds)
    return {"short", "Too short: " + Fixed1(seconds) + " s, and this recording needs at least " +
                         Fixed1(task.min_seconds) + " s."};
  // levelStats of web/quality.js: peak, RMS of the loudest window of
  // rate x channels samples, share of samples at full scale.
  const size_t win = std::max<size_t>(1, std::min<size_t>(n, size_t{h.sample_rate} * h.channels));
  double peak = 0, sum = 0, best = 0;
  size_t clipped = 0;
  for (size_t i = 0; i < n; ++i) {
    const double v = pcm[i] / 32768.0;
    const double a = std::fabs(v);
    peak = std::max(peak, a);
    if (a >= kClipLevel) ++clipped;
    sum += v * v;
    if (i >= win) {
      const double old = pcm[i - win] / 32768.0;
      sum -= old * old;
    }
    if (i + 1 >= win && sum > best) best = sum;
  }
  if (n < win) best = sum;
  const double rms = std::sqrt(std::max(0.0, best) / static_cast<double>(win));
  if (rms < kQuietRms || peak < kQuietPeak) return {"quiet", "Too quiet: almost nothing was heard."};
  if (clipped >= kClipMinSamples && static_cast<double>(clipped) / n > kClipFraction)
    return {"clipped", "Too loud: the recording is clipped."};
  const auto label = label_index_.find(task.modality);
  if (!ready_ || label == label_index_.end()) return {"ok", "Recording quality is fine."};
  std::lock_guard<std::mutex> lock(mu_);
  tm2::Status s;
  for (int b = 0; s.ok() && b < engine_.num_branches(); ++b)
    s = engine_.SetInput(b, tm2::PcmView::S16(pcm, frames, h.sample_rate, h.channels));
  if (s.ok()) s = engine_.Invoke();
  if (!s.ok()) return {"error", std::string("sound-type check failed: ") + s.message()};
  const double p = engine_.probabilities()[label->second];
  if (p < threshold_)
    return {"kind", "This does not sound like " + Describe(task.modality) + " (sound-type check: " +
                        std::to_string(static_cast<int>(std::lround(p * 100))) + " %).", p};
  return {"ok", "Recording quality is fine.", p};
}

}  // namespace tm2study
