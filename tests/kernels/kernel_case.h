// Test helpers for the kernels: a deterministic random source, a layer
// case that owns its weights/bias/requantization, geometry builders, and a
// byte comparison that names the shape and the first differing position.
#ifndef TM2_TESTS_KERNELS_KERNEL_CASE_H_
#define TM2_TESTS_KERNELS_KERNEL_CASE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernels.h"

namespace tm2 {
namespace test {

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t Next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }
  int Int(int lo, int hi) { return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1)); }
  bool Chance(int percent) { return Int(0, 99) < percent; }

 private:
  uint64_t s_;
};

enum class Pad { kValid, kSame };

// TensorFlow-style output size and padding for one axis.
bool MakeGeometry(int in_h, int in_w, int in_c, int out_c, int kh, int kw, int sh, int sw, Pad pad,
                  ConvGeometry* g);
std::string Describe(const ConvGeometry& g);

// How a case picks its output stage.
// kShallowShift: n = 33..35 per channel with any multiplier, the edge of
// the Highway kernels' vector output stage (requant_row.h).
// kShiftEdges: n = 32 (shift -1), 33, 54, 55 and 62 among typical
// channels, the edges of the Cortex-M4 SIMD output stage
// (qs8_quad_out_cm4dsp.h); multipliers small enough for n = 32 outputs to
// land inside int8, output zero point 0 in most layers.
enum class RqStyle { kTypical, kExtremeShift, kSaturating, kRelu6, kShallowShift, kShiftEdges };

struct LayerCase {
  std::vector<uint8_t> weights;
  std::vector<int32_t> bias;
  std::vector<int32_t> multiplier;
  std::vector<int8_t> shift;
  int bits = 8;
  bool has_bias = true;
  int32_t input_zero_point = 0;
  Requantization rq{};
  QuantizedWeights w{};
  std::vector<uint8_t> packed;  // the table's packed weights, if it packs

  // rows x row_len weights (byte-aligned rows), `channels` output stages;
  // `k_sum` is the number of products per output (sizes typical shifts).
  void Fill(Rng& rng, int rows, int row_len, int channels, int bits, int k_sum, RqStyle style);
  void Bind();  // points rq/w at the vectors
  // Packs the weights for `k` the way the engine does at Init (kernels.h,
  // "Packed weights"); tables that do not pack leave w.packed null.
  void PackConv(const KernelTable& k, const ConvGeometry& g);
  void PackDepthwise(const KernelTable& k, const ConvGeometry& g);
  void PackFullyConnected(const KernelTable& k, int rows, int in, int out);
};

std::vector<int8_t> RandomInt8(Rng& rng, size_t n);

// "" if equal, else where and what differs (pixel y/x and channel for a
// HxWxC tensor).
std::string FirstDifference(const int8_t* want, const int8_t* got, int h, int w, int c);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_KERNELS_KERNEL_CASE_H_
