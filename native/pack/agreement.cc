#include "agreement.h"

#include <cmath>
#include <cstring>
#include <random>

#include "engine/engine.h"

namespace tm2 {
namespace pack {
namespace {

int Top(const Engine& e) {
  int best = 0;
  for (int i = 1; i < e.num_classes(); ++i)
    if (e.probabilities()[i] > e.probabilities()[best]) best = i;
  return best;
}

}  // namespace

Status Compare(const Model& ma, const Model& mb, const std::vector<AudioInput>& audio,
               int random_inputs, uint32_t seed, Agreement* out) {
  size_t need_a = 0, need_b = 0;
  TM2_RETURN_IF_ERROR(Engine::ArenaBytes(ma, &need_a));
  TM2_RETURN_IF_ERROR(Engine::ArenaBytes(mb, &need_b));
  std::vector<uint8_t> arena_a(need_a), arena_b(need_b);
  Engine a, b;
  TM2_RETURN_IF_ERROR(a.Init(ma, arena_a.data(), need_a));
  TM2_RETURN_IF_ERROR(b.Init(mb, arena_b.data(), need_b));
  if (a.num_branches() != b.num_branches() || a.num_classes() != b.num_classes())
    return Status::Error(StatusCode::kInvalidArgument, "agreement: the models take different inputs");
  Agreement r;
  auto compare = [&]() {
    ++r.total;
    r.same_top += Top(a) == Top(b);
    r.same_logits += std::memcmp(a.logits(), b.logits(), static_cast<size_t>(a.num_classes())) == 0;
    for (int c = 0; c < a.num_classes(); ++c)
      r.max_dp = std::fmax(r.max_dp, std::fabs(static_cast<double>(a.probabilities()[c]) -
                                               b.probabilities()[c]));
  };
  for (const AudioInput& au : audio) {
    const size_t frames = au.channels ? au.samples.size() / au.channels : 0;
    const PcmView pcm = PcmView::F32(au.samples.data(), frames, au.rate, au.channels);
    bool ok = true;
    for (int br = 0; br < a.num_branches() && ok; ++br)
      ok = a.SetInput(br, pcm).ok() && b.SetInput(br, pcm).ok();
    if (!ok) continue;
    TM2_RETURN_IF_ERROR(a.Invoke());
    TM2_RETURN_IF_ERROR(b.Invoke());
    compare();
  }
  std::mt19937 rng(seed);
  for (int i = 0; i < random_inputs; ++i) {
    for (int br = 0; br < a.num_branches(); ++br) {
      std::vector<int8_t> x(a.input_shape(br).size());
      for (int8_t& v : x) v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
      TM2_RETURN_IF_ERROR(a.SetFeatures(br, x.data(), x.size()));
      TM2_RETURN_IF_ERROR(b.SetFeatures(br, x.data(), x.size()));
    }
    TM2_RETURN_IF_ERROR(a.Invoke());
    TM2_RETURN_IF_ERROR(b.Invoke());
    compare();
  }
  *out = r;
  return Status::Ok();
}

}  // namespace pack
}  // namespace tm2
