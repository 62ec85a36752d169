// Packed int4 activations: the reference and every variant of the selected
// table give the bytes of the reference on int8 storage, packed (FORMAT.md
// 3.1), for conv, depthwise, dense, pointwise, max and average pools, with
// packed input, output or both, over random shapes (odd sizes included).
#include <vector>

#include "act4_case.h"
#include "catch2/catch.hpp"
#include "kernels/act4/act4_bands.h"
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

// The band adapter over the reference's int8 loops with budgets so small
// that nearly every layer splits into many bands of odd row lengths (and
// some fit no band and fall back): the banding, nibble unpacking and
// packing are checked apart from any ISA's kernels.
template <size_t Budget>
KernelTable TinyBandTable() {
  KernelTable t = ReferenceKernels();
  t.name = "ref-banded";
  t.conv2d = act4::Conv2D<qs8_conv2d_ref, Budget>;
  t.depthwise_conv2d = act4::DepthwiseConv2D<qs8_depthwise_conv2d_ref, Budget>;
  t.fully_connected = act4::FullyConnected<qs8_fully_connected_ref, Budget>;
  t.max_pool2d = act4::MaxPool2D<s8_max_pool2d_ref, Budget>;
  t.avg_pool2d = act4::AvgPool2D<qs8_avg_pool2d_ref, Budget>;
  return t;
}

TEST_CASE("packed int4 activations: bands of every size give the same bytes", "[kernels][act4]") {
  const KernelTable tables[3] = {TinyBandTable<48>(), TinyBandTable<200>(),
                                 TinyBandTable<1000>()};
  for (int i = 0; i < 3; ++i) {
    const std::string diff = SweepAct4(tables[i], 4043 + i, 40);
    INFO("table " << i << ": " << diff);
    CHECK(diff.empty());
  }
}

// The int8 kernels a band runs are told int8 storage only: the Highway
// and cm4dsp tables reach their int8 kernels solely through these bands
// (select.cc), so those kernels carry no packed-geometry route of their
// own. Int8 kernels that count any call with packed storage prove it over
// the same sweep (the counters would catch a route that let one through).
int g_packed_calls = 0;
void CountingConv(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                  const Requantization& rq, const int8_t* x, int8_t* y) {
  g_packed_calls += g.in_bits != 8 || g.out_bits != 8;
  qs8_conv2d_ref(g, w, zp, rq, x, y);
}
void CountingDepthwise(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                       const Requantization& rq, const int8_t* x, int8_t* y) {
  g_packed_calls += g.in_bits != 8 || g.out_bits != 8;
  qs8_depthwise_conv2d_ref(g, w, zp, rq, x, y);
}
void CountingDense(int rows, int in, int out, const QuantizedWeights& w, int32_t zp,
                   const Requantization& rq, const int8_t* x, int8_t* y) {
  g_packed_calls += rq.in_bits != 8 || rq.out_bits != 8;
  qs8_fully_connected_ref(rows, in, out, w, zp, rq, x, y);
}
void CountingMaxPool(const ConvGeometry& g, int32_t lo, int32_t hi, const int8_t* x, int8_t* y) {
  g_packed_calls += g.in_bits != 8 || g.out_bits != 8;
  s8_max_pool2d_ref(g, lo, hi, x, y);
}
void CountingAvgPool(const ConvGeometry& g, int32_t lo, int32_t hi, const int8_t* x, int8_t* y) {
  g_packed_calls += g.in_bits != 8 || g.out_bits != 8;
  qs8_avg_pool2d_ref(g, lo, hi, x, y);
}

TEST_CASE("packed int4 activations: bands hand the int8 kernels int8 storage only",
          "[kernels][act4]") {
  KernelTable t = ReferenceKernels();
  t.name = "ref-counting";
  t.conv2d = act4::Conv2D<CountingConv, act4::kHwyBudget>;
  t.depthwise_conv2d = act4::DepthwiseConv2D<CountingDepthwise, act4::kHwyBudget>;
  t.fully_connected = act4::FullyConnected<CountingDense, act4::kHwyBudget>;
  t.max_pool2d = act4::MaxPool2D<CountingMaxPool, act4::kHwyBudget>;
  t.avg_pool2d = act4::AvgPool2D<CountingAvgPool, act4::kHwyBudget>;
  g_packed_calls = 0;
  const std::string diff = SweepAct4(t, 4047, 40);
  INFO(diff);
  CHECK(diff.empty());
  CHECK(g_packed_calls == 0);
  // The counters do count: a packed geometry handed straight to one.
  ConvGeometry g{1, 1, 2, 1, 1, 2, 1, 1, 1, 1, 0, 0};
  g.in_bits = 4;
  const int8_t x[2] = {0x21, 0};
  int8_t y[2] = {0, 0};
  CountingMaxPool(g, -128, 127, x, y);
  CHECK(g_packed_calls == 1);
}

TEST_CASE("packed int4 activations: word-at-a-time unpack and pack", "[kernels][act4]") {
  Rng rng(4046);
  for (int it = 0; it < 300; ++it) {
    const size_t total = static_cast<size_t>(rng.Int(1, 80));
    const size_t first = static_cast<size_t>(rng.Int(0, static_cast<int>(total) - 1));
    const size_t n = static_cast<size_t>(rng.Int(0, static_cast<int>(total - first)));
    std::vector<int8_t> packed((total + 1) / 2);
    for (auto& b : packed) b = static_cast<int8_t>(rng.Int(-128, 127));
    std::vector<int8_t> got(n + 1, 0x55);
    act4::Unpack(packed.data(), first, n, got.data());
    for (size_t i = 0; i < n; ++i) REQUIRE(got[i] == LoadAct4(packed.data(), first + i));
    CHECK(got[n] == 0x55);  // nothing written past n
    // Pack over a dirty buffer must leave what StoreAct4 in order leaves,
    // values outside -8..7 included (their low 4 bits are stored).
    std::vector<int8_t> values(n);
    for (auto& v : values) v = static_cast<int8_t>(rng.Int(-128, 127));
    std::vector<int8_t> want = packed, out = packed;
    for (size_t i = 0; i < n; ++i) StoreAct4(want.data(), first + i, values[i]);
    act4::Pack(values.data(), n, out.data(), first);
    REQUIRE(out == want);
  }
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
