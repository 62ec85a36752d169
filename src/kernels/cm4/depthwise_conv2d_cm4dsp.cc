// Cortex-M4 DSP depthwise convolution: four channels per pass. One word
// load brings four input bytes; SXTB16 (once on the word, once rotated by
// 8) gives (x0, x2) and (x1, x3) as int16 pairs; the weights were widened
// per call into the same pair layout, per tap, so each channel's product
// is one SMLABB/SMLATT (multiply bottom or top halves and accumulate,
// wrapping). Channels past the last group of four run one by one.
//
// 3x3 kernels (every shipped model): for each output row the three input
// rows it reads are copied into a band with the zero point in the padded
// cells, so every pixel is an interior one (fully unrolled, no bounds) and
// a padded cell adds (zp - zp) * w = 0. The zero point itself is folded
// into the accumulator's start, bias - zp * sum(w), equal modulo 2^32 to
// the reference's wrapping sum, so inputs need no subtraction. Other
// kernels subtract the zero point with SADD16 and skip padded cells.
#include "kernels/cm4/cm4_kernels.h"
#include "kernels/cm4/qs8_pairs_cm4dsp.h"
#include "kernels/reference/ref_util.h"

namespace tm2 {
namespace {

// int16 elements of the per-call weight tile: 8 KB of stack.
constexpr int kTileElems = 4096;
// Bytes of the 3x3 path's band (three padded rows): 6 KB of stack.
constexpr int kBandBytes = 6144;

// The layer's weights [tap][c], int8 or int4 (each tap's row starting on a
// byte boundary).
struct TapWeights {
  const uint8_t* data;
  int bits;
  size_t tap_bytes;
  TapWeights(const QuantizedWeights& w, int c)
      : data(w.data), bits(w.bits), tap_bytes(WeightRowBytes(c, w.bits)) {}
  int32_t At(int tap, int ch) const { return ref::WeightAt(data + tap * tap_bytes, ch, bits); }
  // Channels [ch, ch + 4) of `tap` widened into the pair layout at out.
  void Widen4(int tap, int ch, int16_t* out) const {
    const int32_t v = cm4::Load4Weights(data + tap * tap_bytes, ch, bits);
    const int32_t pair[2] = {__sxtb16(v), cm4::Sxtb16Ror8(v)};
    memcpy(out, pair, sizeof(pair));
  }
};

// Four channels, 3x3 window: x at the window's top left, cells `cs` bytes
// apart, rows `rs`; wt holds this group's nine taps, four int16 each
// (group-major tile, so every weight is an immediate offset). a[] holds
// the starts and receives the sums. The input pointer walks with
// write-back so that few registers stay live: GCC 12 otherwise hoists the
// loads of a fully unrolled window ahead of the multiplies and spills.
inline void Window3x3(const int8_t* x, int rs, int cs, const int16_t* wt, int32_t a[4]) {
  int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  const int step = rs - 2 * cs;
#pragma GCC unroll 1
  for (int ky = 0; ky < 3; ++ky, wt += 12) {
#pragma GCC unroll 3
    for (int kx = 0; kx < 3; ++kx) {
      const int32_t xw = cm4::LoadWord(x);
      x += kx < 2 ? cs : step;
      const int32_t x02 = __sxtb16(xw), x13 = cm4::Sxtb16Ror8(xw);
      const int32_t w02 = cm4::LoadWord(wt + 4 * kx), w13 = cm4::LoadWord(wt + 4 * kx + 2);
      a0 = __smlabb(x02, w02, a0);
      a2 = __smlatt(x02, w02, a2);
      a1 = __smlabb(x13, w13, a1);
      a3 = __smlatt(x13, w13, a3);
    }
  }
  a[0] = a0, a[1] = a1, a[2] = a2, a[3] = a3;
}

// The 3x3 path; `tile` holds the widened weights group-major ([group][tap]
// [4]), `stage` the output stage.
template <class Stage>
void Depthwise3x3Band(const ConvGeometry& g, const TapWeights& wd, const int32_t* bias, int32_t zp,
                      const int16_t* tile, const Stage& stage, const int8_t* input,
                      int8_t* output) {
  const int c = g.out_c;
  const int groups = c >> 2;
  const int band_w = (g.out_w - 1) * g.stride_w + 3;  // cells from -pad_left
  const int row_bytes = band_w * c;
  int32_t start[cm4::kMaxStageChannels];
  for (int ch = 0; ch < c; ++ch) {
    uint32_t sum_w = 0;
    for (int t = 0; t < 9; ++t) sum_w += static_cast<uint32_t>(wd.At(t, ch));
    const uint32_t b = bias ? static_cast<uint32_t>(bias[ch]) : 0u;
    start[ch] = static_cast<int32_t>(b - static_cast<uint32_t>(zp) * sum_w);
  }
  int8_t band[kBandBytes];
  const int8_t pad = static_cast<int8_t>(zp);
  // Columns of the band inside the input: [lo, hi).
  const int lo = g.pad_left < band_w ? g.pad_left : band_w;
  int hi = g.pad_left + g.in_w < band_w ? g.pad_left + g.in_w : band_w;
  if (hi < lo) hi = lo;
  for (int oy = 0; oy < g.out_h; ++oy) {
    const int iy0 = oy * g.stride_h - g.pad_top;
    for (int ky = 0; ky < 3; ++ky) {
      int8_t* row = band + ky * row_bytes;
      const int iy = iy0 + ky;
      if (iy < 0 || iy >= g.in_h) {
        memset(row, pad, static_cast<size_t>(row_bytes));
        continue;
      }
      memset(row, pad, static_cast<size_t>(lo) * c);
      memcpy(row + lo * c, input + (static_cast<size_t>(iy) * g.in_w + (lo - g.pad_left)) * c,
             static_cast<size_t>(hi - lo) * c);
      memset(row + hi * c, pad, static_cast<size_t>(band_w - hi) * c);
    }
    int8_t* out = output + static_cast<size_t>(oy) * g.out_w * c;
    for (int ox = 0; ox < g.out_w; ++ox, out += c) {
      const int8_t* x = band + ox * g.stride_w * c;
      for (int ch = 0; ch + 4 <= c; ch += 4) {
        int32_t a[4] = {start[ch], start[ch + 1], start[ch + 2], start[ch + 3]};
        Window3x3(x + ch, row_bytes, c, tile + ch * 9, a);
        out[ch] = stage(a[0], ch);
        out[ch + 1] = stage(a[1], ch + 1);
        out[ch + 2] = stage(a[2], ch + 2);
        out[ch + 3] = stage(a[3], ch + 3);
      }
      for (int ch = groups * 4; ch < c; ++ch) {
        uint32_t acc = static_cast<uint32_t>(start[ch]);
        for (int t = 0; t < 9; ++t) {
          acc += static_cast<uint32_t>(x[(t / 3) * row_bytes + (t % 3) * c + ch] * wd.At(t, ch));
        }
        out[ch] = stage(static_cast<int32_t>(acc), ch);
      }
    }
  }
}

// Any kernel: bounds per pixel, zero point subtracted with SADD16.
void DepthwiseGeneral(const ConvGeometry& g, const TapWeights& wd, const int32_t* bias, int32_t zp,
                      const int16_t* tile, const cm4::OutStage& os, const int8_t* input,
                      int8_t* output) {
  const int c = g.out_c;
  const int groups = c >> 2;
  const int ts = groups * 4;
  const int32_t offset = cm4::Splat16(-zp);
  for (int oy = 0; oy < g.out_h; ++oy) {
    const int iy0 = oy * g.stride_h - g.pad_top;
    const auto [ky_lo, ky_hi] = ValidTaps(iy0, g.kernel_h, g.in_h);
    for (int ox = 0; ox < g.out_w; ++ox) {
      const int ix0 = ox * g.stride_w - g.pad_left;
      const auto [kx_lo, kx_hi] = ValidTaps(ix0, g.kernel_w, g.in_w);
      int8_t* out = output + (static_cast<size_t>(oy) * g.out_w + ox) * c;
      for (int ch = 0; ch + 4 <= c; ch += 4) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        if (bias) a0 = bias[ch], a1 = bias[ch + 1], a2 = bias[ch + 2], a3 = bias[ch + 3];
        for (int ky = ky_lo; ky < ky_hi; ++ky) {
          const int8_t* xrow = input + (static_cast<size_t>(iy0 + ky) * g.in_w) * c + ch;
          const int16_t* wrow = tile + ky * g.kernel_w * ts + ch;
          for (int kx = kx_lo; kx < kx_hi; ++kx) {
            const int32_t xw = cm4::LoadWord(xrow + (ix0 + kx) * c);
            const int32_t x02 = __sadd16(__sxtb16(xw), offset);
            const int32_t x13 = __sadd16(cm4::Sxtb16Ror8(xw), offset);
            const int16_t* wp = wrow + kx * ts;
            const int32_t w02 = cm4::LoadWord(wp), w13 = cm4::LoadWord(wp + 2);
            a0 = __smlabb(x02, w02, a0);
            a2 = __smlatt(x02, w02, a2);
            a1 = __smlabb(x13, w13, a1);
            a3 = __smlatt(x13, w13, a3);
          }
        }
        out[ch] = os(a0, ch);
        out[ch + 1] = os(a1, ch + 1);
        out[ch + 2] = os(a2, ch + 2);
        out[ch + 3] = os(a3, ch + 3);
      }
      for (int ch = groups * 4; ch < c; ++ch) {
        int32_t acc = bias ? bias[ch] : 0;
        for (int ky = ky_lo; ky < ky_hi; ++ky) {
          for (int kx = kx_lo; kx < kx_hi; ++kx) {
            const int8_t x = input[(static_cast<size_t>(iy0 + ky) * g.in_w + ix0 + kx) * c + ch];
            acc = ref::MulAddWrap(acc, x - zp, wd.At(ky * g.kernel_w + kx, ch));
          }
        }
        out[ch] = os(acc, ch);
      }
    }
  }
}

}  // namespace

void qs8_depthwise_conv2d_cm4dsp(const ConvGeometry& geometry, const QuantizedWeights& w,
                                 int32_t zp, const Requantization& rq, const int8_t* input,
                                 int8_t* output) {
  // A local copy: int8 output stores may alias a referenced geometry.
  const ConvGeometry g = geometry;
  const int c = g.out_c;
  const int groups = c >> 2;
  const int taps = g.kernel_h * g.kernel_w;
  if ((w.bits != 8 && w.bits != 4) || taps * groups * 4 > kTileElems || zp < -128 || zp > 127) {
    qs8_depthwise_conv2d_ref(g, w, zp, rq, input, output);
    return;
  }
  alignas(4) int16_t tile[kTileElems];
  const TapWeights wd(w, c);
  const bool band = g.kernel_h == 3 && g.kernel_w == 3 && c <= cm4::kMaxStageChannels &&
                    3 * ((g.out_w - 1) * g.stride_w + 3) * c <= kBandBytes;
  if (band) {
    // Group-major: the nine taps of channels [4q, 4q + 4) side by side.
    for (int q = 0; q < groups; ++q) {
      for (int t = 0; t < 9; ++t) {
        wd.Widen4(t, 4 * q, tile + (q * 9 + t) * 4);
      }
    }
    const cm4::FastOutStage fast(rq, c);
    if (fast.ok) {
      Depthwise3x3Band(g, wd, w.bias, zp, tile, fast, input, output);
    } else {
      Depthwise3x3Band(g, wd, w.bias, zp, tile, cm4::OutStage(rq), input, output);
    }
    return;
  }
  // Tap-major: per tap, every channel group.
  for (int t = 0; t < taps; ++t) {
    for (int q = 0; q < groups; ++q) wd.Widen4(t, 4 * q, tile + (t * groups + q) * 4);
  }
  DepthwiseGeneral(g, wd, w.bias, zp, tile, cm4::OutStage(rq), input, output);
}

}  // namespace tm2
