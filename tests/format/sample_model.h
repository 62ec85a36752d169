// Models for the format tests, built from plain specs with their own shape
// arithmetic (an independent check of the writer's and loader's).
#ifndef TM2_TESTS_FORMAT_SAMPLE_MODEL_H_
#define TM2_TESTS_FORMAT_SAMPLE_MODEL_H_

#include <cstdint>
#include <vector>

#include "format/writer.h"

namespace tm2 {
namespace test {

// Deterministic generator (64-bit LCG) so every target builds the same model.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 6364136223846793005ull + 1442695040888963407ull) {}
  uint32_t Next() {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state_ >> 33);
  }
  int Uniform(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint32_t>(hi - lo + 1));
  }

 private:
  uint64_t state_;
};

// Three branches ("cough", "speech", "breath") with int8 and int4 layers of
// every weighted type, pools, a fused head ending in Softmax, 3 labels.
// Branch 1 ('speech') layer 3 is a 3x3 depthwise conv on 8 channels at 4 bits.
ModelSpec MultiBranchSpec();
// One branch, a handful of layers, no fusion: a few hundred bytes.
ModelSpec SmallSpec();
// One branch of three 3x3 convs (16 channels) on a 32 x 16 input: outputs
// large enough that the planner's bands and its packed int4 outputs compete.
ModelSpec ConvChainSpec();

// A pack of SmallSpec ("small") and MultiBranchSpec ("multi") whose
// weighted layers alternate between Dense and ProductQuantized: codebook 0
// (d = 3, 200 centroids, 8-bit codes; rows whose length is not a multiple
// of 3 end in a short sub-vector) and codebook 1 (d = 4, 16 centroids in
// [-8, 7], 4-bit codes). Codes are seeded random.
PackSpec SamplePackSpec();

// Valid preprocessing for a num_frames x mel_bins log-mel input.
PreprocessParams SamplePreprocess(int num_frames, int mel_bins);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_FORMAT_SAMPLE_MODEL_H_
