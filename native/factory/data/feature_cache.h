// Float features of recordings, computed by the core's tm2::Preprocessor
// (the engine's own compiled code) and cached on disk.
//
// Features are cached before normalisation (the normalisation statistics
// come from the training split, which is only known later): the params are
// hashed with normalization = None and the quantization fields cleared.
// Key = (FNV-1a of the file's bytes, hash of those params), so an edited
// recording or a changed preprocessing never reuses a stale entry.
#ifndef TM2_FACTORY_DATA_FEATURE_CACHE_H_
#define TM2_FACTORY_DATA_FEATURE_CACHE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/audio_file.h"
#include "preprocess/preprocess.h"
#include "recipe/recipe.h"

namespace tm2 {
namespace factory {

struct Features {
  int frames = 0, bins = 0;
  std::vector<float> values;  // frames x bins, frame-major, not normalised
};

class FeatureCache {
 public:
  // `dir` empty = no disk cache. Longer recordings are cut to
  // params.max_seconds before preprocessing (the engine rejects them).
  // pad.tile: shorter ones are tiled to the window by the core
  // (params.pad == PadMode::kTile), after any transform; the key then
  // includes the gap. pad.frames: the rows are tiled (data/tile_pad.h).
  FeatureCache(const PreprocessParams& params, std::string dir, const PadConfig& pad = PadConfig());
  // Content hash of a file (used for deduplication as well).
  static uint64_t ContentHash(const std::string& path);
  Features Get(const std::string& path, uint64_t content_hash);
  // An augmented view: `transform` changes the decoded PCM (cut to
  // max_seconds before and after it); `variant` (non-zero) names the view
  // in the cache and must change whenever the transform would.
  Features Get(const std::string& path, uint64_t content_hash, const std::function<Audio(const Audio&)>& transform,
               uint64_t variant);
  int hits() const { return hits_; }
  int misses() const { return misses_; }

 private:
  PreprocessParams params_;
  PadConfig pad_;
  std::string dir_;
  uint64_t params_hash_ = 0;
  std::vector<uint8_t> workspace_;
  Preprocessor pre_;
  int hits_ = 0, misses_ = 0;
};

// Hash of the params that shape un-normalised float features.
uint64_t FeatureParamsHash(const PreprocessParams& p);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_DATA_FEATURE_CACHE_H_
