// Product-quantized weights (kernels/pq_decode.h): the decoder against an
// independent decode, then conv2d, depthwise and fully connected on PQ
// weights, decoded into a scratch, through every variant, against the
// reference run on the independently decoded int8 weights (pq_case.h).
#include <string>

#include "catch2/catch.hpp"
#include "pq_case.h"
#include "variants.h"

namespace tm2 {
namespace test {

TEST_CASE("PQ weights: decoder and conv / depthwise / FC on every variant, byte-identical",
          "[kernels][pq]") {
  ForEachVariant([&](const KernelTable& k, const std::string& variant) {
    Rng rng(1111);
    for (int i = 0; i < 150; ++i) {
      for (PqOp op : {PqOp::kConv, PqOp::kDepthwise, PqOp::kFc}) {
        const std::string diff = CheckPqCase(op, rng, k);
        INFO(variant << " " << diff);
        REQUIRE(diff.empty());
      }
    }
  });
}

}  // namespace test
}  // namespace tm2
