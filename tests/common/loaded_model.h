// A model file read into memory and loaded, for Catch2 tests: fails the
// test with the path and the loader's message when either step fails.
//
//   tm2::test::LoadedModel m(std::string(TM2_MODELS_DIR) + "/kws-dscnn.tm2");
//   engine.Init(m.model, ...);
#ifndef TM2_TESTS_COMMON_LOADED_MODEL_H_
#define TM2_TESTS_COMMON_LOADED_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "common/wav.h"
#include "format/model.h"

namespace tm2 {
namespace test {

struct LoadedModel {
  std::vector<uint8_t> bytes;  // the model views these bytes: keep them alive
  tm2::Model model;
  explicit LoadedModel(const std::string& path) {
    INFO(path);
    REQUIRE(ReadFileBytes(path, &bytes));
    const tm2::Status s = tm2::LoadModel(bytes.data(), bytes.size(), &model);
    INFO(s.message());
    REQUIRE(s.ok());
  }
  LoadedModel(const LoadedModel&) = delete;
  LoadedModel& operator=(const LoadedModel&) = delete;
};

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_COMMON_LOADED_MODEL_H_
