#include "augment/pcm_augment.h"

#include <algorithm>
#include <cmath>

#include "augment/band_limit.h"
#include "data/feature_cache.h"

namespace tm2 {
namespace factory {

std::vector<float> MixToMono(const Audio& a) {
  std::vector<float> m(a.frames());
  for (size_t i = 0; i < m.size(); ++i) {
    double s = 0;
    for (int c = 0; c < a.channels; ++c) s += a.samples[i * a.channels + c];
    m[i] = static_cast<float>(s / a.channels);
  }
  return m;
}

double MeanPower(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return x.empty() ? 0 : s / x.size();
}

namespace {

// Mean square of every window of `len` samples starting on a grid of `hop`.
std::vector<double> WindowPowers(const std::vector<float>& x, size_t len, size_t hop) {
  std::vector<double> prefix(x.size() + 1, 0);
  for (size_t i = 0; i < x.size(); ++i) prefix[i + 1] = prefix[i] + static_cast<double>(x[i]) * x[i];
  std::vector<double> p;
  for (size_t s = 0; s + len <= x.size(); s += hop) p.push_back((prefix[s + len] - prefix[s]) / len);
  return p;
}

}  // namespace

double LoudestSecondPower(const std::vector<float>& x, uint32_t rate) {
  if (x.size() <= rate) return MeanPower(x);
  const auto p = WindowPowers(x, rate, std::max<size_t>(1, rate / 100));
  return *std::max_element(p.begin(), p.end());
}

std::vector<float> LoudCrop(const std::vector<float>& x, uint32_t rate, double seconds, double min_ratio,
                            double u) {
  const size_t len = static_cast<size_t>(std::lround(seconds * rate));
  if (len == 0 || x.size() <= len) return x;
  const size_t hop = std::max<size_t>(1, rate / 100);
  const auto p = WindowPowers(x, len, hop);
  const double floor = min_ratio * *std::max_element(p.begin(), p.end());
  std::vector<size_t> loud;
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] >= floor) loud.push_back(i);
  const size_t pick = loud[std::min(loud.size() - 1, static_cast<size_t>(u * loud.size()))];
  return std::vector<float>(x.begin() + pick * hop, x.begin() + pick * hop + len);
}

std::vector<float> Shift(const std::vector<float>& x, long samples) {
  if (samples >= 0) {
    std::vector<float> y(samples, 0.0f);
    y.insert(y.end(), x.begin(), x.end());
    return y;
  }
  const size_t drop = std::min(x.size() - 1, static_cast<size_t>(-samples));
  return std::vector<float>(x.begin() + drop, x.end());
}

void MixAtSnr(std::vector<float>& x, uint32_t rate, const std::vector<float>& noise, size_t offset,
              double snr_db) {
  const double ps = LoudestSecondPower(x, rate), pn = MeanPower(noise);
  if (ps <= 0 || pn <= 0) return;
  // Looping the noise keeps its mean square over x's length only if x spans
  // whole loops; measure it over the samples actually added instead.
  std::vector<float> added(x.size());
  for (size_t i = 0; i < x.size(); ++i) added[i] = noise[(offset + i) % noise.size()];
  // A clip shorter than the noise segment can land on a stretch of it that
  // is digital silence: nothing to scale (the gain would be infinite and
  // the mix NaN), so nothing is added.
  const double pa = MeanPower(added);
  if (pa <= 0) return;
  const double gain = std::sqrt(ps / (pa * std::pow(10.0, snr_db / 10)));
  for (size_t i = 0; i < x.size(); ++i) x[i] += static_cast<float>(gain * added[i]);
}

std::vector<float> QuietestSegment(const std::vector<float>& x, uint32_t rate, double seconds) {
  const size_t len = static_cast<size_t>(seconds * rate);
  if (x.size() <= len) return x;
  const size_t hop = std::max<size_t>(1, rate / 100);
  const auto p = WindowPowers(x, len, hop);
  const size_t s = (std::min_element(p.begin(), p.end()) - p.begin()) * hop;
  return std::vector<float>(x.begin() + s, x.begin() + s + len);
}

NoisePool NoisePoolOf(const std::vector<std::string>& paths, const AugmentConfig& config) {
  std::vector<std::string> chosen = paths;
  std::sort(chosen.begin(), chosen.end());
  std::mt19937_64 rng(config.seed);
  std::shuffle(chosen.begin(), chosen.end(), rng);
  NoisePool pool;
  pool.hash = Fnv1a64("tm2-noise-pool-v1", 17);
  for (const std::string& path : chosen) {
    if (static_cast<int>(pool.segments.size()) >= config.noise_recordings) break;
    const Audio a = ReadAudio(path);
    NoiseSegment seg{QuietestSegment(MixToMono(a), a.sample_rate, config.noise_seconds), a.sample_rate};
    if (std::sqrt(MeanPower(seg.samples)) < 1e-4) continue;
    const uint64_t h = FeatureCache::ContentHash(path);
    pool.hash = Fnv1a64(&h, sizeof(h), pool.hash);
    pool.segments.push_back(std::move(seg));
  }
  return pool;
}

uint64_t ViewSeed(uint64_t seed, uint64_t content_hash, int copy) {
  uint64_t h = Fnv1a64(&seed, sizeof(seed));
  h = Fnv1a64(&content_hash, sizeof(content_hash), h);
  return Fnv1a64(&copy, sizeof(copy), h);
}

uint64_t AugmentHash(const AugmentConfig& c, const NoisePool& pool) {
  uint64_t h = Fnv1a64("tm2-augment-v1", 14);
  auto mix = [&h](const auto& v) { h = Fnv1a64(&v, sizeof(v), h); };
  mix(c.seed); mix(c.gain_db); mix(c.shift_ms); mix(c.noise_probability); mix(c.snr_db_low);
  mix(c.snr_db_high); mix(c.telephone_probability); mix(c.noise_recordings); mix(c.noise_seconds);
  mix(pool.hash);
  // Only when used, so views of recipes without crops keep their cache keys.
  if (c.crop_seconds > 0) { mix(c.crop_seconds); mix(c.crop_min_power_ratio); }
  if (c.crop_seconds_max > 0) { mix(c.crop_seconds_min); mix(c.crop_seconds_max); mix(c.crop_min_power_ratio); }
  return h;
}

Audio AugmentPcm(const Audio& in, const AugmentConfig& c, const NoisePool& pool, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(0, 1);
  // Every draw happens whether or not it is used, so changing one
  // probability does not reshuffle the other choices.
  const double gain_db = (2 * unit(rng) - 1) * c.gain_db;
  const double shift_s = (2 * unit(rng) - 1) * c.shift_ms / 1000;
  const bool add_noise = unit(rng) < c.noise_probability;
  const double snr = c.snr_db_low + unit(rng) * (c.snr_db_high - c.snr_db_low);
  const size_t pick = pool.segments.empty() ? 0 : static_cast<size_t>(rng() % pool.segments.size());
  const double offset_u = unit(rng);
  const bool telephone = unit(rng) < c.telephone_probability;
  // Drawn last and only when used: views of recipes without crops stay the same.
  const bool ranged = c.crop_seconds_max > 0;
  const double crop_u = c.crop_seconds > 0 || ranged ? unit(rng) : 0;
  const double crop_s = ranged ? c.crop_seconds_min + unit(rng) * (c.crop_seconds_max - c.crop_seconds_min)
                               : c.crop_seconds;

  Audio out;
  out.channels = 1;
  out.sample_rate = in.sample_rate;
  std::vector<float> x = MixToMono(in);
  if (crop_s > 0) x = LoudCrop(x, in.sample_rate, crop_s, c.crop_min_power_ratio, crop_u);
  const float g = static_cast<float>(std::pow(10.0, gain_db / 20));
  for (float& v : x) v *= g;
  x = Shift(x, std::lround(shift_s * in.sample_rate));
  if (add_noise && !pool.segments.empty()) {
    const NoiseSegment& seg = pool.segments[pick];
    const std::vector<float> noise = seg.sample_rate == in.sample_rate
        ? seg.samples
        : Resample(seg.samples, seg.sample_rate, in.sample_rate,
                   0.45 * std::min(seg.sample_rate, in.sample_rate));
    if (!noise.empty()) MixAtSnr(x, in.sample_rate, noise, static_cast<size_t>(offset_u * noise.size()), snr);
  }
  if (telephone) {
    x = TelephoneBand(x, in.sample_rate);
    out.sample_rate = 8000;
  }
  for (float& v : x) v = std::clamp(v, -1.0f, 1.0f);
  out.samples = std::move(x);
  return out;
}

}  // namespace factory
}  // namespace tm2
