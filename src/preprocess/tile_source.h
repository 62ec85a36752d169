// An input shorter than the window, tiled (PadMode::kTile): the input,
// the gap's silence, the input again, ... cut at WindowInputFrames. Read by
// the resampler like the input itself, so the features equal those of a
// recording holding the tiled samples. The batch path tiles a recording
// (PcmSource), a stream's tail its history ring.
#ifndef TM2_PREPROCESS_TILE_SOURCE_H_
#define TM2_PREPROCESS_TILE_SOURCE_H_

#include <cstdint>

#include "preprocess/resampler.h"

namespace tm2 {
namespace preprocess_internal {

struct TiledInput {
  MonoSource input;    // read only at indices [0, frames)
  int64_t frames = 0;  // the input's length in input frames
  int64_t period = 0;  // frames + the gap in input frames
  int64_t total = 0;   // tiled length in input frames
};

// Index i in [0, total) reads input sample (i mod period) where that is
// below frames, else 0 (the gap); 0 outside [0, total). Sample i keeps its
// value from call to call when the input's do (MonoHold stays valid).
MonoSource TiledSource(const TiledInput* tiled);

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_TILE_SOURCE_H_
