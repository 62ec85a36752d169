// Internal, Cortex-M4 DSP: int16 pair patches against a per-call weight
// tile. When a weight is used for many pixels (conv2d, pointwise), widening
// it once into the patches' pair layout (qs8_pairs_cm4dsp.h) saves the two
// SXTB16 per weight word in the inner loop, and padding every row to a
// multiple of four taps with zeros removes the scalar tail. Two pixels'
// patches and two channels' rows are interleaved (see Slot), so per four
// taps two LDRD bring the pixels, two the channels, and eight SMLADs do
// 16 MACs (12 instructions). Rows keep the k % 4 tail in natural order,
// like the patches, so a tail pair multiplies matching taps.
#ifndef TM2_KERNELS_CM4_QS8_TILE_CM4DSP_H_
#define TM2_KERNELS_CM4_QS8_TILE_CM4DSP_H_

#include "kernels/cm4/qs8_pairs_cm4dsp.h"
#include "kernels/cm4/qs8_quad_out_cm4dsp.h"

namespace tm2 {
namespace cm4 {

// int16 elements of the weight tile: 8 KB of stack.
constexpr int kWeightTileElems = 4096;

inline int PadTo4(int k) { return (k + 3) & ~3; }

// Output channels per tile pass: even, at least 2, since rows longer than
// kMaxPatch take the reference (kpad <= kMaxPatch), so a pass always makes
// progress.
static_assert(kWeightTileElems / kMaxPatch >= 2, "the tile must hold two rows of kMaxPatch taps");
static_assert(kMaxPatch % 4 == 0, "kpad of a row within kMaxPatch stays within kMaxPatch");
inline int TileChannels(int kpad, int out_c) {
  const int n = (kWeightTileElems / kpad) & ~1;
  return n < out_c ? n : out_c;
}

// Interleaved pairs. Two rows of kpad int16 (two pixels' patches, or two
// channels' weight rows) share one buffer group by group: the four values
// of group q of member m sit at 8q + 4m. So one pointer walks both and
// LDRD with post-increment brings a member's group in one instruction.
// `Slot(j)` is where value j (pair-layout order, qs8_pairs_cm4dsp.h) of
// member 0 lives; member 1 is 4 further.
constexpr int kPairElems = 2 * kMaxPatch;  // an interleaved pair of kMaxPatch rows
inline int Slot(int j) { return ((j >> 2) << 3) + (j & 3); }

// out (a member's start) = x - zp in the pair layout, zeros up to PadTo4(k).
inline void BuildPatchMember(const int8_t* x, int k, int32_t zp, int16_t* out) {
  const int32_t offset = Splat16(-zp);
  const int groups = k >> 2;
  for (int g = 0; g < groups; ++g) {
    const int32_t w = LoadWord(x + 4 * g);
    StoreTwo(out + 8 * g, __sadd16(__sxtb16(w), offset), __sadd16(Sxtb16Ror8(w), offset));
  }
  for (int i = groups * 4; i < k; ++i) out[Slot(i)] = static_cast<int16_t>(x[i] - zp);
  for (int i = k; i < PadTo4(k); ++i) out[Slot(i)] = 0;
}

// (bottom half of a, bottom half of b) and (top half of a, top half of b).
inline int32_t PackBottoms(int32_t a, int32_t b) {
  int32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
inline int32_t PackTops(int32_t a, int32_t b) {
  int32_t r;
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));
  return r;
}

// One weight row (int8 or int4) widened into a member, zeros up to PadTo4(k).
// int4 rows go eight nibbles (one word) at a time: the low nibbles
// [w0 w2 w4 w6] and the high ones [w1 w3 w5 w7] become signed bytes with
// one mask, one EOR and one SSUB8 each; SXTB16 of a word and of the word
// rotated by 8 give (w0, w4) and (w2, w6), and PKHBT/PKHTB regroup them
// into the pairs (w0, w2), (w4, w6): about two instructions per weight.
__attribute__((always_inline)) inline void WidenWeightMember(const uint8_t* row, int k, int bits, int16_t* out) {
  const int groups = k >> 2;
  int g = 0;
  if (bits == 4) {
    const uint32_t eights = 0x08080808u;
    for (; g + 2 <= groups; g += 2) {
      uint32_t v;
      memcpy(&v, row + 2 * g, sizeof(v));
      const int32_t lo = static_cast<int32_t>(__ssub8((v & 0x0F0F0F0Fu) ^ eights, eights));
      const int32_t hi = static_cast<int32_t>(__ssub8(((v >> 4) & 0x0F0F0F0Fu) ^ eights, eights));
      const int32_t l04 = __sxtb16(lo), l26 = Sxtb16Ror8(lo);
      const int32_t h15 = __sxtb16(hi), h37 = Sxtb16Ror8(hi);
      StoreTwo(out + 8 * g, PackBottoms(l04, l26), PackBottoms(h15, h37));
      StoreTwo(out + 8 * g + 8, PackTops(l04, l26), PackTops(h15, h37));
    }
  } else {
    for (; g < groups; ++g) {
      const int32_t w = LoadWord(row + 4 * g);
      StoreTwo(out + 8 * g, __sxtb16(w), Sxtb16Ror8(w));
    }
  }
  for (; g < groups; ++g) {
    const int32_t w = Load4Weights(row, 4 * g, bits);
    StoreTwo(out + 8 * g, __sxtb16(w), Sxtb16Ror8(w));
  }
  for (int i = groups * 4; i < k; ++i) {
    out[Slot(i)] = static_cast<int16_t>(bits == 8 ? static_cast<int8_t>(row[i]) : UnpackInt4(row, i));
  }
  for (int i = k; i < PadTo4(k); ++i) out[Slot(i)] = 0;
}

// Member 0 times member 1 of an interleaved pair of kpad values.
inline int32_t MemberDot(const int16_t* pair, int kpad, int32_t acc) {
  for (int i = 0; i < 2 * kpad; i += 8) {
    acc = __smlad(LoadWord(pair + i), LoadWord(pair + i + 4), acc);
    acc = __smlad(LoadWord(pair + i + 2), LoadWord(pair + i + 6), acc);
  }
  return acc;
}

// Weight rows [oc0, oc0 + n) of a [out][k] int8 or int4 matrix, widened
// into interleaved channel pairs (pair j/2 at tile + j/2 * 2 * kpad); an
// odd last row is paired with zeros.
inline void PackTile(const QuantizedWeights& w, int k, int oc0, int n, int16_t* tile) {
  const int kpad = PadTo4(k);
  const size_t row_bytes = WeightRowBytes(k, w.bits);
  for (int r = 0; r < n; ++r) {
    int16_t* t = tile + (r >> 1) * 2 * kpad + (r & 1) * 4;
    WidenWeightMember(w.data + static_cast<size_t>(oc0 + r) * row_bytes, k, w.bits, t);
  }
  if (n & 1) {
    int16_t* t = tile + (n >> 1) * 2 * kpad + 4;
    for (int i = 0; i < kpad; ++i) t[Slot(i)] = 0;
  }
}

// Two pixels (interleaved patch pair p) times two channels (interleaved
// tile pair w), kpad / 4 groups: per group two LDRD for the pixels, two
// for the channels, eight SMLAD (16 MACs in 12 instructions), four groups
// per loop turn. Written in assembly because GCC 12 reloads each word with
// its own LDR and keeps separate pointers (20 instructions per group).
inline void TileDot2x2(const int16_t* p, const int16_t* w, int kpad, int32_t acc[2][2]) {
  int32_t a00 = acc[0][0], a01 = acc[0][1], a10 = acc[1][0], a11 = acc[1][1];
  const int16_t* const end = p + 2 * kpad;
  // An odd group first, then two if the rest is not a multiple of four.
  if (kpad & 4) {
    const int32_t x0 = LoadWord(p), x1 = LoadWord(p + 2), y0 = LoadWord(p + 4), y1 = LoadWord(p + 6);
    const int32_t wa0 = LoadWord(w), wa1 = LoadWord(w + 2), wb0 = LoadWord(w + 4), wb1 = LoadWord(w + 6);
    a00 = __smlad(x1, wa1, __smlad(x0, wa0, a00));
    a10 = __smlad(y1, wa1, __smlad(y0, wa0, a10));
    a01 = __smlad(x1, wb1, __smlad(x0, wb0, a01));
    a11 = __smlad(y1, wb1, __smlad(y0, wb0, a11));
    p += 8;
    w += 8;
  }
  int32_t x0, x1, y0, y1, wa, wb;
#define TM2_CM4_GROUP                              \
  "ldrd %[x0], %[x1], [%[p]], #16\n\t"             \
  "ldrd %[wa], %[wb], [%[w]], #16\n\t"             \
  "smlad %[a00], %[x0], %[wa], %[a00]\n\t"         \
  "smlad %[a00], %[x1], %[wb], %[a00]\n\t"         \
  "ldrd %[y0], %[y1], [%[p], #-8]\n\t"             \
  "smlad %[a10], %[y0], %[wa], %[a10]\n\t"         \
  "smlad %[a10], %[y1], %[wb], %[a10]\n\t"         \
  "ldrd %[wa], %[wb], [%[w], #-8]\n\t"             \
  "smlad %[a01], %[x0], %[wa], %[a01]\n\t"         \
  "smlad %[a01], %[x1], %[wb], %[a01]\n\t"         \
  "smlad %[a11], %[y0], %[wa], %[a11]\n\t"         \
  "smlad %[a11], %[y1], %[wb], %[a11]\n\t"
#define TM2_CM4_OPERANDS                                                                    \
  : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [p] "+r"(p),        \
    [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [y0] "=&r"(y0), [y1] "=&r"(y1),            \
    [wa] "=&r"(wa), [wb] "=&r"(wb)                                                          \
  : [end] "r"(end)                                                                          \
  : "cc", "memory"
  if (kpad & 8) __asm__ volatile(TM2_CM4_GROUP TM2_CM4_GROUP TM2_CM4_OPERANDS);
  if (p != end) {
    __asm__ volatile(
        "1:\n\t" TM2_CM4_GROUP TM2_CM4_GROUP TM2_CM4_GROUP TM2_CM4_GROUP
        "cmp %[p], %[end]\n\t"
        "bne 1b\n\t" TM2_CM4_OPERANDS);
#undef TM2_CM4_OPERANDS
#undef TM2_CM4_GROUP
  }
  acc[0][0] = a00, acc[0][1] = a01, acc[1][0] = a10, acc[1][1] = a11;
}

// Channels [oc0, oc0 + n) (tile pairs) of the pixel pair p: out0 gets the
// first pixel's, out1 the second's. Without a second pixel the caller
// passes out1 == out0: each channel's second-pixel byte is stored first
// and then overwritten, so the loop needs no test.
template <class Stage>
inline void TileTimesPatchesWith(const Stage& os, const int16_t* p, int kpad, int oc0, int n,
                                 const int16_t* tile, const int32_t* bias, int8_t* out0,
                                 int8_t* out1) {
  const int even = n & ~1;
  for (int j = 0; j < even; j += 2) {
    const int oc = oc0 + j;
    const int32_t b0 = bias ? bias[oc] : 0, b1 = bias ? bias[oc + 1] : 0;
    int32_t acc[2][2] = {{b0, b1}, {b0, b1}};
    TileDot2x2(p, tile + j * kpad, kpad, acc);
    os.Store2x2(acc, oc, out0, out1);
  }
  if (n & 1) {  // the last channel, paired with a zero row in the tile
    const int oc = oc0 + even;
    const int32_t b0 = bias ? bias[oc] : 0;
    int32_t acc[2][2] = {{b0, 0}, {b0, 0}};
    TileDot2x2(p, tile + even * kpad, kpad, acc);
    // Both values before any store: int8 stores may alias the stage.
    const int8_t y0 = os(acc[0][0], oc), y1 = os(acc[1][0], oc);
    out1[oc] = y1;
    out0[oc] = y0;
  }
}

// Output stages prepared once per layer call: the SIMD one when it holds.
struct LayerStages {
  QuadOutStage quad;
  OutStage general;
  LayerStages(const Requantization& rq, int channels) : quad(rq, channels), general(rq) {}
  LayerStages(const Requantization& rq, int channels, QuadOutStage::OutOfLine o)
      : quad(rq, channels, o), general(rq) {}
};

// The general stage with the 2x2 store TileTimesPatchesWith calls.
struct GeneralStage2x2 {
  const OutStage& s;
  int8_t operator()(int32_t acc, int ch) const { return s(acc, ch); }
  void Store2x2(const int32_t acc[2][2], int ch, int8_t* out0, int8_t* out1) const {
    const int8_t y00 = s(acc[0][0], ch), y01 = s(acc[0][1], ch + 1);
    const int8_t y10 = s(acc[1][0], ch), y11 = s(acc[1][1], ch + 1);
    out1[ch] = y10;
    out1[ch + 1] = y11;
    out0[ch] = y00;
    out0[ch + 1] = y01;
  }
};

// Per output, the SIMD stage where it takes the channel, else the general
// one (Mixed layers whose weights are used once: dense rows, where a split
// into runs would cost more than it saves).
struct MixedStage {
  const LayerStages& st;
  int8_t operator()(int32_t acc, int ch) const {
    return st.quad.Fast(ch) ? st.quad(acc, ch) : st.general(acc, ch);
  }
};

// Layers that are not all fast: Mixed() ones in runs of channel pairs,
// fast runs on the SIMD stage and pairs holding a slow channel on the
// general one; the rest on the general stage. Out of line, so that the
// callers' loops keep the code (and the registers) they had for the
// common all-fast layers: one test and one call in the other branch.
__attribute__((noinline)) inline void PatchTimesWeightsSlow(const LayerStages& st,
                                                            const int16_t* p0, int k, int out_c,
                                                            const QuantizedWeights& w,
                                                            int8_t* out) {
  if (st.quad.Mixed()) {
    PatchTimesWeightsWith(MixedStage{st}, p0, k, out_c, w, out);
  } else {
    PatchTimesWeightsWith(st.general, p0, k, out_c, w, out);
  }
}

inline void PatchTimesWeights(const LayerStages& st, const int16_t* p0, int k, int out_c,
                              const QuantizedWeights& w, int8_t* out) {
  if (st.quad.Ok()) {
    PatchTimesWeightsWith(st.quad, p0, k, out_c, w, out);
  } else {
    PatchTimesWeightsSlow(st, p0, k, out_c, w, out);
  }
}

// Tile pair j of a pass starting at channel oc0 is at tile + j * kpad (j
// even), so a run [from, to) is a pass of its own at tile + (from - oc0) * kpad.
__attribute__((noinline)) inline void TileTimesPatchesSlow(const LayerStages& st,
                                                           const int16_t* p, int kpad, int oc0,
                                                           int n, const int16_t* tile,
                                                           const int32_t* bias, int8_t* out0,
                                                           int8_t* out1) {
  if (!st.quad.Mixed()) {
    TileTimesPatchesWith(GeneralStage2x2{st.general}, p, kpad, oc0, n, tile, bias, out0, out1);
    return;
  }
  st.quad.ForEachRun(oc0, oc0 + n, [&](bool fast, int from, int to) {
    const int16_t* t = tile + (from - oc0) * kpad;
    if (fast) {
      TileTimesPatchesWith(st.quad, p, kpad, from, to - from, t, bias, out0, out1);
    } else {
      TileTimesPatchesWith(GeneralStage2x2{st.general}, p, kpad, from, to - from, t, bias, out0,
                           out1);
    }
  });
}

inline void TileTimesPatches(const LayerStages& st, const int16_t* p, int kpad, int oc0, int n,
                             const int16_t* tile, const int32_t* bias, int8_t* out0,
                             int8_t* out1) {
  if (st.quad.Ok()) {
    TileTimesPatchesWith(st.quad, p, kpad, oc0, n, tile, bias, out0, out1);
  } else {
    TileTimesPatchesSlow(st, p, kpad, oc0, n, tile, bias, out0, out1);
  }
}

}  // namespace cm4
}  // namespace tm2

#endif  // TM2_KERNELS_CM4_QS8_TILE_CM4DSP_H_
