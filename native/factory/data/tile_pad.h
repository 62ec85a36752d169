// Tiling a clip shorter than the model's window instead of padding it with
// silence (recipe `preprocess.pad_mode: "tile"`, docs/factory.md): the clip,
// a gap of digital silence, the clip again, ... cut at the first input
// length whose model-rate length fills num_frames frames, so the core's
// preprocessing sees a full window and pads nothing. Factory-side only for
// now (a measurement; models/REPORT.md (b8)): the core still zero-pads, so
// a model trained this way gets tiled input only where the factory tiles it
// (its own features, its engine check, `probe`).
//
//   Audio a = ReadAudio(path);
//   if (branch.pad.tile) a = TileToWindow(a, branch.preprocess, branch.pad.gap_seconds);
#ifndef TM2_FACTORY_DATA_TILE_PAD_H_
#define TM2_FACTORY_DATA_TILE_PAD_H_

#include <cstddef>
#include <cstdint>

#include "data/audio_file.h"
#include "preprocess/preprocess.h"

namespace tm2 {
namespace factory {

// The fewest input frames at `input_rate` whose model-rate length
// ceil(n * p.sample_rate / input_rate) (the core's) covers the window
// (num_frames - 1) * frame_step + frame_length.
size_t WindowInputFrames(const PreprocessParams& p, uint32_t input_rate);

// `a` repeated with `gap_seconds` of silence between repeats, cut to
// WindowInputFrames (every channel alike); `a` itself when it already fills
// the window or is empty.
Audio TileToWindow(const Audio& a, const PreprocessParams& p, double gap_seconds);

// Feature-domain tiling ("tile_frames"): the rows the core computes for a
// clip of `input_frames` at `input_rate` (the others are its silence
// padding), and the gap in whole rows.
int KeptFrames(const PreprocessParams& p, size_t input_frames, uint32_t input_rate);
int GapRows(const PreprocessParams& p, double gap_seconds);
// Rows [keep, frames) of a frames x bins matrix whose rows from `keep` on
// are the silence row: row i becomes row (i mod (keep + gap)) where that
// is below keep, and stays silence in the gap. Float or int8 rows alike
// (the core's normalisation and quantization act per element).
template <typename T>
void TileRows(T* rows, int frames, int bins, int keep, int gap) {
  if (keep <= 0 || keep >= frames) return;
  for (int i = keep; i < frames; ++i) {
    const int j = i % (keep + gap);
    if (j < keep)
      for (int k = 0; k < bins; ++k) rows[static_cast<size_t>(i) * bins + k] = rows[static_cast<size_t>(j) * bins + k];
  }
}

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_DATA_TILE_PAD_H_
