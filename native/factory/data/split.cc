#include "data/split.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

namespace tm2 {
namespace factory {

std::vector<size_t> Deduplicate(const std::vector<Example>& rows,
                                const std::vector<uint64_t>& hashes, int* dropped) {
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return rows[a].path < rows[b].path; });
  std::map<uint64_t, size_t> first;
  std::set<uint64_t> conflicting;
  for (size_t i : order) {
    auto it = first.find(hashes[i]);
    if (it == first.end()) first[hashes[i]] = i;
    else if (rows[it->second].label != rows[i].label) conflicting.insert(hashes[i]);
  }
  std::vector<size_t> kept;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto it = first.find(hashes[i]);
    if (it->second == i && !conflicting.count(hashes[i])) kept.push_back(i);
  }
  if (dropped) *dropped = static_cast<int>(rows.size() - kept.size());
  return kept;
}

namespace {

// splitmix64: the same sequence on every platform.
struct SplitMix {
  uint64_t s;
  uint64_t operator()() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

void Shuffle(std::vector<std::string>* v, SplitMix* next) {
  for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[(*next)() % i]);
}

}  // namespace

void SplitByGroup(std::vector<Example>* rows, double validation_fraction, uint64_t seed) {
  std::map<std::string, std::set<std::string>> given;  // group -> named splits
  std::map<std::string, int> free_count;
  for (const auto& e : *rows) {
    if (!e.split.empty()) given[e.group].insert(e.split);
    else ++free_count[e.group];
  }
  for (const auto& g : given)
    if (g.second.size() > 1 || free_count.count(g.first))
      throw std::runtime_error("group '" + g.first + "' is in more than one split");
  std::vector<std::string> groups;
  for (const auto& g : free_count) groups.push_back(g.first);  // sorted by std::map
  SplitMix next{seed};
  Shuffle(&groups, &next);
  int total = 0;
  for (const auto& g : free_count) total += g.second;
  const double want = validation_fraction * total;
  std::set<std::string> validation;
  int taken = 0;
  for (const auto& g : groups) {
    // Stop at the wanted share, and always leave training at least one
    // group (a small study can have a few groups of uneven size).
    if (taken >= want || validation.size() + 1 >= groups.size()) break;
    validation.insert(g);
    taken += free_count[g];
  }
  for (auto& e : *rows)
    if (e.split.empty()) e.split = validation.count(e.group) ? "validation" : "train";
}

void AssignFold(std::vector<Example>* rows, int folds, int fold, double validation_fraction,
                uint64_t seed) {
  if (folds < 2) throw std::runtime_error("cross-validation needs at least 2 folds");
  if (fold < 0 || fold >= folds) throw std::runtime_error("fold " + std::to_string(fold) + " is out of range");
  std::vector<size_t> order(rows->size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return (*rows)[a].path < (*rows)[b].path; });
  std::map<std::string, std::string> group_label;
  for (size_t i : order) group_label.emplace((*rows)[i].group, (*rows)[i].label);
  if (static_cast<int>(group_label.size()) < folds)
    throw std::runtime_error("cross-validation: " + std::to_string(group_label.size()) + " groups for " +
                             std::to_string(folds) + " folds");
  std::map<std::string, std::vector<std::string>> by_label;  // sorted groups per label
  for (const auto& g : group_label) by_label[g.second].push_back(g.first);
  // Deal each label's shuffled groups round-robin, continuing where the
  // previous label stopped, so fold sizes differ by at most one group.
  SplitMix next{seed};
  std::set<std::string> held_out;
  size_t deal = 0;
  for (auto& l : by_label) {
    Shuffle(&l.second, &next);
    for (const auto& g : l.second)
      if (static_cast<int>(deal++ % folds) == fold) held_out.insert(g);
  }
  for (auto& e : *rows) e.split = held_out.count(e.group) ? "evaluation" : "";
  std::vector<Example> rest;
  for (const auto& e : *rows)
    if (e.split.empty()) rest.push_back(e);
  SplitByGroup(&rest, validation_fraction, seed ^ 0x5EEDull);
  size_t k = 0;
  for (auto& e : *rows)
    if (e.split.empty()) e.split = rest[k++].split;
}

}  // namespace factory
}  // namespace tm2
