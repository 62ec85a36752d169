// The shipped models load and run on this target (native, aarch64, WASM).
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "common/wav.h"
#include "engine/shipped_models.h"

TEST_CASE("every shipped model loads and runs a real clip, reference == selected kernels") {
  std::vector<uint8_t> arena(2 << 20);
  const char* const runs[3][2] = {{"covid-cough", "audio/coswara_cough_16k.wav"},
                                  {"sound-gate", "audio/coswara_cough_16k.wav"},
                                  {"kws-dscnn", "audio/speech_commands_yes_16k.wav"}};
  for (const auto& run : runs) {
    const char* name = run[0];
    tm2::test::WavData wav;
    std::string error;
    REQUIRE(tm2::test::ReadWavFile(run[1], &wav, &error));
    std::vector<uint8_t> bytes;
    const std::string path = std::string(TM2_MODELS_DIR) + "/" + name + ".tm2";
    INFO(path);
    REQUIRE(tm2::test::ReadFileBytes(path, &bytes));
    const tm2::test::ShippedModel model{name, bytes.data(), bytes.size()};
    CHECK(tm2::test::CheckShippedModel(model, wav.samples.data(), wav.frames(), wav.sample_rate,
                                       arena.data(), arena.size()) == 0);
  }
}
