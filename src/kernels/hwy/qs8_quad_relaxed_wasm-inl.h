// Internal, WASM built with relaxed SIMD only (the "relaxed" engine
// variant, -mrelaxed-simd): the pointwise / fully connected GEMM on the
// relaxed int8 dot products, in one of two forms chosen at pack time:
//
// - 7-bit form, where i32x4.relaxed_dot_i8x16_i7x16_add_s is one
//   instruction (x86 with AVX-VNNI: vpdpbusd; Arm): four int8 products per
//   int32 lane per instruction (the int16 pair GEMM of qs8_gemm-inl.h does
//   two per i32x4.dot_i16x8_s, plus an add). Weights in [-64, 63] (every
//   int4 layer; int8 layers whose weights happen to fit 7 bits), stored as
//   w + 64.
// - 4-bit form, where that instruction is emulated (x86 without AVX-VNNI:
//   pmaddubsw, a rebuilt ones vector, pmaddwd, paddd; SelectKernels' flag
//   RelaxedDotNative, which the loader sets): i16x8.relaxed_dot_i8x16_i7x16_s,
//   which is one pmaddubsw there, and an int16 add per 16 products; every
//   eight quads the int16 sums are widened into the int32 accumulators
//   (i32x4.extadd_pairwise_i16x8_s). Weights in [-8, 7] (int4 layers),
//   stored as w + 8: a pair of products is at most 2 * 128 * 15 = 3840 in
//   magnitude and eight quads put 16 products in each int16 lane, at most
//   30720 < 2^15, so nothing saturates or wraps.
//
// Exactness: both instructions' results are implementation-defined only
// when a lane of their second operand has the top bit set (read as signed
// on some CPUs, unsigned on others). Their second operand here is w + k
// (k = 64 or 8), which lies in [0, 127] in either form: both readings agree
// there, and with |x| <= 128 no intermediate saturates (two products
// <= 2 * 128 * 127 < 2^15). The pack step checks the weights and keeps the
// pair GEMM otherwise. With x the raw int8 input,
//   sum (x - zp) * w = sum x * (w + k) - k * sum x - zp * sum w,
// so the pack step stores sum w per channel, each row's sum x is taken
// once per call, and the accumulators start at
// bias - zp * sum w - k * sum x. Every step wraps modulo 2^32 like the
// reference's int32 sum, so the bytes out are the reference's exactly.
//
// clang 14 (emscripten 3.1.6) has no builtins for these instructions (it
// predates the final opcodes), so the code calls two instructions of the
// same prototype proposal with the same operands and encoded length,
// i32x4.laneselect and i8x16.relaxed_swizzle, and the build rewrites those
// opcodes in the linked module (scripts/wasm_relaxed_patch.mjs;
// docs/kernels.md).
//
// The packed layout and the pack step: qs8_quad_relaxed_pack_wasm-inl.h.
#if defined(TM2_KERNELS_HWY_QS8_QUAD_RELAXED_WASM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TM2_KERNELS_HWY_QS8_QUAD_RELAXED_WASM_INL_H_
#undef TM2_KERNELS_HWY_QS8_QUAD_RELAXED_WASM_INL_H_
#else
#define TM2_KERNELS_HWY_QS8_QUAD_RELAXED_WASM_INL_H_
#endif

#include <cstring>

#include "hwy/highway.h"
#include "kernels/hwy/qs8_gemm-inl.h"
#include "kernels/hwy/qs8_quad_relaxed_pack_wasm-inl.h"
#include "kernels/hwy/qs8_requant-inl.h"
#include "kernels/hwy/requant_row.h"

#if HWY_TARGET == HWY_WASM && defined(__wasm_relaxed_simd__)
#define TM2_WASM_RELAXED_DOT 1

HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// acc + per lane i: sum_{b<4} a[4i+b] * w7[4i+b], w7 in [0, 127]. Emitted as
// i32x4.laneselect (prototype opcode 0xd2) and rewritten after linking
// into i32x4.relaxed_dot_i8x16_i7x16_add_s (0x113); see the top.
HWY_INLINE v128_t RelaxedDotAdd(v128_t a, v128_t w7, v128_t acc) {
  return reinterpret_cast<v128_t>(__builtin_wasm_laneselect_i32x4(
      reinterpret_cast<__i32x4>(a), reinterpret_cast<__i32x4>(w7), reinterpret_cast<__i32x4>(acc)));
}

// Quads whose int16 sums fit before widening, in the 4-bit form.
constexpr int kQuadsPerWiden = 8;

// Per lane i of the int16 result: a[2i] * w7[2i] + a[2i+1] * w7[2i+1],
// w7 in [0, 127]. Emitted as i8x16.relaxed_swizzle (prototype opcode 0xa2)
// and rewritten after linking into i16x8.relaxed_dot_i8x16_i7x16_s (0x112).
HWY_INLINE v128_t RelaxedDot16(v128_t a, v128_t w7) {
  return reinterpret_cast<v128_t>(__builtin_wasm_relaxed_swizzle_i8x16(
      reinterpret_cast<__i8x16>(a), reinterpret_cast<__i8x16>(w7)));
}


// The output stage of MR rows of NV vectors of int32 sums: a function of
// its own, shared by both forms (one copy per NV keeps the engine small).
template <int NV, int MR>
HWY_NOINLINE void RelaxedStore(const int32_t (*sums)[NV * 4], const ChunkRequant& cr, int c0,
                               int live, int8_t* const* out) {
  const hn::Full128<int32_t> d32;
  if (cr.vector) {
    const VectorRequant<decltype(d32)> vr(d32, *cr.rq, cr.shift);
    if (cr.shift != 0 && live == NV * 4) {
      // The constants once for the MR rows (the int8 stores may alias them).
      hn::Vec<decltype(d32)> lo2[NV], hi2[NV];
      for (int v = 0; v < NV; ++v) {
        lo2[v] = hn::LoadU(d32, cr.rnd + c0 + 4 * v);
        hi2[v] = hn::LoadU(d32, cr.pow + c0 + 4 * v);
      }
      for (int m = 0; m < MR; ++m) {
        v128_t y[NV];
        for (int v = 0; v < NV; ++v) {
          y[v] = vr.Scaled(d32, hn::Load(d32, sums[m] + 4 * v), lo2[v], lo2[v], hi2[v]).raw;
        }
        StoreScaledBytes<NV>(y, *cr.rq, out[m]);
      }
      return;
    }
    for (int v = 0; v < NV; ++v) {
      const int c = 4 * v;
      const int n = live - c < 4 ? live - c : 4;
      const auto mult = hn::LoadU(d32, cr.mult + c0 + c);
      const auto rnd = hn::LoadU(d32, cr.rnd + c0 + c);
      const auto pow = hn::LoadU(d32, cr.pow + c0 + c);
      for (int m = 0; m < MR; ++m) {
        StoreBytes(d32, vr.Apply(d32, hn::Load(d32, sums[m] + c), mult, rnd, pow), n, out[m] + c);
      }
    }
    return;
  }
  for (int m = 0; m < MR; ++m) hwyk::RequantizeRow(sums[m], c0, live, *cr.rq, out[m]);
}

// Quad q (four int8 taps) of each of MR rows, broadcast to every lane.
template <int MR>
HWY_INLINE void BroadcastQuad(const int8_t* const* x, int q, v128_t* xb) {
  for (int m = 0; m < MR; ++m) {
    int32_t four;
    memcpy(&four, x[m] + 4 * q, 4);
    xb[m] = wasm_i32x4_splat(four);
  }
}

// Per-call constants of one group: start[v] = bias - zp * wsum per lane.
// MR rows (4-byte aligned runs of `quads` quads; sxk[m] = k * sum x of row
// m) times one group of NV channel vectors starting at channel c0, in the
// 7-bit form or (kFour) the 4-bit form. A function of its own, so V8 keeps
// the accumulators in registers (see TM2_GEMM_GROUP_INLINE); `count` runs
// of MR rows per call.
template <int NV, int MR, bool kFour>
HWY_NOINLINE void RelaxedGroup(const int8_t* x0, size_t row_stride, const int32_t* sxk,
                               int quads, const uint8_t* tile, const int32_t* start,
                               const ChunkRequant& cr, int c0, int live, int8_t* o0,
                               size_t out_stride, int count) {
  for (int j = 0; j < count; ++j) {
    const int8_t* x[MR];
    for (int m = 0; m < MR; ++m) x[m] = x0 + (static_cast<size_t>(j) * MR + m) * row_stride;
    HWY_ALIGN int32_t sums[MR][NV * 4];
    if (kFour) {
      // The int32 sums live in memory: the int16 accumulators take the
      // registers, and the sums are touched once per eight quads.
      for (int v = 0; v < NV; ++v) {
        const v128_t s = wasm_v128_load(start + 4 * v);
        for (int m = 0; m < MR; ++m) {
          wasm_v128_store(sums[m] + 4 * v, wasm_i32x4_sub(s, wasm_i32x4_splat(sxk[j * MR + m])));
        }
      }
      const uint8_t* t = tile;
      for (int q0 = 0; q0 < quads; q0 += kQuadsPerWiden) {
        const int q1 = quads - q0 < kQuadsPerWiden ? quads : q0 + kQuadsPerWiden;
        v128_t acc16[MR][NV];
        for (int m = 0; m < MR; ++m) {
          for (int v = 0; v < NV; ++v) acc16[m][v] = wasm_i16x8_splat(0);
        }
        for (int q = q0; q < q1; ++q, t += NV * 16) {
          v128_t xb[MR];
          BroadcastQuad<MR>(x, q, xb);
          for (int v = 0; v < NV; ++v) {
            const v128_t wv = wasm_v128_load(t + 16 * v);
            for (int m = 0; m < MR; ++m) {
              acc16[m][v] = wasm_i16x8_add(acc16[m][v], RelaxedDot16(xb[m], wv));
            }
          }
        }
        for (int m = 0; m < MR; ++m) {
          for (int v = 0; v < NV; ++v) {
            int32_t* s = sums[m] + 4 * v;
            wasm_v128_store(s, wasm_i32x4_add(wasm_v128_load(s),
                                              wasm_i32x4_extadd_pairwise_i16x8(acc16[m][v])));
          }
        }
      }
    } else {
      v128_t acc[MR][NV];
      for (int v = 0; v < NV; ++v) {
        const v128_t s = wasm_v128_load(start + 4 * v);
        for (int m = 0; m < MR; ++m) acc[m][v] = wasm_i32x4_sub(s, wasm_i32x4_splat(sxk[j * MR + m]));
      }
      const uint8_t* t = tile;
      for (int q = 0; q < quads; ++q, t += NV * 16) {
        v128_t xb[MR];
        BroadcastQuad<MR>(x, q, xb);
        for (int v = 0; v < NV; ++v) {
          const v128_t wv = wasm_v128_load(t + 16 * v);
          for (int m = 0; m < MR; ++m) acc[m][v] = RelaxedDotAdd(xb[m], wv, acc[m][v]);
        }
      }
      for (int m = 0; m < MR; ++m) {
        for (int v = 0; v < NV; ++v) wasm_v128_store(sums[m] + 4 * v, acc[m][v]);
      }
    }
    int8_t* out[MR];
    for (int m = 0; m < MR; ++m) out[m] = o0 + (static_cast<size_t>(j) * MR + m) * out_stride;
    RelaxedStore<NV, MR>(sums, cr, c0, live, out);
  }
}

// One group of NV vectors, in the layer's form.
template <int NV>
HWY_INLINE void RelaxedGroupOf(bool four, const int8_t* x, size_t row_stride, const int32_t* sxk,
                               int quads, const uint8_t* t, const int32_t* s,
                               const ChunkRequant& cr, int c0, int live, int8_t* o,
                               size_t out_stride, int count) {
  if (four) {
    RelaxedGroup<NV, 2, true>(x, row_stride, sxk, quads, t, s, cr, c0, live, o, out_stride, count);
  } else {
    RelaxedGroup<NV, 2, false>(x, row_stride, sxk, quads, t, s, cr, c0, live, o, out_stride, count);
  }
}

// Rows [0, 2 * count) of a block (rows `row_stride` bytes apart, outputs
// `out_stride` apart), every channel group. Two rows per pass only, which
// keeps the engine small (each instantiation carries an output stage); a
// last odd row runs as a pair of itself (strides 0: the same bytes written
// twice).
HWY_INLINE void RelaxedRows(const int8_t* x, size_t row_stride, const int32_t* sxk, int count,
                            int quads, const PackedRelaxed& pk, const int32_t* start, int out,
                            size_t out_stride, int8_t* o) {
  if (count == 0) return;
  const bool four = pk.offset == kFourBitOffset;
  const int nvec = static_cast<int>(PaddedChannels(out, kRelaxedLanes)) / kRelaxedLanes;
  for (int v0 = 0; v0 < nvec; v0 += 4) {
    const int nv = nvec - v0 < 4 ? nvec - v0 : 4;
    const uint8_t* t = pk.tile + static_cast<size_t>(v0) * quads * 16;
    const int c0 = v0 * kRelaxedLanes;
    const int live = out - c0 < nv * kRelaxedLanes ? out - c0 : nv * kRelaxedLanes;
    const int32_t* s = start + c0;
    switch (nv) {
      case 4: RelaxedGroupOf<4>(four, x, row_stride, sxk, quads, t, s, pk.cr, c0, live, o + c0, out_stride, count); break;
      case 3: RelaxedGroupOf<3>(four, x, row_stride, sxk, quads, t, s, pk.cr, c0, live, o + c0, out_stride, count); break;
      case 2: RelaxedGroupOf<2>(four, x, row_stride, sxk, quads, t, s, pk.cr, c0, live, o + c0, out_stride, count); break;
      default: RelaxedGroupOf<1>(four, x, row_stride, sxk, quads, t, s, pk.cr, c0, live, o + c0, out_stride, count); break;
    }
  }
}

// k * sum of n int8 values (wrapping like the accumulators).
HWY_INLINE int32_t SumTimes(const int8_t* x, int n, int k) {
  v128_t acc = wasm_i32x4_splat(0);
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    acc = wasm_i32x4_add(acc, wasm_i32x4_extadd_pairwise_i16x8(
                                  wasm_i16x8_extadd_pairwise_i8x16(wasm_v128_load(x + i))));
  }
  uint32_t s = static_cast<uint32_t>(wasm_i32x4_extract_lane(acc, 0)) +
               static_cast<uint32_t>(wasm_i32x4_extract_lane(acc, 1)) +
               static_cast<uint32_t>(wasm_i32x4_extract_lane(acc, 2)) +
               static_cast<uint32_t>(wasm_i32x4_extract_lane(acc, 3));
  for (; i < n; ++i) s += static_cast<uint32_t>(x[i]);
  return static_cast<int32_t>(s * static_cast<uint32_t>(k));
}

// output[r][c] for `rows` rows of `in` int8 inputs (zero point zp).
HWY_NOINLINE inline void RelaxedGemm(int rows, int in, int out, const PackedRelaxed& packed, int32_t zp,
                              const Requantization& rq, const int8_t* input, int8_t* output) {
  PackedRelaxed pk = packed;
  pk.cr.rq = &rq;
  const int quads = RelaxedQuads(in);
  const int stride = 4 * quads;
  const size_t np = PaddedChannels(out, kRelaxedLanes);
  constexpr int kMaxOut = 1024;
  constexpr int kBlockRows = 64;
  HWY_ALIGN int32_t start[kMaxOut];
  HWY_ALIGN int32_t sxk[kBlockRows];
  HWY_ALIGN int8_t buf[kBlockRows * 4];  // rows padded to whole quads, when in % 4 != 0
  for (size_t c = 0; c < np; ++c) {
    start[c] = static_cast<int32_t>(static_cast<uint32_t>(pk.bias[c]) -
                                    static_cast<uint32_t>(zp) * static_cast<uint32_t>(pk.wsum[c]));
  }
  for (int r0 = 0; r0 < rows; r0 += kBlockRows) {
    const int nb = rows - r0 < kBlockRows ? rows - r0 : kBlockRows;
    const int8_t* x = input + static_cast<size_t>(r0) * in;
    for (int m = 0; m < nb; ++m) sxk[m] = SumTimes(x + static_cast<size_t>(m) * in, in, pk.offset);
    int8_t* o = output + static_cast<size_t>(r0) * out;
    if (stride != in) {
      // Rows of in % 4 taps: one row at a time through a padded copy (the
      // padding taps' weights are 0).
      for (int m = 0; m < nb; ++m) {
        memset(buf, 0, static_cast<size_t>(stride));
        memcpy(buf, x + static_cast<size_t>(m) * in, static_cast<size_t>(in));
        const int32_t sx[2] = {sxk[m], sxk[m]};
        RelaxedRows(buf, 0, sx, 1, quads, pk, start, out, 0, o + static_cast<size_t>(m) * out);
      }
      continue;
    }
    RelaxedRows(x, in, sxk, nb / 2, quads, pk, start, out, out, o);
    if (nb % 2) {
      const int m = nb - 1;
      const int32_t sx[2] = {sxk[m], sxk[m]};
      RelaxedRows(x + static_cast<size_t>(m) * in, 0, sx, 1, quads, pk, start, out, 0,
                  o + static_cast<size_t>(m) * out);
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET == HWY_WASM && __wasm_relaxed_simd__

#endif  // include guard
