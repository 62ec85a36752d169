// Highway fully connected. Many rows (a pointwise 1x1 conv over H*W
// pixels): each row is a patch for the tap-pair GEMM of qs8_gemm-inl.h,
// against weights packed once by FullyConnectedPack (the engine does it at
// Init, in its arena; without them the reference runs). One row (a dense
// layer), or rows past hwyk::kMaxPatch: a dot product over `in` from the
// stored weights, int4 nibbles split in registers; a dense layer uses each
// weight once, so packing would save nothing.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/fully_connected_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "kernels/act4/act4_bands.h"
#include "kernels/hwy/act4_nibbles_hwy.h"
#include "kernels/hwy/hwy_kernels.h"
#include "kernels/hwy/qs8_gemm-inl.h"
#include "kernels/hwy/qs8_quad_relaxed_wasm-inl.h"
#include "kernels/hwy/qs8_quad_vnni-inl.h"
#include "kernels/select.h"

HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
#if HWY_TARGET == HWY_SCALAR
size_t FullyConnectedPackedBytes(int, int, int) { return 0; }
void FullyConnectedPack(int, int, int, const QuantizedWeights&, const Requantization&, void*) {}
void FullyConnected(int rows, int in, int out, const QuantizedWeights& w, int32_t zp,
                    const Requantization& rq, const int8_t* input, int8_t* output) {
  qs8_fully_connected_ref(rows, in, out, w, zp, rq, input, output);
}
#else

// Adds sum (x[j] - zp) * w[j] for j from i in steps of 2 * Lanes(d16) to
// *acc (wrapping, like the lanes); returns where it stopped.
template <class D16>
static int DotRowPart(D16 d16, const int8_t* x, const uint8_t* wrow, int i, int in, int bits,
                      int32_t zp, uint32_t* acc) {
  const hn::Repartition<int32_t, D16> d32;
  const hn::Repartition<int8_t, D16> d8;   // 2 * n16 bytes
  const hn::Rebind<int8_t, D16> d8h;       // n16 bytes
  const int n16 = static_cast<int>(hn::Lanes(d16));
  if (i + 2 * n16 > in) return i;
  const auto vzp = hn::Set(d16, static_cast<int16_t>(zp));
  auto acc0 = hn::Zero(d32), acc1 = hn::Zero(d32);
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
  *acc += static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d32, hn::Add(acc0, acc1))));
  return i;
}

// bias + sum_i (x[i] - zp) * w[i] over one weight row: full vectors, then
// narrower ones (a row of 32 inputs is shorter than two AVX-512 vectors
// and would otherwise go all scalar), then scalar.
static int32_t DotRow(const int8_t* x, const uint8_t* wrow, int in, int bits, int32_t zp,
                      int32_t bias) {
  uint32_t acc = static_cast<uint32_t>(bias);
  int i = DotRowPart(hn::ScalableTag<int16_t>(), x, wrow, 0, in, bits, zp, &acc);
#if HWY_MAX_BYTES > 32
  i = DotRowPart(hn::CappedTag<int16_t, 16>(), x, wrow, i, in, bits, zp, &acc);
#endif
#if HWY_MAX_BYTES > 16
  i = DotRowPart(hn::CappedTag<int16_t, 8>(), x, wrow, i, in, bits, zp, &acc);
#endif
  for (; i < in; ++i) {
    acc += static_cast<uint32_t>(x[i] - zp) * static_cast<uint32_t>(hwyk::WeightAt16(wrow, i, bits));
  }
  return static_cast<int32_t>(acc);
}

// With VNNI, a dense layer (one row) also runs from packed weights: the
// quad GEMM's one dpbusd per 4 x 16 MACs beats DotRow's widening, and the
// packed tile costs the weights once more in the arena (natively only).
static bool UsesPairGemm(int rows, int in) {
#if HWY_TARGET == HWY_AVX3_DL
  return rows >= 1 && in <= hwyk::kMaxPatch;
#else
  return rows >= 2 && in <= hwyk::kMaxPatch;
#endif
}

static int Lanes32() {
  const hn::ScalableTag<int32_t> d32;
  return static_cast<int>(hn::Lanes(d32));
}

size_t FullyConnectedPackedBytes(int rows, int in, int out) {
  if (!UsesPairGemm(rows, in)) return 0;
#if HWY_TARGET == HWY_AVX3_DL
  return QuadPackedBytes(in, out);
#endif
  const size_t pairs = PackedPairBytes(ContiguousPatch(in).pairs(), out, Lanes32());
#if defined(TM2_WASM_RELAXED_DOT)
  // Room for either layout: the pack step picks one from the weights.
  if (RelaxedShapeOk(rows, in, out)) {
    const size_t quads = RelaxedPackedBytes(in, out);
    return quads > pairs ? quads : pairs;
  }
#endif
  return pairs;
}

void FullyConnectedPack(int rows, int in, int out, const QuantizedWeights& w,
                        const Requantization& rq, void* packed) {
  if (!UsesPairGemm(rows, in)) return;
#if HWY_TARGET == HWY_AVX3_DL
  PackQuads(w, rq, in, out, packed);
  return;
#endif
#if defined(TM2_WASM_RELAXED_DOT)
  if (RelaxedShapeOk(rows, in, out)) {
    const int offset = RelaxedOffsetFor(w, in, out, RelaxedDotNative());
    if (offset != 0) {
      PackRelaxed(w, rq, in, out, offset, packed);
      return;
    }
  }
#endif
  PackPairs(w, rq, in, ContiguousPatch(in), in, out, Lanes32(), packed);
}

void FullyConnected(int rows, int in, int out, const QuantizedWeights& w, int32_t zp,
                    const Requantization& rq, const int8_t* input, int8_t* output) {
  if (!UsesPairGemm(rows, in)) {
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
#if HWY_TARGET == HWY_AVX3_DL
  PackedQuads pq;
  if (OpenQuads(w.packed, in, out, &pq)) {
    QuadGemm(rows, in, out, pq, zp, rq, input, output);
  } else {
    qs8_fully_connected_ref(rows, in, out, w, zp, rq, input, output);
  }
  return;
#endif
#if defined(TM2_WASM_RELAXED_DOT)
  PackedRelaxed pq;
  if (RelaxedShapeOk(rows, in, out) && OpenRelaxed(w.packed, in, out, &pq)) {
    RelaxedGemm(rows, in, out, pq, zp, rq, input, output);
    return;
  }
#endif
  const PatchRows pr = ContiguousPatch(in);
  PackedPairs pk;
  if (!OpenPacked(w.packed, pr.pairs(), out, Lanes32(), &pk)) {
    qs8_fully_connected_ref(rows, in, out, w, zp, rq, input, output);
    return;
  }
  const int chunk = ChunkChannels(pr.pairs(), Lanes32());
  // Rows are widened (x - zp) a block at a time, each padded to an even
  // length with a zero tap so its pairs never straddle two rows; an even
  // row length makes the block one contiguous run, widened in one pass
  // (a row of 8 or 16 inputs is shorter than one AVX-512 vector).
  HWY_ALIGN int16_t buf[2 * (hwyk::kMaxPatch + 2)];
  const int stride = in + (in & 1);
  const int block_rows = static_cast<int>(sizeof(buf) / sizeof(buf[0])) / stride;
  // Few output channels (at most two vectors): four rows share each
  // weight load, and the accumulators still fit the registers.
  const bool four = out <= 2 * Lanes32();
  for (int oc0 = 0; oc0 < out; oc0 += chunk) {
    const int ocn = out - oc0 < chunk ? out - oc0 : chunk;
    for (int r0 = 0; r0 < rows; r0 += block_rows) {
      const int nb = rows - r0 < block_rows ? rows - r0 : block_rows;
      const int8_t* x = input + static_cast<size_t>(r0) * in;
      if (stride == in) {
        WidenSubtractZeroPoint(x, nb * in, zp, buf);
      } else {
        for (int m = 0; m < nb; ++m) {
          WidenSubtractZeroPoint(x + static_cast<size_t>(m) * in, in, zp, buf + m * stride);
          buf[m * stride + in] = 0;
        }
      }
      int8_t* o = output + static_cast<size_t>(r0) * out;
      int m = 0;
#if HWY_TARGET == HWY_WASM
      // All pairs (or fours) of the block's rows in one call (Repeat,
      // qs8_gemm-inl.h).
      if (four && nb >= 4) {
        const int16_t* patches[4] = {buf, buf + stride, buf + 2 * stride, buf + 3 * stride};
        int8_t* outs[4] = {o, o + out, o + 2 * static_cast<size_t>(out), o + 3 * static_cast<size_t>(out)};
        const Repeat rp{nb / 4, static_cast<size_t>(4 * stride), 4 * static_cast<size_t>(out)};
        PairGemmPacked<4>(patches, pr, pk, rq, oc0, ocn, outs, rp);
        m = nb / 4 * 4;
      }
      if (nb - m >= 2) {
        const int16_t* patches[2] = {buf + m * stride, buf + (m + 1) * stride};
        int8_t* outs[2] = {o + static_cast<size_t>(m) * out, o + static_cast<size_t>(m + 1) * out};
        const Repeat rp{(nb - m) / 2, static_cast<size_t>(2 * stride), 2 * static_cast<size_t>(out)};
        PairGemmPacked<2>(patches, pr, pk, rq, oc0, ocn, outs, rp);
        m += (nb - m) / 2 * 2;
      }
#endif
      if (four) {
        for (; m + 4 <= nb; m += 4) {
          const int16_t* patches[4] = {buf + m * stride, buf + (m + 1) * stride,
                                       buf + (m + 2) * stride, buf + (m + 3) * stride};
          int8_t* outs[4] = {o + static_cast<size_t>(m) * out, o + static_cast<size_t>(m + 1) * out,
                             o + static_cast<size_t>(m + 2) * out,
                             o + static_cast<size_t>(m + 3) * out};
          PairGemmPacked<4>(patches, pr, pk, rq, oc0, ocn, outs);
        }
      }
      for (; m + 2 <= nb; m += 2) {
        const int16_t* patches[2] = {buf + m * stride, buf + (m + 1) * stride};
        int8_t* outs[2] = {o + static_cast<size_t>(m) * out, o + static_cast<size_t>(m + 1) * out};
        PairGemmPacked<2>(patches, pr, pk, rq, oc0, ocn, outs);
      }
      if (m < nb) {
        const int16_t* patches[1] = {buf + m * stride};
        int8_t* outs[1] = {o + static_cast<size_t>(m) * out};
        PairGemmPacked<1>(patches, pr, pk, rq, oc0, ocn, outs);
      }
    }
  }
}

#endif  // HWY_TARGET == HWY_SCALAR

// Packed int4 layers band by band over FullyConnected (act4_bands.h);
// out of line, so its scratch and frame stay off the int8 path.
HWY_NOINLINE void FullyConnectedBands(int rows, int in, int out, const QuantizedWeights& w,
                                      int32_t zp, const Requantization& rq, const int8_t* input,
                                      int8_t* output) {
  act4::FullyConnected<FullyConnected, act4::kHwyBudget, act4_unpack_hwy, act4_pack_hwy>(
      rows, in, out, w, zp, rq, input, output);
}

// The table's entry (select.cc). A dense layer (one row) on VNNI goes
// straight to the quad kernel from here: one indirect call from the
// engine, no further call or stack frame on the way (its MACs take a few
// ns, so the way there was most of a call).
#if HWY_TARGET == HWY_AVX3_DL
TM2_VNNI_ATTR
#endif
void FullyConnectedAnyStorage(int rows, int in, int out, const QuantizedWeights& w, int32_t zp,
                              const Requantization& rq, const int8_t* input, int8_t* output) {
  if (rq.in_bits != 8 || rq.out_bits != 8) {
    return FullyConnectedBands(rows, in, out, w, zp, rq, input, output);
  }
#if HWY_TARGET == HWY_AVX3_DL
  PackedQuads pq;
  if (rows == 1 && (in & 3) == 0 && UsesPairGemm(rows, in) && OpenQuads(w.packed, in, out, &pq)) {
    return QuadDense(in, out, pq, zp, rq, input, output);
  }
#endif
  FullyConnected(rows, in, out, w, zp, rq, input, output);
}
}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(FullyConnectedAnyStorage);
HWY_EXPORT(FullyConnectedPackedBytes);
HWY_EXPORT(FullyConnectedPack);
#endif
void SetFullyConnectedHwy(KernelTable* t) {
  t->fully_connected = TM2_HWY_POINTER(FullyConnectedAnyStorage);
  t->fully_connected_packed_bytes = TM2_HWY_POINTER(FullyConnectedPackedBytes);
  t->fully_connected_pack = TM2_HWY_POINTER(FullyConnectedPack);
}
}  // namespace tm2
#endif
