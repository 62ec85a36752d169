// Highway fully connected. Many rows (a pointwise 1x1 conv over H*W
// pixels): each row is a patch for the tap-pair GEMM of qs8_gemm-inl.h,
// weights repacked once per call. One row (a dense layer): each weight is
// used once, so repacking would cost as much as the work; a dot product
// over `in` instead, int4 nibbles split in registers.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/fully_connected_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "kernels/hwy/hwy_kernels.h"
#include "kernels/hwy/qs8_gemm-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
#if HWY_TARGET == HWY_SCALAR
void FullyConnected(int rows, int in, int out, const QuantizedWeights& w, int32_t zp,
                    const Requantization& rq, const int8_t* input, int8_t* output) {
  qs8_fully_connected_ref(rows, in, out, w, zp, rq, input, output);
}
#else

// bias + sum_i (x[i] - zp) * w[i] over one weight row.
static int32_t DotRow(const int8_t* x, const uint8_t* wrow, int in, int bits, int32_t zp,
                      int32_t bias) {
  const hn::ScalableTag<int16_t> d16;
  const hn::Repartition<int32_t, decltype(d16)> d32;
  const hn::Repartition<int8_t, decltype(d16)> d8;   // 2 * n16 bytes
  const hn::Rebind<int8_t, decltype(d16)> d8h;       // n16 bytes
  const int n16 = static_cast<int>(hn::Lanes(d16));
  const auto vzp = hn::Set(d16, static_cast<int16_t>(zp));
  auto acc0 = hn::Zero(d32), acc1 = hn::Zero(d32);
  int i = 0;
  if (bits == 4) {
    // 2*n16 weights per step: n16 bytes, nibbles split by shifts; x split
    // into even/odd elements the same way, so lane order never matters.
    for (; i + 2 * n16 <= in; i += 2 * n16) {
      const auto wb = hn::PromoteTo(d16, hn::LoadU(d8h, reinterpret_cast<const int8_t*>(wrow) + i / 2));
      const auto w_lo = hn::ShiftRight<12>(hn::ShiftLeft<12>(wb));
      const auto w_hi = hn::ShiftRight<4>(wb);
      const auto xb = hn::BitCast(d16, hn::LoadU(d8, x + i));
      const auto x_even = hn::Sub(hn::ShiftRight<8>(hn::ShiftLeft<8>(xb)), vzp);
      const auto x_odd = hn::Sub(hn::ShiftRight<8>(xb), vzp);
      acc0 = MulAddPairs(d32, x_even, w_lo, acc0);
      acc1 = MulAddPairs(d32, x_odd, w_hi, acc1);
    }
  } else {
    const int8_t* w8 = reinterpret_cast<const int8_t*>(wrow);
    for (; i + 2 * n16 <= in; i += 2 * n16) {
      const auto x0 = hn::Sub(hn::PromoteTo(d16, hn::LoadU(d8h, x + i)), vzp);
      const auto x1 = hn::Sub(hn::PromoteTo(d16, hn::LoadU(d8h, x + i + n16)), vzp);
      acc0 = MulAddPairs(d32, x0, hn::PromoteTo(d16, hn::LoadU(d8h, w8 + i)), acc0);
      acc1 = MulAddPairs(d32, x1, hn::PromoteTo(d16, hn::LoadU(d8h, w8 + i + n16)), acc1);
    }
  }
  // Wrapping int32 sum, like the lanes.
  uint32_t acc = static_cast<uint32_t>(bias) +
                 static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d32, hn::Add(acc0, acc1))));
  for (; i < in; ++i) {
    acc += static_cast<uint32_t>(x[i] - zp) * static_cast<uint32_t>(hwyk::WeightAt16(wrow, i, bits));
  }
  return static_cast<int32_t>(acc);
}

void FullyConnected(int rows, int in, int out, const QuantizedWeights& w, int32_t zp,
                    const Requantization& rq, const int8_t* input, int8_t* output) {
  if (rows < 2 || in > hwyk::kMaxPatch) {
    const size_t row_bytes = WeightRowBytes(in, w.bits);
    for (int r = 0; r < rows; ++r) {
      const int8_t* x = input + static_cast<size_t>(r) * in;
      for (int o = 0; o < out; ++o) {
        const int32_t acc = DotRow(x, w.data + o * row_bytes, in, w.bits, zp, w.bias ? w.bias[o] : 0);
        output[static_cast<size_t>(r) * out + o] =
            RequantizeOne(acc, rq.multiplier[o], rq.shift[o], rq.output_zero_point,
                          rq.output_min, rq.output_max);
      }
    }
    return;
  }
  const hn::ScalableTag<int32_t> d32;
  const int n32 = static_cast<int>(hn::Lanes(d32));
  const PatchRows pr = ContiguousPatch(in);
  const int chunk = PairChunkChannels(pr.pairs(), out, n32);
  HWY_ALIGN int16_t tile[hwyk::kTileElems];
  HWY_ALIGN int16_t patch_buf[2][hwyk::kMaxPatch + 2];
  HWY_ALIGN int32_t bias[kChunkMax + 64], mult[kChunkMax + 64], rnd[kChunkMax + 64], pow[kChunkMax + 64];
  for (int oc0 = 0; oc0 < out; oc0 += chunk) {
    const int ocn = out - oc0 < chunk ? out - oc0 : chunk;
    PackPairTile(w, in, pr, in, oc0, ocn, out, n32, tile);
    const ChunkRequant cr = PrepareChunk(w, rq, oc0, ocn, n32, bias, mult, rnd, pow);
    int r = 0;
    for (; r + 2 <= rows; r += 2) {
      for (int m = 0; m < 2; ++m) {
        WidenSubtractZeroPoint(input + static_cast<size_t>(r + m) * in, in, zp, patch_buf[m]);
        patch_buf[m][in] = 0;
      }
      const int16_t* patches[2] = {patch_buf[0], patch_buf[1]};
      int8_t* outs[2] = {output + static_cast<size_t>(r) * out,
                         output + static_cast<size_t>(r + 1) * out};
      PairGemmChunk<2>(patches, pr, tile, bias, cr, oc0, ocn, outs);
    }
    if (r < rows) {
      WidenSubtractZeroPoint(input + static_cast<size_t>(r) * in, in, zp, patch_buf[0]);
      patch_buf[0][in] = 0;
      const int16_t* patches[1] = {patch_buf[0]};
      int8_t* outs[1] = {output + static_cast<size_t>(r) * out};
      PairGemmChunk<1>(patches, pr, tile, bias, cr, oc0, ocn, outs);
    }
  }
}

#endif  // HWY_TARGET == HWY_SCALAR
}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(FullyConnected);
#endif
void qs8_fully_connected_hwy(int rows, int in, int out, const QuantizedWeights& w, int32_t zp,
                             const Requantization& rq, const int8_t* input, int8_t* output) {
  TM2_HWY_DISPATCH(FullyConnected)(rows, in, out, w, zp, rq, input, output);
}
}  // namespace tm2
#endif
