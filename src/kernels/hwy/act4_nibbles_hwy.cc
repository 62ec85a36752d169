// Highway nibble unpack and pack for packed int4 activations
// (kernels/act4/act4_bands.h): a whole vector of values per step, lane-wise
// only (no cross-block shuffles, so AVX2/AVX-512 keep the order). Unpack:
// each packed byte promoted to an int16 lane, its two nibbles sign-extended
// by shift pairs and put back as the lane's low and high byte (= values 2j,
// 2j + 1, little endian). Pack: two values per int16 lane merged into one
// byte, then narrowed. Ends and odd starts go through the portable code.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/act4_nibbles_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "kernels/act4/act4_bands.h"
#include "kernels/hwy/act4_nibbles_hwy.h"
#include "kernels/hwy/hwy_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
#if HWY_TARGET == HWY_SCALAR
void UnpackNibbles(const int8_t* packed, size_t first, size_t n, int8_t* dst) {
  act4::Unpack(packed, first, n, dst);
}
void PackNibbles(const int8_t* values, size_t n, int8_t* packed, size_t first) {
  act4::Pack(values, n, packed, first);
}
#else
namespace hn = hwy::HWY_NAMESPACE;

void UnpackNibbles(const int8_t* packed, size_t first, size_t n, int8_t* dst) {
  if (n == 0) return;
  if (first & 1) {  // the odd start's one value, then whole bytes
    act4::Unpack(packed, first, 1, dst);
    ++first, --n, ++dst;
  }
  const hn::ScalableTag<int16_t> d16;
  const hn::Rebind<int8_t, decltype(d16)> d8h;  // one packed byte per int16 lane
  const hn::Repartition<int8_t, decltype(d16)> d8;
  const size_t lanes = hn::Lanes(d16);
  const int8_t* p = packed + first / 2;
  size_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes, p += lanes) {
    const auto w = hn::PromoteTo(d16, hn::LoadU(d8h, p));
    const auto lo = hn::ShiftRight<12>(hn::ShiftLeft<12>(w));  // low nibble, signed
    const auto hi = hn::ShiftRight<12>(hn::ShiftLeft<8>(w));   // high nibble, signed
    const auto v = hn::Or(hn::And(lo, hn::Set(d16, 0xFF)), hn::ShiftLeft<8>(hi));
    hn::StoreU(hn::BitCast(d8, v), d8, dst + i);
  }
  act4::Unpack(packed, first + i, n - i, dst + i);
}

void PackNibbles(const int8_t* values, size_t n, int8_t* packed, size_t first) {
  if (n == 0) return;
  if (first & 1) {
    act4::Pack(values, 1, packed, first);
    ++first, --n, ++values;
  }
  const hn::ScalableTag<uint16_t> du16;
  const hn::RebindToSigned<decltype(du16)> di16;
  const hn::Rebind<uint8_t, decltype(du16)> du8h;
  const hn::Repartition<int8_t, decltype(du16)> d8;
  const size_t lanes = hn::Lanes(du16);
  uint8_t* p = reinterpret_cast<uint8_t*>(packed) + first / 2;
  size_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes, p += lanes) {
    const auto w = hn::BitCast(du16, hn::LoadU(d8, values + i));
    const auto b = hn::Or(hn::And(w, hn::Set(du16, 0x0F)),
                          hn::And(hn::ShiftRight<4>(w), hn::Set(du16, 0xF0)));
    hn::StoreU(hn::DemoteTo(du8h, hn::BitCast(di16, b)), du8h, p);
  }
  act4::Pack(values + i, n - i, packed, first + i);
}

#endif  // HWY_TARGET == HWY_SCALAR
}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(UnpackNibbles);
HWY_EXPORT(PackNibbles);
#endif
void act4_unpack_hwy(const int8_t* packed, size_t first, size_t n, int8_t* dst) {
  TM2_HWY_DISPATCH(UnpackNibbles)(packed, first, n, dst);
}
void act4_pack_hwy(const int8_t* values, size_t n, int8_t* packed, size_t first) {
  TM2_HWY_DISPATCH(PackNibbles)(values, n, packed, first);
}
}  // namespace tm2
#endif
