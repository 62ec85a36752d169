// ParseWavHeader on prefixes of real and hand-made WAV files: a prefix too
// short to judge asks for more; a wrong or truncated header is refused with
// what is wrong; a good one gives rate, channels, data position and length.
#include "wav_header.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "common/wav.h"

using tm2study::ParseWavHeader;
using tm2study::WavHeader;

namespace {

std::vector<uint8_t> Fixture(const char* path) {
  std::vector<uint8_t> bytes;
  REQUIRE(tm2::test::ReadFileBytes(std::string(TM2_FIXTURES_DIR) + "/" + path, &bytes));
  return bytes;
}

std::vector<uint8_t> Header(uint32_t frames, uint32_t rate = 16000, uint16_t channels = 1,
                            uint16_t bits = 16, uint16_t format = 1) {
  std::vector<uint8_t> h(44);
  auto put32 = [&](size_t at, uint32_t v) { for (int i = 0; i < 4; ++i) h[at + i] = uint8_t(v >> (8 * i)); };
  auto put16 = [&](size_t at, uint16_t v) { h[at] = uint8_t(v); h[at + 1] = uint8_t(v >> 8); };
  std::memcpy(h.data(), "RIFF", 4);
  put32(4, 36 + frames * channels * 2);
  std::memcpy(h.data() + 8, "WAVEfmt ", 8);
  put32(16, 16);
  put16(20, format);
  put16(22, channels);
  put32(24, rate);
  put32(28, rate * channels * bits / 8);
  put16(32, uint16_t(channels * bits / 8));
  put16(34, bits);
  std::memcpy(h.data() + 36, "data", 4);
  put32(40, frames * channels * 2);
  return h;
}

}  // namespace

TEST_CASE("a real fixture parses from its first bytes") {
  const std::vector<uint8_t> wav = Fixture("audio/coswara_cough_16k.wav");
  for (size_t n : {size_t{0}, size_t{4}, size_t{11}, size_t{30}}) {
    INFO("prefix " << n);
    CHECK(ParseWavHeader(wav.data(), n, wav.size()).result == WavHeader::Result::kNeedMore);
  }
  const WavHeader h = ParseWavHeader(wav.data(), wav.size(), wav.size());
  REQUIRE(h.result == WavHeader::Result::kOk);
  CHECK(h.sample_rate == 16000);
  CHECK(h.channels == 1);
  CHECK(h.data_offset + h.data_bytes == wav.size());
  CHECK(h.seconds() == Approx(5.0));
}

TEST_CASE("stereo 8 kHz with extra chunks before the data") {
  const std::vector<uint8_t> wav = Fixture("audio/covid_callcenter_cough_8k_stereo.wav");
  const WavHeader h = ParseWavHeader(wav.data(), wav.size(), wav.size());
  REQUIRE(h.result == WavHeader::Result::kOk);
  CHECK(h.sample_rate == 8000);
  CHECK(h.channels == 2);
}

TEST_CASE("bad bodies are refused with what is wrong") {
  const std::string text = "<html>hello</html>";
  WavHeader h = ParseWavHeader(reinterpret_cast<const uint8_t*>(text.data()), text.size(), 1000);
  CHECK(h.result == WavHeader::Result::kBad);
  CHECK(h.error == "not a WAV file: it does not start with RIFF");

  auto bad = [](const std::vector<uint8_t>& w, size_t total) {
    const WavHeader r = ParseWavHeader(w.data(), w.size(), total);
    REQUIRE(r.result == WavHeader::Result::kBad);
    return r.error;
  };
  // Ten minutes announced, 1 s of samples sent: truncated.
  CHECK(bad(Header(16000 * 600), 44 + 32000).rfind("truncated WAV", 0) == 0);
  CHECK(bad(Header(100, 16000, 1, 8), 44 + 100).find("16-bit PCM") != std::string::npos);
  CHECK(bad(Header(100, 16000, 1, 16, 3), 44 + 200).find("16-bit PCM") != std::string::npos);
  CHECK(bad(Header(100, 16000, 6), 44 + 1200).find("mono or stereo") != std::string::npos);
  CHECK(bad(Header(100, 96000), 44 + 200).find("8000-48000") != std::string::npos);
  CHECK(bad(Header(100), 20).find("truncated WAV") == 0);
  std::vector<uint8_t> odd = Header(100);
  odd[40] = 199;  // data size not a whole number of frames
  CHECK(bad(odd, 44 + 199).find("whole number") != std::string::npos);
}

TEST_CASE("a header chunk that claims more than 64 KB is refused, not awaited") {
  std::vector<uint8_t> w = Header(0);
  // A LIST chunk of 1 MB between fmt and data.
  std::vector<uint8_t> list = {'L', 'I', 'S', 'T', 0, 0, 0x10, 0};
  w.insert(w.begin() + 36, list.begin(), list.end());
  const WavHeader h = ParseWavHeader(w.data(), w.size(), 2 << 20);
  REQUIRE(h.result == WavHeader::Result::kBad);
  CHECK(h.error == "WAV header longer than 64 KB");
}
