#include "engine/shipped_models.h"

#include <cstdio>

#include "engine/engine.h"
#include "kernels/select.h"

namespace tm2 {
namespace test {

int CheckShippedModel(const ShippedModel& m, const int16_t* pcm, size_t frames,
                      uint32_t sample_rate, uint8_t* arena, size_t arena_bytes) {
  Model model;
  Status s = LoadModel(m.bytes, m.size, &model);
  if (!s.ok()) {
    std::printf("%s: load: %s\n", m.name, s.message());
    return 1;
  }
  ArenaReport report;
  s = Engine::ArenaBytes(model, &report);
  const size_t need = report.total;
  if (!s.ok() || 2 * need > arena_bytes) {
    std::printf("%s: arena: %s (needs %lu)\n", m.name, s.ok() ? "too small" : s.message(),
                static_cast<unsigned long>(need));
    return 1;
  }
  const KernelTable* tables[2] = {&ReferenceKernels(), &SelectKernels()};
  Engine engines[2];
  for (int t = 0; t < 2; ++t) {
    EngineOptions options;
    options.kernels = tables[t];
    s = engines[t].Init(model, arena + t * need, need, options);
    for (int b = 0; s.ok() && b < engines[t].num_branches(); ++b)
      s = engines[t].SetInput(b, PcmView::S16(pcm, frames, sample_rate, 1));
    if (s.ok()) s = engines[t].Invoke();
    if (!s.ok()) {
      std::printf("%s (%s): %s\n", m.name, tables[t]->name, s.message());
      return 1;
    }
  }
  int failures = 0;
  float sum = 0.0f;
  for (int i = 0; i < engines[0].num_classes(); ++i) {
    if (engines[0].logits()[i] != engines[1].logits()[i]) ++failures;
    const float p = engines[1].probabilities()[i];
    if (!(p >= 0.0f && p <= 1.0f)) ++failures;
    sum += p;
  }
  if (sum < 0.999f || sum > 1.001f) ++failures;
  int top = 0;
  for (int i = 1; i < engines[1].num_classes(); ++i)
    if (engines[1].probabilities()[i] > engines[1].probabilities()[top]) top = i;
  std::printf("%s: %d classes, arena %lu bytes (tables %lu + resampler cache %lu + shared %lu: "
              "scratch %lu, activations %lu), top '%s' %.4f, %s vs ref: %s\n", m.name,
              engines[1].num_classes(), static_cast<unsigned long>(need),
              static_cast<unsigned long>(report.preprocess_tables),
              static_cast<unsigned long>(report.resampler_cache),
              static_cast<unsigned long>(report.shared),
              static_cast<unsigned long>(report.preprocess_scratch),
              static_cast<unsigned long>(report.activations), model.label(top),
              static_cast<double>(engines[1].probabilities()[top]), tables[1]->name,
              failures ? "MISMATCH" : "same logits");
  return failures ? 1 : 0;
}

}  // namespace test
}  // namespace tm2
