// Cortex-M4 DSP depthwise 3x3 (every shipped model). Three input rows are
// kept widened to int16, x - zp with zeros in padded cells, in a rolling
// band (each input row widened once per call), so every pixel is an
// interior one: nine taps at fixed offsets, two LDRD and four
// multiply-accumulates (SMLABB/SMLATT) each. For strides 1 and 2 and up to
// 64 channels the whole row loop of a channel group, output stage included
// (qs8_quad_out_cm4dsp.h), is assembly: about 90 instructions for 36 MACs;
// shift -1 channels run there too, on doubled weights and bias (FillGroups).
// Otherwise the same band runs in C.
#include <climits>
#include <cstdint>
#include <cstring>

#include "kernels/cm4/qs8_depthwise_cm4dsp.h"
#include "kernels/cm4/qs8_quad_out_cm4dsp.h"

namespace tm2 {
namespace cm4 {
namespace {

// int16 elements of the rolling band (three widened rows): 4 KB.
constexpr int kBandElems = 2048;

// The 3x3 path keeps three input rows widened to int16 (x - zp; zeros in
// padded cells) in a rolling band: input row iy lives in slot iy mod 3 and
// is widened once, however many output rows read it. A slot is group-major:
// the four channels [4q, 4q + 4) of band column col are the pair words
// (x0, x2), (x1, x3) at (q * band_w + col) * 4, so the nine taps of a
// group sit at fixed immediate offsets from three row pointers and LDRD
// brings each tap's inputs, and each tap's weights, in one instruction.
struct Band3 {
  int16_t* slot[3];
  int held[3];  // input row in each slot, or INT32_MIN
};

// Widens input row iy (zeros when outside the input) into its slot.
void FillBandRow(const ConvGeometry& g, int band_w, int32_t zp, const int8_t* input, int iy,
                 Band3* band) {
  const int s = ((iy % 3) + 3) % 3;
  if (band->held[s] == iy) return;
  band->held[s] = iy;
  int16_t* row = band->slot[s];
  const int c = g.out_c;
  const int groups = c >> 2;
  const bool inside = iy >= 0 && iy < g.in_h;
  const int32_t offset = Splat16(-zp);
  for (int col = 0; col < band_w; ++col) {
    const int ix = col - g.pad_left;
    int16_t* cell = row + col * 4;
    if (!inside || ix < 0 || ix >= g.in_w) {
      for (int q = 0; q < groups; ++q) memset(cell + q * band_w * 4, 0, 4 * sizeof(int16_t));
      continue;
    }
    const int8_t* x = input + (static_cast<size_t>(iy) * g.in_w + ix) * c;
    for (int q = 0; q < groups; ++q) {
      const int32_t v = LoadWord(x + 4 * q);
      StoreTwo(cell + q * band_w * 4, __sadd16(__sxtb16(v), offset),
                    __sadd16(Sxtb16Ror8(v), offset));
    }
  }
}

// Nine taps of one group: rows r0, r1, r2 (int16 band cells of the window's
// left column), weights wt ([tap][4] int16). SMLABB/SMLATT multiply the
// bottom or top halves: one instruction per MAC, wrapping like the reference.
#define TM2_DW_TAP(ROW, XOFF, WOFF)                      \
  "ldrd %[x02], %[x13], [%[" #ROW "], #" #XOFF "]\n\t" \
  "ldrd %[w02], %[w13], [%[wt], #" #WOFF "]\n\t"       \
  "smlabb %[a0], %[x02], %[w02], %[a0]\n\t"            \
  "smlatt %[a2], %[x02], %[w02], %[a2]\n\t"            \
  "smlabb %[a1], %[x13], %[w13], %[a1]\n\t"            \
  "smlatt %[a3], %[x13], %[w13], %[a3]\n\t"
#define TM2_DW_TAPS                                                          \
  TM2_DW_TAP(r0, 0, 0) TM2_DW_TAP(r0, 8, 8) TM2_DW_TAP(r0, 16, 16)          \
  TM2_DW_TAP(r1, 0, 24) TM2_DW_TAP(r1, 8, 32) TM2_DW_TAP(r1, 16, 40)        \
  TM2_DW_TAP(r2, 0, 48) TM2_DW_TAP(r2, 8, 56) TM2_DW_TAP(r2, 16, 64)

inline void Taps3x3(const int16_t* r0, const int16_t* r1, const int16_t* r2, const int16_t* wt,
                    int32_t& a0, int32_t& a1, int32_t& a2, int32_t& a3) {
  int32_t x02, x13, w02, w13;
  __asm__(TM2_DW_TAPS
          : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x02] "=&r"(x02),
            [x13] "=&r"(x13), [w02] "=&r"(w02), [w13] "=&r"(w13)
          : [r0] "r"(r0), [r1] "r"(r1), [r2] "r"(r2), [wt] "r"(wt)
          : "memory");
}

// One channel group's weights and output-stage constants, laid out for the
// assembly loop below (its immediate offsets follow this struct).
struct DwGroup {
  int16_t w[36];      // [tap][4]: (w0, w2), (w1, w3)         bytes 0..71
  int32_t bias[4];    //                                       72..87
  int32_t mrz[8];     // multiplier and rz per channel         88..119
  int32_t rsh[4];     //                                       120..135
  int32_t lo4, hi4;   // clamp bounds in four bytes            136..143
  int32_t out_step;   // bytes between output pixels (c)       144
  int32_t out_end;    // this row's end for this group          148
};
static_assert(sizeof(DwGroup) == 152, "the assembly's offsets follow DwGroup");
// Channel groups the assembly path holds blocks for (64 channels, 2.4 KB).
constexpr int kMaxAsmGroups = 16;

// One output row of one group: per pixel the nine taps, then the SIMD
// output stage (qs8_quad_out_cm4dsp.h) on the four sums, one word stored;
// the window moves kStep bytes along the band rows. About 90 instructions
// per pixel and group (36 MACs), nothing kept on the stack.
template <int kStep>
inline void GroupRow3x3(const int16_t* r0, const int16_t* r1, const int16_t* r2, const DwGroup* wt,
                        int8_t* out) {
  int32_t a0, a1, a2, a3, x02, x13, w02, w13;
  __asm__ volatile(
      "1:\n\t"
      "ldrd %[a0], %[a1], [%[wt], #72]\n\t"
      "ldrd %[a2], %[a3], [%[wt], #80]\n\t"
      TM2_DW_TAPS
      "ldrd %[x02], %[x13], [%[wt], #88]\n\t"
      "smmla %[a0], %[a0], %[x02], %[x13]\n\t"
      "ldrd %[x02], %[x13], [%[wt], #96]\n\t"
      "smmla %[a1], %[a1], %[x02], %[x13]\n\t"
      "ldrd %[x02], %[x13], [%[wt], #104]\n\t"
      "smmla %[a2], %[a2], %[x02], %[x13]\n\t"
      "ldrd %[x02], %[x13], [%[wt], #112]\n\t"
      "smmla %[a3], %[a3], %[x02], %[x13]\n\t"
      "ldrd %[x02], %[x13], [%[wt], #120]\n\t"
      "asr %[a0], %[a0], %[x02]\n\t"
      "asr %[a1], %[a1], %[x13]\n\t"
      "ldrd %[x02], %[x13], [%[wt], #128]\n\t"
      "asr %[a2], %[a2], %[x02]\n\t"
      "asr %[a3], %[a3], %[x13]\n\t"
      "ssat %[a0], #8, %[a0]\n\t"
      "ssat %[a1], #8, %[a1]\n\t"
      "ssat %[a2], #8, %[a2]\n\t"
      "ssat %[a3], #8, %[a3]\n\t"
      "bfi %[a0], %[a1], #8, #8\n\t"
      "bfi %[a0], %[a2], #16, #8\n\t"
      "bfi %[a0], %[a3], #24, #8\n\t"
      "ldrd %[x02], %[x13], [%[wt], #136]\n\t"
      "ssub8 %[w02], %[a0], %[x02]\n\t"
      "sel %[a0], %[a0], %[x02]\n\t"
      "ssub8 %[w02], %[a0], %[x13]\n\t"
      "sel %[a0], %[x13], %[a0]\n\t"
      "str %[a0], [%[out]]\n\t"
      "ldrd %[x02], %[x13], [%[wt], #144]\n\t"
      "add %[out], %[out], %[x02]\n\t"
      "add %[r0], %[r0], %[step]\n\t"
      "add %[r1], %[r1], %[step]\n\t"
      "add %[r2], %[r2], %[step]\n\t"
      "cmp %[out], %[x13]\n\t"
      "bne 1b\n\t"
      : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [x02] "=&r"(x02),
        [x13] "=&r"(x13), [w02] "=&r"(w02), [w13] "=&r"(w13), [r0] "+r"(r0), [r1] "+r"(r1),
        [r2] "+r"(r2), [out] "+r"(out)
      : [wt] "r"(wt), [step] "i"(kStep)
      : "cc", "memory");
}

// Channels past the last group of four of one output row, one by one from
// the input (bounds per tap).
template <class Stage>
void TailChannels3x3(const ConvGeometry& g, const TapWeights& wd, const int32_t* bias, int32_t zp,
                     const Stage& stage, const int8_t* input, int iy0, int8_t* out_row) {
  const int c = g.out_c;
  for (int ch = (c >> 2) * 4; ch < c; ++ch) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      const int ix0 = ox * g.stride_w - g.pad_left;
      int32_t acc = bias ? bias[ch] : 0;
      for (int t = 0; t < 9; ++t) {
        const int iy = iy0 + t / 3, ix = ix0 + t % 3;
        if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
        const int8_t x = input[(static_cast<size_t>(iy) * g.in_w + ix) * c + ch];
        acc = ref::MulAddWrap(acc, x - zp, wd.At(t, ch));
      }
      out_row[ox * c + ch] = stage(acc, ch);
    }
  }
}

// The 3x3 path for channels in groups of four; `tile` holds the widened
// weights group-major ([group][tap][4]). Channels past the last group of
// four run one by one from the input (bounds per tap).
template <class Stage>
void Depthwise3x3Band(const ConvGeometry& g, const TapWeights& wd, const int32_t* bias, int32_t zp,
                      const int16_t* tile, const Stage& stage, const int8_t* input,
                      int8_t* output, int16_t* band_mem) {
  const int c = g.out_c;
  const int groups = c >> 2;
  const int band_w = (g.out_w - 1) * g.stride_w + 3;  // cells from -pad_left
  const int slot_elems = groups * band_w * 4;
  Band3 band{{band_mem, band_mem + slot_elems, band_mem + 2 * slot_elems},
             {INT32_MIN, INT32_MIN, INT32_MIN}};
  const int step = g.stride_w * 4;
  for (int oy = 0; oy < g.out_h; ++oy) {
    const int iy0 = oy * g.stride_h - g.pad_top;
    for (int ky = 0; ky < 3; ++ky) FillBandRow(g, band_w, zp, input, iy0 + ky, &band);
    const int16_t* rows[3];
    for (int ky = 0; ky < 3; ++ky) rows[ky] = band.slot[(((iy0 + ky) % 3) + 3) % 3];
    int8_t* out_row = output + static_cast<size_t>(oy) * g.out_w * c;
    for (int q = 0; q < groups; ++q) {
      const int ch = 4 * q;
      const int32_t b0 = bias ? bias[ch] : 0, b1 = bias ? bias[ch + 1] : 0;
      const int32_t b2 = bias ? bias[ch + 2] : 0, b3 = bias ? bias[ch + 3] : 0;
      const int16_t* wt = tile + q * 36;
      const int16_t* r0 = rows[0] + q * band_w * 4;
      const int16_t* r1 = rows[1] + q * band_w * 4;
      const int16_t* r2 = rows[2] + q * band_w * 4;
      int8_t* out = out_row + ch;
      for (int ox = 0; ox < g.out_w; ++ox, r0 += step, r1 += step, r2 += step, out += c) {
        int32_t a0 = b0, a1 = b1, a2 = b2, a3 = b3;
        Taps3x3(r0, r1, r2, wt, a0, a1, a2, a3);
        stage.Store4(a0, a1, a2, a3, ch, out);
      }
    }
    TailChannels3x3(g, wd, bias, zp, stage, input, iy0, out_row);
  }
}

// The stages the 3x3 path takes: Store4 writes four channels' bytes.
struct QuadStage {
  const QuadOutStage& s;
  void Store4(int32_t a0, int32_t a1, int32_t a2, int32_t a3, int ch, int8_t* out) const {
    const int32_t w = s.Four(a0, a1, a2, a3, ch);
    memcpy(out, &w, sizeof(w));  // one STR: the M4 allows unaligned word stores
  }
  int8_t operator()(int32_t acc, int ch) const { return s.One(acc, ch); }
};
struct GeneralStage {
  OutStage s;
  void Store4(int32_t a0, int32_t a1, int32_t a2, int32_t a3, int ch, int8_t* out) const {
    const int8_t y[4] = {s(a0, ch), s(a1, ch + 1), s(a2, ch + 2), s(a3, ch + 3)};
    memcpy(out, y, sizeof(y));
  }
  int8_t operator()(int32_t acc, int ch) const { return s(acc, ch); }
};

// Whether Depthwise3x3Asm takes a layer (see its comment).
bool AsmPathHolds(const ConvGeometry& g, const Requantization& rq) {
  const int c = g.out_c;
  if (g.kernel_h != 3 || g.kernel_w != 3 || (g.stride_w != 1 && g.stride_w != 2) ||
      (c >> 2) > kMaxAsmGroups || 3 * ((g.out_w - 1) * g.stride_w + 3) * (c >> 2) * 4 > kBandElems ||
      !QuadOutStage::BoundsOk(rq)) {
    return false;
  }
  return true;  // and every channel's constants qualify (Depthwise3x3Asm checks)
}

// Where channel i of a group sits among a tap's four int16 weights:
// (w0, w2), (w1, w3).
constexpr int kLane[4] = {0, 2, 1, 3};

// The assembly's per-group blocks; false when a channel's output stage
// does not qualify. kEdge = false takes the common constants only (the
// loop every call runs); kEdge = true, out of line, also the edges,
// shift -1 channels included: they run as r = 1 on 2 * acc
// (qs8_quad_out_cm4dsp.h), with doubled weights (|2w| <= 256 fits int16)
// and bias, exact while |bias| < 2^29 since the nine taps add at most
// 9 * 255 * 128 < 2^19 (x - zp and w in int8 ranges).
template <bool kEdge>
__attribute__((noinline)) bool FillGroups(const TapWeights& wd, const int32_t* bias,
                                          const Requantization& rq, int c, DwGroup* blk) {
  const int groups = c >> 2;
  const int32_t lo4 = Splat8(rq.output_min), hi4 = Splat8(rq.output_max);
  for (int q = 0; q < groups; ++q) {
    DwGroup& b = blk[q];
    for (int t = 0; t < 9; ++t) wd.Widen4(t, 4 * q, b.w + t * 4);
    for (int i = 0; i < 4; ++i) {
      const int ch = 4 * q + i;
      b.bias[i] = bias ? bias[ch] : 0;
      b.mrz[2 * i] = rq.multiplier[ch];
      if (QuadOutStage::Constants(rq, ch, &b.mrz[2 * i + 1], &b.rsh[i])) continue;
      if (!kEdge) return false;
      bool doubled = false;
      if (!QuadOutStage::EdgeConstants(rq, ch, &b.mrz[2 * i + 1], &b.rsh[i], &doubled)) {
        return false;
      }
      if (doubled) {
        if (b.bias[i] <= -(1 << 29) || b.bias[i] >= (1 << 29)) return false;
        b.bias[i] *= 2;
        for (int t = 0; t < 9; ++t) b.w[t * 4 + kLane[i]] *= 2;
      }
    }
    b.lo4 = lo4;
    b.hi4 = hi4;
    b.out_step = c;
  }
  return true;
}

// The 3x3 path with the whole row loop in assembly (GroupRow3x3): for the
// SIMD output stage, strides 1 and 2 across, at most kMaxAsmGroups groups
// and a band of at most kBandElems. Its own frame (about 6.5 KB): the
// other paths' tiles are not on the stack while it runs.
template <int kStride>
__attribute__((noinline)) bool Depthwise3x3Asm(const ConvGeometry& g, const TapWeights& wd,
                                               const int32_t* bias, int32_t zp,
                                               const Requantization& rq, const int8_t* input,
                                               int8_t* output) {
  alignas(8) int16_t band_mem[kBandElems];
  DwGroup blk[kMaxAsmGroups];
  const int c = g.out_c;
  const int groups = c >> 2;
  if (!FillGroups</*kEdge=*/false>(wd, bias, rq, c, blk) &&
      !FillGroups</*kEdge=*/true>(wd, bias, rq, c, blk)) {
    return false;
  }
  const GeneralStage tail{OutStage(rq)};
  const int band_w = (g.out_w - 1) * kStride + 3;
  const int slot_elems = groups * band_w * 4;
  Band3 band{{band_mem, band_mem + slot_elems, band_mem + 2 * slot_elems},
             {INT32_MIN, INT32_MIN, INT32_MIN}};
  for (int oy = 0; oy < g.out_h; ++oy) {
    const int iy0 = oy * g.stride_h - g.pad_top;
    for (int ky = 0; ky < 3; ++ky) FillBandRow(g, band_w, zp, input, iy0 + ky, &band);
    const int16_t* rows[3];
    for (int ky = 0; ky < 3; ++ky) rows[ky] = band.slot[(((iy0 + ky) % 3) + 3) % 3];
    int8_t* out_row = output + static_cast<size_t>(oy) * g.out_w * c;
    for (int q = 0; q < groups; ++q) {
      int8_t* out = out_row + 4 * q;
      blk[q].out_end = static_cast<int32_t>(reinterpret_cast<uintptr_t>(out + g.out_w * c));
      const int off = q * band_w * 4;
      GroupRow3x3<8 * kStride>(rows[0] + off, rows[1] + off, rows[2] + off, &blk[q], out);
    }
    TailChannels3x3(g, wd, bias, zp, tail, input, iy0, out_row);
  }
  return true;
}

// The 3x3 band path in C (more than kMaxAsmGroups groups, strides past 2,
// or output stages the SIMD stage does not take).
__attribute__((noinline)) void Depthwise3x3C(const ConvGeometry& g, const TapWeights& wd,
                                             const int32_t* bias, int32_t zp,
                                             const Requantization& rq, const int8_t* input,
                                             int8_t* output) {
  alignas(8) int16_t tile[kMaxStageChannels * 9];
  alignas(8) int16_t band_mem[kBandElems];
  const int groups = g.out_c >> 2;
  // Group-major: the nine taps of channels [4q, 4q + 4) side by side.
  for (int q = 0; q < groups; ++q) {
    for (int t = 0; t < 9; ++t) wd.Widen4(t, 4 * q, tile + (q * 9 + t) * 4);
  }
  const QuadOutStage quad(rq, g.out_c);
  if (quad.Ok()) {
    Depthwise3x3Band(g, wd, bias, zp, tile, QuadStage{quad}, input, output, band_mem);
  } else {
    Depthwise3x3Band(g, wd, bias, zp, tile, GeneralStage{OutStage(rq)}, input, output,
                     band_mem);
  }
}

}  // namespace

bool Depthwise3x3(const ConvGeometry& g, const TapWeights& wd, const int32_t* bias, int32_t zp,
                  const Requantization& rq, const int8_t* input, int8_t* output) {
  const int c = g.out_c;
  if (g.kernel_h != 3 || g.kernel_w != 3) return false;
  // The assembly path returns false, before writing anything, when a
  // channel's output stage does not qualify.
  if (AsmPathHolds(g, rq) &&
      (g.stride_w == 1 ? Depthwise3x3Asm<1>(g, wd, bias, zp, rq, input, output)
                       : Depthwise3x3Asm<2>(g, wd, bias, zp, rq, input, output))) {
    return true;
  }
  const int band_w = (g.out_w - 1) * g.stride_w + 3;
  if (c > kMaxStageChannels || 3 * band_w * (c >> 2) * 4 > kBandElems) return false;
  Depthwise3x3C(g, wd, bias, zp, rq, input, output);
  return true;
}

}  // namespace cm4
}  // namespace tm2
