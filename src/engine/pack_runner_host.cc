#include "engine/pack_runner_host.h"

#include <memory>

namespace tm2 {

Status HostPackRunner::Init(const Pack& pack, PackMode mode, const EngineOptions& options) {
  auto plan = std::make_unique<PackPlan>();  // ~8 KB, and this may run on a small thread stack
  TM2_RETURN_IF_ERROR(PackRunner::ArenaBytes(pack, plan.get(), options, mode));
  arena_.assign(plan->bytes, 0);  // the runner's old arena, if any, goes: Init forgets it first
  return runner_.Init(*plan, arena_.data(), arena_.size());
}

}  // namespace tm2
