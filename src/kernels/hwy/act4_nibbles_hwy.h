// Internal: Highway versions of act4::Unpack / act4::Pack (same bytes),
// which select.cc hands to the Highway table's packed-activation bands:
//   act4::Conv2D<qs8_conv2d_hwy, act4::kHwyBudget, act4_unpack_hwy, act4_pack_hwy>
#ifndef TM2_KERNELS_HWY_ACT4_NIBBLES_HWY_H_
#define TM2_KERNELS_HWY_ACT4_NIBBLES_HWY_H_

#include <cstddef>
#include <cstdint>

namespace tm2 {

void act4_unpack_hwy(const int8_t* packed, size_t first, size_t n, int8_t* dst);
void act4_pack_hwy(const int8_t* values, size_t n, int8_t* packed, size_t first);

}  // namespace tm2

#endif  // TM2_KERNELS_HWY_ACT4_NIBBLES_HWY_H_
