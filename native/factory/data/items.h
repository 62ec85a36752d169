// Training items: the rows a recipe uses, deduplicated, level-checked,
// split by group and joined across branches.
//
//   ItemOptions io; io.folds = 5; io.fold = 0;       // or folds = 0: one split
//   ItemCounts counts;
//   std::vector<Item> items = LoadItems(recipe, data_path, io, &counts);
#ifndef TM2_FACTORY_DATA_ITEMS_H_
#define TM2_FACTORY_DATA_ITEMS_H_

#include <string>
#include <vector>

#include "recipe/recipe.h"

namespace tm2 {
namespace factory {

// One item: a recording per branch, a label index, its group and split
// (train, validation, or evaluation = the held-out cross-validation fold).
struct Item {
  std::vector<std::string> paths;
  int label = 0;
  std::string group, source, split;
};

struct ItemOptions {
  int max_per_label = 0;  // > 0: a deterministic sample of this many rows per label
  int folds = 0, fold = 0;  // folds > 1: fold `fold` is the evaluation split
  uint64_t fold_seed = 1;
};

struct ItemCounts {
  int duplicates = 0, quiet_dropped = 0, other_modality = 0, incomplete_groups = 0;
};

// Throws std::runtime_error with a message naming the problem (no rows
// left, unreadable file, a group in two named splits).
std::vector<Item> LoadItems(const Recipe& r, const std::string& data_path, const ItemOptions& options,
                            ItemCounts* counts);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_DATA_ITEMS_H_
