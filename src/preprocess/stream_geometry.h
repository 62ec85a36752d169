// Where a stream's windows, hops and edge frames fall, from the
// preprocessing params and the stream's options (internal to
// src/preprocess; StreamPreprocessor in stream.h is the public face).
#ifndef TM2_PREPROCESS_STREAM_GEOMETRY_H_
#define TM2_PREPROCESS_STREAM_GEOMETRY_H_

#include <cstdint>

#include "common/status.h"
#include "preprocess/preprocess.h"
#include "preprocess/resampler.h"
#include "preprocess/stream.h"

namespace tm2 {
namespace preprocess_internal {

struct Geometry {
  InputReach reach;
  int hop_frames = 0;
  int hop_unit = 0;
  int64_t hop_samples = 0;
  int64_t window_samples = 0;
  int64_t clip_model_len = 0;
  int history_size = 0;
  int edge_left = 0;
  int right_start = 0;
  int edge_frames = 0;  // edge_left + num_frames - right_start
  int pending = 0;
  uint32_t input_rate = 0;  // the stream's one input rate
  bool tile_tail = false;   // pad Tile and tile_history: the tail is tiled from the history ring
};

// Validates params and options and fills `g`; the Status names what is
// wrong (a rate out of range, a hop that is not a whole number of input
// samples).
Status PlanGeometry(const PreprocessParams& p, const StreamOptions& o, Geometry* g);

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_STREAM_GEOMETRY_H_
