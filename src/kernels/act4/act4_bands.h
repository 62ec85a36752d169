// Packed int4 activations on the fast int8 kernels: a layer whose input
// or output is stored two values per byte (kernels.h "Packed activations")
// runs band by band. A band of output rows unpacks just the input rows its
// windows read into int8 scratch (word-at-a-time nibble spreading), runs
// the table's own int8 kernel on that band as a geometry of its own, and
// packs the band's int8 output back. The int8 kernel computes every output
// value exactly as it would on the whole layer (a window reads the same
// cells; the band's edges are the layer's padding or real rows), so the
// bytes are the reference's, and only a band of int8 is ever live.
//
// The scratch is on the stack, sized per layer and capped by `Budget`
// bytes (unpacked input rows + unpacked output rows): at least one output
// row must fit, else the layer goes to the reference loops. Weight packing
// of the int8 kernels depends only on channels, kernel and row width
// (never on out_h or rows), so their packed weights serve every band.
//
// select.cc builds a table's entries from its int8 kernels:
//   ConvFn conv = act4::Conv2D<qs8_conv2d_cm4dsp, act4::kCm4Budget>;
//   conv(g, w, zp, rq, input, output);  // any in_bits / out_bits
#ifndef TM2_KERNELS_ACT4_ACT4_BANDS_H_
#define TM2_KERNELS_ACT4_ACT4_BANDS_H_

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace tm2 {
namespace act4 {

// Stack budgets. Highway: 8 KB, beside the int8 conv's own 16 KB band,
// well inside WASM's 64 KB stack (16 KB measured no faster on the a4
// test models). The Cortex-M4 keeps its always-on stack small (its int8
// kernels size their buffers per layer too); 4 KB or 8 KB would save
// 7-9 % of the instructions of a packed model (docs/kernels.md).
constexpr size_t kHwyBudget = 8192;
constexpr size_t kCm4Budget = 2048;

// n values of a packed tensor, starting at value `first`, as int8.
void Unpack(const int8_t* packed, size_t first, size_t n, int8_t* dst);
// n int8 values stored as values first .. first + n - 1 of a packed tensor,
// exactly as StoreAct4 in ascending order would (low 4 bits of each value;
// an even index clears its high nibble; an odd `first` keeps the low
// nibble already there).
void Pack(const int8_t* values, size_t n, int8_t* packed, size_t first);
// The same two as a table may supply them (Highway: whole vectors).
using UnpackFn = void (*)(const int8_t* packed, size_t first, size_t n, int8_t* dst);
using PackFn = void (*)(const int8_t* values, size_t n, int8_t* packed, size_t first);

// How a windowed layer splits into bands: `rows` output rows per band
// (0: no band fits `budget`, or a window lies wholly in the padding).
struct BandPlan {
  int rows;
  size_t in_bytes, out_bytes;  // scratch per band (0 when stored int8)
};
BandPlan PlanBands(const ConvGeometry& g, size_t budget);

// Output rows [oy0, oy0 + n) of `g` as an int8 layer of its own: the input
// rows its windows read (from row `*first_row`), padding where the layer
// has padding.
ConvGeometry BandGeometry(const ConvGeometry& g, int oy0, int n, int* first_row);

// Runs `run(sub_geometry, int8 input, int8 output)` over the bands of a
// layer with packed input and/or output; false when no band fits (the
// caller uses the reference).
template <UnpackFn U, PackFn P, typename Run>
bool ForEachBand(const ConvGeometry& g, size_t budget, const int8_t* input, int8_t* output,
                 Run run) {
  const BandPlan plan = PlanBands(g, budget);
  if (plan.rows == 0) return false;
  // alloca: freed when the caller (the table entry) returns.
  int8_t* in_buf = plan.in_bytes ? static_cast<int8_t*>(__builtin_alloca(plan.in_bytes)) : nullptr;
  int8_t* out_buf =
      plan.out_bytes ? static_cast<int8_t*>(__builtin_alloca(plan.out_bytes)) : nullptr;
  const size_t row_in = static_cast<size_t>(g.in_w) * g.in_c;
  const size_t row_out = static_cast<size_t>(g.out_w) * g.out_c;
  for (int oy0 = 0; oy0 < g.out_h; oy0 += plan.rows) {
    const int n = g.out_h - oy0 < plan.rows ? g.out_h - oy0 : plan.rows;
    int first_row = 0;
    const ConvGeometry sub = BandGeometry(g, oy0, n, &first_row);
    const size_t first_in = static_cast<size_t>(first_row) * row_in;
    const int8_t* x = input + first_in;
    if (g.in_bits == 4) {
      U(input, first_in, static_cast<size_t>(sub.in_h) * row_in, in_buf);
      x = in_buf;
    }
    const size_t first_out = static_cast<size_t>(oy0) * row_out;
    int8_t* y = g.out_bits == 4 ? out_buf : output + first_out;
    run(sub, x, y);
    if (g.out_bits == 4) P(out_buf, static_cast<size_t>(n) * row_out, output, first_out);
  }
  return true;
}

template <ConvFn Fast, size_t Budget, UnpackFn U = Unpack, PackFn P = Pack>
void Conv(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp, const Requantization& rq,
          const int8_t* input, int8_t* output, ConvFn reference) {
  if (g.in_bits == 8 && g.out_bits == 8) return Fast(g, w, zp, rq, input, output);
  const bool ok = ForEachBand<U, P>(g, Budget, input, output,
                              [&](const ConvGeometry& sub, const int8_t* x, int8_t* y) {
                                Fast(sub, w, zp, rq, x, y);
                              });
  if (!ok) reference(g, w, zp, rq, input, output);
}

// Table entries (ConvFn / FullyConnectedFn / PoolFn signatures).
template <ConvFn Fast, size_t Budget, UnpackFn U = Unpack, PackFn P = Pack>
void Conv2D(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
            const Requantization& rq, const int8_t* input, int8_t* output) {
  Conv<Fast, Budget, U, P>(g, w, zp, rq, input, output, qs8_conv2d_ref);
}
template <ConvFn Fast, size_t Budget, UnpackFn U = Unpack, PackFn P = Pack>
void DepthwiseConv2D(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                     const Requantization& rq, const int8_t* input, int8_t* output) {
  Conv<Fast, Budget, U, P>(g, w, zp, rq, input, output, qs8_depthwise_conv2d_ref);
}

template <PoolFn Fast, PoolFn Reference, size_t Budget, UnpackFn U, PackFn P>
void Pool(const ConvGeometry& g, int32_t lo, int32_t hi, const int8_t* input, int8_t* output) {
  if (g.in_bits == 8 && g.out_bits == 8) return Fast(g, lo, hi, input, output);
  const bool ok = ForEachBand<U, P>(g, Budget, input, output,
                              [&](const ConvGeometry& sub, const int8_t* x, int8_t* y) {
                                Fast(sub, lo, hi, x, y);
                              });
  if (!ok) Reference(g, lo, hi, input, output);
}
template <PoolFn Fast, size_t Budget, UnpackFn U = Unpack, PackFn P = Pack>
void MaxPool2D(const ConvGeometry& g, int32_t lo, int32_t hi, const int8_t* input,
               int8_t* output) {
  Pool<Fast, s8_max_pool2d_ref, Budget, U, P>(g, lo, hi, input, output);
}
template <PoolFn Fast, size_t Budget, UnpackFn U = Unpack, PackFn P = Pack>
void AvgPool2D(const ConvGeometry& g, int32_t lo, int32_t hi, const int8_t* input,
               int8_t* output) {
  Pool<Fast, qs8_avg_pool2d_ref, Budget, U, P>(g, lo, hi, input, output);
}

// Rows of `in` (and `out`) values per chunk for a dense layer within
// `budget`; 0 when not even one row fits.
int ChunkRows(int rows, int in, int out, int in_bits, int out_bits, size_t budget);

template <FullyConnectedFn Fast, size_t Budget, UnpackFn U = Unpack, PackFn P = Pack>
void FullyConnected(int rows, int in, int out, const QuantizedWeights& w, int32_t zp,
                    const Requantization& rq, const int8_t* input, int8_t* output) {
  if (rq.in_bits == 8 && rq.out_bits == 8) return Fast(rows, in, out, w, zp, rq, input, output);
  const int chunk = ChunkRows(rows, in, out, rq.in_bits, rq.out_bits, Budget);
  if (chunk == 0) return qs8_fully_connected_ref(rows, in, out, w, zp, rq, input, output);
  const size_t in_bytes = rq.in_bits == 4 ? static_cast<size_t>(chunk) * in : 0;
  const size_t out_bytes = rq.out_bits == 4 ? static_cast<size_t>(chunk) * out : 0;
  int8_t* in_buf = in_bytes ? static_cast<int8_t*>(__builtin_alloca(in_bytes)) : nullptr;
  int8_t* out_buf = out_bytes ? static_cast<int8_t*>(__builtin_alloca(out_bytes)) : nullptr;
  Requantization rq8 = rq;
  rq8.in_bits = rq8.out_bits = 8;
  for (int r0 = 0; r0 < rows; r0 += chunk) {
    const int n = rows - r0 < chunk ? rows - r0 : chunk;
    const size_t first_in = static_cast<size_t>(r0) * in;
    const size_t first_out = static_cast<size_t>(r0) * out;
    const int8_t* x = input + first_in;
    if (in_bytes) {
      U(input, first_in, static_cast<size_t>(n) * in, in_buf);
      x = in_buf;
    }
    int8_t* y = out_bytes ? out_buf : output + first_out;
    Fast(n, in, out, w, zp, rq8, x, y);
    if (out_bytes) P(out_buf, static_cast<size_t>(n) * out, output, first_out);
  }
}

}  // namespace act4
}  // namespace tm2

#endif  // TM2_KERNELS_ACT4_ACT4_BANDS_H_
