// Product-quantized weights (models/FORMAT.md 3.4): decode one layer's
// codes into plain int8 rows, which every kernel variant (reference,
// Highway, Cortex-M4 DSP) then runs exactly as it runs a Dense int8 layer.
// So a PQ layer's output is byte-identical to the same layer stored with
// its decoded weights, on every target, by construction; tests/kernels
// checks the decoder and the composition against the reference.
//
// Why decode rather than look up partial sums: in tinym2's models a weight
// is reused by every output position of a conv (tens to hundreds of
// times), so decoding once per Invoke into a scratch of the largest PQ
// layer's int8 weights (a few KB) costs one centroid copy per sub-vector,
// against hundreds of MACs per weight; table look-ups would need K partial
// sums per sub-vector and position, more work for K >= d.
//
//   tm2::PqWeights pq{codes, 8, centroids, 4, rows, row_length};
//   tm2::qs8_pq_decode(pq, scratch);               // rows x row_length int8
//   tm2::QuantizedWeights w{reinterpret_cast<const uint8_t*>(scratch), 8, bias};
//   table.conv2d(geometry, w, input_zp, rq, input, output);
#ifndef TM2_KERNELS_PQ_DECODE_H_
#define TM2_KERNELS_PQ_DECODE_H_

#include <cstddef>
#include <cstdint>

namespace tm2 {

struct PqWeights {
  const uint8_t* codes = nullptr;    // per row ceil(row_length / dim) codes, rows byte-aligned
  int code_bits = 8;                 // 8, or 4 (low nibble first)
  const int8_t* centroids = nullptr; // K x dim; every code < K (the loader checked)
  int dim = 1;
  int rows = 0;
  int row_length = 0;
};

inline size_t PqCodesPerRow(const PqWeights& pq) {
  return (static_cast<size_t>(pq.row_length) + static_cast<size_t>(pq.dim) - 1) /
         static_cast<size_t>(pq.dim);
}
inline size_t PqDecodedBytes(const PqWeights& pq) {
  return static_cast<size_t>(pq.rows) * static_cast<size_t>(pq.row_length);
}

// rows x row_length int8 weights into `out` (PqDecodedBytes).
void qs8_pq_decode(const PqWeights& pq, int8_t* out);

}  // namespace tm2

#endif  // TM2_KERNELS_PQ_DECODE_H_
