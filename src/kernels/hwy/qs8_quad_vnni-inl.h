// Internal, AVX3_DL (AVX-512 with VNNI) only: the pointwise / fully
// connected GEMM on vpdpbusd, four int8 products per int32 lane per
// instruction (the int16 pair GEMM of qs8_gemm-inl.h does two, and needs a
// separate add).
//
// vpdpbusd multiplies unsigned by signed bytes. (x - zp) does not fit a
// byte, but x + 128 does (x ^ 0x80), and
//   sum (x - zp) * w = sum (x + 128) * w - (128 + zp) * sum w,
// so the pack step stores sum w per channel and each call starts the
// accumulators at bias - (128 + zp) * sum w. Every step wraps modulo 2^32
// like the reference's int32 sum (four u8 x s8 products never overflow
// inside the instruction), so the bytes out are the reference's exactly.
//
// Packed layout (made once at Init, read per call):
//   header | bias[np] | mult[np] | rnd[np] | pow[np] | wsum[np] | tile
// np = out_c rounded up to 16; tile: groups of up to 4 vectors of 16
// channels; per group, per quad q of taps, per vector, 16 lanes of 4 bytes
// (w[c][4q .. 4q+3]; taps past `in` and padding channels are zero). The
// header's `pairs` field holds -quads, so the pair GEMM of another target
// never mistakes this layout for its own.
#if defined(TM2_KERNELS_HWY_QS8_QUAD_VNNI_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TM2_KERNELS_HWY_QS8_QUAD_VNNI_INL_H_
#undef TM2_KERNELS_HWY_QS8_QUAD_VNNI_INL_H_
#else
#define TM2_KERNELS_HWY_QS8_QUAD_VNNI_INL_H_
#endif

#include <cstring>

#include "hwy/highway.h"
#include "kernels/hwy/qs8_gemm-inl.h"
#include "kernels/hwy/qs8_requant-inl.h"
#include "kernels/hwy/requant_row.h"

#if HWY_TARGET == HWY_AVX3_DL
#include <immintrin.h>

HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Highway 1.0.3's AVX3_DL target string names the VEX AVX-VNNI but not the
// EVEX AVX512-VNNI that the 512-bit vpdpbusd needs; Highway's run-time
// check for AVX3_DL requires it, so adding it here is safe.
#define TM2_VNNI_ATTR __attribute__((target(HWY_TARGET_STR ",avx512vnni")))

constexpr int kQuadLanes = 16;

inline int Quads(int in) { return (in + 3) / 4; }

inline size_t QuadPackedBytes(int in, int out_c) {
  const size_t np = PaddedChannels(out_c, kQuadLanes);
  return kPackedHeaderBytes + 5 * np * sizeof(int32_t) + np * static_cast<size_t>(Quads(in)) * 4;
}

inline void PackQuads(const QuantizedWeights& w, const Requantization& rq, int in, int out_c,
                      void* dst) {
  const size_t np = PaddedChannels(out_c, kQuadLanes);
  const int quads = Quads(in);
  uint8_t* base = static_cast<uint8_t*>(dst);
  int32_t* bias = reinterpret_cast<int32_t*>(base + kPackedHeaderBytes);
  int32_t* mult = bias + np;
  int32_t* rnd = mult + np;
  int32_t* pow = rnd + np;
  int32_t* wsum = pow + np;
  for (size_t c = 0; c < 5 * np; ++c) bias[c] = 0;
  for (int c = 0; c < out_c && w.bias; ++c) bias[c] = w.bias[c];
  const bool vector = hwyk::VectorRequantOk(rq, 0, out_c);
  if (vector) FillVectorRequantFor(rq, 0, out_c, mult, rnd, pow);
  for (int c = 0; c < out_c; ++c) wsum[c] = hwyk::WeightRowSum(w, in, c);
  hwyk::TileQuads(w, in, out_c, static_cast<int>(np) / kQuadLanes, kQuadLanes, quads, 0,
                  reinterpret_cast<int8_t*>(wsum + np));
  const PackedHeader h{kQuadLanes, -quads, out_c, vector ? kVectorFormat : 0, 0};
  memset(base, 0, kPackedHeaderBytes);
  memcpy(base, &h, sizeof(h));
}

struct PackedQuads {
  const int32_t* bias;
  const int32_t* mult;
  const int32_t* rnd;
  const int32_t* pow;
  const int32_t* wsum;
  const int8_t* tile;
  bool vector;
};

inline bool OpenQuads(const void* packed, int in, int out_c, PackedQuads* v) {
  if (!packed) return false;
  const uint8_t* base = static_cast<const uint8_t*>(packed);
  PackedHeader h;
  memcpy(&h, base, sizeof(h));
  if (h.lanes != kQuadLanes || h.pairs != -Quads(in) || h.out_c != out_c) return false;
  if (h.vector != 0 && h.vector != kVectorFormat) return false;
  const size_t np = PaddedChannels(out_c, kQuadLanes);
  v->bias = reinterpret_cast<const int32_t*>(base + kPackedHeaderBytes);
  v->mult = v->bias + np;
  v->rnd = v->mult + np;
  v->pow = v->rnd + np;
  v->wsum = v->pow + np;
  v->tile = reinterpret_cast<const int8_t*>(v->wsum + np);
  v->vector = h.vector != 0;
  return true;
}

// RequantizeOne's own int64 arithmetic on 16 channels, 8 per 64-bit
// half: for shifts the 32-bit vector stage does not take (n = 31 - shift
// below 33, e.g. a dense layer's scale near 1), where the scalar loop cost
// a dense layer more than its MACs. Channels past `n` are neither read nor
// written.
TM2_VNNI_ATTR HWY_INLINE void RequantizeLanes64(__m512i acc, const Requantization& rq, int c,
                                                int n, int8_t* out) {
  const __m512i one = _mm512_set1_epi64(1), thirty_one = _mm512_set1_epi64(31);
  const __m512i zp = _mm512_set1_epi64(rq.output_zero_point);
  const __m512i lo = _mm512_set1_epi64(rq.output_min), hi = _mm512_set1_epi64(rq.output_max);
  for (int h = 0; h < 2 && 8 * h < n; ++h) {
    const int k = n - 8 * h < 8 ? n - 8 * h : 8;
    const __mmask8 m = static_cast<__mmask8>((1u << k) - 1);
    const __m256i a32 = h ? _mm512_extracti64x4_epi64(acc, 1) : _mm512_castsi512_si256(acc);
    const __m512i a = _mm512_cvtepi32_epi64(a32);
    const __m512i mult =
        _mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(m, rq.multiplier + c + 8 * h));
    const __m512i shift = _mm512_cvtepi8_epi64(_mm_maskz_loadu_epi8(m, rq.shift + c + 8 * h));
    const __m512i nbits = _mm512_sub_epi64(thirty_one, shift);
    const __m512i rnd = _mm512_sllv_epi64(one, _mm512_sub_epi64(nbits, one));
    const __m512i prod = _mm512_add_epi64(_mm512_mul_epi32(a, mult), rnd);
    __m512i y = _mm512_add_epi64(_mm512_srav_epi64(prod, nbits), zp);
    y = _mm512_min_epi64(_mm512_max_epi64(y, lo), hi);
    _mm512_mask_cvtepi64_storeu_epi8(out + 8 * h, m, y);
  }
}

// MR rows (x + 128 as bytes, 4-byte aligned runs of `quads` quads) times
// one group of NV channel vectors starting at channel c0.
template <int NV, int MR>
TM2_VNNI_ATTR HWY_INLINE void QuadGemmGroup(const uint8_t* const* x, int quads, const int8_t* tile,
                                            const PackedQuads& pk, int32_t zp128,
                                            const Requantization& rq, int c0, int live,
                                            int8_t* const* out, uint32_t xor_in = 0) {
  const hn::ScalableTag<int32_t> d32;
  constexpr int L = kQuadLanes;
  __m512i acc[MR][NV];
  const auto vzp = hn::Set(d32, zp128);
  for (int v = 0; v < NV; ++v) {
    const auto b = hn::LoadU(d32, pk.bias + c0 + v * L);
    const auto s = hn::LoadU(d32, pk.wsum + c0 + v * L);
    const __m512i a0 = hn::Sub(b, hn::Mul(s, vzp)).raw;
    for (int m = 0; m < MR; ++m) acc[m][v] = a0;
  }
  const int8_t* t = tile;
  int q = 0;
  if (MR == 1) {
    // One row (a dense layer): a second set of accumulators for odd quads
    // halves the chain of dependent vpdpbusd.
    __m512i odd[NV];
    for (int v = 0; v < NV; ++v) odd[v] = _mm512_setzero_si512();
    for (; q + 2 <= quads; q += 2, t += 2 * NV * 4 * L) {
      uint32_t f0, f1;
      memcpy(&f0, x[0] + 4 * q, 4);
      memcpy(&f1, x[0] + 4 * q + 4, 4);
      const __m512i x0 = _mm512_set1_epi32(static_cast<int32_t>(f0 ^ xor_in));
      const __m512i x1 = _mm512_set1_epi32(static_cast<int32_t>(f1 ^ xor_in));
      for (int v = 0; v < NV; ++v) {
        acc[0][v] = _mm512_dpbusd_epi32(acc[0][v], x0, _mm512_loadu_si512(t + v * 4 * L));
        odd[v] = _mm512_dpbusd_epi32(odd[v], x1, _mm512_loadu_si512(t + (NV + v) * 4 * L));
      }
    }
    for (int v = 0; v < NV; ++v) acc[0][v] = _mm512_add_epi32(acc[0][v], odd[v]);
  }
  for (; q < quads; ++q, t += NV * 4 * L) {
    __m512i xb[MR];
    for (int m = 0; m < MR; ++m) {
      uint32_t four;
      memcpy(&four, x[m] + 4 * q, 4);
      xb[m] = _mm512_set1_epi32(static_cast<int32_t>(four ^ xor_in));
    }
    for (int v = 0; v < NV; ++v) {
      const __m512i wv = _mm512_loadu_si512(t + v * 4 * L);
      for (int m = 0; m < MR; ++m) acc[m][v] = _mm512_dpbusd_epi32(acc[m][v], xb[m], wv);
    }
  }
  if (pk.vector) {
    const VectorRequant<decltype(d32)> vr(d32, rq);
    for (int v = 0; v < NV; ++v) {
      const int c = v * L;
      const int n = live - c < L ? live - c : L;
      const auto mult = hn::LoadU(d32, pk.mult + c0 + c);
      const auto rnd = hn::LoadU(d32, pk.rnd + c0 + c);
      const auto pow = hn::LoadU(d32, pk.pow + c0 + c);
      for (int m = 0; m < MR; ++m) {
        StoreBytes(d32, vr.Apply(d32, hn::Vec512<int32_t>{acc[m][v]}, mult, rnd, pow), n,
                   out[m] + c);
      }
    }
    return;
  }
  if (rq.output_min >= -128 && rq.output_max <= 127) {  // int8 out: the 64-bit stage
    for (int v = 0; v < NV; ++v) {
      const int c = v * L;
      const int n = live - c < L ? live - c : L;
      for (int m = 0; m < MR; ++m) RequantizeLanes64(acc[m][v], rq, c0 + c, n, out[m] + c);
    }
    return;
  }
  HWY_ALIGN int32_t lanes[NV * L];
  for (int m = 0; m < MR; ++m) {
    for (int v = 0; v < NV; ++v) _mm512_store_si512(lanes + v * L, acc[m][v]);
    hwyk::RequantizeRow(lanes, c0, live, rq, out[m]);
  }
}

// Rows of a block in runs of MR; every channel group for each run.
template <int NV, int MR>
TM2_VNNI_ATTR HWY_INLINE int QuadGemmRowsOf(const uint8_t* buf, int stride, int m, int nb,
                                            int quads, const int8_t* tile, const PackedQuads& pk,
                                            int32_t zp128, const Requantization& rq, int c0,
                                            int live, int8_t* o, int out_stride) {
  for (; m + MR <= nb; m += MR) {
    const uint8_t* x[MR];
    int8_t* outs[MR];
    for (int r = 0; r < MR; ++r) {
      x[r] = buf + static_cast<size_t>(m + r) * stride;
      outs[r] = o + static_cast<size_t>(m + r) * out_stride + c0;
    }
    QuadGemmGroup<NV, MR>(x, quads, tile, pk, zp128, rq, c0, live, outs);
  }
  return m;
}

template <int NV>
TM2_VNNI_ATTR HWY_INLINE void QuadGemmBlock(const uint8_t* buf, int stride, int nb, int quads,
                                            const int8_t* tile, const PackedQuads& pk,
                                            int32_t zp128, const Requantization& rq, int c0,
                                            int live, int8_t* o, int out_stride) {
  // Accumulators MR * NV plus NV weights and MR broadcasts stay within
  // the 32 registers.
  constexpr int kMR = NV <= 2 ? 8 : 4;
  int m = QuadGemmRowsOf<NV, kMR>(buf, stride, 0, nb, quads, tile, pk, zp128, rq, c0, live, o,
                                  out_stride);
  if (kMR > 4) {
    m = QuadGemmRowsOf<NV, 4>(buf, stride, m, nb, quads, tile, pk, zp128, rq, c0, live, o,
                              out_stride);
  }
  QuadGemmRowsOf<NV, 1>(buf, stride, m, nb, quads, tile, pk, zp128, rq, c0, live, o, out_stride);
}

// One row (a dense layer) of `in` inputs, in a multiple of 4: its quads
// straight from the input, flipped to x + 128 in the broadcast, not copied
// first. A function of its own, without QuadGemm's 4 KB row buffer, so a
// call of a few tens of ns sets up no large, realigned stack frame.
TM2_VNNI_ATTR HWY_INLINE void QuadDense(int in, int out, const PackedQuads& pk, int32_t zp,
                                        const Requantization& rq, const int8_t* input,
                                        int8_t* output) {
  const int quads = in / 4;
  const int nvec = static_cast<int>(PaddedChannels(out, kQuadLanes)) / kQuadLanes;
  const int32_t zp128 = 128 + zp;
  const uint8_t* x[1] = {reinterpret_cast<const uint8_t*>(input)};
  for (int v0 = 0; v0 < nvec; v0 += 4) {
    const int nv = nvec - v0 < 4 ? nvec - v0 : 4;
    const int8_t* t = pk.tile + static_cast<size_t>(v0) * quads * 4 * kQuadLanes;
    const int c0 = v0 * kQuadLanes;
    const int live = out - c0 < nv * kQuadLanes ? out - c0 : nv * kQuadLanes;
    int8_t* o[1] = {output + c0};
    constexpr uint32_t kFlip = 0x80808080u;
    switch (nv) {
      case 4: QuadGemmGroup<4, 1>(x, quads, t, pk, zp128, rq, c0, live, o, kFlip); break;
      case 3: QuadGemmGroup<3, 1>(x, quads, t, pk, zp128, rq, c0, live, o, kFlip); break;
      case 2: QuadGemmGroup<2, 1>(x, quads, t, pk, zp128, rq, c0, live, o, kFlip); break;
      default: QuadGemmGroup<1, 1>(x, quads, t, pk, zp128, rq, c0, live, o, kFlip); break;
    }
  }
}

// output[r][c] for `rows` rows of `in` int8 inputs (zero point zp).
TM2_VNNI_ATTR HWY_NOINLINE void QuadGemm(int rows, int in, int out, const PackedQuads& pk,
                                         int32_t zp, const Requantization& rq,
                                         const int8_t* input, int8_t* output) {
  const int quads = Quads(in);
  const int stride = 4 * quads;
  const int nvec = static_cast<int>(PaddedChannels(out, kQuadLanes)) / kQuadLanes;
  const int32_t zp128 = 128 + zp;
  if (rows == 1 && stride == in) return QuadDense(in, out, pk, zp, rq, input, output);
  HWY_ALIGN uint8_t buf[4096 + 64];
  const int block_rows = 4096 / stride > 0 ? 4096 / stride : 1;
  const hn::ScalableTag<uint8_t> d8;
  const auto flip = hn::Set(d8, 0x80);
  const int n8 = static_cast<int>(hn::Lanes(d8));
  for (int r0 = 0; r0 < rows; r0 += block_rows) {
    const int nb = rows - r0 < block_rows ? rows - r0 : block_rows;
    const uint8_t* x = reinterpret_cast<const uint8_t*>(input) + static_cast<size_t>(r0) * in;
    if (stride == in) {
      const int n = nb * in;
      int i = 0;
      for (; i + n8 <= n; i += n8) hn::Store(hn::Xor(hn::LoadU(d8, x + i), flip), d8, buf + i);
      if (i < n) {  // masked: bytes past n are neither read nor written
        const auto m = hn::FirstN(d8, static_cast<size_t>(n - i));
        hn::BlendedStore(hn::Xor(hn::MaskedLoad(m, d8, x + i), flip), m, d8, buf + i);
      }
    } else {
      // Pad taps have zero weights: any byte will do.
      for (int m = 0; m < nb; ++m) {
        for (int i = 0; i < in; ++i) buf[m * stride + i] = static_cast<uint8_t>(x[m * in + i] ^ 0x80);
        for (int i = in; i < stride; ++i) buf[m * stride + i] = 0;
      }
    }
    int8_t* o = output + static_cast<size_t>(r0) * out;
    for (int v0 = 0; v0 < nvec; v0 += 4) {
      const int nv = nvec - v0 < 4 ? nvec - v0 : 4;
      const int8_t* t = pk.tile + static_cast<size_t>(v0) * quads * 4 * kQuadLanes;
      const int c0 = v0 * kQuadLanes;
      const int live = out - c0 < nv * kQuadLanes ? out - c0 : nv * kQuadLanes;
      switch (nv) {
        case 4: QuadGemmBlock<4>(buf, stride, nb, quads, t, pk, zp128, rq, c0, live, o, out); break;
        case 3: QuadGemmBlock<3>(buf, stride, nb, quads, t, pk, zp128, rq, c0, live, o, out); break;
        case 2: QuadGemmBlock<2>(buf, stride, nb, quads, t, pk, zp128, rq, c0, live, o, out); break;
        default: QuadGemmBlock<1>(buf, stride, nb, quads, t, pk, zp128, rq, c0, live, o, out); break;
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET == HWY_AVX3_DL

#endif  // include guard
