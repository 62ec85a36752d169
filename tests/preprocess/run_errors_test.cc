// Bad inputs and call-order mistakes give a Status, never a crash.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <type_traits>
#include <utility>

#include "catch2/catch.hpp"
#include "preprocess/pipeline.h"
#include "test_helpers.h"

namespace tm2 {
namespace test {

// Run writes the workspace (scratch, the resampler's phase cache), so it
// must not be callable on a const Preprocessor.
template <class T, class = void>
struct RunsOnConst : std::false_type {};
template <class T>
struct RunsOnConst<T, std::void_t<decltype(std::declval<const T&>().Run(
                          std::declval<const PcmView&>(), nullptr, nullptr))>> : std::true_type {};
static_assert(!RunsOnConst<Preprocessor>::value, "Preprocessor::Run mutates its workspace");

TEST_CASE("feature quantization is total: NaN, inf and huge values", "[preprocess][errors]") {
  using preprocess_internal::QuantizeFeature;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  // NaN maps to the zero point on every target (the cast alone is
  // undefined: x86-64 gave -128, aarch64 0 + zero point).
  CHECK(QuantizeFeature(nan, 0.1f, 20) == 20);
  CHECK(QuantizeFeature(-nan, 0.5f, -3) == -3);
  CHECK(QuantizeFeature(inf, 0.1f, 20) == 127);
  CHECK(QuantizeFeature(-inf, 0.1f, 20) == -128);
  CHECK(QuantizeFeature(1e30f, 1e-30f, 0) == 127);
  CHECK(QuantizeFeature(-3e38f, 1e-3f, 0) == -128);
  CHECK(QuantizeFeature(1.25f, 0.5f, 1) == 4);    // 2.5 rounds away from zero
  CHECK(QuantizeFeature(-1.25f, 0.5f, 1) == -2);
}

TEST_CASE("Run before Prepare is NotReady", "[preprocess][errors]") {
  Preprocessor pre;
  std::vector<int16_t> pcm(16000, 0);
  std::vector<int8_t> q(4000);
  Status s = pre.Run(PcmView::S16(pcm.data(), pcm.size(), 16000, 1), q.data(), nullptr);
  CHECK(s.code() == StatusCode::kNotReady);
}

TEST_CASE("Prepare checks the workspace", "[preprocess][errors]") {
  PreprocessParams p = LogMel40();
  const size_t need = Preprocessor::WorkspaceBytes(p);
  std::vector<uint8_t> ws(need);
  Preprocessor pre;
  CHECK(pre.Prepare(p, nullptr, need).code() == StatusCode::kInvalidArgument);
  CHECK(pre.Prepare(p, ws.data(), need - 1).code() == StatusCode::kArenaTooSmall);
  // A failed Prepare leaves the object unusable, not half-built.
  std::vector<int16_t> pcm(16000, 0);
  std::vector<int8_t> q(p.num_frames * p.mel_bins);
  CHECK(pre.Run(PcmView::S16(pcm.data(), pcm.size(), 16000, 1), q.data(), nullptr).code() ==
        StatusCode::kNotReady);
  // Any alignment of the workspace works.
  std::vector<uint8_t> odd(need + 1);
  CHECK(pre.Prepare(p, odd.data() + 1, need).ok());
  CHECK(pre.Run(PcmView::S16(pcm.data(), pcm.size(), 16000, 1), q.data(), nullptr).ok());
}

TEST_CASE("Run rejects bad PCM", "[preprocess][errors]") {
  PreprocessParams p = LogMel40();
  Prepared prep(p);
  REQUIRE(prep.status.ok());
  std::vector<float> pcm(16000, 0.1f);
  std::vector<int8_t> q(p.num_frames * p.mel_bins);
  auto run = [&](const PcmView& v) { return prep.pre.Run(v, q.data(), nullptr); };
  auto expect = [&](const PcmView& v, const char* words) {
    Status s = run(v);
    INFO(s.message());
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(std::string(s.message()).find(words) != std::string::npos);
  };
  expect(PcmView::F32(pcm.data(), 0, 16000, 1), "empty");
  expect(PcmView::F32(nullptr, 100, 16000, 1), "null");
  expect(PcmView::F32(pcm.data(), 100, 7999, 1), "sample_rate");
  expect(PcmView::F32(pcm.data(), 100, 48001, 1), "sample_rate");
  expect(PcmView::F32(pcm.data(), 100, 16000, 0), "channels");
  PcmView both = PcmView::F32(pcm.data(), 100, 16000, 1);
  std::vector<int16_t> s16(100);
  both.s16 = s16.data();
  expect(both, "both");
  std::vector<float> long_pcm(static_cast<size_t>(p.max_seconds * 8000) + 1, 0.0f);
  expect(PcmView::F32(long_pcm.data(), long_pcm.size(), 8000, 1), "too long");
  pcm[12345] = std::numeric_limits<float>::quiet_NaN();
  expect(PcmView::F32(pcm.data(), pcm.size(), 16000, 1), "non-finite");
  pcm[12345] = std::numeric_limits<float>::infinity();
  expect(PcmView::F32(pcm.data(), pcm.size() / 2, 16000, 2), "non-finite");
  pcm[12345] = 0.1f;
  CHECK(run(PcmView::F32(pcm.data(), pcm.size(), 16000, 1)).ok());
  CHECK(prep.pre.Run(PcmView::F32(pcm.data(), pcm.size(), 16000, 1), nullptr, nullptr).code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace test
}  // namespace tm2
