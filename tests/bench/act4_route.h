// The selected kernel table as it was before packed int4 activations had
// fast kernels: int8 layers on the table's own kernels, every layer with a
// packed input or output on the reference loops. act4_bench (native, Pi,
// WASM) and act4_bench_firmware (Cortex-M4) compare it with the table.
//
//   const tm2::KernelTable& before = tm2::bench::ReferenceRouteTable();
//   options.kernels = &before;   // same weight packing, same plan
#ifndef TM2_TESTS_BENCH_ACT4_ROUTE_H_
#define TM2_TESTS_BENCH_ACT4_ROUTE_H_

#include "kernels/select.h"

namespace tm2 {
namespace bench {

inline bool Packed(const ConvGeometry& g) { return g.in_bits != 8 || g.out_bits != 8; }

inline void RoutedConv(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                       const Requantization& rq, const int8_t* x, int8_t* y) {
  if (Packed(g)) return qs8_conv2d_ref(g, w, zp, rq, x, y);
  SelectKernels().conv2d(g, w, zp, rq, x, y);
}
inline void RoutedDepthwise(const ConvGeometry& g, const QuantizedWeights& w, int32_t zp,
                            const Requantization& rq, const int8_t* x, int8_t* y) {
  if (Packed(g)) return qs8_depthwise_conv2d_ref(g, w, zp, rq, x, y);
  SelectKernels().depthwise_conv2d(g, w, zp, rq, x, y);
}
inline void RoutedFullyConnected(int rows, int in, int out, const QuantizedWeights& w, int32_t zp,
                                 const Requantization& rq, const int8_t* x, int8_t* y) {
  if (rq.in_bits != 8 || rq.out_bits != 8)
    return qs8_fully_connected_ref(rows, in, out, w, zp, rq, x, y);
  SelectKernels().fully_connected(rows, in, out, w, zp, rq, x, y);
}
inline void RoutedMaxPool(const ConvGeometry& g, int32_t lo, int32_t hi, const int8_t* x,
                          int8_t* y) {
  if (Packed(g)) return s8_max_pool2d_ref(g, lo, hi, x, y);
  SelectKernels().max_pool2d(g, lo, hi, x, y);
}
inline void RoutedAvgPool(const ConvGeometry& g, int32_t lo, int32_t hi, const int8_t* x,
                          int8_t* y) {
  if (Packed(g)) return qs8_avg_pool2d_ref(g, lo, hi, x, y);
  SelectKernels().avg_pool2d(g, lo, hi, x, y);
}

inline const KernelTable& ReferenceRouteTable() {
  static const KernelTable table = [] {
    KernelTable t = SelectKernels();
    t.name = "packed layers on the reference";
    t.conv2d = RoutedConv;
    t.depthwise_conv2d = RoutedDepthwise;
    t.fully_connected = RoutedFullyConnected;
    t.max_pool2d = RoutedMaxPool;
    t.avg_pool2d = RoutedAvgPool;
    return t;
  }();
  return table;
}

}  // namespace bench
}  // namespace tm2

#endif  // TM2_TESTS_BENCH_ACT4_ROUTE_H_
