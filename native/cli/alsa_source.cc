// ALSA capture for `tinym2 listen` (built when libasound is found; see
// audio_source.h). S16_LE interleaved at the requested rate and channel
// count, exactly: a device that cannot capture them is refused with what
// it offers, rather than resampled behind the user's back (a plughw: or
// the default device converts when asked to).
#include <alsa/asoundlib.h>

#include <cerrno>
#include <vector>

#include "audio_source.h"

namespace tm2 {
namespace cli {
namespace {

class AlsaSource : public AudioSource {
 public:
  ~AlsaSource() override {
    if (pcm_) snd_pcm_close(pcm_);
  }
  bool Open(const char* device, int rate, int channels, std::string* error) {
    rate_ = rate;
    channels_ = channels;
    name_ = device;
    int err = snd_pcm_open(&pcm_, device, SND_PCM_STREAM_CAPTURE, 0);
    if (err < 0) {
      pcm_ = nullptr;
      return Fail("cannot open ALSA capture device '" + name_ + "': " + snd_strerror(err), error);
    }
    snd_pcm_hw_params_t* hw = nullptr;
    snd_pcm_hw_params_alloca(&hw);
    snd_pcm_hw_params_any(pcm_, hw);
    if (snd_pcm_hw_params_set_access(pcm_, hw, SND_PCM_ACCESS_RW_INTERLEAVED) < 0)
      return Fail("ALSA device '" + name_ + "' cannot capture interleaved samples", error);
    if (snd_pcm_hw_params_set_format(pcm_, hw, SND_PCM_FORMAT_S16_LE) < 0)
      return Fail("ALSA device '" + name_ + "' cannot capture S16_LE samples (try plughw:)", error);
    if (snd_pcm_hw_params_set_channels(pcm_, hw, static_cast<unsigned>(channels)) < 0) {
      unsigned lo = 0, hi = 0;
      snd_pcm_hw_params_get_channels_min(hw, &lo);
      snd_pcm_hw_params_get_channels_max(hw, &hi);
      return Fail("ALSA device '" + name_ + "' cannot capture " + std::to_string(channels) +
                      " channels (it offers " + std::to_string(lo) + ".." + std::to_string(hi) +
                      "; use --channels or a plughw: device)",
                  error);
    }
    if (snd_pcm_hw_params_set_rate(pcm_, hw, static_cast<unsigned>(rate), 0) < 0) {
      unsigned lo = 0, hi = 0;
      int dir = 0;
      snd_pcm_hw_params_get_rate_min(hw, &lo, &dir);
      snd_pcm_hw_params_get_rate_max(hw, &hi, &dir);
      return Fail("ALSA device '" + name_ + "' cannot capture at " + std::to_string(rate) +
                      " Hz (it offers " + std::to_string(lo) + ".." + std::to_string(hi) +
                      " Hz; use --rate or a plughw: device)",
                  error);
    }
    snd_pcm_uframes_t period = kBlockFrames / 4, buffer = kBlockFrames * 4;
    snd_pcm_hw_params_set_period_size_near(pcm_, hw, &period, nullptr);
    snd_pcm_hw_params_set_buffer_size_near(pcm_, hw, &buffer);
    if ((err = snd_pcm_hw_params(pcm_, hw)) < 0)
      return Fail("cannot set up ALSA device '" + name_ + "': " + snd_strerror(err), error);
    samples_.resize(kBlockFrames * static_cast<size_t>(channels));
    return true;
  }
  bool Next(PcmView* block, std::string* error) override {
    *block = PcmView::S16(samples_.data(), 0, rate_, static_cast<uint16_t>(channels_));
    for (int empty = 0; empty < 3;) {
      const snd_pcm_sframes_t got = snd_pcm_readi(pcm_, samples_.data(), kBlockFrames);
      if (got == -EINTR) {
        interrupted_ = true;
        return true;
      }
      if (got == -EPIPE || got == -ESTRPIPE) {  // overrun (or suspend): frames were lost
        ++overruns_;
        const int err = snd_pcm_recover(pcm_, static_cast<int>(got), 1);
        if (err < 0) {
          *error = "ALSA device '" + name_ + "': " + snd_strerror(err);
          return false;
        }
        continue;
      }
      if (got < 0) {
        *error = "ALSA device '" + name_ + "': " + snd_strerror(static_cast<int>(got));
        return false;
      }
      if (got == 0) {
        ++empty;  // a file-backed device at its end gives nothing
        continue;
      }
      block->frames = static_cast<size_t>(got);
      return true;
    }
    return true;  // the device has ended: an empty block
  }
  int rate() const override { return rate_; }
  int channels() const override { return channels_; }
  bool interrupted() const override { return interrupted_; }
  int overruns() const override { return overruns_; }

 private:
  bool Fail(const std::string& message, std::string* error) {
    *error = message;
    return false;
  }
  snd_pcm_t* pcm_ = nullptr;
  std::string name_;
  int rate_ = 0, channels_ = 0;
  std::vector<int16_t> samples_;
  bool interrupted_ = false;
  int overruns_ = 0;
};

}  // namespace

bool HaveAlsa() { return true; }

bool OpenAlsa(const char* device, int rate, int channels, std::unique_ptr<AudioSource>* out,
              std::string* error) {
  std::unique_ptr<AlsaSource> a(new AlsaSource);
  if (!a->Open(device, rate, channels, error)) return false;
  *out = std::move(a);
  return true;
}

}  // namespace cli
}  // namespace tm2
