// Internal, Cortex-M4 DSP: int16 pair patches against a per-call weight
// tile. When a weight is used for many pixels (conv2d, pointwise), widening
// it once into the patches' pair layout (qs8_pairs_cm4dsp.h) saves the two
// SXTB16 per weight word in the inner loop, and padding every row to a
// multiple of four taps with zeros removes the scalar tail: four loads and
// four SMLADs per pixel-pair and channel-pair and four taps (16 MACs in 19
// instructions with the loop). Rows keep the k % 4 tail in natural order,
// like the patches, so a tail pair multiplies matching taps.
#ifndef TM2_KERNELS_CM4_QS8_TILE_CM4DSP_H_
#define TM2_KERNELS_CM4_QS8_TILE_CM4DSP_H_

#include "kernels/cm4/qs8_pairs_cm4dsp.h"

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

// Zeros after the k values of a patch or tile row, up to PadTo4(k).
inline void PadRow(int16_t* row, int k) {
  for (int i = k; i < PadTo4(k); ++i) row[i] = 0;
}

// Weight rows [oc0, oc0 + n) of a [out][k] int8 or int4 matrix, widened.
inline void PackTile(const QuantizedWeights& w, int k, int oc0, int n, int16_t* tile) {
  const int kpad = PadTo4(k);
  const size_t row_bytes = WeightRowBytes(k, w.bits);
  for (int r = 0; r < n; ++r) {
    int16_t* t = tile + r * kpad;
    WidenWeightRow(w.data + static_cast<size_t>(oc0 + r) * row_bytes, k, w.bits, t);
    PadRow(t, k);
  }
}

// Patches p0 and p0 + kPatchStride times tile rows t0 and t0 + kpad.
inline void TileDot2x2(const int16_t* p0, const int16_t* t0, int kpad, int32_t acc[2][2]) {
  int32_t a00 = acc[0][0], a01 = acc[0][1], a10 = acc[1][0], a11 = acc[1][1];
  const int16_t* p = p0;
  const int16_t* w = t0;
  const int16_t* const end = p0 + kpad;
  while (p != end) {
    const int32_t x002 = LoadWord(p), x013 = LoadWord(p + 2);
    const int32_t wa02 = LoadWord(w), wa13 = LoadWord(w + 2);
    a00 = __smlad(x002, wa02, a00);
    a00 = __smlad(x013, wa13, a00);
    const int32_t x102 = LoadWord(p + kPatchStride), x113 = LoadWord(p + kPatchStride + 2);
    a10 = __smlad(x102, wa02, a10);
    a10 = __smlad(x113, wa13, a10);
    const int32_t wb02 = LoadWord(w + kpad), wb13 = LoadWord(w + kpad + 2);
    a01 = __smlad(x002, wb02, a01);
    a01 = __smlad(x013, wb13, a01);
    a11 = __smlad(x102, wb02, a11);
    a11 = __smlad(x113, wb13, a11);
    p += 4;
    w += 4;
  }
  acc[0][0] = a00, acc[0][1] = a01, acc[1][0] = a10, acc[1][1] = a11;
}

// One patch times one tile row.
inline int32_t TileDot1x1(const int16_t* p0, const int16_t* t0, int kpad, int32_t acc) {
  for (int i = 0; i < kpad; i += 4) {
    acc = __smlad(LoadWord(p0 + i), LoadWord(t0 + i), acc);
    acc = __smlad(LoadWord(p0 + i + 2), LoadWord(t0 + i + 2), acc);
  }
  return acc;
}

// Channels [oc0, oc0 + n) (tile rows 0..n) of one patch p0, or two when
// `two` (the second at p0 + kPatchStride).
template <class Stage>
inline void TileTimesPatchesWith(const Stage& os, const int16_t* p0, bool two, int kpad, int oc0,
                                 int n, const int16_t* tile, const int32_t* bias, int8_t* out0,
                                 int8_t* out1) {
  int j = 0;
  for (; two && j + 2 <= n; j += 2) {
    const int oc = oc0 + j;
    const int32_t b0 = bias ? bias[oc] : 0, b1 = bias ? bias[oc + 1] : 0;
    int32_t acc[2][2] = {{b0, b1}, {b0, b1}};
    TileDot2x2(p0, tile + j * kpad, kpad, acc);
    out0[oc] = os(acc[0][0], oc);
    out0[oc + 1] = os(acc[0][1], oc + 1);
    out1[oc] = os(acc[1][0], oc);
    out1[oc + 1] = os(acc[1][1], oc + 1);
  }
  for (; j < n; ++j) {
    const int oc = oc0 + j;
    const int32_t b = bias ? bias[oc] : 0;
    out0[oc] = os(TileDot1x1(p0, tile + j * kpad, kpad, b), oc);
    if (two) out1[oc] = os(TileDot1x1(p0 + kPatchStride, tile + j * kpad, kpad, b), oc);
  }
}

inline void TileTimesPatches(const LayerStages& st, const int16_t* p0, bool two, int kpad, int oc0,
                             int n, const int16_t* tile, const int32_t* bias, int8_t* out0,
                             int8_t* out1) {
  if (st.fast.ok) {
    TileTimesPatchesWith(st.fast, p0, two, kpad, oc0, n, tile, bias, out0, out1);
  } else {
    TileTimesPatchesWith(st.general, p0, two, kpad, oc0, n, tile, bias, out0, out1);
  }
}

}  // namespace cm4
}  // namespace tm2

#endif  // TM2_KERNELS_CM4_QS8_TILE_CM4DSP_H_
