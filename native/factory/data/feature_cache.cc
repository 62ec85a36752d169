#include "data/feature_cache.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "data/audio_file.h"
#include "data/tile_pad.h"

namespace tm2 {
namespace factory {
namespace fs = std::filesystem;

namespace {

constexpr uint32_t kCacheMagic = 0x464D5432;  // "2TMF", version in the params hash

PreprocessParams Unnormalised(PreprocessParams p) {
  p.normalization = NormalizationType::kNone;
  p.norm_mean = p.norm_std = nullptr;
  p.norm_count = 0;
  p.input_scale = 1.0f;
  p.input_zero_point = 0;
  return p;
}

void Check(const Status& s, const std::string& what) {
  if (!s.ok()) throw std::runtime_error(what + ": " + s.message());
}

}  // namespace

uint64_t FeatureParamsHash(const PreprocessParams& in) {
  const PreprocessParams p = Unnormalised(in);
  // Field by field (struct padding is unspecified); bump the version tag
  // when the cache layout or the core's preprocessing changes meaning.
  uint64_t h = Fnv1a64("tm2-features-v1", 15);
  auto mix = [&h](const auto& v) { h = Fnv1a64(&v, sizeof(v), h); };
  mix(p.sample_rate); mix(p.pre_emphasis); mix(p.frame_length); mix(p.frame_step);
  mix(p.fft_size); mix(p.window); mix(p.mel_bins); mix(p.mel_low_hz); mix(p.mel_high_hz);
  mix(p.log_floor); mix(p.dct_coefficients); mix(p.num_frames); mix(p.crop); mix(p.max_seconds);
  return h;
}

FeatureCache::FeatureCache(const PreprocessParams& params, std::string dir, const PadConfig& pad)
    : params_(Unnormalised(params)), pad_(pad), dir_(std::move(dir)), params_hash_(FeatureParamsHash(params)) {
  if (pad_.tile) {
    // Only when tiling, so zero-padded features keep their cache keys.
    params_hash_ = Fnv1a64("tile", 4, params_hash_);
    params_hash_ = Fnv1a64(&pad_.gap_seconds, sizeof(pad_.gap_seconds), params_hash_);
    if (pad_.frames) params_hash_ = Fnv1a64("frames", 6, params_hash_);
  }
  // pad_mode "tile": the core tiles (PadMode::kTile), as the exported
  // model's file will tell every target to; the other modes zero-pad here.
  params_.pad = pad_.tile && !pad_.frames ? PadMode::kTile : PadMode::kZero;
  params_.tile_gap_ms = params_.pad == PadMode::kTile
                            ? static_cast<uint16_t>(std::lround(pad_.gap_seconds * 1000.0))
                            : uint16_t{100};
  Check(params_.Validate(), "preprocess");
  workspace_.resize(Preprocessor::WorkspaceBytes(params_));
  Check(pre_.Prepare(params_, workspace_.data(), workspace_.size()), "preprocess");
  if (!dir_.empty()) fs::create_directories(dir_);
}

uint64_t FeatureCache::ContentHash(const std::string& path) {
  const auto bytes = ReadBytes(path);
  return Fnv1a64(bytes.data(), bytes.size());
}

Features FeatureCache::Get(const std::string& path, uint64_t content_hash) {
  return Get(path, content_hash, nullptr, 0);
}

Features FeatureCache::Get(const std::string& path, uint64_t content_hash,
                           const std::function<Audio(const Audio&)>& transform, uint64_t variant) {
  Features f;
  f.frames = pre_.num_frames();
  f.bins = pre_.num_features();
  f.values.resize(static_cast<size_t>(f.frames) * f.bins);
  char name[96];
  if (variant)
    std::snprintf(name, sizeof(name), "%016llx-%016llx-%016llx.f32", static_cast<unsigned long long>(params_hash_),
                  static_cast<unsigned long long>(content_hash), static_cast<unsigned long long>(variant));
  else
    std::snprintf(name, sizeof(name), "%016llx-%016llx.f32", static_cast<unsigned long long>(params_hash_),
                  static_cast<unsigned long long>(content_hash));
  const fs::path file = dir_.empty() ? fs::path() : fs::path(dir_) / name;
  if (!dir_.empty()) {
    std::ifstream in(file, std::ios::binary);
    uint32_t header[3] = {0, 0, 0};
    if (in && in.read(reinterpret_cast<char*>(header), sizeof(header)) &&
        header[0] == kCacheMagic && static_cast<int>(header[1]) == f.frames &&
        static_cast<int>(header[2]) == f.bins &&
        in.read(reinterpret_cast<char*>(f.values.data()), f.values.size() * sizeof(float))) {
      ++hits_;
      return f;
    }
  }
  ++misses_;
  Audio a = ReadAudio(path);
  auto cut = [this](Audio& x) {
    const size_t limit = static_cast<size_t>(params_.max_seconds * x.sample_rate);
    if (x.frames() > limit) x.samples.resize(limit * x.channels);
  };
  cut(a);
  if (transform) {
    a = transform(a);
    cut(a);
  }
  // pad_mode "tile": params_.pad is kTile, so Run tiles a short clip itself.
  std::vector<int8_t> q(f.values.size());
  Check(pre_.Run(PcmView::F32(a.samples.data(), a.frames(), a.sample_rate, a.channels), q.data(),
                 f.values.data()),
        path);
  if (pad_.frames)
    TileRows(f.values.data(), f.frames, f.bins, KeptFrames(params_, a.frames(), a.sample_rate),
             GapRows(params_, pad_.gap_seconds));
  if (!dir_.empty()) {
    // Write to a temporary name of this process and call, then rename
    // (atomic): an interrupted run never leaves a truncated entry under the
    // real name, and runs sharing the cache never write into one file.
    // Both write the same bytes, so whichever rename lands last is right.
    static std::atomic<uint64_t> writes{0};
    const fs::path tmp = file.string() + ".tmp" + std::to_string(getpid()) + "-" + std::to_string(writes++);
    bool written = false;
    {
      std::ofstream out(tmp, std::ios::binary);
      const uint32_t header[3] = {kCacheMagic, static_cast<uint32_t>(f.frames),
                                  static_cast<uint32_t>(f.bins)};
      out.write(reinterpret_cast<const char*>(header), sizeof(header));
      out.write(reinterpret_cast<const char*>(f.values.data()), f.values.size() * sizeof(float));
      written = static_cast<bool>(out.flush());
    }
    std::error_code ec;
    if (written) fs::rename(tmp, file, ec);
    if (!written || ec) fs::remove(tmp, ec);  // a full disk costs the cache entry, not the run
  }
  return f;
}

}  // namespace factory
}  // namespace tm2
