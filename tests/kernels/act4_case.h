// Packed int4 activations (kernels.h "Packed activations"): one case runs a
// kernel of table `k` with packed input and/or output and compares its
// bytes with an independent formulation: the reference kernel on the
// unpacked int8 values, its output packed here, low nibble first, an odd
// tensor's last high nibble 0. Shared by the Catch2 test (native, aarch64,
// WASM) and the Cortex-M4 kernel firmware.
//
//   Rng rng(1);
//   std::string diff = CheckAct4(SelectKernels(), Act4Op::kConv, 4, 4, rng);
//   if (!diff.empty()) ... // names op, shape, layouts and the first byte
#ifndef TM2_TESTS_KERNELS_ACT4_CASE_H_
#define TM2_TESTS_KERNELS_ACT4_CASE_H_

#include <string>

#include "kernel_case.h"
#include "kernels/kernels.h"

namespace tm2 {
namespace test {

enum class Act4Op { kConv, kDepthwise, kFullyConnected, kPointwise, kMaxPool, kAvgPool };
constexpr int kNumAct4Ops = 6;

// One random shape of `op` with input stored at `in_bits` and output at
// `out_bits` (4 or 8, not both 8). "" when `k` gives the expected bytes.
std::string CheckAct4(const KernelTable& k, Act4Op op, int in_bits, int out_bits, Rng& rng);

// `iterations` cases per op and layout pair (4/4, 4/8, 8/4); returns the
// first difference, or "".
std::string SweepAct4(const KernelTable& k, uint64_t seed, int iterations);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_KERNELS_ACT4_CASE_H_
