// Tiling a clip shorter than the model's window instead of padding it with
// silence: the clip, a gap of digital silence, the clip again, ... cut at
// the first input length whose model-rate length fills num_frames frames,
// so the core's preprocessing sees a full window and pads nothing.
// The core does this itself for a model whose Preprocess.pad is Tile
// (PadMode::kTile, format 1.3; recipe `preprocess.pad_mode: "tile"`), so
// the factory no longer tiles PCM for its features, engine check or probe.
// TileToWindow stays as the reference the tests compare the core with, and
// for `probe` on a zero-padding model file (`--against-tile`, or one
// exported before the format had the field). The feature-row variant
// ("tile_frames", TileRows) is factory-side only.
//
//   Audio t = TileToWindow(a, params, 0.1);  // == what Run(kTile) reads
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
