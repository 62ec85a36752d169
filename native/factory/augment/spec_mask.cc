#include "augment/spec_mask.h"

#include <algorithm>

namespace tm2 {
namespace factory {

namespace {

// [N, len] bool: true inside any of `masks` runs of width <= max_width.
torch::Tensor Runs(int64_t n, int64_t len, int masks, int max_width) {
  auto hit = torch::zeros({n, len}, torch::kBool);
  const int64_t cap = std::min<int64_t>(max_width, len);
  if (masks <= 0 || cap <= 0) return hit;
  const auto pos = torch::arange(len).reshape({1, len});
  for (int m = 0; m < masks; ++m) {
    const auto width = torch::randint(0, cap + 1, {n, 1});
    const auto start = (torch::rand({n, 1}) * (len - width + 1)).floor().to(torch::kLong);
    hit = hit | ((pos >= start) & (pos < start + width));
  }
  return hit;
}

}  // namespace

torch::Tensor SpecMask(const torch::Tensor& x, const AugmentConfig& c) {
  if (c.time_masks <= 0 && c.freq_masks <= 0) return x;
  const int64_t n = x.size(0), frames = x.size(2), bins = x.size(3);
  const auto t = Runs(n, frames, c.time_masks, c.time_mask_frames).reshape({n, 1, frames, 1});
  const auto f = Runs(n, bins, c.freq_masks, c.freq_mask_bins).reshape({n, 1, 1, bins});
  return x.masked_fill(t | f, 0.0);
}

}  // namespace factory
}  // namespace tm2
