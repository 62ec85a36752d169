// The compute and memory budget of a model (models/FORMAT.md 9.1): a
// visitor of the loader's walk that counts each layer's MACs and
// operations, each branch's worst-case preprocessing and an estimate of the
// engine's arena, and stops at the first figure over ModelLimits.
// Internal to src/format.
#ifndef TM2_FORMAT_BUDGET_H_
#define TM2_FORMAT_BUDGET_H_

#include <cstdint>

#include "common/status.h"
#include "format/model.h"
#include "preprocess/preprocess.h"

namespace tm2 {
namespace format_internal {

// Operations of one branch's preprocessing for its worst input: max_seconds
// of audio at the highest input rate the preprocessor takes (48 kHz).
uint64_t PreprocessOps(const PreprocessParams& p);

class BudgetVisitor final : public ModelVisitor {
 public:
  BudgetVisitor(const Model& model, const ModelLimits& limits) : model_(model), limits_(limits) {}
  Status BeginStack(int branch, const TensorInfo& input, int num_layers) override;
  Status Layer(const LayerView& layer) override;
  Status EndStack(int branch, const TensorInfo& output) override;
  // The whole model's totals against the model limits.
  Status Finish();
  const ModelCost& cost() const { return cost_; }

 private:
  const Model& model_;
  const ModelLimits& limits_;
  ModelCost cost_;
  uint64_t fused_ = 0;           // values of all branch outputs
  uint64_t largest_tensor_ = 0;  // the engine's two activation buffers hold it
  uint64_t largest_pq_ = 0;      // decoded int8 weights of the largest PQ layer
  uint64_t layers_ = 0;
};

}  // namespace format_internal
}  // namespace tm2

#endif  // TM2_FORMAT_BUDGET_H_
