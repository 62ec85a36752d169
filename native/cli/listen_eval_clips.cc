#include "listen_eval_clips.h"

#include <dirent.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <utility>

#include "read_file.h"

namespace tm2 {
namespace cli {

bool ReadMono(const std::string& path, std::vector<float>* out, std::string* error) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) {
    *error = "cannot open " + path + ": " + sf_strerror(nullptr);
    return false;
  }
  if (info.samplerate != kRate) {
    sf_close(f);
    *error = path + " is at " + std::to_string(info.samplerate) + " Hz; the streams are 16 kHz";
    return false;
  }
  std::vector<float> block(4096 * static_cast<size_t>(info.channels));
  out->clear();
  sf_count_t got;
  while ((got = sf_readf_float(f, block.data(), 4096)) > 0)
    for (sf_count_t i = 0; i < got; ++i) {
      float v = 0;
      for (int c = 0; c < info.channels; ++c) v += block[i * info.channels + c];
      out->push_back(v / info.channels);
    }
  sf_close(f);
  return true;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool IsAudio(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  const std::string ext = name.substr(dot);
  return ext == ".wav" || ext == ".flac";
}

// The page's level check as the factory applies it (native/factory/data/
// items.cc): peak >= 0.02 and RMS of the loudest second >= 0.003.
bool LoudEnough(const std::vector<float>& x) {
  double peak = 0;
  for (float v : x) peak = std::max(peak, static_cast<double>(std::fabs(v)));
  const size_t n = x.size(), sec = kRate;
  double best = 0;
  for (size_t s0 = 0; s0 == 0 || s0 + sec <= n; s0 += sec / 10) {
    const size_t end = std::min(n, s0 + sec);
    double e = 0;
    for (size_t f = s0; f < end; ++f) e += static_cast<double>(x[f]) * x[f];
    if (end > s0) best = std::max(best, std::sqrt(e / (end - s0)));
    if (end == n) break;
  }
  return peak >= 0.02 && best >= 0.003;
}

// The factory's split by group (native/factory/data/split.cc): groups in
// name order, shuffled with splitmix64 from the seed, taken into validation
// until they hold the wanted share of items.
std::set<std::string> ValidationGroups(const std::map<std::string, int>& items_per_group,
                                       double fraction, unsigned long long seed) {
  std::vector<std::string> groups;
  int total = 0;
  for (const auto& g : items_per_group) {
    groups.push_back(g.first);
    total += g.second;
  }
  uint64_t s = seed;
  auto next = [&s]() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  for (size_t i = groups.size(); i > 1; --i) std::swap(groups[i - 1], groups[next() % i]);
  std::set<std::string> validation;
  int taken = 0;
  for (const auto& g : groups) {
    if (taken >= fraction * total || validation.size() + 1 >= groups.size()) break;
    validation.insert(g);
    taken += items_per_group.at(g);
  }
  return validation;
}

bool LoadCoswara(const std::string& dir, const SplitRule& rule, const std::string& split,
                 std::vector<Clip>* clips, std::string* error) {
  if (split != "validation" && split != "evaluation") {
    *error = "split '" + split + "': use validation or evaluation";
    return false;
  }
  if (split == "evaluation" && !rule.holdout) {
    *error = "the recipe holds no evaluation split (data.holdout is false)";
    return false;
  }
  std::map<std::string, std::vector<Clip>> by_participant;
  std::map<std::string, int> counts;
  for (const std::string& p : ListDir(dir)) {
    for (const std::string& name : ListDir(dir + "/" + p)) {
      if (!IsAudio(name)) continue;
      Clip c;
      c.label = name.substr(0, name.find('-'));
      c.path = dir + "/" + p + "/" + name;
      if (!ReadMono(c.path, &c.samples, error)) return false;
      if (c.samples.empty() || !LoudEnough(c.samples)) continue;
      ++counts[p];
      by_participant[p].push_back(std::move(c));
    }
  }
  if (counts.empty()) {
    *error = "no recordings under " + dir;
    return false;
  }
  std::set<std::string> chosen = ValidationGroups(counts, rule.fraction, rule.seed);
  if (rule.holdout) {
    // items.cc: the plain split's validation groups become evaluation;
    // validation is drawn again from the groups left, seed ^ 0xE7A1.
    if (split == "validation") {
      std::map<std::string, int> rest;
      for (const auto& g : counts)
        if (!chosen.count(g.first)) rest.insert(g);
      chosen = ValidationGroups(rest, rule.fraction, rule.seed ^ 0xE7A1ull);
    }
  }
  for (const std::string& p : chosen)
    for (Clip& c : by_participant[p]) clips->push_back(std::move(c));
  return true;
}

bool ReadSplitRule(const std::string& recipe_path, SplitRule* rule, std::string* error) {
  std::vector<uint8_t> bytes;
  if (!ReadFile(recipe_path.c_str(), &bytes)) {
    *error = "cannot read " + recipe_path;
    return false;
  }
  const std::string text(bytes.begin(), bytes.end());
  const size_t data = text.find("\"data\"");
  if (data == std::string::npos) {
    *error = recipe_path + ": no \"data\" object";
    return false;
  }
  // The value after "key": in the data object (these keys are scalars
  // there and nowhere before it in a recipe).
  auto value = [&](const char* key, std::string* out) {
    const size_t at = text.find(std::string("\"") + key + "\"", data);
    if (at == std::string::npos) return false;
    size_t v = text.find(':', at);
    if (v == std::string::npos) return false;
    ++v;
    while (v < text.size() && (text[v] == ' ' || text[v] == '\n' || text[v] == '\t')) ++v;
    size_t e = v;
    while (e < text.size() && text[e] != ',' && text[e] != '}' && text[e] != '\n') ++e;
    *out = text.substr(v, e - v);
    return !out->empty();
  };
  std::string f, s, h;
  if (!value("validation_fraction", &f) || !value("split_seed", &s)) {
    *error = recipe_path + ": data needs validation_fraction and split_seed";
    return false;
  }
  rule->fraction = std::atof(f.c_str());
  rule->seed = std::strtoull(s.c_str(), nullptr, 10);
  rule->holdout = value("holdout", &h) && h.compare(0, 4, "true") == 0;
  if (!(rule->fraction > 0 && rule->fraction < 1)) {
    *error = recipe_path + ": validation_fraction must be in (0, 1)";
    return false;
  }
  return true;
}

// The clip's own recording noise before and after its sound is cut.
void SoundSpan(const std::vector<float>& x, size_t* first, size_t* last) {
  const size_t frame = kRate / 100, n = x.size() / frame;
  std::vector<double> rms(n);
  double top = 0;
  for (size_t i = 0; i < n; ++i) {
    double e = 0;
    for (size_t j = 0; j < frame; ++j) e += static_cast<double>(x[i * frame + j]) * x[i * frame + j];
    rms[i] = std::sqrt(e / frame);
    top = std::max(top, rms[i]);
  }
  size_t a = 0, b = n;
  while (a < n && rms[a] < top * 0.0316) ++a;
  while (b > a && rms[b - 1] < top * 0.0316) --b;
  *first = a * frame;
  *last = b * frame;
}

}  // namespace cli
}  // namespace tm2
