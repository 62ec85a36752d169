// Validate() rejects each bad field with a message naming that field.
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "catch2/catch.hpp"
#include "test_helpers.h"

namespace tm2 {
namespace test {

TEST_CASE("Validate accepts sane parameters", "[preprocess][validate]") {
  PreprocessParams p = LogMel40();
  CHECK(p.Validate().ok());
  p.dct_coefficients = 13;
  p.mel_high_hz = 8000.0f;
  CHECK(p.Validate().ok());
  CHECK(Preprocessor::WorkspaceBytes(p) > 0);
}

TEST_CASE("Validate names the bad field", "[preprocess][validate]") {
  static const float kMean[2] = {0, 0};
  static const float kBadStd[2] = {1, 0};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  struct Case { const char* field; std::function<void(PreprocessParams&)> mutate; };
  const Case cases[] = {
      {"sample_rate", [](PreprocessParams& p) { p.sample_rate = 7999; }},
      {"sample_rate", [](PreprocessParams& p) { p.sample_rate = 96000; }},
      {"pre_emphasis", [](PreprocessParams& p) { p.pre_emphasis = 1.0f; }},
      {"pre_emphasis", [=](PreprocessParams& p) { p.pre_emphasis = nan; }},
      {"fft_size 500 is not a power of two", [](PreprocessParams& p) { p.fft_size = 500; }},
      {"fft_size", [](PreprocessParams& p) { p.fft_size = 16; }},
      {"fft_size", [](PreprocessParams& p) { p.fft_size = 8192; }},
      {"frame_length", [](PreprocessParams& p) { p.frame_length = 513; }},
      {"frame_length", [](PreprocessParams& p) { p.frame_length = 0; }},
      {"frame_step", [](PreprocessParams& p) { p.frame_step = 0; }},
      {"window", [](PreprocessParams& p) { p.window = static_cast<WindowType>(7); }},
      {"mel_bins", [](PreprocessParams& p) { p.mel_bins = 0; }},
      {"mel_bins", [](PreprocessParams& p) { p.mel_bins = 258; }},
      {"mel_low_hz", [](PreprocessParams& p) { p.mel_low_hz = -1.0f; }},
      {"mel_low_hz", [](PreprocessParams& p) { p.mel_low_hz = 5000.0f; p.mel_high_hz = 4000.0f; }},
      {"mel_high_hz", [](PreprocessParams& p) { p.mel_high_hz = 8001.0f; }},
      {"mel_high_hz", [=](PreprocessParams& p) { p.mel_high_hz = inf; }},
      {"log_floor", [](PreprocessParams& p) { p.log_floor = 0.0f; }},
      {"log_floor", [=](PreprocessParams& p) { p.log_floor = inf; }},
      {"dct_coefficients", [](PreprocessParams& p) { p.dct_coefficients = 41; }},
      {"num_frames", [](PreprocessParams& p) { p.num_frames = 0; }},
      {"num_frames", [](PreprocessParams& p) { p.num_frames = 4097; }},
      {"crop", [](PreprocessParams& p) { p.crop = static_cast<CropPolicy>(3); }},
      {"normalization", [](PreprocessParams& p) { p.normalization = static_cast<NormalizationType>(2); }},
      {"norm_count", [](PreprocessParams& p) {
         p.normalization = NormalizationType::kFixed; p.norm_count = 2;
         p.norm_mean = kMean; p.norm_std = kBadStd; }},
      {"norm_mean", [](PreprocessParams& p) {
         p.normalization = NormalizationType::kFixed; p.norm_count = 1; p.norm_std = kBadStd; }},
      {"norm_std", [](PreprocessParams& p) {
         p.normalization = NormalizationType::kFixed; p.norm_count = 1; p.norm_mean = kMean; }},
      {"norm_std[1]", [](PreprocessParams& p) {
         p.normalization = NormalizationType::kFixed; p.dct_coefficients = 2; p.norm_count = 2;
         p.norm_mean = kMean; p.norm_std = kBadStd; }},
      {"input_scale", [](PreprocessParams& p) { p.input_scale = 0.0f; }},
      {"input_scale", [=](PreprocessParams& p) { p.input_scale = nan; }},
      {"max_seconds", [](PreprocessParams& p) { p.max_seconds = 0.0f; }},
      {"min_seconds", [](PreprocessParams& p) { p.min_seconds = 20.0f; }},
  };
  for (const Case& c : cases) {
    PreprocessParams p = LogMel40();
    c.mutate(p);
    Status s = p.Validate();
    INFO("expected a complaint about " << c.field << ", got: " << s.message());
    REQUIRE_FALSE(s.ok());
    CHECK(std::string(s.message()).find(std::string("preprocess.") + c.field) != std::string::npos);
    // Bad params give no workspace size and cannot be prepared.
    CHECK(Preprocessor::WorkspaceBytes(p) == 0);
    std::vector<uint8_t> ws(1 << 20);
    Preprocessor pre;
    CHECK_FALSE(pre.Prepare(p, ws.data(), ws.size()).ok());
  }
}

}  // namespace test
}  // namespace tm2
