// Internal, WASM built with relaxed SIMD only: the packed weights of the
// relaxed GEMM (qs8_quad_relaxed_wasm-inl.h, whose top says why the two
// forms are exact) and the pack step that makes them, choosing the form.
//
// Packed layout (made once at Init, read per call):
//   header | bias[np] | mult[np] | rnd[np] | pow[np] | wsum[np] | tile
// np = out_c rounded up to 4; tile: groups of up to 4 vectors of 4
// channels; per group, per quad q of taps, per vector, 4 lanes of 4 bytes
// (w[c][4q .. 4q+3] + k; taps past `in` and padding channels are 0). The
// header's `pairs` field holds -quads, so the pair GEMM never mistakes this
// layout for its own; k follows the common header fields.
#if defined(TM2_KERNELS_HWY_QS8_QUAD_RELAXED_PACK_WASM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TM2_KERNELS_HWY_QS8_QUAD_RELAXED_PACK_WASM_INL_H_
#undef TM2_KERNELS_HWY_QS8_QUAD_RELAXED_PACK_WASM_INL_H_
#else
#define TM2_KERNELS_HWY_QS8_QUAD_RELAXED_PACK_WASM_INL_H_
#endif

#include <cstring>

#include "hwy/highway.h"
#include "kernels/hwy/qs8_gemm-inl.h"
#include "kernels/hwy/qs8_requant-inl.h"
#include "kernels/hwy/requant_row.h"

#if HWY_TARGET == HWY_WASM && defined(__wasm_relaxed_simd__)
HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {

constexpr int kRelaxedLanes = 4;
// The two forms' weight offsets k (see the top).
constexpr int kSevenBitOffset = 64;
constexpr int kFourBitOffset = 8;

inline int RelaxedQuads(int in) { return (in + 3) / 4; }

inline size_t RelaxedPackedBytes(int in, int out_c) {
  const size_t np = PaddedChannels(out_c, kRelaxedLanes);
  return kPackedHeaderBytes + 5 * np * sizeof(int32_t) +
         np * static_cast<size_t>(RelaxedQuads(in)) * 4;
}

// Whether every weight of the [out_c][in] matrix lies in [-k, k - 1].
inline bool WeightsFit(const QuantizedWeights& w, int in, int out_c, int k) {
  if (w.bits == 4) return true;
  const size_t row_bytes = WeightRowBytes(in, w.bits);
  for (int c = 0; c < out_c; ++c) {
    for (int i = 0; i < in; ++i) {
      const int v = hwyk::WeightAt16(w.data + c * row_bytes, i, w.bits);
      if (v < -k || v >= k) return false;
    }
  }
  return true;
}

// The form a layer packs in: its weight offset k, or 0 for the pair GEMM.
// `native`: RelaxedDotNative() (see the top).
inline int RelaxedOffsetFor(const QuantizedWeights& w, int in, int out_c, bool native) {
  const int k = native ? kSevenBitOffset : kFourBitOffset;
  return WeightsFit(w, in, out_c, k) ? k : 0;
}

inline void PackRelaxed(const QuantizedWeights& w, const Requantization& rq, int in, int out_c,
                        int offset, void* dst) {
  const size_t np = PaddedChannels(out_c, kRelaxedLanes);
  const int quads = RelaxedQuads(in);
  uint8_t* base = static_cast<uint8_t*>(dst);
  int32_t* bias = reinterpret_cast<int32_t*>(base + kPackedHeaderBytes);
  int32_t* mult = bias + np;
  int32_t* rnd = mult + np;
  int32_t* pow = rnd + np;
  int32_t* wsum = pow + np;
  for (size_t c = 0; c < 5 * np; ++c) bias[c] = 0;
  for (int c = 0; c < out_c && w.bias; ++c) bias[c] = w.bias[c];
  const bool vector = hwyk::VectorRequantOk(rq, 0, out_c);
  int shift = 0;
  if (vector) {
    // The same bound as the pair GEMM's (PackPairs): the sum is the same.
    shift = ScaledShift(rq, out_c, [&](int c) { return hwyk::AccumulatorBound(w, in, c); });
  }
  if (shift != 0) {
    FillScaledRequant(rq, 0, out_c, shift, mult, rnd, pow);
  } else if (vector) {
    FillVectorRequantFor(rq, 0, out_c, mult, rnd, pow);
  }
  for (int c = 0; c < out_c; ++c) wsum[c] = hwyk::WeightRowSum(w, in, c);
  hwyk::TileQuads(w, in, out_c, static_cast<int>(np) / kRelaxedLanes, kRelaxedLanes, quads, offset,
                  reinterpret_cast<uint8_t*>(wsum + np));
  const PackedHeader h{kRelaxedLanes, -quads, out_c,
                       shift != 0 ? kScaledFormat : vector ? kVectorFormat : 0, shift};
  memset(base, 0, kPackedHeaderBytes);
  memcpy(base, &h, sizeof(h));
  const int32_t k = offset;
  memcpy(base + sizeof(h), &k, sizeof(k));
}

struct PackedRelaxed {
  const int32_t* bias;
  const int32_t* wsum;
  const uint8_t* tile;
  int offset;       // k: kSevenBitOffset or kFourBitOffset
  ChunkRequant cr;  // rq filled per call
};

inline bool OpenRelaxed(const void* packed, int in, int out_c, PackedRelaxed* v) {
  if (!packed) return false;
  const uint8_t* base = static_cast<const uint8_t*>(packed);
  PackedHeader h;
  memcpy(&h, base, sizeof(h));
  if (h.lanes != kRelaxedLanes || h.pairs != -RelaxedQuads(in) || h.out_c != out_c) return false;
  if (h.vector != 0 && h.vector != kVectorFormat && h.vector != kScaledFormat) return false;
  int32_t k;
  memcpy(&k, base + sizeof(h), sizeof(k));
  if (k != kSevenBitOffset && k != kFourBitOffset) return false;
  v->offset = k;
  const size_t np = PaddedChannels(out_c, kRelaxedLanes);
  v->bias = reinterpret_cast<const int32_t*>(base + kPackedHeaderBytes);
  const int32_t* mult = v->bias + np;
  const int32_t* rnd = mult + np;
  const int32_t* pow = rnd + np;
  v->wsum = pow + np;
  v->tile = reinterpret_cast<const uint8_t*>(v->wsum + np);
  v->cr = ChunkRequant{nullptr, h.vector != 0, mult, rnd, pow,
                       h.vector == kScaledFormat ? h.shift : 0};
  return true;
}

// Shapes the relaxed GEMM takes: rows in pairs, and at most the output
// channels its per-call start array holds (RelaxedGemm).
inline bool RelaxedShapeOk(int rows, int in, int out) {
  return rows >= 2 && in <= hwyk::kMaxPatch && out <= 1024 && (in % 4 == 0 || in <= 256);
}

}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET == HWY_WASM && __wasm_relaxed_simd__

#endif  // include guard
