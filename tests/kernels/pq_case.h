// A random product-quantized layer case for the kernel tests (Catch2 on
// native, aarch64 and WASM; the Cortex-M4 firmware): random d (1..16), K
// (1..256), 4- or 8-bit codes and a random conv / depthwise / FC shape.
// The decoder must equal a direct decode, and table `k` on the decoded
// weights (packed from them when `k` packs) must equal the reference on
// the directly decoded int8 weights.
#ifndef TM2_TESTS_KERNELS_PQ_CASE_H_
#define TM2_TESTS_KERNELS_PQ_CASE_H_

#include <string>

#include "kernel_case.h"
#include "kernels/kernels.h"

namespace tm2 {
namespace test {

enum class PqOp { kConv, kDepthwise, kFc };

// "" when all agree, else what differs.
std::string CheckPqCase(PqOp op, Rng& rng, const KernelTable& k);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_KERNELS_PQ_CASE_H_
