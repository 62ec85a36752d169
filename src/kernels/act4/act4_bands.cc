// Band planning and the nibble (un)packing of act4_bands.h. The word-at-a-
// time loops are plain integer SWAR (the idea of the Cortex-M4 int4 weight
// widening, qs8_pairs_cm4dsp.h): a 64-bit host, WASM and the Pi handle
// eight values per step, the Cortex-M4 four. Little-endian targets only.
#include "kernels/act4/act4_bands.h"

#include <cstring>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "packed nibble order assumes little endian");

namespace tm2 {
namespace act4 {
namespace {

// Per byte lane: nibble n (0..15) -> int8 (n ^ 8) - 8, written as
// n | 0xF0 where bit 3 is set (the product puts 0xF0 in each lane whose
// bit 3 is set and cannot carry into the next lane).
#if UINTPTR_MAX > 0xFFFFFFFFu || defined(__wasm__)
using Word = uint64_t;
constexpr Word kLow = 0x0F0F0F0F0F0F0F0Full;
constexpr Word kBit3 = 0x0808080808080808ull;
#else
using Word = uint32_t;
constexpr Word kLow = 0x0F0F0F0Fu;
constexpr Word kBit3 = 0x08080808u;
#endif
constexpr size_t kBytes = sizeof(Word);  // packed bytes per step: 2 * kBytes values

inline Word SignExtend(Word n) { return n | ((n & kBit3) * 0x1E); }

// Byte lanes b0 b1 .. of the low half -> b0 0 b1 0 .. (zeros between).
inline Word SpreadBytes(Word x) {
#if UINTPTR_MAX > 0xFFFFFFFFu || defined(__wasm__)
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFull;
  return (x | (x << 8)) & 0x00FF00FF00FF00FFull;
#else
  return (x | (x << 8)) & 0x00FF00FFu;
#endif
}

// The inverse: b0 x b1 x .. -> b0 b1 .. in the low half.
inline Word GatherBytes(Word x) {
#if UINTPTR_MAX > 0xFFFFFFFFu || defined(__wasm__)
  x &= 0x00FF00FF00FF00FFull;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFull;
  return (x | (x >> 16)) & 0xFFFFFFFFull;
#else
  x &= 0x00FF00FFu;
  return (x | (x >> 8)) & 0xFFFFu;
#endif
}

}  // namespace

void Unpack(const int8_t* packed, size_t first, size_t n, int8_t* dst) {
  if (n == 0) return;
  if (first & 1) {
    *dst++ = static_cast<int8_t>(LoadAct4(packed, first));
    ++first;
    --n;
  }
  const uint8_t* p = reinterpret_cast<const uint8_t*>(packed) + first / 2;
  // Each step reads kBytes / 2 packed bytes (a half word) and writes kBytes.
  constexpr size_t kIn = kBytes / 2;
  size_t i = 0;
  for (; i + kBytes <= n; i += kBytes, p += kIn) {
    Word h = 0;
    memcpy(&h, p, kIn);
    const Word lo = SignExtend(SpreadBytes(h & (kLow >> (kBytes * 4))));
    const Word hi = SignExtend(SpreadBytes((h >> 4) & (kLow >> (kBytes * 4))));
    const Word v = lo | (hi << 8);
    memcpy(dst + i, &v, kBytes);
  }
  for (; i < n; ++i) dst[i] = static_cast<int8_t>(LoadAct4(packed, first + i));
}

void Pack(const int8_t* values, size_t n, int8_t* packed, size_t first) {
  if (n == 0) return;
  if (first & 1) {
    StoreAct4(packed, first, *values++);
    ++first;
    --n;
  }
  uint8_t* p = reinterpret_cast<uint8_t*>(packed) + first / 2;
  constexpr size_t kOut = kBytes / 2;
  size_t i = 0;
  for (; i + kBytes <= n; i += kBytes, p += kOut) {
    Word v;
    memcpy(&v, values + i, kBytes);
    const Word nib = v & kLow;
    const Word b = GatherBytes(nib | (nib >> 4));
    memcpy(p, &b, kOut);
  }
  for (; i < n; ++i) StoreAct4(packed, first + i, values[i]);
}

ConvGeometry BandGeometry(const ConvGeometry& g, int oy0, int n, int* first_row) {
  const int iy0 = oy0 * g.stride_h - g.pad_top;
  const int lo = iy0 < 0 ? 0 : iy0;
  int hi = iy0 + (n - 1) * g.stride_h + g.kernel_h;
  if (hi > g.in_h) hi = g.in_h;
  ConvGeometry sub = g;
  sub.in_h = hi - lo;
  sub.out_h = n;
  sub.pad_top = lo - iy0;
  sub.in_bits = sub.out_bits = 8;
  *first_row = lo;
  return sub;
}

BandPlan PlanBands(const ConvGeometry& g, size_t budget) {
  BandPlan none{0, 0, 0};
  if (g.out_h <= 0 || g.in_h <= 0 || g.stride_h <= 0) return none;
  // Every band must read at least one real row: the first window must reach
  // row 0 and the last must start inside the input.
  if (g.pad_top >= g.kernel_h || (g.out_h - 1) * g.stride_h - g.pad_top >= g.in_h) return none;
  const size_t row_in = static_cast<size_t>(g.in_w) * g.in_c;
  const size_t row_out = static_cast<size_t>(g.out_w) * g.out_c;
  BandPlan best = none;
  for (int r = 1; r <= g.out_h; ++r) {
    int in_rows = (r - 1) * g.stride_h + g.kernel_h;
    if (in_rows > g.in_h) in_rows = g.in_h;
    const size_t in_bytes = g.in_bits == 4 ? in_rows * row_in : 0;
    const size_t out_bytes = g.out_bits == 4 ? r * row_out : 0;
    if (in_bytes + out_bytes > budget) break;
    best = BandPlan{r, in_bytes, out_bytes};
  }
  return best;
}

int ChunkRows(int rows, int in, int out, int in_bits, int out_bits, size_t budget) {
  const size_t per_row = (in_bits == 4 ? static_cast<size_t>(in) : 0) +
                         (out_bits == 4 ? static_cast<size_t>(out) : 0);
  if (rows <= 0 || per_row == 0 || per_row > budget) return 0;
  const size_t fit = budget / per_row;
  return fit >= static_cast<size_t>(rows) ? rows : static_cast<int>(fit);
}

}  // namespace act4
}  // namespace tm2
