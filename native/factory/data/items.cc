#include "data/items.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include "data/audio_file.h"
#include "data/dataset.h"
#include "data/feature_cache.h"
#include "data/split.h"

namespace tm2 {
namespace factory {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The page's level check (docs/web.md): peak and RMS of the loudest second.
bool LoudEnough(const DataConfig& d, const std::string& path) {
  const Audio a = ReadAudio(path);
  const size_t n = a.frames(), sec = std::max<size_t>(1, a.sample_rate);
  std::vector<double> mono(n);
  double peak = 0;
  for (size_t f = 0; f < n; ++f) {
    double v = 0;
    for (int c = 0; c < a.channels; ++c) v += a.samples[f * a.channels + c];
    mono[f] = v / std::max<int>(1, a.channels);
    peak = std::max(peak, std::abs(mono[f]));
  }
  // RMS of the loudest one-second window (hop 0.1 s).
  double best = 0;
  for (size_t s0 = 0; s0 == 0 || s0 + sec <= n; s0 += std::max<size_t>(1, sec / 10)) {
    const size_t end = std::min(n, s0 + sec);
    double e = 0;
    for (size_t f = s0; f < end; ++f) e += mono[f] * mono[f];
    if (end > s0) best = std::max(best, std::sqrt(e / (end - s0)));
    if (end == n) break;
  }
  return peak >= d.min_peak && best >= d.min_loudest_second_rms;
}

// Items of a several-branch recipe: per group, one recording of each
// branch's modality (the first, or every combination).
std::vector<Item> JoinBranches(const Recipe& r, const std::vector<Example>& rows,
                               const std::map<std::string, int>& index, int* incomplete) {
  std::map<std::string, std::map<std::string, std::vector<const Example*>>> by_group;
  for (const auto& e : rows) by_group[e.group][e.modality].push_back(&e);
  std::vector<Item> items;
  for (const auto& g : by_group) {
    std::vector<const std::vector<const Example*>*> lists;
    for (const auto& b : r.branches) {
      auto f = g.second.find(b.modality);
      if (f == g.second.end()) break;
      lists.push_back(&f->second);
    }
    if (lists.size() != r.branches.size()) {
      ++*incomplete;
      continue;
    }
    // Mixed-radix counter over the branches' recordings.
    std::vector<size_t> pick(lists.size(), 0);
    for (int made = 0; made < 64; ++made) {
      Item it;
      it.group = g.first;
      for (size_t b = 0; b < lists.size(); ++b) {
        const Example* e = (*lists[b])[pick[b]];
        it.paths.push_back(e->path);
        it.label = index.at(e->label);
        it.split = e->split;
        it.source = lists.size() == 1 ? e->source : "";
      }
      items.push_back(it);
      if (r.data.pairing == "first") break;
      size_t b = 0;
      while (b < pick.size() && ++pick[b] == lists[b]->size()) pick[b++] = 0;
      if (b == pick.size()) break;
    }
  }
  return items;
}

}  // namespace

std::vector<Item> LoadItems(const Recipe& r, const std::string& data_path, const ItemOptions& o,
                            ItemCounts* counts) {
  ItemCounts local;
  ItemCounts& c = counts ? *counts : local;
  std::vector<Example> rows = LoadDataset(r.data.format, data_path, r.data.label_kind);
  std::map<std::string, int> index;
  for (size_t i = 0; i < r.labels.size(); ++i) index[r.labels[i]] = static_cast<int>(i);
  std::vector<Example> kept;
  for (Example e : rows) {
    auto m = r.data.label_map.find(e.label);
    if (m != r.data.label_map.end()) e.label = m->second;
    if (index.count(e.label) && e.split != "test") kept.push_back(e);
  }
  std::vector<uint64_t> hashes;
  for (const auto& e : kept) hashes.push_back(FeatureCache::ContentHash(e.path));
  std::vector<Example> unique;
  std::vector<uint64_t> unique_hash;
  for (size_t i : Deduplicate(kept, hashes, &c.duplicates)) {
    if ((r.data.min_peak > 0 || r.data.min_loudest_second_rms > 0) && !LoudEnough(r.data, kept[i].path)) {
      ++c.quiet_dropped;
      continue;
    }
    unique.push_back(kept[i]);
    unique_hash.push_back(hashes[i]);
  }
  if (!r.data.groups_with.empty()) {
    // After the level check and before data.modalities, so every recipe of
    // a study keeps the same groups.
    std::map<std::string, std::set<std::string>> have;
    for (const auto& e : unique) have[e.group].insert(e.modality);
    std::vector<Example> complete;
    std::vector<uint64_t> complete_hash;
    std::set<std::string> dropped;
    for (size_t i = 0; i < unique.size(); ++i) {
      bool all = true;
      for (const auto& m : r.data.groups_with) all = all && have[unique[i].group].count(m);
      if (all) {
        complete.push_back(unique[i]);
        complete_hash.push_back(unique_hash[i]);
      } else {
        dropped.insert(unique[i].group);
      }
    }
    c.incomplete_groups += static_cast<int>(dropped.size());
    unique = complete;
    unique_hash = complete_hash;
  }
  if (!r.data.modalities.empty()) {
    // Last, so groups_with and the level check see every modality.
    std::vector<Example> wanted;
    std::vector<uint64_t> wanted_hash;
    for (size_t i = 0; i < unique.size(); ++i) {
      if (!Contains(r.data.modalities, unique[i].modality)) {
        ++c.other_modality;
        continue;
      }
      wanted.push_back(unique[i]);
      wanted_hash.push_back(unique_hash[i]);
    }
    unique = wanted;
    unique_hash = wanted_hash;
  }
  if (o.max_per_label > 0) {
    // The rows with the smallest content hash per label: a deterministic
    // sample that does not depend on file order.
    std::vector<size_t> order(unique.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return unique_hash[a] < unique_hash[b]; });
    std::map<std::string, int> count;
    std::vector<Example> capped;
    for (size_t i : order)
      if (count[unique[i].label]++ < o.max_per_label) capped.push_back(unique[i]);
    unique = capped;
  }
  if (unique.empty()) throw std::runtime_error("data: no recordings left with the recipe's labels and modalities");
  if (o.folds > 1) AssignFold(&unique, o.folds, o.fold, r.data.validation_fraction, o.fold_seed);
  else if (!r.data.holdout) SplitByGroup(&unique, r.data.validation_fraction, r.data.split_seed);
  else {
    // The groups a plain split would validate on become the evaluation
    // split (so its clips are those of the same recipe without holdout);
    // validation is drawn again from the groups left for training.
    std::vector<bool> free(unique.size());
    for (size_t i = 0; i < unique.size(); ++i) free[i] = unique[i].split.empty();
    SplitByGroup(&unique, r.data.validation_fraction, r.data.split_seed);
    for (size_t i = 0; i < unique.size(); ++i)
      if (free[i]) unique[i].split = unique[i].split == "validation" ? "evaluation" : "";
    SplitByGroup(&unique, r.data.validation_fraction, r.data.split_seed ^ 0xE7A1ull);
  }
  if (r.branches.size() == 1) {
    // One branch: every recording is an item (data.modalities filters them).
    std::vector<Item> items;
    for (const auto& e : unique) items.push_back({{e.path}, index[e.label], e.group, e.source, e.split});
    return items;
  }
  return JoinBranches(r, unique, index, &c.incomplete_groups);
}

}  // namespace factory
}  // namespace tm2
