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
  // Fisher-Yates with splitmix64: the same order on every platform.
  uint64_t s = seed;
  auto next = [&s]() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  for (size_t i = groups.size(); i > 1; --i) std::swap(groups[i - 1], groups[next() % i]);
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

}  // namespace factory
}  // namespace tm2
