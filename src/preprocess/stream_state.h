// The state a StreamPreprocessor keeps in its workspace (internal to
// src/preprocess): stream.cc computes windows from it, stream_tail.cc the
// tail at the end of input.
#ifndef TM2_PREPROCESS_STREAM_STATE_H_
#define TM2_PREPROCESS_STREAM_STATE_H_

#include <cstdint>

#include "preprocess/pipeline.h"
#include "preprocess/resampler.h"

namespace tm2 {
namespace preprocess_internal {

struct StreamState : Pipeline {
  // Pipeline::frame holds the samples of the last frame computed, so the
  // next one only resamples frame_step new samples.
  preprocess_internal::InputReach reach;
  float* history = nullptr;  // ring of mixed input samples, by input index
  int history_size = 0;
  float* clip_frame = nullptr;  // samples of an edge frame, clip edges zeroed
  int8_t* rows = nullptr;       // ring of num_frames int8 feature rows, by frame index
  int8_t* edge_rows = nullptr;  // pending windows x edge frames int8 rows
  float* float_rows = nullptr;       // the same as floats (float_features only)
  float* float_edge_rows = nullptr;
  int edge_left = 0;            // window frames [0, edge_left) are edge frames
  int right_start = 0;          // and so are [right_start, num_frames)
  int pending = 0;              // windows whose edge rows are held at once
  int64_t clip_model_len = 0;   // model-rate length of a window's batch clip
  bool frame_held = false;
  // Pipeline::frame is state only when resampling: reusing the overlap
  // then saves kernel dot products. At the model's rate a frame is a copy
  // out of the history ring either way, so frame is scratch there.
  bool frame_kept = false;
};

}  // namespace preprocess_internal
}  // namespace tm2

#endif  // TM2_PREPROCESS_STREAM_STATE_H_
