// Packed int4 activations: the reference and every variant of the selected
// table give the bytes of the reference on int8 storage, packed (FORMAT.md
// 3.1), for conv, depthwise, dense, pointwise, max and average pools, with
// packed input, output or both, over random shapes (odd sizes included).
#include "act4_case.h"
#include "catch2/catch.hpp"
#include "kernels/select.h"
#include "variants.h"

namespace tm2 {
namespace test {
namespace {

TEST_CASE("packed int4 activations: the reference against int8 storage", "[kernels][act4]") {
  const std::string diff = SweepAct4(ReferenceKernels(), 4041, 40);
  INFO(diff);
  CHECK(diff.empty());
}

TEST_CASE("packed int4 activations: every variant equals the reference", "[kernels][act4]") {
  ForEachVariant([](const KernelTable& k, const std::string& variant) {
    const std::string diff = SweepAct4(k, 4042, 40);
    INFO(variant << ": " << diff);
    CHECK(diff.empty());
  });
}

TEST_CASE("packed int4 activations: an odd tensor's pad nibble is 0", "[kernels][act4]") {
  // 1x1x3 -> 3 values, 2 bytes; the kernel must clear the pad nibble even
  // over a buffer full of ones.
  const int8_t input[2] = {0x21, 0x03};  // 1, 2, 3 packed
  int8_t out[2] = {-1, -1};
  ConvGeometry g{1, 1, 3, 1, 1, 3, 1, 1, 1, 1, 0, 0};
  g.in_bits = g.out_bits = 4;
  ReferenceKernels().max_pool2d(g, -8, 7, input, out);
  CHECK(static_cast<uint8_t>(out[0]) == 0x21);
  CHECK(static_cast<uint8_t>(out[1]) == 0x03);
  SelectKernels().max_pool2d(g, -8, 7, input, out);
  CHECK(static_cast<uint8_t>(out[1]) == 0x03);
  // Negative values: two's complement nibbles (-8 -> 0x8, -1 -> 0xF).
  const int8_t neg[2] = {static_cast<int8_t>(0xF8), 0x07};  // -8, -1, 7
  ReferenceKernels().max_pool2d(g, -8, 7, neg, out);
  CHECK(LoadAct4(out, 0) == -8);
  CHECK(LoadAct4(out, 1) == -1);
  CHECK(LoadAct4(out, 2) == 7);
  CHECK(ActivationBytes(3, 4) == 2);
  CHECK(ActivationBytes(3, 8) == 3);
}

}  // namespace
}  // namespace test
}  // namespace tm2
