// Shapes, parameter count, MACs and weight bytes of a recipe, computed
// with the format's shape rules (models/FORMAT.md 3.2) before any training.
#ifndef TM2_FACTORY_RECIPE_MODEL_STATS_H_
#define TM2_FACTORY_RECIPE_MODEL_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "recipe/recipe.h"

namespace tm2 {
namespace factory {

struct LayerStats {
  std::string name;
  OpKind kind;
  int in_h, in_w, in_c, out_h, out_w, out_c;
  int64_t weights = 0, biases = 0, macs = 0;
  int64_t bytes8 = 0, bytes4 = 0;  // packed weight bytes at 8 and 4 bits (rows byte-aligned)
};

struct ModelStats {
  std::vector<LayerStats> layers;  // branches in order, then the head
  int64_t params = 0, macs = 0, weight_bytes = 0;  // weight_bytes at the recipe's bits
  int fused_size = 0;
};

ModelStats ComputeStats(const Recipe& r);
int WeightBitsOf(const Recipe& r, const std::string& layer);
int ActBitsOf(const Recipe& r, const std::string& layer);
std::string FormatStats(const ModelStats& s);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RECIPE_MODEL_STATS_H_
