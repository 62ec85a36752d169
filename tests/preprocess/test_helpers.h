// Small helpers shared by the preprocessing tests.
#ifndef TM2_TESTS_PREPROCESS_TEST_HELPERS_H_
#define TM2_TESTS_PREPROCESS_TEST_HELPERS_H_

#include <cstdint>
#include <vector>

#include "preprocess/preprocess.h"

namespace tm2 {
namespace test {

// The web page's speech/cough front end: 16 kHz, 25 ms / 10 ms, 512-point FFT.
inline PreprocessParams LogMel40() {
  PreprocessParams p;
  p.sample_rate = 16000;
  p.frame_length = 400;
  p.frame_step = 160;
  p.fft_size = 512;
  p.mel_bins = 40;
  p.log_floor = 1e-6f;
  p.num_frames = 100;
  p.input_scale = 0.1f;
  p.input_zero_point = 20;
  return p;
}

// A prepared preprocessor that owns its workspace.
struct Prepared {
  std::vector<uint8_t> workspace;
  Preprocessor pre;
  Status status;
  explicit Prepared(const PreprocessParams& p)
      : workspace(Preprocessor::WorkspaceBytes(p)) {
    status = pre.Prepare(p, workspace.data(), workspace.size());
  }
  // Runs and returns float features (quantized into *q when given).
  std::vector<float> Run(const PcmView& pcm, Status* s, std::vector<int8_t>* q = nullptr) {
    std::vector<float> f(static_cast<size_t>(pre.num_frames()) * pre.num_features());
    std::vector<int8_t> qq(f.size());
    *s = pre.Run(pcm, qq.data(), f.data());
    if (q) *q = qq;
    return f;
  }
};

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_PREPROCESS_TEST_HELPERS_H_
