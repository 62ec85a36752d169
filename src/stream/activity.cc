#include "stream/activity.h"

#include "common/det_math.h"

namespace tm2 {

Status ActivityTracker::Init(uint32_t input_rate, uint16_t channels,
                             const ActivityOptions& options) {
  if (input_rate < 8000 || input_rate > 48000)
    return Status::Error(StatusCode::kInvalidArgument,
                         "activity: input rate %u Hz is outside 8000..48000",
                         static_cast<unsigned>(input_rate));
  if (channels < 1)
    return Status::Error(StatusCode::kInvalidArgument, "activity: a stream needs a channel");
  if (!(options.off_margin_db >= 0) || !(options.on_margin_db >= options.off_margin_db) ||
      !(options.rise_db_per_s >= 0) || !(options.min_dbfs <= 0))
    return Status::Error(StatusCode::kInvalidArgument,
                         "activity: need 0 <= off margin <= on margin, rise >= 0 dB/s and the "
                         "minimum <= 0 dBFS");
  options_ = options;
  channels_ = channels;
  block_samples_ = input_rate / 64;
  rise_per_block_ = options.rise_db_per_s / 64.0f;
  Reset();
  return Status::Ok();
}

void ActivityTracker::Reset() {
  blocks_done_ = 0;
  in_block_ = 0;
  sum_squares_ = 0;
  floor_db_ = 0;
  last_active_ = false;
  for (uint64_t& w : ring_) w = 0;
}

void ActivityTracker::Push(const PcmView& pcm) {
  if (pcm.s16 && (channels_ & (channels_ - 1)) == 0) {
    // int16 with a power-of-two channel count: every mono sample is
    // sum / (32768 * channels), a power-of-two scale, so its float value
    // and its square are exact and so is the double sum of a block (below
    // 2^53 units of 2^-30 / channels^2). Integers give the same sum bit for
    // bit at a fraction of the cost on a core without double hardware
    // (Cortex-M4: 18 M soft-float instructions per 7 s of audio before).
    size_t f = 0;
    while (f < pcm.frames) {
      size_t take = pcm.frames - f;
      const size_t left = static_cast<size_t>(block_samples_ - in_block_);
      if (take > left) take = left;
      const int16_t* s = pcm.s16 + f * channels_;
      uint64_t acc = 0;
      if (channels_ == 1) {
        for (size_t i = 0; i < take; ++i) acc += static_cast<uint64_t>(static_cast<int32_t>(s[i]) * s[i]);
      } else {
        for (size_t i = 0; i < take; ++i) {
          int32_t m = 0;
          for (uint16_t c = 0; c < channels_; ++c) m += s[i * channels_ + c];
          acc += static_cast<uint64_t>(static_cast<int64_t>(m) * m);
        }
      }
      const double unit = 1.0 / (32768.0 * channels_);
      sum_squares_ += static_cast<double>(acc) * unit * unit;
      f += take;
      in_block_ += static_cast<int64_t>(take);
      if (in_block_ == block_samples_) EndBlock();
    }
    return;
  }
  const float scale = pcm.s16 ? 1.0f / (32768.0f * channels_) : 1.0f / channels_;
  for (size_t f = 0; f < pcm.frames; ++f) {
    float mono = 0;
    for (uint16_t c = 0; c < channels_; ++c)
      mono += pcm.s16 ? pcm.s16[f * channels_ + c] : pcm.f32[f * channels_ + c];
    mono *= scale;
    sum_squares_ += static_cast<double>(mono) * mono;
    if (++in_block_ == block_samples_) EndBlock();
  }
}

void ActivityTracker::EndBlock() {
  // 10 log10 through the project's float log (det_math.h): the same on
  // every target, and no soft-float double log on a Cortex-M4 (a platform
  // log10 differed by target and cost ~1,500 instructions a block there).
  const double mean_square = sum_squares_ / static_cast<double>(block_samples_) + 1e-12;
  const float db = 4.34294481903f * DetLog(static_cast<float>(mean_square));
  // The floor starts at the first block and drops at once to any quieter
  // one: background is the quietest thing a microphone hears for long.
  if (blocks_done_ == 0 || db < floor_db_) floor_db_ = db;
  else floor_db_ += rise_per_block_;
  const float margin = last_active_ ? options_.off_margin_db : options_.on_margin_db;
  const bool active = db >= floor_db_ + margin && db >= options_.min_dbfs;
  last_active_ = active;
  const int64_t slot = blocks_done_ % kRingBlocks;
  const uint64_t bit = uint64_t{1} << (slot % 64);
  if (active) ring_[slot / 64] |= bit;
  else ring_[slot / 64] &= ~bit;
  ++blocks_done_;
  in_block_ = 0;
  sum_squares_ = 0;
}

bool ActivityTracker::Active(int64_t block) const {
  if (block < 0 || block >= blocks_done_ || block < blocks_done_ - kRingBlocks) return false;
  const int64_t slot = block % kRingBlocks;
  return (ring_[slot / 64] >> (slot % 64)) & 1u;
}

int64_t ActivityTracker::FirstActive(int64_t from, int64_t to) const {
  for (int64_t b = (from + block_samples_ - 1) / block_samples_; b * block_samples_ < to; ++b)
    if (Active(b)) return b * block_samples_;
  return -1;
}

int64_t ActivityTracker::ExtendRun(int64_t from, int64_t to, int64_t max_gap) const {
  int64_t end = from;
  for (int64_t b = from / block_samples_; b * block_samples_ < to; ++b) {
    if (b * block_samples_ - end > max_gap) break;
    if (Active(b)) end = (b + 1) * block_samples_;
  }
  return end;
}

int ActivityTracker::CountActive(int64_t from, int64_t to) const {
  int n = 0;
  for (int64_t b = (from + block_samples_ - 1) / block_samples_; b * block_samples_ < to; ++b)
    n += Active(b);
  return n;
}

}  // namespace tm2
