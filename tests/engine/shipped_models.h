// The shipped models (models/*.tm2) on every target: each loads, plans its
// arena, runs on a real clip with the reference and the selected kernels,
// and both give the same logits and valid probabilities. The Catch2 test
// (native, aarch64, WASM) and the Cortex-M4 firmware share this code.
#ifndef TM2_TESTS_ENGINE_SHIPPED_MODELS_H_
#define TM2_TESTS_ENGINE_SHIPPED_MODELS_H_

#include <cstddef>
#include <cstdint>

namespace tm2 {
namespace test {

struct ShippedModel {
  const char* name;
  const uint8_t* bytes;
  size_t size;
};

// Runs `model` on 16-bit PCM (every branch gets the same clip); prints one
// line and returns 0 when the checks hold, 1 otherwise.
int CheckShippedModel(const ShippedModel& model, const int16_t* pcm, size_t frames,
                      uint32_t sample_rate, uint8_t* arena, size_t arena_bytes);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_ENGINE_SHIPPED_MODELS_H_
