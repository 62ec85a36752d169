// One product-quantized layer case (see pq_case.h).
#include "pq_case.h"

#include <vector>

#include "kernels/pq_decode.h"
#include "kernels/select.h"

namespace tm2 {
namespace test {
namespace {

// Random codes and centroids for rows x row_length weights.
struct PqCase {
  std::vector<uint8_t> codes;
  std::vector<int8_t> centroids;
  PqWeights pq;
  std::vector<int8_t> naive;  // decoded by the test's own loop

  void Make(Rng& rng, int rows, int row_length) {
    const int dim = rng.Chance(20) ? rng.Int(1, 16) : rng.Int(1, 8);
    const int k = rng.Chance(30) ? rng.Int(1, 16) : rng.Int(1, 256);
    const int bits = k <= 16 && rng.Chance(70) ? 4 : 8;
    centroids = RandomInt8(rng, static_cast<size_t>(k) * dim);
    const size_t per_row = (static_cast<size_t>(row_length) + dim - 1) / dim;
    const size_t row_bytes = bits == 4 ? (per_row + 1) / 2 : per_row;
    codes.assign(static_cast<size_t>(rows) * row_bytes, 0);
    naive.assign(static_cast<size_t>(rows) * row_length, 0);
    for (int r = 0; r < rows; ++r) {
      for (size_t i = 0; i < per_row; ++i) {
        const int code = rng.Int(0, k - 1);
        uint8_t& b = codes[r * row_bytes + (bits == 4 ? i / 2 : i)];
        if (bits == 8) b = static_cast<uint8_t>(code);
        else b |= static_cast<uint8_t>((i & 1) ? code << 4 : code);
        for (int j = 0; j < dim; ++j) {
          const size_t x = i * dim + j;
          if (x < static_cast<size_t>(row_length)) naive[r * row_length + x] = centroids[code * dim + j];
        }
      }
      // 4-bit rows of odd length end with a padding nibble: make it noise.
      if (bits == 4 && (per_row & 1)) codes[r * row_bytes + row_bytes - 1] |= 0xA0;
    }
    pq.codes = codes.data();
    pq.code_bits = bits;
    pq.centroids = centroids.data();
    pq.dim = dim;
    pq.rows = rows;
    pq.row_length = row_length;
  }
  std::string Describe() const {
    return "d " + std::to_string(pq.dim) + ", K " + std::to_string(centroids.size() / pq.dim) +
           ", " + std::to_string(pq.code_bits) + "-bit codes, " + std::to_string(pq.rows) + " x " +
           std::to_string(pq.row_length);
  }
};

}  // namespace

std::string CheckPqCase(PqOp op, Rng& rng, const KernelTable& k) {
  ConvGeometry g{};
  int fc_rows = 1, fc_in = 1, fc_out = 1;
  int rows = 0, row_len = 0, channels = 0;
  if (op == PqOp::kFc) {
    fc_rows = rng.Chance(50) ? 1 : rng.Int(2, 40);
    fc_in = rng.Int(1, 150);
    fc_out = rng.Int(1, 40);
    rows = fc_out, row_len = fc_in, channels = fc_out;
  } else {
    const int kh = rng.Int(1, 5), kw = rng.Int(1, 5);
    const int in_c = rng.Int(1, 12);
    const int out_c = op == PqOp::kConv ? rng.Int(1, 20) : in_c;
    if (!MakeGeometry(rng.Int(kh, 12), rng.Int(kw, 12), in_c, out_c, kh, kw, rng.Int(1, 2),
                      rng.Int(1, 2), rng.Chance(50) ? Pad::kSame : Pad::kValid, &g))
      return "";
    rows = op == PqOp::kConv ? out_c : kh * kw;
    row_len = op == PqOp::kConv ? kh * kw * in_c : in_c;
    channels = out_c;
  }
  PqCase pc;
  pc.Make(rng, rows, row_len);
  const std::string what =
      std::string(op == PqOp::kConv ? "conv2d " : op == PqOp::kDepthwise ? "depthwise " : "fc ") +
      pc.Describe();
  // The decoder against the test's own decode.
  std::vector<int8_t> scratch(PqDecodedBytes(pc.pq), 0x33);
  qs8_pq_decode(pc.pq, scratch.data());
  if (scratch != pc.naive) return what + ": decoder differs from the direct decode";

  LayerCase lc;
  lc.Fill(rng, rows, row_len, channels, 8, op == PqOp::kDepthwise ? rows : row_len,
          RqStyle::kTypical);
  // The reference on the naive int8 weights...
  lc.weights.assign(pc.naive.begin(), pc.naive.end());
  lc.Bind();
  const size_t in_n = op == PqOp::kFc ? static_cast<size_t>(fc_rows) * fc_in
                                    : static_cast<size_t>(g.in_h) * g.in_w * g.in_c;
  const size_t out_n = op == PqOp::kFc ? static_cast<size_t>(fc_rows) * fc_out
                                     : static_cast<size_t>(g.out_h) * g.out_w * g.out_c;
  const std::vector<int8_t> input = RandomInt8(rng, in_n);
  std::vector<int8_t> want(out_n), got(out_n, 0x55);
  const KernelTable& ref = ReferenceKernels();
  if (op == PqOp::kConv) ref.conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), want.data());
  if (op == PqOp::kDepthwise)
    ref.depthwise_conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), want.data());
  if (op == PqOp::kFc)
    ref.fully_connected(fc_rows, fc_in, fc_out, lc.w, lc.input_zero_point, lc.rq, input.data(),
                        want.data());
  // ...and the variant on the PQ weights decoded into a scratch, packed
  // from it when the table packs (as the engine does at Init).
  std::vector<int8_t> decoded(PqDecodedBytes(pc.pq));
  qs8_pq_decode(pc.pq, decoded.data());
  lc.weights.assign(decoded.begin(), decoded.end());
  if (op == PqOp::kConv) lc.PackConv(k, g);
  else if (op == PqOp::kFc) lc.PackFullyConnected(k, fc_rows, fc_in, fc_out);
  else if (op == PqOp::kDepthwise) lc.PackDepthwise(k, g);
  else lc.Bind();
  if (op == PqOp::kConv) k.conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), got.data());
  if (op == PqOp::kDepthwise)
    k.depthwise_conv2d(g, lc.w, lc.input_zero_point, lc.rq, input.data(), got.data());
  if (op == PqOp::kFc)
    k.fully_connected(fc_rows, fc_in, fc_out, lc.w, lc.input_zero_point, lc.rq, input.data(),
                      got.data());
  const std::string diff = FirstDifference(want.data(), got.data(), 1, 1, static_cast<int>(out_n));
  return diff.empty() ? "" : what + ": " + diff;
}


}  // namespace test
}  // namespace tm2
