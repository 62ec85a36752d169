// Cortex-M4 DSP fully connected (and pointwise 1x1 with rows = H*W): each
// input row becomes an int16 pair patch once, then two rows and two outputs
// per pass against a weight tile widened per call (qs8_tile_cm4dsp.h); a
// single row (dense layer) reads the int8 weights as stored
// (qs8_pairs_cm4dsp.h).
#include "kernels/cm4/cm4_kernels.h"
#include "kernels/cm4/qs8_pairs_cm4dsp.h"
#include "kernels/cm4/qs8_tile_cm4dsp.h"

namespace tm2 {
namespace {

// int4 dense: each row widened next to the input patch (member 0 of buf).
template <class Stage>
inline void Dense4(const Stage& os, int16_t* buf, int in, int out, const QuantizedWeights& w,
                   int8_t* output) {
  const int kpad = cm4::PadTo4(in);
  const size_t row_bytes = WeightRowBytes(in, 4);
  for (int o = 0; o < out; ++o) {
    cm4::WidenWeightMember(w.data + o * row_bytes, in, 4, buf + 4);
    output[o] = os(cm4::MemberDot(buf, kpad, w.bias ? w.bias[o] : 0), o);
  }
}

// Layers that are not all fast, out of line beside the common loop. The
// general stage is copied into a local: its fields then stay in registers
// across the byte stores.
__attribute__((noinline)) void Dense4Slow(const cm4::LayerStages& st, int16_t* buf, int in,
                                          int out, const QuantizedWeights& w, int8_t* output) {
  if (st.quad.Mixed()) {
    Dense4(cm4::MixedStage{st}, buf, in, out, w, output);
    return;
  }
  const cm4::OutStage general = st.general;
  Dense4(general, buf, in, out, w, output);
}

}  // namespace

void qs8_fully_connected_cm4dsp(int rows, int in, int out, const QuantizedWeights& w, int32_t zp,
                                const Requantization& rq, const int8_t* input, int8_t* output) {
  // Packed int4 activations go to the reference loops too (kernels.h).
  if ((w.bits != 8 && w.bits != 4) || in > cm4::kMaxPatch || zp < -128 || zp > 127 ||
      rq.in_bits != 8 || rq.out_bits != 8) {
    qs8_fully_connected_ref(rows, in, out, w, zp, rq, input, output);
    return;
  }
  // One natural patch (int8 dense layers) or one interleaved pair: 2 kpad
  // int16 at most. Sized by this layer (alloca, 8-byte aligned on the
  // Cortex-M4), not by kMaxPatch: the fixed buffers were 12 KB of stack,
  // the deepest frame of a listening device's inference.
  const int kpad = cm4::PadTo4(in);
  int16_t* buf = static_cast<int16_t*>(__builtin_alloca(sizeof(int16_t) * 2 * kpad));
  const cm4::LayerStages st(rq, out);
  if (rows == 1 && w.bits == 8) {
    // A dense layer uses each weight once: widening them first would cost
    // as much as the products, so the int8 rows are read as stored.
    cm4::BuildPairPatch(input, in, zp, buf);
    cm4::PatchTimesWeights(st, buf, in, out, w, output);
    return;
  }
  if (rows == 1) {
    // int4 dense: the input and each widened row as an interleaved pair.
    cm4::BuildPatchMember(input, in, zp, buf);
    if (st.quad.Ok()) {
      Dense4(st.quad, buf, in, out, w, output);
    } else {
      Dense4Slow(st, buf, in, out, w, output);
    }
    return;
  }
  const int chunk = cm4::TileChannels(kpad, out);
  int16_t* tile =
      static_cast<int16_t*>(__builtin_alloca(sizeof(int16_t) * ((chunk + 1) & ~1) * kpad));
  for (int oc0 = 0; oc0 < out; oc0 += chunk) {
    const int n = out - oc0 < chunk ? out - oc0 : chunk;
    cm4::PackTile(w, in, oc0, n, tile);
    for (int r = 0; r < rows; r += 2) {
      const bool two = r + 1 < rows;
      cm4::BuildPatchMember(input + static_cast<size_t>(r) * in, in, zp, buf);
      if (two) {
        cm4::BuildPatchMember(input + static_cast<size_t>(r + 1) * in, in, zp, buf + 4);
      } else {
        for (int i = 0; i < kpad; ++i) buf[4 + cm4::Slot(i)] = 0;
      }
      cm4::TileTimesPatches(st, buf, kpad, oc0, n, tile, w.bias,
                            output + static_cast<size_t>(r) * out,
                            output + static_cast<size_t>(two ? r + 1 : r) * out);
    }
  }
}

}  // namespace tm2
