#include "preprocess/tile_source.h"

namespace tm2 {
namespace preprocess_internal {
namespace {

// Fills in runs (one copy of the input or one gap at a time), so the
// modulo is taken once per run, not per sample.
void FillTiled(const void* context, int64_t begin, int count, float* dst) {
  const TiledInput& t = *static_cast<const TiledInput*>(context);
  const int64_t end = begin + count;
  int64_t i = begin;
  while (i < end) {
    float* out = dst + (i - begin);
    if (i < 0 || i >= t.total) {  // before the input or past the window
      const int64_t stop = i < 0 ? (end < 0 ? end : 0) : end;
      for (int64_t j = i; j < stop; ++j) out[j - i] = 0.0f;
      i = stop;
      continue;
    }
    const int64_t k = i % t.period;
    const int64_t left = (end < t.total ? end : t.total) - i;
    if (k < t.frames) {  // a copy of the input
      const int64_t run = t.frames - k < left ? t.frames - k : left;
      t.input.fill(t.input.context, k, static_cast<int>(run), out);
      i += run;
    } else {  // the gap
      const int64_t run = t.period - k < left ? t.period - k : left;
      for (int64_t j = 0; j < run; ++j) out[j] = 0.0f;
      i += run;
    }
  }
}

}  // namespace

MonoSource TiledSource(const TiledInput* tiled) { return MonoSource{&FillTiled, tiled}; }

}  // namespace preprocess_internal
}  // namespace tm2
