// The test WAV reader on the checked-in fixtures. Every later test reads its
// audio through this reader, so it must decode the same samples on every
// target (the hashes below were computed once from the files with an
// independent decoder) and refuse damaged files rather than return noise.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "common/wav.h"

namespace {

using tm2::test::ParseWav;
using tm2::test::ReadFileBytes;
using tm2::test::ReadWavFile;
using tm2::test::WavData;

struct Fixture {
  const char* path;
  uint32_t rate;
  uint16_t channels;
  size_t frames;           // tests/fixtures/audio/README.md: duration * rate
  uint64_t samples_fnv1a;  // FNV-1a 64 over the little-endian sample bytes
};

// Durations from the README: 5 s (Coswara cuts), 1 s (Speech Commands),
// 2.232 s (call-center MP3 at 8 kHz), 1.128 s (Telegram MP3 at 48 kHz).
const Fixture kFixtures[] = {
    {"audio/coswara_breathing_16k.wav", 16000, 1, 80000, 0x1f66ceb28809b6c9ull},
    {"audio/coswara_cough_16k.wav", 16000, 1, 80000, 0x82c9161f073f76d1ull},
    {"audio/coswara_counting_16k.wav", 16000, 1, 80000, 0x8a067ee312587d23ull},
    {"audio/covid_callcenter_cough_8k_stereo.wav", 8000, 2, 17856, 0xbafe5c6b6aee5ce9ull},
    {"audio/covid_telegram_cough_48k.wav", 48000, 1, 54144, 0xac5ac65d5e214d9full},
    {"audio/speech_commands_yes_16k.wav", 16000, 1, 16000, 0x5b17e39bb550e337ull},
};

std::vector<uint8_t> Bytes(const char* path) {
  std::vector<uint8_t> b;
  REQUIRE(ReadFileBytes(std::string(TM2_FIXTURES_DIR) + "/" + path, &b));
  return b;
}

void PutLe32(std::vector<uint8_t>* b, size_t at, uint32_t v) {
  const uint8_t le[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                         static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 24)};
  std::copy(le, le + 4, b->begin() + static_cast<std::ptrdiff_t>(at));
}

// A minimal well-formed file: RIFF header, 16-byte fmt chunk, data chunk.
std::vector<uint8_t> TinyWav(uint16_t channels, uint16_t bits, const std::vector<int16_t>& s) {
  std::vector<uint8_t> b(44 + 2 * s.size());
  std::memcpy(&b[0], "RIFF", 4);
  PutLe32(&b, 4, static_cast<uint32_t>(b.size() - 8));
  std::memcpy(&b[8], "WAVEfmt ", 8);
  PutLe32(&b, 16, 16);
  b[20] = 1;  // PCM
  b[22] = static_cast<uint8_t>(channels);
  PutLe32(&b, 24, 16000);
  PutLe32(&b, 28, 16000u * channels * 2);
  b[32] = static_cast<uint8_t>(channels * 2);
  b[34] = static_cast<uint8_t>(bits);
  std::memcpy(&b[36], "data", 4);
  PutLe32(&b, 40, static_cast<uint32_t>(2 * s.size()));
  for (size_t i = 0; i < s.size(); ++i) {
    b[44 + 2 * i] = static_cast<uint8_t>(s[i] & 0xff);
    b[45 + 2 * i] = static_cast<uint8_t>((s[i] >> 8) & 0xff);
  }
  return b;
}

bool Parses(const std::vector<uint8_t>& b, std::string* error) {
  WavData w;
  return ParseWav(b.data(), b.size(), &w, error);
}

}  // namespace

TEST_CASE("fixtures decode with the README's rate, channels and length", "[wav]") {
  for (const Fixture& f : kFixtures) {
    INFO(f.path);
    WavData w;
    std::string error;
    REQUIRE(ReadWavFile(f.path, &w, &error));
    CHECK(error.empty());
    CHECK(w.sample_rate == f.rate);
    CHECK(w.channels == f.channels);
    CHECK(w.frames() == f.frames);
    CHECK(w.samples.size() == f.frames * f.channels);
    CHECK(tm2::test::Fnv1a64(w.samples.data(), w.samples.size() * sizeof(int16_t)) ==
          f.samples_fnv1a);
  }
}

TEST_CASE("stereo stays interleaved and odd-length chunks are skipped", "[wav]") {
  std::vector<uint8_t> b = TinyWav(2, 16, {1, -1, 300, -300, -32768, 32767});
  // An odd-length LIST chunk between fmt and data: RIFF pads it to even size.
  const uint8_t list[] = {'L', 'I', 'S', 'T', 3, 0, 0, 0, 'a', 'b', 'c', 0};
  b.insert(b.begin() + 36, list, list + sizeof(list));
  PutLe32(&b, 4, static_cast<uint32_t>(b.size() - 8));
  WavData w;
  std::string error;
  REQUIRE(ParseWav(b.data(), b.size(), &w, &error));
  CHECK(w.channels == 2);
  CHECK(w.frames() == 3);
  CHECK(w.samples == std::vector<int16_t>{1, -1, 300, -300, -32768, 32767});
}

TEST_CASE("a truncated fixture is rejected, wherever it is cut", "[wav]") {
  const std::vector<uint8_t> whole = Bytes("audio/speech_commands_yes_16k.wav");
  // Cut inside the RIFF header, inside fmt, inside the data chunk header,
  // one byte short of the end.
  for (size_t keep : {size_t(0), size_t(8), size_t(30), size_t(40), whole.size() / 2,
                      whole.size() - 1}) {
    INFO("kept " << keep << " of " << whole.size() << " bytes");
    std::vector<uint8_t> cut(whole.begin(), whole.begin() + keep);
    std::string error;
    CHECK_FALSE(Parses(cut, &error));
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("garbled or unsupported headers are rejected", "[wav]") {
  const std::vector<uint8_t> good = TinyWav(1, 16, {1, 2, 3, 4});
  std::string error;
  REQUIRE(Parses(good, &error));

  SECTION("wrong magic") {
    std::vector<uint8_t> b = good;
    std::memcpy(&b[8], "AVI ", 4);
    CHECK_FALSE(Parses(b, &error));
  }
  SECTION("8-bit samples") {
    CHECK_FALSE(Parses(TinyWav(1, 8, {1, 2}), &error));
  }
  SECTION("zero channels") {
    CHECK_FALSE(Parses(TinyWav(0, 16, {1, 2}), &error));
  }
  SECTION("float format tag") {
    std::vector<uint8_t> b = good;
    b[20] = 3;  // IEEE float
    CHECK_FALSE(Parses(b, &error));
  }
  SECTION("data chunk length past the end of the file") {
    std::vector<uint8_t> b = good;
    PutLe32(&b, 40, 0x7ffffff0u);
    CHECK_FALSE(Parses(b, &error));
  }
  SECTION("data before fmt") {
    std::vector<uint8_t> b = good;
    std::memcpy(&b[12], "data", 4);
    std::memcpy(&b[36], "fmt ", 4);
    CHECK_FALSE(Parses(b, &error));
  }
  SECTION("no data chunk") {
    std::vector<uint8_t> b(good.begin(), good.begin() + 36);
    CHECK_FALSE(Parses(b, &error));
  }
  CHECK_FALSE(error.empty());
}

TEST_CASE("a missing file is an error naming the path", "[wav]") {
  WavData w;
  std::string error;
  CHECK_FALSE(ReadWavFile("audio/no_such_file.wav", &w, &error));
  CHECK(error.find("no_such_file.wav") != std::string::npos);
}
