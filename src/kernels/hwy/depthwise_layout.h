// The packed weights of the Highway depthwise kernel (depthwise_conv2d_hwy.cc):
// header and block layout, shared by the pack step and every target's
// kernel (the WASM-only form in qs8_depthwise_wasm-inl.h reads it too).
#ifndef TM2_KERNELS_HWY_DEPTHWISE_LAYOUT_H_
#define TM2_KERNELS_HWY_DEPTHWISE_LAYOUT_H_

#include <cstddef>
#include <cstdint>

namespace tm2 {
namespace hwyk {
// Packed layout: header (64 bytes) then per block
//   bias[W] | mult[W] | rnd[W] | pow[W] | wsum[W] (int32) | weights[pairs][2][W] (int16)
// with the int32 arrays in accumulator order (DwLaneChannel) and, per
// pair of taps (an odd count ends with a zero-weight tap), the "a" and "b"
// vectors of interleaved weights (DwPairLane).
// On AVX-512 the last block may be narrower (DwHeader::tail lanes, laid out
// the same for its width) and follows the others.
// The header names the width and shape it was made for, so a table
// switched after packing (tests force Highway targets) is noticed.
struct DwHeader {
  int32_t width, taps, channels, vector, masked;
  int32_t shift;  // 1: the scaled form (WASM, qs8_requant-inl.h), 0: not
  int32_t tail;   // lanes of a narrower last block (AVX-512), 0: none
};
constexpr size_t kDwHeaderBytes = 64;
inline int DwBlocks(int channels, int width) { return (channels + width - 1) / width; }
inline int DwBlockStart(int b, int channels, int width) {
  return b * width + width <= channels ? b * width : channels - width;
}
inline int DwPairs(int taps) { return (taps + 1) / 2; }
inline size_t DwBlockBytes(int taps, int width) {
  return 5 * sizeof(int32_t) * width + sizeof(int16_t) * 2 * static_cast<size_t>(DwPairs(taps)) * width;
}
// Channel (within its block of W) of int32 accumulator lane j: lanes
// 0..W/2-1 are the "a" vector, W/2..W-1 the "b" vector.
inline int DwLaneChannel(int j, int width) {
  const int b = width < 8 ? width : 8, half = width / 2;
  const int second = j >= half, l = second ? j - half : j;
  return b * (l / (b / 2)) + l % (b / 2) + (second ? b / 2 : 0);
}
// For int16 lane `lane` of a pair vector ("a" or "b"): the channel it
// multiplies and which tap of the pair (0 or 1).
inline void DwPairLane(int lane, int width, bool b_vector, int* channel, int* tap) {
  const int b = width < 8 ? width : 8;
  const int block = lane / b, i = (lane % b) / 2;
  *tap = lane % 2;
  *channel = block * b + i + (b_vector ? b / 2 : 0);
}
}  // namespace hwyk
}  // namespace tm2

#endif  // TM2_KERNELS_HWY_DEPTHWISE_LAYOUT_H_
