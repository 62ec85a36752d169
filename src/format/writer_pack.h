// Weight and per-channel packing for the writer (models/FORMAT.md, "Weights"): int8 as is,
// int4 two per byte, low nibble first, every row starting on a byte
// boundary. Internal to src/format; native and wasm only.
#ifndef TM2_FORMAT_WRITER_PACK_H_
#define TM2_FORMAT_WRITER_PACK_H_

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "format/layer_rules.h"

namespace tm2 {
namespace format_internal {

// `values` holds rows x row_length values, row-major; each must fit `bits`.
Status PackWeights(const std::vector<int8_t>& values, const WeightMatrix& m, int bits,
                   std::vector<uint8_t>* packed);

// Product-quantization codes (FORMAT.md 3.4): `m` is the code layout
// (PqCodeLayout); 8-bit codes as is, 4-bit codes two per byte, low nibble
// first, each row starting on a byte boundary.
Status PackCodes(const std::vector<uint8_t>& codes, const WeightMatrix& m, int bits,
                 std::vector<uint8_t>* packed);

// The smallest exact narrow per-channel block (format/channel_params.h,
// FORMAT.md 4.5) for these vectors: bias may be empty; multiplier and shift
// hold one value a channel.
std::vector<uint8_t> EncodeNarrowChannels(const std::vector<int32_t>& bias,
                                          const std::vector<int32_t>& multiplier,
                                          const std::vector<int8_t>& shift);

}  // namespace format_internal
}  // namespace tm2

#endif  // TM2_FORMAT_WRITER_PACK_H_
