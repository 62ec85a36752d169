#include "data/feature_cache.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

#include "data/audio_file.h"

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

FeatureCache::FeatureCache(const PreprocessParams& params, std::string dir)
    : params_(Unnormalised(params)), dir_(std::move(dir)), params_hash_(FeatureParamsHash(params)) {
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
  std::vector<int8_t> q(f.values.size());
  Check(pre_.Run(PcmView::F32(a.samples.data(), a.frames(), a.sample_rate, a.channels), q.data(),
                 f.values.data()),
        path);
  if (!dir_.empty()) {
    // Write to a temporary name and rename, so an interrupted run never
    // leaves a truncated entry under the real name; the process id keeps
    // two runs that share a cache folder from renaming each other's file.
    const fs::path tmp = file.string() + "." + std::to_string(getpid()) + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary);
      const uint32_t header[3] = {kCacheMagic, static_cast<uint32_t>(f.frames),
                                  static_cast<uint32_t>(f.bins)};
      out.write(reinterpret_cast<const char*>(header), sizeof(header));
      out.write(reinterpret_cast<const char*>(f.values.data()), f.values.size() * sizeof(float));
    }
    fs::rename(tmp, file);
  }
  return f;
}

}  // namespace factory
}  // namespace tm2
