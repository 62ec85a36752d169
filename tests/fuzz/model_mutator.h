// Structure-aware edits of a model for the engine fuzzer (fuzz_engine.cc):
// unpacked with the format tests' object API, a model gets its layer
// types, kernels, strides, channels, bit widths, shifts, layer and branch
// counts, preprocessing fields, fusion table or temperature changed; then
// Repair usually gives every weight and per-channel vector the length the
// shapes call for (shapes.h), so the edit gets past the loader.
//   tm2::fuzz::Rng r(seed);
//   std::unique_ptr<tm2::fbt::ModelT> m = tm2::test::Unpack(file);
//   tm2::fuzz::MutateModel(*m, r);
//   tm2::fuzz::Repair(*m, r);
//   std::vector<uint8_t> out = tm2::test::Pack(*m);
#pragma once

#include <cstdint>

#include "tm2_test_generated.h"  // the format tests' object API (tm2::fbt)

namespace tm2 {
namespace fuzz {

// xorshift32 seeded from libFuzzer's seed: the same seed, the same edits.
class Rng {
 public:
  explicit Rng(unsigned seed) : s_(seed * 2654435761u + 1) {}
  uint32_t Next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 17;
    s_ ^= s_ << 5;
    return s_;
  }
  int Below(int n) { return n > 0 ? static_cast<int>(Next() % static_cast<uint32_t>(n)) : 0; }

 private:
  uint32_t s_;
};

// One to a few random edits of the model's structure or numbers.
void MutateModel(fbt::ModelT& m, Rng& r);

// Resizes every weight and per-channel vector (and the labels) to what the
// edited shapes call for; leaves the model as it is where a shape fails.
void Repair(fbt::ModelT& m, Rng& r);

}  // namespace fuzz
}  // namespace tm2
