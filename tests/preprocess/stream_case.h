// What the StreamPreprocessor Catch2 tests share (stream_test.cc and
// stream_tail_test.cc): the fixture clips and shipped models, the block
// sizes a device meets, a prepared stream, and the check that a streamed
// run equals the batch path and misses no window at the end.
#ifndef TM2_TESTS_PREPROCESS_STREAM_CASE_H_
#define TM2_TESTS_PREPROCESS_STREAM_CASE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/loaded_model.h"
#include "common/wav.h"
#include "preprocess/preprocess.h"
#include "preprocess/stream.h"
#include "stream_check.h"

namespace tm2 {
namespace test {

// Block sizes a device meets: one sample, an AudioWorklet quantum, a 10 ms
// DMA half-buffer at 16 kHz, ALSA periods, and odd sizes.
extern const size_t kBlocks[];
extern const int kNumBlocks;

// tests/fixtures/audio/<name>, or the test fails with the reader's error.
WavData ReadClip(const std::string& name);

// A stream of the clip's rate and channels, a window every `hop_frames`
// frames (0: the default, about half a window).
StreamOptions OptionsFor(const WavData& wav, uint16_t hop_frames);

// A shipped model, models/<name>.tm2 (TM2_MODELS_DIR), kept alive with the
// Model that points into it.
struct ShippedModel : LoadedModel {
  explicit ShippedModel(const char* name)
      : LoadedModel(std::string(TM2_MODELS_DIR) + "/" + name + ".tm2") {}
};

// Checks the result of StreamAndCompare: no error, every window equal to
// the batch path, and no window missed at the end: the input left after
// the last window's clip is less than a hop plus the resampler's
// look-ahead (its kernel's right half, 16 periods of the lower rate, plus
// up to 7 padding taps, in input samples). Finish then covers the rest: a
// tail reaching the end of input (or, when the input ends inside a
// window's look-ahead, that whole window), equal to the batch path too.
void RequireEqualToBatch(const StreamCheck& r, const StreamPreprocessor& geometry,
                         uint32_t input_rate, const std::string& what, int64_t input_frames);

// A prepared stream for the geometry figures of (params, options).
struct PreparedStream {
  std::vector<uint8_t> ws;
  StreamPreprocessor stream;
  Status status;
  PreparedStream(const PreprocessParams& p, const StreamOptions& o)
      : ws(StreamPreprocessor::WorkspaceBytes(p, o)) {
    status = stream.Prepare(p, o, ws.data(), ws.size());
  }
};

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_PREPROCESS_STREAM_CASE_H_
