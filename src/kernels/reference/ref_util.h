// Small helpers shared by the reference kernels. They spell out the two
// places where the integer math needs care: weight decoding (int8 or
// packed int4) and accumulation, which wraps modulo 2^32 so that even a
// hostile model gives defined, identical bytes on every target (SIMD int32
// lanes wrap the same way).
#ifndef TM2_KERNELS_REFERENCE_REF_UTIL_H_
#define TM2_KERNELS_REFERENCE_REF_UTIL_H_

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace tm2 {
namespace ref {

// Weight `i` of a row that starts on a byte boundary.
inline int32_t WeightAt(const uint8_t* row, int i, int bits) {
  return bits == 4 ? UnpackInt4(row, i) : static_cast<int32_t>(static_cast<int8_t>(row[i]));
}

// acc + x * w with two's-complement wrap-around (no signed overflow).
inline int32_t MulAddWrap(int32_t acc, int32_t x, int32_t w) {
  return static_cast<int32_t>(static_cast<uint32_t>(acc) +
                              static_cast<uint32_t>(x) * static_cast<uint32_t>(w));
}

// sum / count rounded half away from zero (count > 0).
inline int32_t DivRoundHalfAway(int32_t sum, int32_t count) {
  return sum >= 0 ? (sum + count / 2) / count : -((-sum + count / 2) / count);
}

// Activation `i` of a tensor stored at BITS (8: int8, 4: packed int4).
template <int BITS>
inline int32_t LoadAct(const int8_t* base, size_t i) {
  return BITS == 4 ? LoadAct4(base, i) : static_cast<int32_t>(base[i]);
}
template <int BITS>
inline void StoreAct(int8_t* base, size_t i, int8_t v) {
  if (BITS == 4) {
    StoreAct4(base, i, v);
  } else {
    base[i] = v;
  }
}

// Runs FN<IN, OUT>(args...) for the storage bits in use, so the int8
// loops compile exactly as they did without packing.
#define TM2_REF_DISPATCH_BITS(in_bits, out_bits, FN, ...)          \
  do {                                                             \
    if ((in_bits) == 4) {                                          \
      if ((out_bits) == 4) FN<4, 4>(__VA_ARGS__);                  \
      else FN<4, 8>(__VA_ARGS__);                                  \
    } else {                                                       \
      if ((out_bits) == 4) FN<8, 4>(__VA_ARGS__);                  \
      else FN<8, 8>(__VA_ARGS__);                                  \
    }                                                              \
  } while (0)

inline int8_t Clamp8(int32_t v, int32_t lo, int32_t hi) {
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return static_cast<int8_t>(v);
}

}  // namespace ref
}  // namespace tm2

#endif  // TM2_KERNELS_REFERENCE_REF_UTIL_H_
