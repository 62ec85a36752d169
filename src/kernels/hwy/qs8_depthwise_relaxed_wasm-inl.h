// Internal, WASM built with relaxed SIMD only (the "relaxed" engine
// variant): 3x3 depthwise on i32x4.relaxed_dot_i8x16_i7x16_add_s, for
// layers of a multiple of 16 channels whose weights (after the scaled
// form's lift, qs8_depthwise_wasm-inl.h) lie in [-64, 63] and whose output
// stage is the scaled form; others keep the pair kernel. Where the relaxed
// dot is emulated (RelaxedDotNative() false, x86 without AVX-VNNI: five
// instructions per dot, and this kernel was 14.3 us against the pair
// kernel's 11.1 on KWS's int4 layers, docs/bench.md) the pack step tries
// the int16-dot column kernel instead (qs8_depthwise_dot16_wasm-inl.h).
//
// Per output pixel and block of 16 channels, the nine taps' 16 bytes are
// transposed into quads (two rounds of byte / 16-bit interleaves): vector
// j of quad q holds, for channels 4j..4j+3, taps 4q..4q+3 (taps 9..11 are
// zero vectors with weight 0). One relaxed dot per vector adds four
// products per channel lane, with w + 64 in [0, 127] as the second operand
// (exact, see qs8_quad_relaxed_wasm-inl.h). The 64 * x excess goes back
// through a second dot of ~x = -x - 1 with 64:
//   x * (w + 64) + (-x - 1) * 64 = x * w - 64
// per slot, 12 slots per lane, so the bias carries + 12 * 64. As in the
// pair kernel, x is the raw input and bias - zp * sum w carries the zero
// point (padded taps read a row of zero points). Every step wraps modulo
// 2^32, so the sums are the reference's exactly; the output stage is the
// scaled form on whole 16-channel vectors (StoreScaledBytes<4>).
//
// Packed layout: the pair kernel's 64-byte header with width -16
// (kDwRelaxedWidth: no pair kernel takes it), then per block of 16
// channels
//   bias[16] | mult[16] | rnd[16] | pow[16] | wsum[16] (int32, channel
//   order) | weights[3 quads][4 vectors][4 channels][4 taps] (uint8, w + 64)
//   wsum[16] (int32, sum of the lifted weights: the zero point's term,
//   folded in per call)
// where bias is the lifted bias + 12 * 64.
#if defined(TM2_KERNELS_HWY_QS8_DEPTHWISE_RELAXED_WASM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TM2_KERNELS_HWY_QS8_DEPTHWISE_RELAXED_WASM_INL_H_
#undef TM2_KERNELS_HWY_QS8_DEPTHWISE_RELAXED_WASM_INL_H_
#else
#define TM2_KERNELS_HWY_QS8_DEPTHWISE_RELAXED_WASM_INL_H_
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
#include "kernels/hwy/requant_row.h"
#include "kernels/select.h"

#if defined(TM2_WASM_RELAXED_DOT)
HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr int kDwRelaxedWidth = -16;
constexpr int kDwRelaxedQuads = 3;  // 9 taps
// bias, mult, rnd, pow, wsum (int32) and 3 x 64 weight bytes per block.
constexpr size_t kDwRelaxedBlockBytes = 5 * 16 * sizeof(int32_t) + kDwRelaxedQuads * 64;

inline size_t DwRelaxedBytes(int channels) {
  return hwyk::kDwHeaderBytes + static_cast<size_t>(channels / 16) * kDwRelaxedBlockBytes;
}

inline bool DwRelaxedShape(const ConvGeometry& g) {
  return g.kernel_h == 3 && g.kernel_w == 3 && g.in_c == g.out_c && g.out_c % 16 == 0 &&
         g.out_c > 0;
}

// Packs the layer for the relaxed kernel, or returns false (nothing
// written) when its weights or output stage do not allow it. scaled: the
// layer's plan (DwScaledPlan over 9 taps, kDwWeightLimit).
inline bool DwRelaxedPack(const ConvGeometry& g, const QuantizedWeights& w,
                          const DwScaledPlan& scaled, void* packed) {
  if (!DwRelaxedShape(g) || !RelaxedDotNative()) return false;
  const int channels = g.out_c, taps = 9;
  const int shift = scaled.Shift();
  if (shift == 0) return false;
  const size_t tap_bytes = WeightRowBytes(channels, w.bits);
  const auto weight = [&](int t, int c) {
    return hwyk::WeightAt16(w.data + t * tap_bytes, c, w.bits) * (1 << scaled.Lift(c));
  };
  for (int t = 0; t < taps; ++t) {
    for (int c = 0; c < channels; ++c) {
      const int v = weight(t, c);
      if (v < -64 || v > 63) return false;
    }
  }
  uint8_t* base = static_cast<uint8_t*>(packed);
  memset(base, 0, hwyk::kDwHeaderBytes);
  const hwyk::DwHeader h{kDwRelaxedWidth, taps, channels, kScaledFormat, 0, shift, 0};
  memcpy(base, &h, sizeof(h));
  for (int b = 0; b < channels / 16; ++b) {
    const int c0 = 16 * b;
    uint8_t* block = base + hwyk::kDwHeaderBytes + b * kDwRelaxedBlockBytes;
    int32_t* bias = reinterpret_cast<int32_t*>(block);
    int32_t* mult = bias + 16;
    int32_t* rnd = mult + 16;
    int32_t* pow = rnd + 16;
    int32_t* wsum = pow + 16;
    uint8_t* wt = reinterpret_cast<uint8_t*>(wsum + 16);
    scaled.Fill(c0, 16, mult, rnd, pow);
    for (int c = 0; c < 16; ++c) {
      uint32_t sum = 0;
      for (int t = 0; t < taps; ++t) sum += static_cast<uint32_t>(weight(t, c0 + c));
      wsum[c] = static_cast<int32_t>(sum);
      // + 12 * 64: the ~x dots' -64 per slot (see the top).
      const int32_t b0 = w.bias ? w.bias[c0 + c] * (1 << scaled.Lift(c0 + c)) : 0;
      bias[c] = static_cast<int32_t>(static_cast<uint32_t>(b0) + 12u * 64u);
    }
    for (int q = 0; q < kDwRelaxedQuads; ++q) {
      for (int c = 0; c < 16; ++c) {
        for (int k = 0; k < 4; ++k) {
          const int t = 4 * q + k;
          wt[q * 64 + c * 4 + k] = t < taps ? static_cast<uint8_t>(weight(t, c0 + c) + 64) : 0;
        }
      }
    }
  }
  return true;
}

// acc += x * (w + 64) + ~x * 64 per slot of the quad vectors x.
HWY_INLINE v128_t DwRelaxedQuad(v128_t x, v128_t w7, v128_t acc) {
  return RelaxedDotAdd(wasm_v128_not(x), wasm_i8x16_splat(64), RelaxedDotAdd(x, w7, acc));
}

// The four quad vectors of taps a, b, c, d (16 channels each): channels
// 0-3, 4-7, 8-11, 12-15, four taps per channel.
HWY_INLINE void DwTranspose(v128_t a, v128_t b, v128_t c, v128_t d, v128_t* q) {
  const v128_t ab_lo = wasm_i8x16_shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const v128_t ab_hi = wasm_i8x16_shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const v128_t cd_lo = wasm_i8x16_shuffle(c, d, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const v128_t cd_hi = wasm_i8x16_shuffle(c, d, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  q[0] = wasm_i16x8_shuffle(ab_lo, cd_lo, 0, 8, 1, 9, 2, 10, 3, 11);
  q[1] = wasm_i16x8_shuffle(ab_lo, cd_lo, 4, 12, 5, 13, 6, 14, 7, 15);
  q[2] = wasm_i16x8_shuffle(ab_hi, cd_hi, 0, 8, 1, 9, 2, 10, 3, 11);
  q[3] = wasm_i16x8_shuffle(ab_hi, cd_hi, 4, 12, 5, 13, 6, 14, 7, 15);
}

// One block of 16 channels for every output pixel. Its own function, so V8
// keeps the accumulators in registers (see TM2_GEMM_GROUP_INLINE).
HWY_NOINLINE inline void DwRelaxedBlock(const ConvGeometry& g, const uint8_t* block, int32_t zp,
                                 const Requantization& rq, int shift, const int8_t* input,
                                 const int8_t* zero_row, int c0, int8_t* output) {
  const hn::Full128<int32_t> d32;
  const VectorRequant<decltype(d32)> vr(d32, rq, shift);
  const int32_t* bias = reinterpret_cast<const int32_t*>(block);
  const int32_t* mult = bias + 16;
  const int32_t* rnd = mult + 16;
  const int32_t* pow = rnd + 16;
  const int32_t* wsum = pow + 16;
  const uint8_t* wt = reinterpret_cast<const uint8_t*>(wsum + 16);
  HWY_ALIGN int32_t start[16];
  for (int c = 0; c < 16; ++c) {
    start[c] = static_cast<int32_t>(static_cast<uint32_t>(bias[c]) -
                                    static_cast<uint32_t>(zp) * static_cast<uint32_t>(wsum[c]));
  }
  const ptrdiff_t pixel = g.in_c;
  const int8_t* in_c0 = input + c0;
  const v128_t zero = wasm_i32x4_splat(0);
  for (int oy = 0; oy < g.out_h; ++oy) {
    const int iy0 = oy * g.stride_h - g.pad_top;
    int8_t* orow = output + static_cast<size_t>(oy) * g.out_w * g.out_c + c0;
    for (int ox = 0; ox < g.out_w; ++ox) {
      const int ix0 = ox * g.stride_w - g.pad_left;
      const int8_t* at[9];
      if (iy0 >= 0 && iy0 + 3 <= g.in_h && ix0 >= 0 && ix0 + 3 <= g.in_w) {
        const int8_t* p0 = in_c0 + (static_cast<ptrdiff_t>(iy0) * g.in_w + ix0) * pixel;
        for (int t = 0; t < 9; ++t) at[t] = p0 + (static_cast<ptrdiff_t>(t / 3) * g.in_w + t % 3) * pixel;
      } else {
        for (int t = 0; t < 9; ++t) {
          const int iy = iy0 + t / 3, ix = ix0 + t % 3;
          at[t] = iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w
                      ? zero_row
                      : in_c0 + (static_cast<ptrdiff_t>(iy) * g.in_w + ix) * pixel;
        }
      }
      v128_t acc[4];
      for (int j = 0; j < 4; ++j) acc[j] = wasm_v128_load(start + 4 * j);
      v128_t q[4];
      DwTranspose(wasm_v128_load(at[0]), wasm_v128_load(at[1]), wasm_v128_load(at[2]),
                  wasm_v128_load(at[3]), q);
      for (int j = 0; j < 4; ++j) acc[j] = DwRelaxedQuad(q[j], wasm_v128_load(wt + 16 * j), acc[j]);
      DwTranspose(wasm_v128_load(at[4]), wasm_v128_load(at[5]), wasm_v128_load(at[6]),
                  wasm_v128_load(at[7]), q);
      for (int j = 0; j < 4; ++j) {
        acc[j] = DwRelaxedQuad(q[j], wasm_v128_load(wt + 64 + 16 * j), acc[j]);
      }
      DwTranspose(wasm_v128_load(at[8]), zero, zero, zero, q);
      for (int j = 0; j < 4; ++j) {
        acc[j] = DwRelaxedQuad(q[j], wasm_v128_load(wt + 128 + 16 * j), acc[j]);
      }
      v128_t y[4];
      for (int j = 0; j < 4; ++j) {
        y[j] = vr.Scaled(d32, hn::Vec128<int32_t>{acc[j]}, hn::LoadU(d32, mult + 4 * j),
                         hn::LoadU(d32, rnd + 4 * j), hn::LoadU(d32, pow + 4 * j)).raw;
      }
      StoreScaledBytes<4>(y, rq, orow + static_cast<size_t>(ox) * g.out_c);
    }
  }
}

// Runs the layer when `packed` holds the relaxed layout; false otherwise.
inline bool DwRelaxedRun(const ConvGeometry& g, const void* packed, int32_t zp,
                         const Requantization& rq, const int8_t* input, int8_t* output) {
  if (!packed || !DwRelaxedShape(g)) return false;
  hwyk::DwHeader h;
  memcpy(&h, packed, sizeof(h));
  if (h.width != kDwRelaxedWidth || h.taps != 9 || h.channels != g.out_c ||
      h.vector != kScaledFormat || h.shift <= 0) {
    return false;
  }
  HWY_ALIGN int8_t zero_row[16];
  memset(zero_row, static_cast<int8_t>(zp), sizeof(zero_row));
  const uint8_t* base = static_cast<const uint8_t*>(packed) + hwyk::kDwHeaderBytes;
  for (int b = 0; b < g.out_c / 16; ++b) {
    DwRelaxedBlock(g, base + b * kDwRelaxedBlockBytes, zp, rq, h.shift, input, zero_row, 16 * b,
                   output);
  }
  return true;
}

}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();
#endif  // TM2_WASM_RELAXED_DOT

#endif  // include guard
