#include "listen.h"

#include <sndfile.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/select.h"
#include "read_file.h"
#include "stream/stream_runner.h"

namespace tm2 {
namespace cli {
namespace {

constexpr size_t kBlockFrames = 4096;  // an ALSA-sized read

const char kHelp[] =
    "usage: tinym2 listen [options] MODEL.tm2 AUDIO|-\n"
    "\n"
    "Runs a one-branch model on every window of a stream and prints one JSON\n"
    "line per window: its index, start and end in seconds, the top class and\n"
    "its probability. A window is the model's input (num_frames frames); a new\n"
    "one starts every hop. Each window's result equals `tinym2 run` on exactly\n"
    "that window's samples (docs/preprocessing.md, Streaming).\n"
    "\n"
    "  AUDIO           WAV, FLAC, OGG/Opus or MP3 at 8000..48000 Hz, any channels\n"
    "  -               raw signed 16-bit little-endian PCM on stdin, e.g.\n"
    "                  arecord -f S16_LE -r 16000 -c 1 -t raw | tinym2 listen M.tm2 -\n"
    "  --rate HZ       stdin's sample rate (default 16000)\n"
    "  --channels N    stdin's interleaved channels (default 1)\n"
    "  --hop FRAMES    frames between window starts (default: about half a window)\n"
    "  --reference     scalar reference kernels (same results, slower)\n"
    "  -h, --help      this text\n"
    "\n"
    "A summary (windows, audio seconds, real-time factor) goes to stderr.\n";

// Where PCM comes from: a decoded file or raw s16le on stdin, read a block
// at a time so that input of any length streams.
class Source {
 public:
  ~Source() {
    if (file_) sf_close(file_);
  }
  bool OpenFile(const char* path, std::string* error) {
    SF_INFO info{};
    file_ = sf_open(path, SFM_READ, &info);
    if (!file_) {
      *error = std::string("cannot open ") + path + ": " + sf_strerror(nullptr);
      return false;
    }
    rate_ = info.samplerate;
    channels_ = info.channels;
    floats_.resize(kBlockFrames * static_cast<size_t>(channels_));
    return true;
  }
  void OpenStdin(int rate, int channels) {
    rate_ = rate;
    channels_ = channels;
    bytes_.resize(kBlockFrames * 2 * static_cast<size_t>(channels));
    samples_.resize(kBlockFrames * static_cast<size_t>(channels));
  }
  // The next block (0 frames at the end); false on a read error.
  bool Next(PcmView* block, std::string* error) {
    if (file_) {
      // Read until a read returns 0: some headers misstate the frame count.
      const sf_count_t got = sf_readf_float(file_, floats_.data(), kBlockFrames);
      *block = PcmView::F32(floats_.data(), got > 0 ? static_cast<size_t>(got) : 0, rate_,
                            static_cast<uint16_t>(channels_));
      return true;
    }
    // A read may end inside a frame: keep the partial frame for the next.
    const size_t frame_bytes = 2 * static_cast<size_t>(channels_);
    size_t have = held_;
    while (have < frame_bytes || (!eof_ && have < bytes_.size())) {
      const size_t got = std::fread(bytes_.data() + have, 1, bytes_.size() - have, stdin);
      if (got == 0) {
        if (std::ferror(stdin)) {
          *error = "cannot read stdin";
          return false;
        }
        eof_ = true;
        break;
      }
      have += got;
    }
    const size_t frames = have / frame_bytes;
    // s16le: every target is little-endian (docs/STYLE.md).
    std::memcpy(samples_.data(), bytes_.data(), frames * frame_bytes);
    held_ = have - frames * frame_bytes;
    std::memmove(bytes_.data(), bytes_.data() + frames * frame_bytes, held_);
    *block = PcmView::S16(samples_.data(), frames, rate_, static_cast<uint16_t>(channels_));
    return true;
  }
  int rate() const { return rate_; }
  int channels() const { return channels_; }
  size_t trailing_bytes() const { return held_; }

 private:
  SNDFILE* file_ = nullptr;
  int rate_ = 0;
  int channels_ = 0;
  std::vector<float> floats_;
  std::vector<uint8_t> bytes_;
  std::vector<int16_t> samples_;
  size_t held_ = 0;
  bool eof_ = false;
};

// A JSON string: the label between quotes, with " and \ escaped.
std::string JsonString(const char* s) {
  std::string out = "\"";
  for (; *s; ++s) {
    if (*s == '"' || *s == '\\') out += '\\';
    if (static_cast<unsigned char>(*s) >= 0x20) out += *s;
  }
  return out + "\"";
}

// A whole decimal number in [lo, hi] from `text`, or false.
bool ParseInt(const char* text, long lo, long hi, long* value) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < lo || v > hi) return false;
  *value = v;
  return true;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "tinym2 listen: %s\n", message.c_str());
  return 1;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "tinym2 listen: %s (see tinym2 listen --help)\n", message.c_str());
  return 2;
}

}  // namespace

int Listen(int argc, char** argv) {
  long rate = 0, channels = 0, hop = 0;
  const KernelTable* kernels = &SelectKernels();
  std::vector<const char*> positional;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "-h" || a == "--help") {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (a == "--reference") {
      kernels = &ReferenceKernels();
    } else if (a == "--rate") {
      if (!has_value || !ParseInt(argv[++i], 8000, 48000, &rate))
        return Usage("--rate needs a whole number of Hz in 8000..48000");
    } else if (a == "--channels") {
      if (!has_value || !ParseInt(argv[++i], 1, 32, &channels))
        return Usage("--channels needs a whole number in 1..32");
    } else if (a == "--hop") {
      if (!has_value || !ParseInt(argv[++i], 1, 65535, &hop))
        return Usage("--hop needs a whole number of frames in 1..65535");
    } else if (a.size() > 1 && a[0] == '-') {
      return Usage("unknown option " + a);
    } else {
      positional.push_back(argv[i]);
    }
  }
  if (positional.size() != 2) return Usage("give a model and one audio file (or - for stdin)");
  const char* model_path = positional[0];
  const bool from_stdin = std::strcmp(positional[1], "-") == 0;
  if (!from_stdin && (rate || channels))
    return Usage("--rate and --channels describe raw PCM on stdin; a file's header gives them");

  std::vector<uint8_t> bytes;
  if (!ReadFile(model_path, &bytes)) return Fail(std::string("cannot read ") + model_path);
  Model model;
  Status s = LoadModel(bytes.data(), bytes.size(), &model);
  if (!s.ok()) return Fail(std::string(model_path) + ": " + s.message());

  Source source;
  std::string error;
  if (from_stdin) {
    source.OpenStdin(rate ? static_cast<int>(rate) : 16000,
                     channels ? static_cast<int>(channels) : 1);
  } else if (!source.OpenFile(positional[1], &error)) {
    return Fail(error);
  }
  if (source.rate() < 8000 || source.rate() > 48000)
    return Fail(std::string(positional[1]) + " is at " + std::to_string(source.rate()) +
                " Hz; tinym2 takes 8000..48000 Hz");
  if (source.channels() < 1 || source.channels() > 32)
    return Fail(std::string(positional[1]) + " has " + std::to_string(source.channels()) +
                " channels; tinym2 takes 1..32");

  StreamOptions options;
  options.input_rate = static_cast<uint32_t>(source.rate());
  options.channels = static_cast<uint16_t>(source.channels());
  options.hop_frames = static_cast<uint16_t>(hop);
  EngineOptions engine_options;
  engine_options.kernels = kernels;
  size_t need = 0;
  s = StreamRunner::ArenaBytes(model, options, &need, engine_options);
  std::vector<uint8_t> arena(need);
  StreamRunner runner;
  if (s.ok()) s = runner.Init(model, options, arena.data(), arena.size(), engine_options);
  if (!s.ok()) return Fail(std::string(model_path) + ": " + s.message());

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  double compute_s = 0;
  int64_t frames_in = 0, windows = 0;
  const double seconds_per_sample = 1.0 / source.rate();
  for (;;) {
    PcmView block;
    if (!source.Next(&block, &error)) return Fail(error);
    if (block.frames == 0) break;
    frames_in += static_cast<int64_t>(block.frames);
    size_t done = 0;
    while (done < block.frames) {
      PcmView rest = block;
      rest.frames = block.frames - done;
      if (rest.f32) rest.f32 += done * rest.channels;
      if (rest.s16) rest.s16 += done * rest.channels;
      size_t used = 0;
      const auto t0 = Clock::now();
      s = runner.Push(rest, &used);
      compute_s += std::chrono::duration<double>(Clock::now() - t0).count();
      if (!s.ok()) return Fail(std::string(positional[1]) + ": " + s.message());
      done += used;
      if (!runner.result_ready()) continue;
      const StreamWindow& w = runner.window();
      const int top = runner.top_class();
      std::printf(
          "{\"window\": %lld, \"start\": %.3f, \"end\": %.3f, \"top\": %s, \"probability\": "
          "%.4f}\n",
          static_cast<long long>(w.index), w.first_sample * seconds_per_sample,
          (w.first_sample + w.num_samples) * seconds_per_sample,
          JsonString(model.label(top)).c_str(), static_cast<double>(runner.probabilities()[top]));
      std::fflush(stdout);
      ++windows;
    }
  }
  if (source.trailing_bytes() != 0)
    std::fprintf(stderr, "tinym2 listen: ignored %zu trailing bytes (not a whole frame)\n",
                 source.trailing_bytes());
  const double audio_s = frames_in * seconds_per_sample;
  const double total_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::fprintf(stderr,
               "# %lld windows (hop %d frames = %.3f s, window %.3f s), %.1f s of audio at %d Hz x "
               "%d; stream + model %.3f s (%.0fx real time), with decoding %.3f s (%.0fx); "
               "kernels %s\n",
               static_cast<long long>(windows), runner.stream().hop_frames(),
               runner.stream().hop_samples() * seconds_per_sample,
               runner.stream().window_samples() * seconds_per_sample, audio_s, source.rate(),
               source.channels(), compute_s, compute_s > 0 ? audio_s / compute_s : 0.0, total_s,
               total_s > 0 ? audio_s / total_s : 0.0, kernels->name);
  if (windows == 0)
    std::fprintf(stderr, "tinym2 listen: the input is shorter than one window (%.3f s)\n",
                 runner.stream().window_samples() * seconds_per_sample);
  return 0;
}

}  // namespace cli
}  // namespace tm2
