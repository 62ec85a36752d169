// Internal: the output stage of the Highway kernels. Accumulators are exact
// int32 from SIMD; the rounding shift stays scalar int64 (RequantizeOne) so
// the bytes are the reference's by construction.
#ifndef TM2_KERNELS_HWY_REQUANT_ROW_H_
#define TM2_KERNELS_HWY_REQUANT_ROW_H_

#include "kernels/kernels.h"

namespace tm2 {
namespace hwyk {

// out[i] = requant(acc[i]) for channels first..first+n-1.
inline void RequantizeRow(const int32_t* acc, int first, int n, const Requantization& rq,
                          int8_t* out) {
  for (int i = 0; i < n; ++i) {
    out[i] = RequantizeOne(acc[i], rq.multiplier[first + i], rq.shift[first + i],
                           rq.output_zero_point, rq.output_min, rq.output_max);
  }
}

// The vector output stage (qs8_requant-inl.h) is exact when n = 31 - shift
// >= 33 and the clamp lies inside int8 -- true of every trained layer,
// whose scales are below 1/2. Otherwise the kernels stay scalar.
inline bool VectorRequantOk(const Requantization& rq, int first, int n) {
  if (rq.output_min < -128 || rq.output_max > 127) return false;
  for (int c = first; c < first + n; ++c) {
    if (31 - rq.shift[c] < 33) return false;
  }
  return true;
}

// Per-channel constants of the vector stage for channels first..first+n-1:
// y = hi32(hi32(acc * mult) + rnd, pow), see qs8_requant-inl.h.
inline void FillVectorRequant(const Requantization& rq, int first, int n, int32_t* mult,
                              int32_t* rnd, int32_t* pow) {
  for (int i = 0; i < n; ++i) {
    const int r = 31 - rq.shift[first + i] - 32;  // 1..30
    mult[i] = rq.multiplier[first + i];
    rnd[i] = int32_t{1} << (r - 1);
    pow[i] = r == 1 ? 0 : int32_t{1} << (32 - r);  // 0: the r = 1 lanes shift instead
  }
}

// Weight `i` of a byte-aligned row, int8 or packed int4.
inline int16_t WeightAt16(const uint8_t* row, int i, int bits) {
  return static_cast<int16_t>(bits == 4 ? UnpackInt4(row, i) : static_cast<int8_t>(row[i]));
}

// Sum of output channel c's weights over `in` inputs: the zero point's term
// of the quad GEMMs, folded in per call.
inline int32_t WeightRowSum(const QuantizedWeights& w, int in, int c) {
  const uint8_t* row = w.data + static_cast<size_t>(c) * WeightRowBytes(in, w.bits);
  uint32_t s = 0;
  for (int i = 0; i < in; ++i) s += static_cast<uint32_t>(WeightAt16(row, i, w.bits));
  return static_cast<int32_t>(s);
}

// |bias| + 255 * sum |w| of output channel c: the largest accumulator of a
// channel whose inputs are int8 less the zero point (what ScaledShift checks).
inline int64_t AccumulatorBound(const QuantizedWeights& w, int in, int c) {
  const uint8_t* row = w.data + static_cast<size_t>(c) * WeightRowBytes(in, w.bits);
  int64_t sum = 0;
  for (int i = 0; i < in; ++i) {
    const int v = WeightAt16(row, i, w.bits);
    sum += v < 0 ? -v : v;
  }
  const int64_t b = w.bias ? w.bias[c] : 0;
  return (b < 0 ? -b : b) + 255 * sum;
}

// The quad GEMMs' weight tiles: for each group of up to 4 vectors of `lanes`
// output channels, quad q of every channel (weights 4q..4q+3, plus
// `offset`), zero past out_c and past `in`. Returns the end of what it wrote.
template <typename T>
inline T* TileQuads(const QuantizedWeights& w, int in, int out_c, int nvec, int lanes, int quads, int offset,
                    T* t) {
  const size_t row_bytes = WeightRowBytes(in, w.bits);
  for (int v0 = 0; v0 < nvec; v0 += 4) {
    const int nv = nvec - v0 < 4 ? nvec - v0 : 4;
    for (int q = 0; q < quads; ++q) {
      for (int v = 0; v < nv; ++v) {
        for (int l = 0; l < lanes; ++l) {
          const int oc = (v0 + v) * lanes + l;
          for (int b = 0; b < 4; ++b) {
            const int tap = 4 * q + b;
            *t++ = oc < out_c && tap < in ? static_cast<T>(WeightAt16(w.data + oc * row_bytes, tap, w.bits) + offset)
                                          : T{0};
          }
        }
      }
    }
  }
  return t;
}

// Stack tile (int16 elements) depthwise widens its weights into per call:
// 32 KB, small enough for every target's default stack.
constexpr int kTileElems = 16384;
// Longest im2col patch the packed path builds (kh*kw*in_c); longer rows
// fall back to the reference.
constexpr int kMaxPatch = 4096;

}  // namespace hwyk
}  // namespace tm2

#endif  // TM2_KERNELS_HWY_REQUANT_ROW_H_
