#include "audio_source.h"

#include <sndfile.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

namespace tm2 {
namespace cli {
namespace {

class FileSource : public AudioSource {
 public:
  ~FileSource() override {
    if (file_) sf_close(file_);
  }
  bool Open(const char* path, std::string* error) {
    SF_INFO info{};
    file_ = sf_open(path, SFM_READ, &info);
    if (!file_) {
      *error = std::string("cannot open ") + path + ": " + sf_strerror(nullptr);
      return false;
    }
    rate_ = info.samplerate;
    channels_ = info.channels;
    if (channels_ >= 1 && channels_ <= 32) floats_.resize(kBlockFrames * static_cast<size_t>(channels_));
    return true;
  }
  bool Next(PcmView* block, std::string*) override {
    // Read until a read returns 0: some headers misstate the frame count.
    const sf_count_t got = sf_readf_float(file_, floats_.data(), kBlockFrames);
    *block = PcmView::F32(floats_.data(), got > 0 ? static_cast<size_t>(got) : 0, rate_,
                          static_cast<uint16_t>(channels_));
    return true;
  }
  int rate() const override { return rate_; }
  int channels() const override { return channels_; }

 private:
  SNDFILE* file_ = nullptr;
  int rate_ = 0, channels_ = 0;
  std::vector<float> floats_;
};

class StdinSource : public AudioSource {
 public:
  StdinSource(int rate, int channels)
      : rate_(rate),
        channels_(channels),
        bytes_(kBlockFrames * 2 * static_cast<size_t>(channels)),
        samples_(kBlockFrames * static_cast<size_t>(channels)) {}
  bool Next(PcmView* block, std::string* error) override {
    // A read may end inside a frame: keep the partial frame for the next.
    const size_t frame_bytes = 2 * static_cast<size_t>(channels_);
    size_t have = held_;
    while (have < frame_bytes || (!eof_ && have < bytes_.size())) {
      const ssize_t got = read(0, bytes_.data() + have, bytes_.size() - have);
      if (got < 0 && errno == EINTR) {
        interrupted_ = true;  // a signal: the caller decides whether to stop
        break;
      }
      if (got < 0) {
        *error = std::string("cannot read stdin: ") + std::strerror(errno);
        return false;
      }
      if (got == 0) {
        eof_ = true;
        break;
      }
      have += static_cast<size_t>(got);
    }
    const size_t frames = have / frame_bytes;
    // s16le: every target is little-endian (docs/STYLE.md).
    std::memcpy(samples_.data(), bytes_.data(), frames * frame_bytes);
    held_ = have - frames * frame_bytes;
    std::memmove(bytes_.data(), bytes_.data() + frames * frame_bytes, held_);
    *block = PcmView::S16(samples_.data(), frames, rate_, static_cast<uint16_t>(channels_));
    return true;
  }
  int rate() const override { return rate_; }
  int channels() const override { return channels_; }
  bool interrupted() const override { return interrupted_; }
  size_t trailing_bytes() const override { return held_; }

 private:
  int rate_, channels_;
  std::vector<uint8_t> bytes_;
  std::vector<int16_t> samples_;
  size_t held_ = 0;
  bool eof_ = false;
  bool interrupted_ = false;
};

}  // namespace

bool OpenFile(const char* path, std::unique_ptr<AudioSource>* out, std::string* error) {
  std::unique_ptr<FileSource> f(new FileSource);
  if (!f->Open(path, error)) return false;
  *out = std::move(f);
  return true;
}

void OpenStdin(int rate, int channels, std::unique_ptr<AudioSource>* out) {
  out->reset(new StdinSource(rate, channels));
}

}  // namespace cli
}  // namespace tm2
