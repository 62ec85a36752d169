// One centroid copy per code; the last sub-vector of a row may be shorter
// than dim and takes the centroid's first values.
#include "kernels/pq_decode.h"

#include <cstring>

namespace tm2 {

void qs8_pq_decode(const PqWeights& pq, int8_t* out) {
  const size_t per_row = PqCodesPerRow(pq);
  const size_t row_bytes = pq.code_bits == 4 ? (per_row + 1) / 2 : per_row;
  const size_t dim = static_cast<size_t>(pq.dim);
  const size_t len = static_cast<size_t>(pq.row_length);
  for (int r = 0; r < pq.rows; ++r) {
    const uint8_t* row = pq.codes + static_cast<size_t>(r) * row_bytes;
    int8_t* dst = out + static_cast<size_t>(r) * len;
    for (size_t i = 0; i < per_row; ++i) {
      const unsigned code = pq.code_bits == 8 ? row[i]
                                              : ((i & 1) ? row[i >> 1] >> 4 : row[i >> 1] & 0x0F);
      const size_t at = i * dim;
      const size_t n = len - at < dim ? len - at : dim;
      std::memcpy(dst + at, pq.centroids + code * dim, n);
    }
  }
}

}  // namespace tm2
