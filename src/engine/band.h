// Band-wise execution of one layer whose output overlaps its input in
// memory. Internal to src/engine (the planner decides, RunStack executes,
// tests/engine/band_test.cc checks the offsets).
//
// A layer with rows (conv, depthwise, pointwise, pools) runs as a sequence
// of kernel calls, each computing `rows` output rows from the input rows
// it needs (BandInputRows). The output is placed `delta` bytes from the
// input's start (BandDelta), so that each call writes only bytes no later
// call (and not itself) reads: in ascending order the output sits below
// the input, in descending order above. The layer then needs its input's
// bytes plus a few rows instead of input plus output, without relying on
// any kernel's read and write order inside a call, and every output value
// is the one a single call gives (each kernel computes a pixel from its
// window alone; tests/parity pins it on every target).
//
//   int32_t delta;
//   if (BandDelta(kind, g, rows, /*descending=*/false, &delta))
//     output = input + delta;   // then RunBands(...) in that order
//
// The planner's choice for a layer reading the last output of a chain of
// layers that share one buffer (ChooseBand):
//
//   BandPlace place;
//   if (ChooseBand(kind, g, out_bytes, chain, &place)) ExtendChain(place, out_bytes, &chain);
//   else ...                      // the output gets a buffer of its own
#ifndef TM2_ENGINE_BAND_H_
#define TM2_ENGINE_BAND_H_

#include <cstdint>

#include "format/model.h"
#include "kernels/kernels.h"

namespace tm2 {
namespace engine_internal {

// Layers that can run in bands (LayerKind with an output row structure).
bool CanBand(LayerKind kind);

// Input rows [*lo, *hi) that output rows [y0, y1) read (clipped to the
// input; pointwise layers read their own rows).
void BandInputRows(LayerKind kind, const ConvGeometry& g, int y0, int y1, int* lo, int* hi);

// Output rows per call: enough for about 16 output pixels, so a kernel's
// per-call set-up (weight tiles) stays small against its work.
int BandRows(const ConvGeometry& g);

// The output's start relative to the input's (bytes, a multiple of 16)
// for `rows` rows per call in the given order; false when banding cannot
// help (fewer than two calls, or a call with no input rows).
bool BandDelta(LayerKind kind, const ConvGeometry& g, int rows, bool descending, int32_t* delta);

// One call's geometry: output rows [y0, y1) from the input rows they read.
// *in_offset and *out_offset are the byte offsets of the call's first input
// and output row.
ConvGeometry BandGeometry(LayerKind kind, const ConvGeometry& g, int y0, int y1, size_t* in_offset,
                          size_t* out_offset);

// A chain of layer outputs sharing one planned buffer: its extent [min,
// end) and where its last output starts (tail), in bytes from the first
// output's start.
struct BandChain {
  int64_t min = 0, end = 0, tail = 0;
};

// A banded layer's calls and output: rows per call, the order, and the
// output's start in the chain (bytes from the first output's start).
struct BandPlace {
  int16_t rows = 0;
  bool descending = false;
  int32_t offset = 0;
};

// Bands a layer over the chain's last output in the order that keeps the
// chain's bytes smallest; true, with *place, when that beats an output
// buffer of its own (out_bytes rounded up to 16) beside the chain.
bool ChooseBand(LayerKind kind, const ConvGeometry& g, int64_t out_bytes, const BandChain& chain,
                BandPlace* place);

// The chain with a banded layer's output (ChooseBand's place) added.
void ExtendChain(const BandPlace& place, int64_t out_bytes, BandChain* chain);

}  // namespace engine_internal
}  // namespace tm2

#endif  // TM2_ENGINE_BAND_H_
