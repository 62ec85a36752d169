// tinym2 kernels: quantized layer operations, one reference and its fast
// variants with identical results.
//
// Naming (after XNNPACK, scaled down): <datatype>_<operation>_<isa>
//   qs8      int8 asymmetric activations (zero point), int32 accumulators
//   qc8w     per-channel symmetric int8 weights
//   qc4w     per-channel symmetric int4 weights, packed two per byte
//   s8       int8 without requantization (max pool)
//   ref      portable scalar reference (reference/)
//   hwy      Google Highway: WASM SIMD128, NEON, SSE4/AVX2 (hwy/)
//
// Every variant must produce exactly the reference's bytes; tests/kernels
// sweeps shapes and edge cases to prove it. The engine never calls a
// variant by name: it asks kernels/select.h for a KernelTable.
//
// Packed weights: a table may want a layer's weights rearranged once, at
// Init, into memory the caller owns (the engine's arena), so that Eval
// neither repacks nor needs a stack tile. `*_packed_bytes` says how much
// (0 = this variant runs from the model's weights), `*_pack` fills it, and
// the caller passes it back as QuantizedWeights::packed on every call with
// the same shape, weights and requantization. Without it (null) a packing
// variant computes the same bytes through the reference.
//
// Layout: NHWC with N = 1. 4-bit weights: low nibble first, sign-extended,
// each output row (conv: kh*kw*in_c values, FC: in values, depthwise: c
// values per tap) starts on a byte boundary.
//
// Packed activations (models/FORMAT.md 3.1): a layer whose output is
// declared 4-bit may be stored two values per byte, value i of the flat
// NHWC tensor in byte i / 2, even i in the low nibble, two's complement
// (-8..7, the clamp keeps every 4-bit output there); an odd count leaves
// the last high nibble 0. conv2d, depthwise_conv2d, fully_connected,
// max_pool2d and avg_pool2d read and write it when told (ConvGeometry or
// Requantization in_bits / out_bits = 4), every variant byte-identical;
// global_avg_pool and requantize read int8 only. The reference unpacks at
// each input load and packs at each output store; the Highway and cm4dsp
// tables run packed layers band by band on their int8 kernels, unpacking
// only the rows a band reads into stack scratch (kernels/act4/act4_bands.h).
//
// Integer output stage (models/FORMAT.md, "Requantization"):
//   acc = bias[c] + sum (x - input_zero_point) * w
//   y   = output_zero_point + ((int64)acc * multiplier[c] + 2^(n-1)) >> n,
//         n = 31 - shift[c], 1 <= n <= 62
//   y   = clamp(y, output_min, output_max)
//
//   const tm2::KernelTable& k = tm2::SelectKernels();
//   std::vector<uint8_t> packed;                                    // at Init
//   if (k.conv2d_packed_bytes) packed.resize(k.conv2d_packed_bytes(geometry));
//   if (!packed.empty()) k.conv2d_pack(geometry, weights, requant, packed.data());
//   weights.packed = packed.empty() ? nullptr : packed.data();
//   k.conv2d(geometry, weights, input_zp, requant, input, output);  // per input
#ifndef TM2_KERNELS_KERNELS_H_
#define TM2_KERNELS_KERNELS_H_

#include <cstddef>
#include <cstdint>

namespace tm2 {

struct ConvGeometry {
  int in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int kernel_h, kernel_w;
  int stride_h, stride_w;
  int pad_top, pad_left;  // padded cells contribute nothing (x == zero point)
  // Activation storage of input and output: 8 = one int8 per value, 4 =
  // packed int4 (see "Packed activations" above). Windowed kernels (conv,
  // depthwise, max/avg pool) read them here.
  uint8_t in_bits = 8, out_bits = 8;
};

struct QuantizedWeights {
  const uint8_t* data;   // int8 values, or packed int4
  int bits;              // 8 or 4
  const int32_t* bias;   // one per output channel (may be null = zeros)
  const void* packed = nullptr;  // from the table's pack step, or null
};

struct Requantization {
  const int32_t* multiplier;  // one per output channel
  const int8_t* shift;        // one per output channel
  int32_t output_zero_point;
  // Inside int8; int16 so that the layout below fits in what was padding
  // (the engine keeps one of these per layer in the arena).
  int16_t output_min, output_max;
  // Activation storage for fully_connected (which has no ConvGeometry):
  // 8 or 4, as ConvGeometry::in_bits / out_bits. Other kernels ignore it.
  uint8_t in_bits = 8, out_bits = 8;
};

// Bytes one output row of `k` weights takes at `bits`.
inline size_t WeightRowBytes(int k, int bits) {
  return bits == 4 ? (static_cast<size_t>(k) + 1) / 2 : static_cast<size_t>(k);
}

// The rounding, shifting and clamping every kernel's output stage uses.
inline int8_t RequantizeOne(int32_t acc, int32_t multiplier, int32_t shift,
                            int32_t zero_point, int32_t out_min, int32_t out_max) {
  const int n = 31 - shift;
  const int64_t prod = static_cast<int64_t>(acc) * multiplier + (int64_t{1} << (n - 1));
  int64_t y = (prod >> n) + zero_point;
  if (y < out_min) y = out_min;
  if (y > out_max) y = out_max;
  return static_cast<int8_t>(y);
}

// The kernel taps [lo, hi) of a window whose first tap lies at input
// coordinate `start` (negative inside the leading padding) that fall inside
// an input of `size` cells; hi >= lo. Padded taps contribute nothing, so
// every kernel loops over exactly these.
struct TapRange {
  int lo, hi;
};
inline TapRange ValidTaps(int start, int kernel, int size) {
  const int lo = start < 0 ? -start : 0;
  int hi = size - start < kernel ? size - start : kernel;
  if (hi < lo) hi = lo;
  return {lo, hi};
}

// Signed value of 4-bit weight `i` in a packed row.
inline int32_t UnpackInt4(const uint8_t* row, int i) {
  const uint8_t b = row[i >> 1];
  const int32_t nib = (i & 1) ? (b >> 4) : (b & 0x0F);
  return (nib ^ 8) - 8;
}

// Bytes `n` activations take at `bits` (8 or 4).
inline size_t ActivationBytes(size_t n, int bits) { return bits == 4 ? (n + 1) / 2 : n; }

// Value `i` of a packed int4 activation tensor.
inline int32_t LoadAct4(const int8_t* base, size_t i) {
  const uint8_t b = static_cast<uint8_t>(base[i >> 1]);
  const int32_t nib = (i & 1) ? (b >> 4) : (b & 0x0F);
  return (nib ^ 8) - 8;
}

// Stores `v` (-8..7) as value `i` of a packed tensor. An even `i` clears
// the high nibble, so values stored in ascending order leave an odd
// tensor's pad nibble 0.
inline void StoreAct4(int8_t* base, size_t i, int32_t v) {
  uint8_t* p = reinterpret_cast<uint8_t*>(base) + (i >> 1);
  const uint8_t nib = static_cast<uint8_t>(v) & 0x0F;
  *p = (i & 1) ? static_cast<uint8_t>((*p & 0x0F) | (nib << 4)) : nib;
}

using ConvFn = void (*)(const ConvGeometry& g, const QuantizedWeights& w, int32_t input_zero_point,
                        const Requantization& rq, const int8_t* input, int8_t* output);
// Fully connected over `rows` independent input vectors (rows = H*W for a
// pointwise conv, 1 for a dense layer): output[r][o] from input[r][0..in).
using FullyConnectedFn = void (*)(int rows, int in, int out, const QuantizedWeights& w,
                                  int32_t input_zero_point, const Requantization& rq,
                                  const int8_t* input, int8_t* output);
// Pools use the ConvGeometry's spatial fields (in_c == out_c); AvgPool
// divides by the count of non-padded cells, rounding half away from zero,
// then clamps to [output_min, output_max]. Same scale in and out.
using PoolFn = void (*)(const ConvGeometry& g, int32_t output_min, int32_t output_max,
                        const int8_t* input, int8_t* output);
// HxWxC -> C, rounding half away from zero, clamped.
using GlobalAvgPoolFn = void (*)(int hw, int c, int32_t output_min, int32_t output_max,
                                 const int8_t* input, int8_t* output);
// Elementwise y = requant(x - input_zero_point) with one multiplier/shift
// (rq.multiplier[0], rq.shift[0]); used by fusion (concat).
using RequantizeFn = void (*)(size_t n, int32_t input_zero_point, const Requantization& rq,
                              const int8_t* input, int8_t* output);

// Pack steps (see "Packed weights" above). Packed memory must be 4-byte
// aligned (the engine's arena gives 16); a packed buffer may be copied.
using ConvPackedBytesFn = size_t (*)(const ConvGeometry& g);
using ConvPackFn = void (*)(const ConvGeometry& g, const QuantizedWeights& w,
                            const Requantization& rq, void* packed);
using FullyConnectedPackedBytesFn = size_t (*)(int rows, int in, int out);
using FullyConnectedPackFn = void (*)(int rows, int in, int out, const QuantizedWeights& w,
                                      const Requantization& rq, void* packed);

struct KernelTable {
  const char* name;  // "ref", "hwy:AVX2", "hwy:WASM", "hwy:NEON", ...
  ConvFn conv2d;
  ConvFn depthwise_conv2d;
  FullyConnectedFn fully_connected;
  PoolFn max_pool2d;
  PoolFn avg_pool2d;
  GlobalAvgPoolFn global_avg_pool;
  RequantizeFn requantize;
  // Null when the table's variants take the model's weights as stored.
  ConvPackedBytesFn conv2d_packed_bytes;
  ConvPackFn conv2d_pack;
  FullyConnectedPackedBytesFn fully_connected_packed_bytes;
  FullyConnectedPackFn fully_connected_pack;
  ConvPackedBytesFn depthwise_conv2d_packed_bytes;
  ConvPackFn depthwise_conv2d_pack;
};

// Reference kernels (reference/*.cc).
void qs8_conv2d_ref(const ConvGeometry&, const QuantizedWeights&, int32_t, const Requantization&,
                    const int8_t*, int8_t*);
void qs8_depthwise_conv2d_ref(const ConvGeometry&, const QuantizedWeights&, int32_t,
                              const Requantization&, const int8_t*, int8_t*);
void qs8_fully_connected_ref(int, int, int, const QuantizedWeights&, int32_t,
                             const Requantization&, const int8_t*, int8_t*);
void s8_max_pool2d_ref(const ConvGeometry&, int32_t, int32_t, const int8_t*, int8_t*);
void qs8_avg_pool2d_ref(const ConvGeometry&, int32_t, int32_t, const int8_t*, int8_t*);
void qs8_global_avg_pool_ref(int, int, int32_t, int32_t, const int8_t*, int8_t*);
void qs8_requantize_ref(size_t, int32_t, const Requantization&, const int8_t*, int8_t*);

}  // namespace tm2

#endif  // TM2_KERNELS_KERNELS_H_
