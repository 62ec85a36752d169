// Streams PCM through StreamPreprocessor in blocks of varied sizes and
// checks every window against the batch path (Preprocessor::Run) on exactly
// the window's input samples, byte for byte. Shared by the Catch2 test and
// the cross-target program (which runs on the Cortex-M4 too).
#ifndef TM2_TESTS_PREPROCESS_STREAM_CHECK_H_
#define TM2_TESTS_PREPROCESS_STREAM_CHECK_H_

#include <cstddef>
#include <cstdint>

#include "preprocess/preprocess.h"
#include "preprocess/stream.h"

namespace tm2 {
namespace test {

struct StreamCheck {
  Status status;           // the first error from Prepare, Push, ReadWindow or Run
  int64_t windows = 0;     // windows read
  int64_t mismatches = 0;  // windows that differ from the batch path
  int64_t first_mismatch = -1;
  int64_t first_mismatch_row = -1;  // frame of that window where it differs
  int64_t left_over = 0;   // input frames after the last window's clip
  uint64_t hash = 0;       // FNV-1a 64 of every window: index, first sample, floats, int8
  // StreamPreprocessor::Finish at the end: the windows it gave (whole ones
  // still due, then the tail), each compared with the batch path on its
  // samples too (in mismatches), but not in `windows` or `hash`.
  int64_t finished = 0;
  uint64_t finish_hash = 0;  // FNV-1a 64 of Finish's windows, as `hash`
  int64_t tails = 0;
  int64_t tail_first = -1, tail_samples = 0;  // where the tail lies
  int64_t covered_to = 0;  // end of the last window's clip, Finish's included
};

// Pushes all of `pcm` (its rate and channels go into `options`) in blocks
// whose sizes cycle through block_sizes[0..num_sizes), starting at
// block_sizes[first_size % num_sizes], then calls Finish until no window
// is ready.
StreamCheck StreamAndCompare(const PreprocessParams& params, StreamOptions options,
                             const PcmView& pcm, const size_t* block_sizes, int num_sizes,
                             int first_size);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_PREPROCESS_STREAM_CHECK_H_
