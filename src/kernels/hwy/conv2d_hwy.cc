// Highway 2-D convolution: implicit im2col. For each output pixel the
// receptive field is gathered once into an int16 patch (x - zp, zeros at
// padded cells; read in place from a widened band of input rows when it
// fits), then multiplied against the weights packed once into tap pairs by
// Conv2DPack (qs8_gemm-inl.h; the engine does it at Init, in its arena).
// Two pixels share every weight load. Rows longer than hwyk::kMaxPatch,
// and calls without packed weights, use the reference.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/conv2d_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "kernels/act4/act4_bands.h"
#include "kernels/hwy/act4_nibbles_hwy.h"
#include "kernels/hwy/hwy_kernels.h"
#include "kernels/hwy/qs8_gemm-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
#if HWY_TARGET == HWY_SCALAR
size_t Conv2DPackedBytes(const ConvGeometry&) { return 0; }
void Conv2DPack(const ConvGeometry&, const QuantizedWeights&, const Requantization&, void*) {}
void Conv2D(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
            const Requantization& rq, const int8_t* input, int8_t* output) {
  qs8_conv2d_ref(g, w, zp, rq, input, output);
}
#else

// Patch of output pixel (oy, ox): kh*kw*in_c values, padded to even.
static void BuildConvPatch(const ConvGeometry& g, int oy, int ox, int32_t zp, const int8_t* input,
                           int16_t* patch) {
  const int row_len = g.kernel_w * g.in_c;
  const int iy0 = oy * g.stride_h - g.pad_top;
  const int ix0 = ox * g.stride_w - g.pad_left;
  const auto [kx_lo, kx_hi] = ValidTaps(ix0, g.kernel_w, g.in_w);
  int16_t* p = patch;
  for (int ky = 0; ky < g.kernel_h; ++ky, p += row_len) {
    const int iy = iy0 + ky;
    if (iy < 0 || iy >= g.in_h || kx_hi == kx_lo) {
      memset(p, 0, sizeof(int16_t) * row_len);
      continue;
    }
    memset(p, 0, sizeof(int16_t) * kx_lo * g.in_c);
    const int8_t* x = input + (static_cast<size_t>(iy) * g.in_w + ix0 + kx_lo) * g.in_c;
    WidenSubtractZeroPoint(x, (kx_hi - kx_lo) * g.in_c, zp, p + kx_lo * g.in_c);
    memset(p + kx_hi * g.in_c, 0, sizeof(int16_t) * (g.kernel_w - kx_hi) * g.in_c);
  }
  p[0] = 0;  // the odd tap's partner, when k is odd
}

// The input rows one output row reads, widened to int16 (x - zp) once, with
// zeros in the padded columns: band row ky holds cells -pad_left ..
// band_w - pad_left - 1 of input row iy0 + ky. The GEMM reads each pixel's
// kernel rows straight from it (PatchRows), so nothing is copied per pixel;
// before, every cell was widened kh*kw/stride^2 times into a patch, which
// dominated 1-channel inputs (the cough and KWS first layers). One extra
// cell at the end backs the zero-weight tap of odd-length kernel rows.
constexpr int kBandElems = 8192;  // 16 KB of stack

static int BandWidth(const ConvGeometry& g) { return (g.out_w - 1) * g.stride_w + g.kernel_w + 1; }

static void BuildBand(const ConvGeometry& g, int oy, int32_t zp, const int8_t* input,
                      int16_t* band) {
  const int band_w = BandWidth(g);
  const int row = band_w * g.in_c;
  const int lo = g.pad_left < band_w ? g.pad_left : band_w;
  int hi = g.pad_left + g.in_w < band_w ? g.pad_left + g.in_w : band_w;
  if (hi < lo) hi = lo;
  const int iy0 = oy * g.stride_h - g.pad_top;
  for (int ky = 0; ky < g.kernel_h; ++ky) {
    int16_t* b = band + ky * row;
    const int iy = iy0 + ky;
    if (iy < 0 || iy >= g.in_h) {
      memset(b, 0, sizeof(int16_t) * row);
      continue;
    }
    memset(b, 0, sizeof(int16_t) * lo * g.in_c);
    WidenSubtractZeroPoint(input + (static_cast<size_t>(iy) * g.in_w + lo - g.pad_left) * g.in_c,
                           (hi - lo) * g.in_c, zp, b + lo * g.in_c);
    memset(b + hi * g.in_c, 0, sizeof(int16_t) * (band_w - hi) * g.in_c);
  }
}

// How a layer's patches lie in memory, which fixes its packed weights:
// read from the input band (one run per kernel row) when the band fits,
// else one contiguous patch per pixel. False: rows too long, reference.
struct ConvLayout {
  bool band;
  PatchRows pr;
  int len;  // taps per run
};
static bool ConvLayoutOf(const ConvGeometry& g, ConvLayout* l) {
  const int k = g.kernel_h * g.kernel_w * g.in_c;
  if (k > hwyk::kMaxPatch) return false;
  l->band = g.kernel_h * BandWidth(g) * g.in_c <= kBandElems;
  if (l->band) {
    l->len = g.kernel_w * g.in_c;
    l->pr = PatchRows{g.kernel_h, (l->len + 1) / 2, static_cast<size_t>(BandWidth(g) * g.in_c)};
  } else {
    l->len = k;
    l->pr = ContiguousPatch(k);
  }
  return true;
}

static int Lanes32() {
  const hn::ScalableTag<int32_t> d32;
  return static_cast<int>(hn::Lanes(d32));
}

size_t Conv2DPackedBytes(const ConvGeometry& g) {
  ConvLayout l;
  if (!ConvLayoutOf(g, &l)) return 0;
  return PackedPairBytes(l.pr.pairs(), g.out_c, Lanes32());
}

void Conv2DPack(const ConvGeometry& g, const QuantizedWeights& w, const Requantization& rq,
                void* packed) {
  ConvLayout l;
  if (!ConvLayoutOf(g, &l)) return;
  PackPairs(w, rq, g.kernel_h * g.kernel_w * g.in_c, l.pr, l.len, g.out_c, Lanes32(), packed);
}

// The band path: one band per output row, pixels in pairs. `pr` and `pk`
// come by value: int8 output stores may alias anything referenced, so GCC
// reloads referenced fields in the inner loops.
static void Conv2DBand(const ConvGeometry& g, const PatchRows pr, const PackedPairs pk,
                       int32_t zp, const Requantization& rq, const int8_t* input, int8_t* output) {
  const int chunk = ChunkChannels(pr.pairs(), Lanes32());
  HWY_ALIGN int16_t band[kBandElems];
  const int step = g.stride_w * g.in_c;
  const int band_elems = g.kernel_h * BandWidth(g) * g.in_c;
  // An odd row width leaves one pixel per row without a partner: with room
  // for two bands, rows go in twos and their last pixels make a pair (the
  // KWS first layer: 25 rows of 5, 13 single-pixel calls instead of 25).
  const int rows_per_step = g.out_w % 2 == 1 && 2 * band_elems <= kBandElems ? 2 : 1;
  for (int oc0 = 0; oc0 < g.out_c; oc0 += chunk) {
    const int ocn = g.out_c - oc0 < chunk ? g.out_c - oc0 : chunk;
    for (int oy0 = 0; oy0 < g.out_h; oy0 += rows_per_step) {
      const int rows = g.out_h - oy0 < rows_per_step ? g.out_h - oy0 : rows_per_step;
      int ox = 0;
      for (int r = 0; r < rows; ++r) {
        const int oy = oy0 + r;
        int16_t* rband = band + r * band_elems;
        BuildBand(g, oy, zp, input, rband);
        int8_t* orow = output + static_cast<size_t>(oy) * g.out_w * g.out_c;
        ox = 0;
#if HWY_TARGET == HWY_WASM
        // The row's pixel pairs in one call (Repeat, qs8_gemm-inl.h).
        if (g.out_w >= 2) {
          const int16_t* patches[2] = {rband, rband + step};
          int8_t* outs[2] = {orow, orow + g.out_c};
          const Repeat rp{g.out_w / 2, static_cast<size_t>(2 * step), static_cast<size_t>(2 * g.out_c)};
          PairGemmPacked<2>(patches, pr, pk, rq, oc0, ocn, outs, rp);
          ox = g.out_w / 2 * 2;
        }
#endif
        for (; ox + 2 <= g.out_w; ox += 2) {
          const int16_t* patches[2] = {rband + ox * step, rband + (ox + 1) * step};
          int8_t* outs[2] = {orow + static_cast<size_t>(ox) * g.out_c,
                             orow + static_cast<size_t>(ox + 1) * g.out_c};
          PairGemmPacked<2>(patches, pr, pk, rq, oc0, ocn, outs);
        }
      }
      if (ox == g.out_w) continue;
      // The last pixel of each row in the step (ox = out_w - 1).
      const size_t last = static_cast<size_t>(oy0) * g.out_w + ox;
      if (rows == 2) {
        const int16_t* patches[2] = {band + ox * step, band + band_elems + ox * step};
        int8_t* outs[2] = {output + last * g.out_c, output + (last + g.out_w) * g.out_c};
        PairGemmPacked<2>(patches, pr, pk, rq, oc0, ocn, outs);
      } else {
        const int16_t* patches[1] = {band + ox * step};
        int8_t* outs[1] = {output + last * g.out_c};
        PairGemmPacked<1>(patches, pr, pk, rq, oc0, ocn, outs);
      }
    }
  }
}

// The patch path: one contiguous patch per pixel, pixels in pairs.
static void Conv2DPatches(const ConvGeometry& g, const PatchRows pr, const PackedPairs pk,
                          int32_t zp, const Requantization& rq, const int8_t* input,
                          int8_t* output) {
  const int chunk = ChunkChannels(pr.pairs(), Lanes32());
  HWY_ALIGN int16_t patch_buf[2][hwyk::kMaxPatch + 2];
  const int pixels = g.out_h * g.out_w;
  for (int oc0 = 0; oc0 < g.out_c; oc0 += chunk) {
    const int ocn = g.out_c - oc0 < chunk ? g.out_c - oc0 : chunk;
    int p = 0;
    for (; p + 2 <= pixels; p += 2) {
      BuildConvPatch(g, p / g.out_w, p % g.out_w, zp, input, patch_buf[0]);
      BuildConvPatch(g, (p + 1) / g.out_w, (p + 1) % g.out_w, zp, input, patch_buf[1]);
      const int16_t* patches[2] = {patch_buf[0], patch_buf[1]};
      int8_t* outs[2] = {output + static_cast<size_t>(p) * g.out_c,
                         output + static_cast<size_t>(p + 1) * g.out_c};
      PairGemmPacked<2>(patches, pr, pk, rq, oc0, ocn, outs);
    }
    if (p < pixels) {
      BuildConvPatch(g, p / g.out_w, p % g.out_w, zp, input, patch_buf[0]);
      const int16_t* patches[1] = {patch_buf[0]};
      int8_t* outs[1] = {output + static_cast<size_t>(p) * g.out_c};
      PairGemmPacked<1>(patches, pr, pk, rq, oc0, ocn, outs);
    }
  }
}

void Conv2D(const ConvGeometry& geometry, const QuantizedWeights& w, int32_t zp,
            const Requantization& rq, const int8_t* input, int8_t* output) {
  const ConvGeometry g = geometry;  // a local copy, for the same reason
  ConvLayout l;
  PackedPairs pk;
  if (!ConvLayoutOf(g, &l) || !OpenPacked(w.packed, l.pr.pairs(), g.out_c, Lanes32(), &pk)) {
    qs8_conv2d_ref(g, w, zp, rq, input, output);
    return;
  }
  if (l.band) {
    Conv2DBand(g, l.pr, pk, zp, rq, input, output);
  } else {
    Conv2DPatches(g, l.pr, pk, zp, rq, input, output);
  }
}

#endif  // HWY_TARGET == HWY_SCALAR

// The table's entry (select.cc): int8 storage straight to Conv2D,
// packed int4 layers band by band over it (act4_bands.h).
void Conv2DAnyStorage(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                      const Requantization& rq, const int8_t* input, int8_t* output) {
  act4::Conv2D<Conv2D, act4::kHwyBudget, act4_unpack_hwy, act4_pack_hwy>(
      g, w, zp, rq, input, output);
}
}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(Conv2DAnyStorage);
HWY_EXPORT(Conv2DPackedBytes);
HWY_EXPORT(Conv2DPack);
#endif
void SetConv2DHwy(KernelTable* t) {
  t->conv2d = TM2_HWY_POINTER(Conv2DAnyStorage);
  t->conv2d_packed_bytes = TM2_HWY_POINTER(Conv2DPackedBytes);
  t->conv2d_pack = TM2_HWY_POINTER(Conv2DPack);
}
}  // namespace tm2
#endif
