// SpecAugment masks: shape kept, whole frames / whole bins zeroed in at
// most the configured number of runs of at most the configured width,
// everything else untouched.
#include <catch2/catch.hpp>

#include "augment/spec_mask.h"

using namespace tm2::factory;

namespace {

// Lengths of the runs of true in a bool vector.
std::vector<int> RunsOf(const std::vector<bool>& v) {
  std::vector<int> runs;
  int len = 0;
  for (bool b : v) {
    if (b) ++len;
    else if (len) runs.push_back(len), len = 0;
  }
  if (len) runs.push_back(len);
  return runs;
}

}  // namespace

TEST_CASE("spec masks zero whole frames and bins within their limits") {
  torch::manual_seed(3);
  const int64_t n = 64, frames = 50, bins = 20;
  const auto x = torch::rand({n, 1, frames, bins}) + 1;  // no zeros of its own
  AugmentConfig c;
  CHECK(torch::equal(SpecMask(x, c), x));
  c.time_masks = 2;
  c.time_mask_frames = 6;
  c.freq_masks = 1;
  c.freq_mask_bins = 4;
  const auto y = SpecMask(x, c);
  REQUIRE(y.sizes() == x.sizes());
  const auto zero = (y == 0);
  CHECK(torch::equal(y.masked_select(~zero), x.masked_select(~zero)));
  int masked_items = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto z = zero[i][0];
    // A masked frame is one whose every bin is 0, a masked bin one whose every frame is.
    const auto frame_all = z.all(1), bin_all = z.all(0);
    std::vector<bool> tf(frames), fb(bins);
    for (int64_t t = 0; t < frames; ++t) tf[t] = frame_all[t].item<bool>();
    for (int64_t k = 0; k < bins; ++k) fb[k] = bin_all[k].item<bool>();
    // Every zero lies in a masked frame or a masked bin.
    for (int64_t t = 0; t < frames; ++t)
      for (int64_t k = 0; k < bins; ++k)
        if (z[t][k].item<bool>()) REQUIRE((tf[t] || fb[k]));
    const auto tr = RunsOf(tf), fr = RunsOf(fb);
    // Two time masks may overlap or touch: at most 2 runs, at most 12 frames in all.
    CHECK(tr.size() <= 2);
    int total = 0;
    for (int r : tr) total += r;
    CHECK(total <= 12);
    CHECK(fr.size() <= 1);
    for (int r : fr) CHECK(r <= 4);
    masked_items += !tr.empty();
  }
  CHECK(masked_items > n / 2);  // widths are uniform in [0, 6]: most items get some mask
}
