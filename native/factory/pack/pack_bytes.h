// Byte accounting of a pack (issue 11): what a layer's weights take coded
// or uncoded, a pack model's weight and per-channel bytes as written, and
// what the per-channel parameters take as written (Narrow where smaller).
//
//   long long coded = LayerBytes(layer, /*coded=*/true, 8, dim, k);
//   long long weights = 0, channels = 0;
//   SpecBytes(spec, dim, &weights, &channels);
//   long long narrow = ExactChannelBytes(spec);
#ifndef TM2_FACTORY_PACK_PACK_BYTES_H_
#define TM2_FACTORY_PACK_PACK_BYTES_H_

#include "format/writer.h"
#include "train/net.h"

namespace tm2 {
namespace factory {

// Bytes of a layer's weights: coded (codes of `k` centroids over `dim`-long
// sub-vectors, 4-bit when k <= 16) or uncoded at `bits` (4 or 8).
long long LayerBytes(const NetLayer& l, bool coded, int bits, int dim, int k);

// Adds a pack model's weight bytes (codes or kept weights, no codebook) to
// *weights and its per-channel vector bytes (bias, multiplier, shift,
// weight_scales) to *channels.
void SpecBytes(const ModelSpec& m, int dim, long long* weights, long long* channels);

// What the per-channel parameters take as WritePack stores them: Narrow
// (format 1.2, FORMAT.md 4.5: bias in the narrowest of 1/2/4 bytes that
// holds every value of the layer, one shift or multiplier where all are
// equal, a header byte) where that is smaller, data bytes only.
long long ExactChannelBytes(const ModelSpec& m);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_PACK_PACK_BYTES_H_
