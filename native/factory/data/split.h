// Deduplication and group-wise train/validation splits.
#ifndef TM2_FACTORY_DATA_SPLIT_H_
#define TM2_FACTORY_DATA_SPLIT_H_

#include <cstdint>
#include <vector>

#include "data/dataset.h"

namespace tm2 {
namespace factory {

// Keeps the first row (in path order) of each distinct content hash and
// returns the kept indices; `hashes[i]` belongs to rows[i]. A duplicate
// whose copies carry different labels is dropped altogether (the label
// cannot be trusted). Identical copies share one group afterwards anyway.
std::vector<size_t> Deduplicate(const std::vector<Example>& rows,
                                const std::vector<uint64_t>& hashes, int* dropped);

// Fills each row's empty `split` with train or validation, whole groups at
// a time: groups are shuffled with `seed` and taken into validation until
// it holds `validation_fraction` of the rows. Rows that already name a
// split keep it (a group must not be in two splits: throws if it is).
void SplitByGroup(std::vector<Example>* rows, double validation_fraction, uint64_t seed);

// K-fold cross-validation by group: deals the groups into `folds` folds,
// stratified by each group's label (the label of its first row in path
// order) with a seeded shuffle, marks the rows of fold `fold` "evaluation"
// and splits the other groups into train and validation as SplitByGroup
// does (validation picks the epoch and the temperature; evaluation is only
// measured). A split named by the manifest is overridden, except "test"
// rows, which must not be passed in. Throws when there are fewer groups
// than folds or `fold` is out of range.
void AssignFold(std::vector<Example>* rows, int folds, int fold, double validation_fraction,
                uint64_t seed);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_DATA_SPLIT_H_
