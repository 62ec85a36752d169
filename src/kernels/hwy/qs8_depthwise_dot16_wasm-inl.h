// Internal, WASM built with relaxed SIMD only, where its i32x4 dot is
// emulated (RelaxedDotNative() false; docs/kernels.md): 3x3 depthwise on
// i16x8.relaxed_dot_i8x16_i7x16_s (one pmaddubsw on every x86 CPU), for
// layers of a multiple of 8 channels, horizontal stride 1 (any vertical
// stride), the scaled output stage and small weights (every int4 depthwise
// layer of the shipped models); others keep the pair kernel
// (depthwise_conv2d_hwy.cc).
//
// Taps go in vertical pairs. For input column ix of an output row (input
// rows r0, r1, r2; a row in the padding reads the zero point):
//   A(ix) = r0[ix], r1[ix] interleaved per channel (8 channels, 16 bytes)
//   B(ix) = r2[ix], 0      (a zero-extending load)
// and output pixel ox (columns ix0..ix0+2) is, per channel,
//   sum_k dot(A(ix0+k), WA_k) + dot(B(ix0+k), WB_k) - sum_k C(ix0+k)
// with WA_k = (w(0,k) + o, w(1,k) + o), WB_k = (w(2,k) + o, 0) and
//   C(ix) = dot(A(ix), O) + dot(B(ix), O) = o * (r0 + r1 + r2)[ix],
// o = max(0, -min w) per channel, so every weight byte lies in [0, 127]
// (the second operand's range where all lowerings agree). A column is
// computed once and serves three output pixels: per output pixel and 8
// channels three loads, one shuffle and eight dots (six with weights, two
// for C) where the pair kernel takes ten widening loads, ten shuffles and
// ten i32x4.dot_i16x8_s. (No shipped int4 depthwise layer has horizontal
// stride 2, where a column serves one or two pixels: a version for both
// strides took the relaxed engine past 100 KB gzipped, and one loop that
// loads columns until the window is full, 15 % more of the layer's time.)
//
// Exactness: x is the raw int8 input (|x| <= 128) and every weight byte
// b <= 127, so no dot's pair of products saturates (2 * 128 * 127 <
// 2^15). The int16 sums wrap modulo 2^16, and the result, sum x * w over
// the nine taps, is exact because the pack step requires per channel
// 128 * sum |w| <= 32767 (lifted weights, qs8_depthwise_wasm-inl.h). It is
// widened to int32 and added to bias - zp * sum w (the zero point's term,
// as in the pair kernel; padded taps read zp), so the int32 sums and the
// bytes out are the reference's.
//
// Packed layout: the pair kernel's 64-byte header with width -8
// (kDwDot16Width: no other kernel takes it), then per block of 8 channels
//   bias[8] | mult[8] | rnd[8] | pow[8] | wsum[8] (int32, channel order)
//   | WA_0 WA_1 WA_2 WB_0 WB_1 WB_2 O (16 bytes each, two per channel)
// with bias, wsum and the weights lifted.
#if defined(TM2_KERNELS_HWY_QS8_DEPTHWISE_DOT16_WASM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TM2_KERNELS_HWY_QS8_DEPTHWISE_DOT16_WASM_INL_H_
#undef TM2_KERNELS_HWY_QS8_DEPTHWISE_DOT16_WASM_INL_H_
#else
#define TM2_KERNELS_HWY_QS8_DEPTHWISE_DOT16_WASM_INL_H_
#endif

#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "kernels/hwy/depthwise_layout.h"
#include "kernels/hwy/depthwise_target-inl.h"
#include "kernels/hwy/hwy_kernels.h"
#include "kernels/hwy/qs8_depthwise_wasm-inl.h"
#include "kernels/hwy/qs8_quad_relaxed_wasm-inl.h"
#include "kernels/hwy/qs8_requant-inl.h"
#include "kernels/select.h"

#if defined(TM2_WASM_RELAXED_DOT)
HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr int kDwDot16Width = -8;
// bias, mult, rnd, pow, wsum (int32) and 7 weight vectors per block.
constexpr size_t kDwDot16BlockBytes = 5 * 8 * sizeof(int32_t) + 7 * 16;

inline size_t DwDot16Bytes(int channels) {
  return hwyk::kDwHeaderBytes + static_cast<size_t>(channels / 8) * kDwDot16BlockBytes;
}

inline bool DwDot16Shape(const ConvGeometry& g) {
  return g.kernel_h == 3 && g.kernel_w == 3 && g.in_c == g.out_c && g.out_c % 8 == 0 &&
         g.out_c > 0 && g.stride_w == 1 && g.stride_h >= 1;
}

// Channel c's nine lifted weights (tap order) and its offset o; false when
// they do not fit this kernel (see the top).
inline bool DwDot16Channel(const QuantizedWeights& w, size_t tap_bytes, int lift, int c, int* v,
                           int* o) {
  int lo = 0, sum_abs = 0;
#pragma clang loop unroll(disable)  // Init-time code: the engine's size
  for (int t = 0; t < 9; ++t) {
    v[t] = hwyk::WeightAt16(w.data + t * tap_bytes, c, w.bits) * (1 << lift);
    lo = v[t] < lo ? v[t] : lo;
    sum_abs += v[t] < 0 ? -v[t] : v[t];
  }
  *o = -lo;
#pragma clang loop unroll(disable)
  for (int t = 0; t < 9; ++t) {
    if (v[t] + *o > 127) return false;
  }
  return 128 * sum_abs <= INT16_MAX;
}

// Packs the layer for this kernel, or returns false (nothing written)
// where the dot is native or the weights or output stage do not allow it.
// scaled: the layer's plan (DwScaledPlan over 9 taps, kDwWeightLimit).
inline bool DwDot16Pack(const ConvGeometry& g, const QuantizedWeights& w,
                        const DwScaledPlan& scaled, void* packed) {
  if (!DwDot16Shape(g) || RelaxedDotNative()) return false;
  const int channels = g.out_c;
  const int shift = scaled.Shift();
  if (shift == 0) return false;
  const size_t tap_bytes = WeightRowBytes(channels, w.bits);
  int v[9], o;
  for (int c = 0; c < channels; ++c) {
    if (!DwDot16Channel(w, tap_bytes, scaled.Lift(c), c, v, &o)) return false;
  }
  uint8_t* base = static_cast<uint8_t*>(packed);
  memset(base, 0, hwyk::kDwHeaderBytes);
  const hwyk::DwHeader h{kDwDot16Width, 9, channels, kScaledFormat, 0, shift, 0};
  memcpy(base, &h, sizeof(h));
  for (int b = 0; b < channels / 8; ++b) {
    const int c0 = 8 * b;
    uint8_t* block = base + hwyk::kDwHeaderBytes + b * kDwDot16BlockBytes;
    int32_t* bias = reinterpret_cast<int32_t*>(block);
    int32_t* wsum = bias + 32;
    uint8_t* wt = reinterpret_cast<uint8_t*>(wsum + 8);
    scaled.Fill(c0, 8, bias + 8, bias + 16, bias + 24);  // mult, rnd, pow
    for (int i = 0; i < 8; ++i) {
      const int c = c0 + i, lift = scaled.Lift(c);
      DwDot16Channel(w, tap_bytes, lift, c, v, &o);
      uint32_t sum = 0;
#pragma clang loop unroll(disable)
      for (int t = 0; t < 9; ++t) sum += static_cast<uint32_t>(v[t]);
      wsum[i] = static_cast<int32_t>(sum);
      bias[i] = w.bias ? w.bias[c] * (1 << lift) : 0;
#pragma clang loop unroll(disable)
      for (int k = 0; k < 3; ++k) {
        wt[16 * k + 2 * i] = static_cast<uint8_t>(v[k] + o);           // row 0
        wt[16 * k + 2 * i + 1] = static_cast<uint8_t>(v[3 + k] + o);   // row 1
        wt[48 + 16 * k + 2 * i] = static_cast<uint8_t>(v[6 + k] + o);  // row 2
        wt[48 + 16 * k + 2 * i + 1] = 0;
      }
      wt[96 + 2 * i] = wt[96 + 2 * i + 1] = static_cast<uint8_t>(o);
    }
  }
  return true;
}

// One input column's A, B and C (see the top).
struct DwDot16Column {
  v128_t a, b, c;
};

HWY_INLINE DwDot16Column DwDot16Load(const int8_t* p0, const int8_t* p1, const int8_t* p2,
                                     v128_t off) {
  DwDot16Column col;
  col.a = wasm_i8x16_shuffle(wasm_v128_load64_zero(p0), wasm_v128_load64_zero(p1), 0, 16, 1, 17,
                             2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  col.b = wasm_u16x8_load8x8(p2);
  col.c = wasm_i16x8_add(RelaxedDot16(col.a, off), RelaxedDot16(col.b, off));
  return col;
}

// One block of 8 channels for every output pixel.
HWY_NOINLINE inline void DwDot16Block(const ConvGeometry& g, const uint8_t* block, int32_t zp,
                                      const Requantization& rq, int shift, const int8_t* input,
                                      const int8_t* zero_row, int c0, int8_t* output) {
  const hn::Full128<int32_t> d32;
  const VectorRequant<decltype(d32)> vr(d32, rq, shift);
  const int32_t* bias = reinterpret_cast<const int32_t*>(block);
  const int32_t* mult = bias + 8;
  const int32_t* rnd = mult + 8;
  const int32_t* pow = rnd + 8;
  const int32_t* wsum = pow + 8;
  const uint8_t* wt = reinterpret_cast<const uint8_t*>(wsum + 8);
  const v128_t wa0 = wasm_v128_load(wt), wa1 = wasm_v128_load(wt + 16),
               wa2 = wasm_v128_load(wt + 32);
  const v128_t wb0 = wasm_v128_load(wt + 48), wb1 = wasm_v128_load(wt + 64),
               wb2 = wasm_v128_load(wt + 80);
  const v128_t off = wasm_v128_load(wt + 96);
  // sum (x - zp) * w = sum x * w - zp * sum w (padded taps read zp).
  const v128_t vzp = wasm_i32x4_splat(zp);
  const v128_t start_lo = wasm_i32x4_sub(wasm_v128_load(bias), wasm_i32x4_mul(wasm_v128_load(wsum), vzp));
  const v128_t start_hi =
      wasm_i32x4_sub(wasm_v128_load(bias + 4), wasm_i32x4_mul(wasm_v128_load(wsum + 4), vzp));
  // The geometry in locals: the int8 stores below may alias anything.
  const int in_h = g.in_h, in_w = g.in_w, out_h = g.out_h, out_w = g.out_w, out_c = g.out_c;
  const int stride_h = g.stride_h, pad_top = g.pad_top, pad_left = g.pad_left;
  const ptrdiff_t pixel = g.in_c;
  const int8_t* in_c0 = input + c0;
  for (int oy = 0; oy < out_h; ++oy) {
    const int iy0 = oy * stride_h - pad_top;
    // Row k's first pixel and step: the zero-point row, step 0, in the padding.
    const int8_t* row[3];
    ptrdiff_t step[3];
    for (int k = 0; k < 3; ++k) {
      const int iy = iy0 + k;
      const bool in = iy >= 0 && iy < in_h;
      row[k] = in ? in_c0 + static_cast<ptrdiff_t>(iy) * in_w * pixel : zero_row;
      step[k] = in ? pixel : 0;
    }
    const auto column = [&](int ix) {
      if (ix < 0 || ix >= in_w) return DwDot16Load(zero_row, zero_row, zero_row, off);
      return DwDot16Load(row[0] + ix * step[0], row[1] + ix * step[1], row[2] + ix * step[2], off);
    };
    int8_t* out = output + static_cast<size_t>(oy) * out_w * out_c + c0;
    // k0, k1, k2: columns ix0, ix0 + 1, ix0 + 2 of output pixel ox; the
    // last two serve the next pixel.
    DwDot16Column k0 = column(-pad_left), k1 = column(1 - pad_left), k2;
    for (int ox = 0; ox < out_w; ++ox, out += out_c) {
      k2 = column(ox - pad_left + 2);
      const v128_t d0 = wasm_i16x8_add(RelaxedDot16(k0.a, wa0), RelaxedDot16(k0.b, wb0));
      const v128_t d1 = wasm_i16x8_add(RelaxedDot16(k1.a, wa1), RelaxedDot16(k1.b, wb1));
      const v128_t d2 = wasm_i16x8_add(RelaxedDot16(k2.a, wa2), RelaxedDot16(k2.b, wb2));
      const v128_t corr = wasm_i16x8_add(wasm_i16x8_add(k0.c, k1.c), k2.c);
      const v128_t sum = wasm_i16x8_sub(wasm_i16x8_add(wasm_i16x8_add(d0, d1), d2), corr);
      const hn::Vec128<int32_t> lo{wasm_i32x4_add(start_lo, wasm_i32x4_extend_low_i16x8(sum))};
      const hn::Vec128<int32_t> hi{wasm_i32x4_add(start_hi, wasm_i32x4_extend_high_i16x8(sum))};
      DwStoreScaled8(d32, vr, lo, hi, mult, rnd, pow, rq, out);
      k0 = k1;
      k1 = k2;
    }
  }
}

// Runs the layer when `packed` holds this layout; false otherwise.
inline bool DwDot16Run(const ConvGeometry& g, const void* packed, int32_t zp,
                       const Requantization& rq, const int8_t* input, int8_t* output) {
  if (!packed || !DwDot16Shape(g)) return false;
  hwyk::DwHeader h;
  memcpy(&h, packed, sizeof(h));
  if (h.width != kDwDot16Width || h.taps != 9 || h.channels != g.out_c ||
      h.vector != kScaledFormat || h.shift <= 0) {
    return false;
  }
  HWY_ALIGN int8_t zero_row[16];
  memset(zero_row, static_cast<int8_t>(zp), sizeof(zero_row));
  const uint8_t* base = static_cast<const uint8_t*>(packed) + hwyk::kDwHeaderBytes;
  for (int b = 0; b < g.out_c / 8; ++b) {
    const uint8_t* block = base + b * kDwDot16BlockBytes;
    DwDot16Block(g, block, zp, rq, h.shift, input, zero_row, 8 * b, output);
  }
  return true;
}

}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();
#endif  // TM2_WASM_RELAXED_DOT

#endif  // include guard
