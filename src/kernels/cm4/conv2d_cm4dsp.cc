// Cortex-M4 DSP 2-D convolution: implicit im2col. Each output pixel's
// receptive field is gathered as bytes (padded cells hold the input zero
// point, so they contribute x - zp = 0), turned into an int16 pair patch,
// and multiplied against the weights widened once per call into a tile of
// the same layout (qs8_tile_cm4dsp.h): two pixels and two output channels
// per pass, so every weight and patch word loaded feeds two SMLADs.
#include "kernels/cm4/cm4_kernels.h"
#include "kernels/cm4/qs8_pairs_cm4dsp.h"
#include "kernels/cm4/qs8_tile_cm4dsp.h"

namespace tm2 {
namespace {

void GatherPatch(const ConvGeometry& g, int oy, int ox, int32_t zp, const int8_t* input,
                 int8_t* raw) {
  const int row_len = g.kernel_w * g.in_c;
  const int iy0 = oy * g.stride_h - g.pad_top;
  const int ix0 = ox * g.stride_w - g.pad_left;
  const auto [kx_lo, kx_hi] = ValidTaps(ix0, g.kernel_w, g.in_w);
  const int8_t pad = static_cast<int8_t>(zp);
  int8_t* p = raw;
  for (int ky = 0; ky < g.kernel_h; ++ky, p += row_len) {
    const int iy = iy0 + ky;
    if (iy < 0 || iy >= g.in_h) {
      memset(p, pad, static_cast<size_t>(row_len));
      continue;
    }
    memset(p, pad, static_cast<size_t>(kx_lo) * g.in_c);
    memcpy(p + kx_lo * g.in_c, input + (static_cast<size_t>(iy) * g.in_w + ix0 + kx_lo) * g.in_c,
           static_cast<size_t>(kx_hi - kx_lo) * g.in_c);
    memset(p + kx_hi * g.in_c, pad, static_cast<size_t>(g.kernel_w - kx_hi) * g.in_c);
  }
}

// Few input channels (the 1-channel first layers): the byte gather above
// would spend more in memset/memcpy calls of a few bytes than in the
// products, so each tap goes straight to its place in the pair layout
// (pos[], computed once per call). Pixels whose window leaves the input
// zero their patch first; positions past k stay zero from the start.
void GatherPairPatch(const ConvGeometry& g, int oy, int ox, int32_t zp, const int8_t* input,
                     const int16_t* pos, int k, int16_t* patch) {
  const int iy0 = oy * g.stride_h - g.pad_top;
  const int ix0 = ox * g.stride_w - g.pad_left;
  const auto [ky_lo, ky_hi] = ValidTaps(iy0, g.kernel_h, g.in_h);
  const auto [kx_lo, kx_hi] = ValidTaps(ix0, g.kernel_w, g.in_w);
  if (ky_lo > 0 || ky_hi < g.kernel_h || kx_lo > 0 || kx_hi < g.kernel_w) {
    for (int q = 0; q < cm4::PadTo4(k); q += 4) memset(patch + 2 * q, 0, 4 * sizeof(int16_t));
  }
  const int cells = (kx_hi - kx_lo) * g.in_c;
  for (int ky = ky_lo; ky < ky_hi; ++ky) {
    const int8_t* x = input + (static_cast<size_t>(iy0 + ky) * g.in_w + ix0 + kx_lo) * g.in_c;
    const int16_t* p = pos + (ky * g.kernel_w + kx_lo) * g.in_c;
    for (int i = 0; i < cells; ++i) patch[p[i]] = static_cast<int16_t>(x[i] - zp);
  }
}

}  // namespace

void qs8_conv2d_cm4dsp(const ConvGeometry& geometry, const QuantizedWeights& w, int32_t zp,
                       const Requantization& rq, const int8_t* input, int8_t* output) {
  // A local copy: int8 output stores may alias a referenced geometry.
  const ConvGeometry g = geometry;
  const int k = g.kernel_h * g.kernel_w * g.in_c;
  // A zero point outside int8 cannot be stored as a padding byte.
  // Packed int4 activations go to the reference loops too (kernels.h).
  if ((w.bits != 8 && w.bits != 4) || k > cm4::kMaxPatch || zp < -128 || zp > 127 ||
      g.in_bits != 8 || g.out_bits != 8) {
    qs8_conv2d_ref(g, w, zp, rq, input, output);
    return;
  }
  const cm4::LayerStages st(rq, g.out_c, cm4::QuadOutStage::OutOfLine{});
  const int kpad = cm4::PadTo4(k);
  const int chunk = cm4::TileChannels(kpad, g.out_c);
  const int pixels = g.out_h * g.out_w;
  const bool direct = g.in_c < 4;
  // Buffers sized by this layer, not by the largest patch and tile (14 KB
  // of stack at kMaxPatch, which a 1-channel first conv of 40 taps never
  // touches and which an always-on device has to reserve): patch pair
  // 2 kpad, weight tile an even number of channel rows, patch positions.
  // alloca: 4-byte aligned on the Cortex-M4 (8-byte stack alignment).
  int8_t* raw = static_cast<int8_t*>(__builtin_alloca(static_cast<size_t>(k) + 4));
  int16_t* pair = static_cast<int16_t*>(__builtin_alloca(sizeof(int16_t) * 2 * kpad));
  int16_t* tile =
      static_cast<int16_t*>(__builtin_alloca(sizeof(int16_t) * ((chunk + 1) & ~1) * kpad));
  int16_t* pos = static_cast<int16_t*>(__builtin_alloca(sizeof(int16_t) * (direct ? k : 1)));
  if (direct) {
    const int full = k & ~3;
    static const int8_t kInGroup[4] = {0, 2, 1, 3};  // (x0, x2), (x1, x3)
    for (int i = 0; i < k; ++i) {
      pos[i] = static_cast<int16_t>(cm4::Slot(i < full ? (i & ~3) + kInGroup[i & 3] : i));
    }
    for (int i = k; i < kpad; ++i) pair[cm4::Slot(i)] = pair[4 + cm4::Slot(i)] = 0;
  }
  for (int oc0 = 0; oc0 < g.out_c; oc0 += chunk) {
    const int n = g.out_c - oc0 < chunk ? g.out_c - oc0 : chunk;
    cm4::PackTile(w, k, oc0, n, tile);
    for (int p = 0; p < pixels; p += 2) {
      const bool two = p + 1 < pixels;
      for (int m = 0; m < (two ? 2 : 1); ++m) {
        const int oy = (p + m) / g.out_w, ox = (p + m) % g.out_w;
        if (direct) {
          GatherPairPatch(g, oy, ox, zp, input, pos, k, pair + 4 * m);
          continue;
        }
        GatherPatch(g, oy, ox, zp, input, raw);
        cm4::BuildPatchMember(raw, k, zp, pair + 4 * m);
      }
      if (!two) {
        for (int i = 0; i < kpad; ++i) pair[4 + cm4::Slot(i)] = 0;
      }
      cm4::TileTimesPatches(st, pair, kpad, oc0, n, tile, w.bias,
                            output + static_cast<size_t>(p) * g.out_c,
                            output + static_cast<size_t>(two ? p + 1 : p) * g.out_c);
    }
  }
}

}  // namespace tm2
