// A PackRunner (pack_runner.h) that owns its arena on the heap: sized,
// allocated and initialised in one call, for the host tools that run a
// pack from a file (the tinym2 CLI, tm2-pack, the factory's pack step).
// Devices and the page place the arena themselves, so this is not built
// for the MCU.
//
//   tm2::HostPackRunner host;
//   TM2_RETURN_IF_ERROR(host.Init(pack, tm2::PackMode::kResident));
//   printf("%zu arena bytes\n", host.arena_bytes());
//   TM2_RETURN_IF_ERROR(host.runner().Select(pack.Find("kws-dscnn-kd")));
//   host.runner().engine().SetInput(0, pcm); host.runner().engine().Invoke();
#ifndef TM2_ENGINE_PACK_RUNNER_HOST_H_
#define TM2_ENGINE_PACK_RUNNER_HOST_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/status.h"
#include "engine/pack_runner.h"

namespace tm2 {

class HostPackRunner {
 public:
  // Sizes the arena for `pack` in `mode` (measuring once: the plan goes to
  // PackRunner::Init) and selects model 0. `pack` must outlive this. Meant
  // to be called once: if sizing fails, an earlier Init's model stays.
  Status Init(const Pack& pack, PackMode mode = PackMode::kReplan,
              const EngineOptions& options = EngineOptions());

  PackRunner& runner() { return runner_; }
  size_t arena_bytes() const { return arena_.size(); }

 private:
  std::vector<uint8_t> arena_;
  PackRunner runner_;
};

}  // namespace tm2

#endif  // TM2_ENGINE_PACK_RUNNER_HOST_H_
