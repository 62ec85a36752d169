// Internal, per Highway target: the int16 pair-product machinery shared by
// conv2d (implicit im2col) and fully connected / pointwise.
//
// Why pairs: (x - zp) fits int16 and so do the weights, and "multiply
// adjacent int16 pairs and add to int32" is one instruction on SSE4/AVX2
// (pmaddwd), WASM (i32x4.dot_i16x8_s) and three on NEON. Output channels
// live in int32 lanes; each int32 of the input patch holds two consecutive
// taps and is broadcast, and the weight tile holds, per lane, the same two
// taps of that lane's channel. Integer sums are exact, so the lane order of
// additions cannot change a result.
#if defined(TM2_KERNELS_HWY_QS8_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TM2_KERNELS_HWY_QS8_GEMM_INL_H_
#undef TM2_KERNELS_HWY_QS8_GEMM_INL_H_
#else
#define TM2_KERNELS_HWY_QS8_GEMM_INL_H_
#endif

#include <cstring>

#include "hwy/highway.h"
#include "kernels/hwy/requant_row.h"
#include "kernels/hwy/qs8_requant-inl.h"

// HWY_SCALAR (x86-64 CPUs without SSE4) has one lane, no pairs: the
// kernels forward to the reference there.
#if HWY_TARGET != HWY_SCALAR
HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// acc[i] += a[2i] * b[2i] + a[2i+1] * b[2i+1] (int16 x int16 -> int32).
template <class D32, class V16>
HWY_INLINE hn::Vec<D32> MulAddPairs(D32 d32, V16 a, V16 b, hn::Vec<D32> acc) {
#if HWY_TARGET == HWY_NEON && HWY_ARCH_ARM_A64
  (void)d32;
  const int32x4_t lo = vmull_s16(vget_low_s16(a.raw), vget_low_s16(b.raw));
  const int32x4_t hi = vmull_high_s16(a.raw, b.raw);
  return hn::Add(acc, hn::Vec<D32>{vpaddq_s32(lo, hi)});
#elif HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || \
    HWY_TARGET == HWY_AVX3_DL || \
    HWY_TARGET == HWY_WASM
  // On these targets the "reorder" is the identity: it is pmaddwd/dot_i16x8.
  hn::Vec<D32> unused = hn::Zero(d32);
  return hn::ReorderWidenMulAccumulate(d32, a, b, acc, unused);
#else
  // Portable: valid because every product here fits int16 (|x - zp| <= 255,
  // |w| <= 128).
  const hn::Vec<D32> p = hn::BitCast(d32, hn::Mul(a, b));
  return hn::Add(acc, hn::Add(hn::ShiftRight<16>(hn::ShiftLeft<16>(p)), hn::ShiftRight<16>(p)));
#endif
}

// dst[i] = src[i] - zp as int16 for i < n.
HWY_INLINE void WidenSubtractZeroPoint(const int8_t* src, int n, int32_t zp, int16_t* dst) {
  const hn::ScalableTag<int16_t> d16;
  const hn::Rebind<int8_t, decltype(d16)> d8;
  const int lanes = static_cast<int>(hn::Lanes(d16));
  const auto vzp = hn::Set(d16, static_cast<int16_t>(zp));
  int i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(hn::Sub(hn::PromoteTo(d16, hn::LoadU(d8, src + i)), vzp), d16, dst + i);
  }
  for (; i < n; ++i) dst[i] = static_cast<int16_t>(src[i] - zp);
}

// How a patch's tap pairs lie in memory: `rows` runs of `ppr` pairs, run r
// starting `stride` int16 after run r - 1. A contiguous patch is one run.
// conv2d reads its runs straight from a band of widened input rows, one
// run per kernel row; a row of odd length (kw * in_c) is padded with one
// tap whose weight is zero, so its pairs never straddle two rows.
struct PatchRows {
  int rows;
  int ppr;
  size_t stride;
  int pairs() const { return rows * ppr; }
};

inline PatchRows ContiguousPatch(int k) { return PatchRows{1, (k + 1) / 2, 0}; }

// Tile of all output channels of a [out_c][k] weight matrix whose rows are
// `pr.rows` runs of `len` taps (k = rows * len): groups of up to 4 vectors
// of n32 channels; per group, per pair j (run r = j / ppr, i = j % ppr),
// each vector's lanes hold (w[c][r*len + 2i], w[c][r*len + 2i + 1]). Taps
// past `len` in a run, missing taps and padding channels are zero.
inline void PackPairTile(const QuantizedWeights& w, int k, const PatchRows& pr, int len, int out_c,
                         int n32, int16_t* tile) {
  const size_t row_bytes = WeightRowBytes(k, w.bits);
  const int nvec = (out_c + n32 - 1) / n32;
  int16_t* t = tile;
  for (int v0 = 0; v0 < nvec; v0 += 4) {
    const int nv = nvec - v0 < 4 ? nvec - v0 : 4;
    for (int j = 0; j < pr.pairs(); ++j) {
      const int r = j / pr.ppr, i = j % pr.ppr;
      const int tap = r * len + 2 * i;
      const bool first_in = 2 * i < len, second_in = 2 * i + 1 < len;
      for (int v = 0; v < nv; ++v) {
        for (int l = 0; l < n32; ++l) {
          const int oc = (v0 + v) * n32 + l;
          const bool live = oc < out_c;
          const uint8_t* row = w.data + static_cast<size_t>(live ? oc : 0) * row_bytes;
          *t++ = live && first_in ? hwyk::WeightAt16(row, tap, w.bits) : 0;
          *t++ = live && second_in ? hwyk::WeightAt16(row, tap + 1, w.bits) : 0;
        }
      }
    }
  }
}

inline int32_t LoadPair(const int16_t* p) {
  int32_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

// Output stage of one chunk of channels: the vector form when exact
// (per-channel constants, padded to whole vectors), else scalar.
struct ChunkRequant {
  const Requantization* rq;
  bool vector;
  const int32_t* mult;
  const int32_t* rnd;
  const int32_t* pow;
  int shift;  // nonzero: the scaled form (WASM), 0: kVectorFormat
};

// MR patches (int16 tap pairs laid out as `pr`) times one group of NV
// channel vectors; out[m][c] receives the requantized byte of group channel c
// (`first` is the group's first channel in the layer, `live` how many of
// its lanes are real channels).
// On WASM a function of its own: V8's register allocator, given the whole
// layer inlined into one function, kept every accumulator of this loop on
// the stack (a load and a store per i32x4.dot_i16x8_s); alone, they stay
// in registers.
#if HWY_TARGET == HWY_WASM
#define TM2_GEMM_GROUP_INLINE HWY_NOINLINE
#else
#define TM2_GEMM_GROUP_INLINE HWY_INLINE
#endif
template <int NV, int MR>
HWY_INLINE void PairGemmGroupOnce(const int16_t* const* patch, const PatchRows& pr,
                                  const int16_t* tile, const int32_t* bias, const ChunkRequant& cr,
                                  int group_offset, int first, int live, int8_t* const* out) {
  const hn::ScalableTag<int32_t> d32;
  const hn::Repartition<int16_t, decltype(d32)> d16;
  const size_t n32 = hn::Lanes(d32), n16 = hn::Lanes(d16);
  hn::Vec<decltype(d32)> acc[MR][NV];
  for (int v = 0; v < NV; ++v) {
    const auto b = hn::LoadU(d32, bias + v * n32);
    for (int m = 0; m < MR; ++m) acc[m][v] = b;
  }
  const int16_t* wj = tile;
  for (int r = 0; r < pr.rows; ++r) {
    const int16_t* base[MR];
    for (int m = 0; m < MR; ++m) base[m] = patch[m] + r * pr.stride;
    for (int i = 0; i < pr.ppr; ++i, wj += NV * n16) {
      hn::Vec<decltype(d16)> x[MR];
      for (int m = 0; m < MR; ++m) {
        x[m] = hn::BitCast(d16, hn::Set(d32, LoadPair(base[m] + 2 * i)));
      }
      for (int v = 0; v < NV; ++v) {
        const auto wv = hn::LoadU(d16, wj + v * n16);
        for (int m = 0; m < MR; ++m) acc[m][v] = MulAddPairs(d32, x[m], wv, acc[m][v]);
      }
    }
  }
  // The output stage reads the sums through TM2_GEMM_SUM. On WASM they go to
  // memory first, once: clang 14 otherwise keeps acc itself in memory (the
  // output loops index it with a variable m) and stores every accumulator
  // on every pair of the loop above, one v128.store per i32x4.dot_i16x8_s.
#undef TM2_GEMM_SUM
#if HWY_TARGET == HWY_WASM
  HWY_ALIGN int32_t sums[MR][NV * 4];
  for (int m = 0; m < MR; ++m) {
    for (int v = 0; v < NV; ++v) hn::Store(acc[m][v], d32, sums[m] + v * n32);
  }
#define TM2_GEMM_SUM(m, v) hn::Load(d32, sums[m] + (v) * n32)
#else
#define TM2_GEMM_SUM(m, v) acc[m][v]
#endif
  if (cr.vector) {
    const VectorRequant<decltype(d32)> vr(d32, *cr.rq, cr.shift);
#if HWY_TARGET == HWY_WASM
    // Whole vectors in the scaled form: narrowed together (StoreScaledBytes).
    // The constants are loaded once for the MR rows (the int8 stores may
    // alias them, so the compiler would reload them per row).
    if (cr.shift != 0 && live == NV * static_cast<int>(n32)) {
      hn::Vec<decltype(d32)> lo2[NV], hi2[NV];
      for (int v = 0; v < NV; ++v) {
        const int c = group_offset + v * static_cast<int>(n32);
        lo2[v] = hn::LoadU(d32, cr.rnd + c);
        hi2[v] = hn::LoadU(d32, cr.pow + c);
      }
      for (int m = 0; m < MR; ++m) {
        v128_t y[NV];
        for (int v = 0; v < NV; ++v) {
          y[v] = vr.Scaled(d32, TM2_GEMM_SUM(m, v), lo2[v], lo2[v], hi2[v]).raw;
        }
        StoreScaledBytes<NV>(y, *cr.rq, out[m]);
      }
      return;
    }
#endif
    for (int v = 0; v < NV; ++v) {
      const int c = v * static_cast<int>(n32);
      const int n = live - c < static_cast<int>(n32) ? live - c : static_cast<int>(n32);
      const auto mult = hn::LoadU(d32, cr.mult + group_offset + c);
      const auto rnd = hn::LoadU(d32, cr.rnd + group_offset + c);
      const auto pow = hn::LoadU(d32, cr.pow + group_offset + c);
      for (int m = 0; m < MR; ++m) {
        StoreBytes(d32, vr.Apply(d32, TM2_GEMM_SUM(m, v), mult, rnd, pow), n, out[m] + c);
      }
    }
    return;
  }
  HWY_ALIGN int32_t lanes[NV * HWY_MAX_BYTES / 4];
  for (int m = 0; m < MR; ++m) {
    for (int v = 0; v < NV; ++v) hn::Store(TM2_GEMM_SUM(m, v), d32, lanes + v * n32);
    hwyk::RequantizeRow(lanes, first, live, *cr.rq, out[m]);
  }
#undef TM2_GEMM_SUM
}

// `count` runs of MR patches; run j reads patch[m] + j * patch_step and
// writes out[m] + j * out_step. WASM hands a whole row of pixels to one
// call (each call of a separate function costs V8 a spill and reload of
// the caller's live values); elsewhere count is 1.
struct Repeat {
  int count = 1;
  size_t patch_step = 0;
  size_t out_step = 0;
};

template <int NV, int MR>
TM2_GEMM_GROUP_INLINE void PairGemmGroup(const int16_t* const* patch, const PatchRows& pr,
                                         const int16_t* tile, const int32_t* bias,
                                         const ChunkRequant& cr, int group_offset, int first,
                                         int live, int8_t* const* out, Repeat rp) {
#if HWY_TARGET == HWY_WASM
  for (int j = 0; j < rp.count; ++j) {
    const int16_t* p[MR];
    int8_t* o[MR];
    for (int m = 0; m < MR; ++m) {
      p[m] = patch[m] + j * rp.patch_step;
      o[m] = out[m] + j * rp.out_step;
    }
    PairGemmGroupOnce<NV, MR>(p, pr, tile, bias, cr, group_offset, first, live, o);
  }
#else
  (void)rp;  // always one run here
  PairGemmGroupOnce<NV, MR>(patch, pr, tile, bias, cr, group_offset, first, live, out);
#endif
}

// Runs every group of a packed chunk [oc0, oc0 + ocn) for MR patches and
// writes requantized bytes to out[m] + oc.
template <int MR>
HWY_INLINE void PairGemmChunk(const int16_t* const* patch, const PatchRows& pr, const int16_t* tile,
                              const int32_t* bias_chunk, const ChunkRequant& cr, int oc0, int ocn,
                              int8_t* const* out, Repeat rp) {
  const hn::ScalableTag<int32_t> d32;
  const int n32 = static_cast<int>(hn::Lanes(d32));
  const int nvec = (ocn + n32 - 1) / n32;
  for (int v0 = 0; v0 < nvec; v0 += 4) {
    const int nv = nvec - v0 < 4 ? nvec - v0 : 4;
    const int16_t* t = tile + static_cast<size_t>(v0) * pr.pairs() * 2 * n32;
    const int c0 = v0 * n32;
    const int32_t* b = bias_chunk + c0;
    const int live = (ocn - c0) < nv * n32 ? (ocn - c0) : nv * n32;
    int8_t* o[MR];
    for (int m = 0; m < MR; ++m) o[m] = out[m] + oc0 + c0;
    // Four patches run only with at most two vectors (fully connected,
    // few channels): more accumulators would not fit the registers.
    constexpr int kMaxNV = MR > 2 ? 2 : 4;
    switch (nv < kMaxNV ? nv : kMaxNV) {
      case 4: PairGemmGroup<(kMaxNV > 2 ? 4 : 1), MR>(patch, pr, t, b, cr, c0, oc0 + c0, live, o, rp); break;
      case 3: PairGemmGroup<(kMaxNV > 2 ? 3 : 1), MR>(patch, pr, t, b, cr, c0, oc0 + c0, live, o, rp); break;
      case 2: PairGemmGroup<2, MR>(patch, pr, t, b, cr, c0, oc0 + c0, live, o, rp); break;
      default: PairGemmGroup<1, MR>(patch, pr, t, b, cr, c0, oc0 + c0, live, o, rp); break;
    }
  }
}

// A layer's packed weights, made once by the pack step (at Init, in the
// engine's arena) and only read per call:
//   header | bias[np] | mult[np] | rnd[np] | pow[np] | tile
// with np = out_c rounded up to whole vectors (padding channels zero), the
// output-stage constants of qs8_requant-inl.h when `vector` is set, and the
// pair tile of every channel (PackPairTile). The header names the lane
// count and row layout it was made for, so a table switched after packing
// (tests force Highway targets) is noticed instead of misread.
struct PackedHeader {
  int32_t lanes, pairs, out_c, vector, shift;  // shift: 1 when vector is kScaledFormat
};
constexpr size_t kPackedHeaderBytes = 64;
static_assert(sizeof(PackedHeader) <= kPackedHeaderBytes, "packed header grew");

inline size_t PaddedChannels(int out_c, int n32) {
  return static_cast<size_t>((out_c + n32 - 1) / n32) * n32;
}

inline size_t PackedPairBytes(int pairs, int out_c, int n32) {
  const size_t np = PaddedChannels(out_c, n32);
  return kPackedHeaderBytes + 4 * np * sizeof(int32_t) +
         np * static_cast<size_t>(pairs) * 2 * sizeof(int16_t);
}

// Header, bias, output-stage constants and pair tile of a [out_c][k] weight
// matrix whose rows are `pr.rows` runs of `len` taps.
inline void PackPairs(const QuantizedWeights& w, const Requantization& rq, int k,
                      const PatchRows& pr, int len, int out_c, int n32, void* dst) {
  const size_t np = PaddedChannels(out_c, n32);
  uint8_t* base = static_cast<uint8_t*>(dst);
  int32_t* bias = reinterpret_cast<int32_t*>(base + kPackedHeaderBytes);
  int32_t* mult = bias + np;
  int32_t* rnd = mult + np;
  int32_t* pow = rnd + np;
  for (size_t c = 0; c < 4 * np; ++c) bias[c] = 0;
  for (int c = 0; c < out_c && w.bias; ++c) bias[c] = w.bias[c];
  const bool vector = hwyk::VectorRequantOk(rq, 0, out_c);
  int shift = 0;
#if HWY_TARGET == HWY_WASM
  if (vector) shift = ScaledShift(rq, out_c, [&](int c) { return hwyk::AccumulatorBound(w, k, c); });
#endif
  if (shift != 0) {
    FillScaledRequant(rq, 0, out_c, shift, mult, rnd, pow);
  } else if (vector) {
    FillVectorRequantFor(rq, 0, out_c, mult, rnd, pow);
  }
  PackPairTile(w, k, pr, len, out_c, n32, reinterpret_cast<int16_t*>(pow + np));
  const PackedHeader h{n32, pr.pairs(), out_c,
                       shift != 0 ? kScaledFormat : vector ? kVectorFormat : 0, shift};
  memset(base, 0, kPackedHeaderBytes);
  memcpy(base, &h, sizeof(h));
}

// The packed arrays, or false when `packed` is missing or was made for
// another lane count or layout (the caller then runs the reference).
struct PackedPairs {
  const int32_t* bias;
  const int32_t* mult;
  const int32_t* rnd;
  const int32_t* pow;
  const int16_t* tile;
  bool vector;
  int shift;  // nonzero: the scaled form, 0: kVectorFormat
};
inline bool OpenPacked(const void* packed, int pairs, int out_c, int n32, PackedPairs* v) {
  if (!packed) return false;
  const uint8_t* base = static_cast<const uint8_t*>(packed);
  PackedHeader h;
  memcpy(&h, base, sizeof(h));
  if (h.lanes != n32 || h.pairs != pairs || h.out_c != out_c) return false;
  if (h.vector != 0 && h.vector != kVectorFormat && h.vector != kScaledFormat) return false;
  const size_t np = PaddedChannels(out_c, n32);
  v->bias = reinterpret_cast<const int32_t*>(base + kPackedHeaderBytes);
  v->mult = v->bias + np;
  v->rnd = v->mult + np;
  v->pow = v->rnd + np;
  v->tile = reinterpret_cast<const int16_t*>(v->pow + np);
  v->vector = h.vector != 0;
  v->shift = h.vector == kScaledFormat ? h.shift : 0;
  return true;
}

// Channels per pass over the pixels: whole groups of 4 vectors (the unit
// of PackPairTile and PairGemmChunk) whose tile stays near 32 KB, so it is
// reused from cache for every pixel; at least one group, however long the
// rows, so every pass makes progress. (A 32 KB stack tile once set this
// bound and rounded it down to 0 channels for rows past 2048 taps, and the
// channel loops never advanced.)
constexpr int kChunkTileElems = 16384;
inline int ChunkChannels(int pairs, int n32) {
  const int group = 4 * n32;
  const int per = kChunkTileElems / (2 * pairs) / group * group;
  return per > group ? per : group;
}

// Channels [oc0, oc0 + ocn) of MR patches from packed weights (oc0 a
// multiple of ChunkChannels); out[m] + c receives channel c.
template <int MR>
HWY_INLINE void PairGemmPacked(const int16_t* const* patch, const PatchRows& pr,
                               const PackedPairs& pk, const Requantization& rq, int oc0, int ocn,
                               int8_t* const* out, Repeat rp = Repeat()) {
  const ChunkRequant cr{&rq, pk.vector, pk.mult + oc0, pk.rnd + oc0, pk.pow + oc0, pk.shift};
  PairGemmChunk<MR>(patch, pr, pk.tile + static_cast<size_t>(oc0) * pr.pairs() * 2,
                    pk.bias + oc0, cr, oc0, ocn, out, rp);
}

}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET != HWY_SCALAR

#endif  // include guard
