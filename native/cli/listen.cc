#include "listen.h"

#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "audio_source.h"
#include "kernels/select.h"
#include "read_file.h"
#include "stream/listener.h"
#include "stream/stream_runner.h"

namespace tm2 {
namespace cli {
namespace {

const char kHelp[] =
    "usage: tinym2 listen [options] [AUDIO | - | --device NAME]\n"
    "\n"
    "Always-on listening: finds sounds in a stream with the sound-type gate,\n"
    "screens each cough with the screening model, and prints one JSON line per\n"
    "event and a summary (events per type per minute) every --summary seconds\n"
    "and at the end (docs/streaming.md):\n"
    "  {\"type\": \"cough\", \"time\": 3.008, \"duration\": 1.904, \"confidence\": 0.9012, "
    "\"screening\": 0.4410}\n"
    "  {\"summary\": \"total\", \"from\": 0.000, \"to\": 30.000, \"events\": {...}, "
    "\"per_minute\": {...}}\n"
    "Times are seconds of audio from the start. SIGINT or SIGTERM stops: the\n"
    "event held is printed, then the total summary.\n"
    "\n"
    "Input (one of):\n"
    "  AUDIO             WAV, FLAC, OGG/Opus or MP3 at 8000..48000 Hz, any channels\n"
    "  -                 raw signed 16-bit little-endian PCM on stdin, e.g.\n"
    "                    arecord -f S16_LE -r 16000 -c 1 -t raw | tinym2 listen -\n"
    "  --device NAME     capture from an ALSA device (default when no AUDIO is\n"
    "                    given: \"default\"); e.g. hw:1,0 or plughw:1,0\n"
    "  --rate HZ         stdin's or the device's sample rate (default 16000)\n"
    "  --channels N      stdin's or the device's interleaved channels (default 1)\n"
    "  --seconds S       stop after S seconds of audio (default: at the end of\n"
    "                    the input, or on SIGINT/SIGTERM)\n"
    "\n"
    "Models (default: the shipped ones, from $TINYM2_MODELS, the install's\n"
    "share/tinym2/models or the source tree's models/):\n"
    "  --gate M.tm2      sound-type gate (default sound-gate.tm2)\n"
    "  --screen M.tm2    screening model for cough events (default covid-cough.tm2)\n"
    "  --no-screen       do not screen\n"
    "\n"
    "Detection:\n"
    "  --summary S       seconds of audio between summaries (default 60; 0 = only\n"
    "                    the total at the end)\n"
    "  --merge-gap S     silences up to S seconds stay inside an event (default 1.5)\n"
    "  --min-confidence P  drop events the gate is less sure of (default 0.5)\n"
    "  --hop FRAMES      gate frames between windows (default: a quarter window)\n"
    "  --windows         print the gate's result for every window instead of\n"
    "                    events (the gate may then be any one-branch model)\n"
    "  --reference       scalar reference kernels (same results, slower)\n"
    "  -h, --help        this text\n"
    "\n"
    "A line with the real-time factor goes to stderr at the end.\n";

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

void InstallStopHandlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked read returns, and the loop sees the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// A JSON string: the label between quotes, with " and \ escaped.
std::string JsonString(const char* s) {
  std::string out = "\"";
  for (; *s; ++s) {
    if (*s == '"' || *s == '\\') out += '\\';
    if (static_cast<unsigned char>(*s) >= 0x20) out += *s;
  }
  return out + "\"";
}

// A number in [lo, hi] from `text`, or false.
bool ParseLong(const char* text, long lo, long hi, long* value) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < lo || v > hi) return false;
  *value = v;
  return true;
}
bool ParseDouble(const char* text, double lo, double hi, double* value) {
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= lo && v <= hi)) return false;
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

bool Exists(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

// A shipped model: $TINYM2_MODELS, then <prefix>/share/tinym2/models next
// to an installed binary, then the source tree the binary was built from.
std::string FindModel(const char* name, std::string* looked) {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("TINYM2_MODELS")) dirs.push_back(env);
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = '\0';
    std::string dir(exe);
    dir = dir.substr(0, dir.rfind('/'));
    dirs.push_back(dir + "/../share/tinym2/models");
  }
#ifdef TM2_SOURCE_MODELS_DIR
  dirs.push_back(TM2_SOURCE_MODELS_DIR);
#endif
  for (const std::string& d : dirs) {
    const std::string p = d + "/" + name;
    if (Exists(p)) return p;
    *looked += (looked->empty() ? "" : ", ") + p;
  }
  return "";
}

struct LoadedModel {
  std::vector<uint8_t> bytes;
  Model model;
};

bool LoadModelFile(const std::string& path, LoadedModel* m, std::string* error) {
  if (!ReadFile(path.c_str(), &m->bytes)) {
    *error = "cannot read " + path;
    return false;
  }
  const Status s = LoadModel(m->bytes.data(), m->bytes.size(), &m->model);
  if (!s.ok()) *error = path + ": " + s.message();
  return s.ok();
}

// Events per gate label over a stretch of the stream.
struct Tally {
  std::vector<int64_t> counts;
  double from_s = 0;
  void Print(const char* kind, const Model& gate, double to_s) const {
    std::string events, per_minute;
    const double minutes = (to_s - from_s) / 60.0;
    for (int i = 0; i < gate.num_labels(); ++i) {
      char rate[32];
      std::snprintf(rate, sizeof(rate), "%.2f",
                    minutes > 0 ? static_cast<double>(counts[i]) / minutes : 0.0);
      const std::string sep = i ? ", " : "";
      events += sep + JsonString(gate.label(i)) + ": " + std::to_string(counts[i]);
      per_minute += sep + JsonString(gate.label(i)) + ": " + rate;
    }
    std::printf("{\"summary\": \"%s\", \"from\": %.3f, \"to\": %.3f, \"events\": {%s}, "
                "\"per_minute\": {%s}}\n",
                kind, from_s, to_s, events.c_str(), per_minute.c_str());
    std::fflush(stdout);
  }
};

struct Settings {
  std::string audio, device, gate, screen;
  bool from_stdin = false, from_device = false, screen_off = false, windows = false;
  long rate = 0, channels = 0, hop = 0;
  double summary_s = 60, merge_gap_s = -1, min_confidence = -1, seconds = 0;
  const KernelTable* kernels = nullptr;
};

// Feeds every block of `source` to `push` until the end, an error or a
// stop signal; returns false with `error` set on a read or push error.
template <typename PushFn>
bool Pump(AudioSource* source, int64_t max_frames, int64_t* frames_in, PushFn push,
          std::string* error) {
  for (;;) {
    if (g_stop || (max_frames > 0 && *frames_in >= max_frames)) return true;
    PcmView block;
    if (!source->Next(&block, error)) return false;
    if (max_frames > 0 && *frames_in + static_cast<int64_t>(block.frames) > max_frames)
      block.frames = static_cast<size_t>(max_frames - *frames_in);
    if (block.frames == 0) {
      if (source->interrupted() && !g_stop) continue;  // a signal we do not stop for
      return true;
    }
    *frames_in += static_cast<int64_t>(block.frames);
    size_t done = 0;
    while (done < block.frames) {
      PcmView rest = block;
      rest.frames = block.frames - done;
      if (rest.f32) rest.f32 += done * rest.channels;
      if (rest.s16) rest.s16 += done * rest.channels;
      size_t used = 0;
      if (!push(rest, &used, error)) return false;
      done += used;
    }
  }
}

}  // namespace

int Listen(int argc, char** argv) {
  Settings st;
  st.kernels = &SelectKernels();
  std::vector<const char*> positional;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "-h" || a == "--help") {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (a == "--reference") {
      st.kernels = &ReferenceKernels();
    } else if (a == "--no-screen") {
      st.screen_off = true;
    } else if (a == "--windows") {
      st.windows = true;
    } else if (a == "--rate") {
      if (!v || !ParseLong(argv[++i], 8000, 48000, &st.rate))
        return Usage("--rate needs a whole number of Hz in 8000..48000");
    } else if (a == "--channels") {
      if (!v || !ParseLong(argv[++i], 1, 32, &st.channels))
        return Usage("--channels needs a whole number in 1..32");
    } else if (a == "--hop") {
      if (!v || !ParseLong(argv[++i], 1, 65535, &st.hop))
        return Usage("--hop needs a whole number of frames in 1..65535");
    } else if (a == "--summary") {
      if (!v || !ParseDouble(argv[++i], 0, 86400, &st.summary_s))
        return Usage("--summary needs seconds in 0..86400");
    } else if (a == "--seconds") {
      if (!v || !ParseDouble(argv[++i], 0, 1e9, &st.seconds))
        return Usage("--seconds needs a number of seconds >= 0");
    } else if (a == "--merge-gap") {
      if (!v || !ParseDouble(argv[++i], 0, 4, &st.merge_gap_s))
        return Usage("--merge-gap needs seconds in 0..4");
    } else if (a == "--min-confidence") {
      if (!v || !ParseDouble(argv[++i], 0, 1, &st.min_confidence))
        return Usage("--min-confidence needs a probability in 0..1");
    } else if (a == "--gate" || a == "--screen" || a == "--device") {
      if (!v) return Usage(a + " needs a value");
      (a == "--gate" ? st.gate : a == "--screen" ? st.screen : st.device) = argv[++i];
      if (a == "--device") st.from_device = true;
    } else if (a.size() > 1 && a[0] == '-') {
      return Usage("unknown option " + a);
    } else {
      positional.push_back(argv[i]);
    }
  }
  if (positional.size() > 1)
    return Usage("give one input: an audio file, - for stdin, or --device NAME");
  if (positional.size() == 1 && st.from_device)
    return Usage("give either an audio file (or -) or --device, not both");
  if (positional.empty()) {
    st.from_device = true;
    if (st.device.empty()) st.device = "default";
  } else {
    st.audio = positional[0];
    st.from_stdin = st.audio == "-";
  }
  if (!st.from_stdin && !st.from_device && (st.rate || st.channels))
    return Usage("--rate and --channels describe stdin or a device; a file's header gives them");
  if (st.windows && (!st.screen.empty() || st.screen_off))
    return Usage("--windows prints one model's windows; --screen does not apply");

  // Models.
  LoadedModel gate, screen;
  std::string error, looked;
  if (st.gate.empty()) st.gate = FindModel("sound-gate.tm2", &looked);
  if (st.gate.empty()) return Fail("no gate model (looked at " + looked + "); give --gate");
  if (!LoadModelFile(st.gate, &gate, &error)) return Fail(error);
  const bool screening = !st.windows && !st.screen_off;
  if (screening) {
    looked.clear();
    if (st.screen.empty()) st.screen = FindModel("covid-cough.tm2", &looked);
    if (st.screen.empty())
      return Fail("no screening model (looked at " + looked + "); give --screen or --no-screen");
    if (!LoadModelFile(st.screen, &screen, &error)) return Fail(error);
  }
  // Which files: a service's journal (and the package test) can tell the
  // installed models from others.
  std::fprintf(stderr, "# models: %s%s%s\n", st.gate.c_str(), screening ? ", " : "",
               screening ? st.screen.c_str() : "");

  // Input.
  std::unique_ptr<AudioSource> source;
  const int rate = st.rate ? static_cast<int>(st.rate) : 16000;
  const int channels = st.channels ? static_cast<int>(st.channels) : 1;
  const std::string input = st.from_device ? "ALSA device '" + st.device + "'" : st.audio;
  if (st.from_device) {
    if (!OpenAlsa(st.device.c_str(), rate, channels, &source, &error)) return Fail(error);
  } else if (st.from_stdin) {
    OpenStdin(rate, channels, &source);
  } else if (!OpenFile(st.audio.c_str(), &source, &error)) {
    return Fail(error);
  }
  if (source->rate() < 8000 || source->rate() > 48000)
    return Fail(input + " is at " + std::to_string(source->rate()) +
                " Hz; tinym2 takes 8000..48000 Hz");
  if (source->channels() < 1 || source->channels() > 32)
    return Fail(input + " has " + std::to_string(source->channels()) +
                " channels; tinym2 takes 1..32");
  InstallStopHandlers();

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  double compute_s = 0;
  int64_t frames_in = 0, windows = 0, events = 0;
  const double seconds_per_sample = 1.0 / source->rate();
  const int64_t max_frames = static_cast<int64_t>(st.seconds * source->rate());  // 0 = all
  EngineOptions engine_options;
  engine_options.kernels = st.kernels;
  bool ok = true;
  std::string summary_line;

  if (st.windows) {
    // One model, one JSON line per window (the stage-1 output).
    StreamOptions options;
    options.input_rate = static_cast<uint32_t>(source->rate());
    options.channels = static_cast<uint16_t>(source->channels());
    options.hop_frames = static_cast<uint16_t>(st.hop);
    size_t need = 0;
    Status s = StreamRunner::ArenaBytes(gate.model, options, &need, engine_options);
    std::vector<uint8_t> arena(need);
    StreamRunner runner;
    if (s.ok()) s = runner.Init(gate.model, options, arena.data(), arena.size(), engine_options);
    if (!s.ok()) return Fail(st.gate + ": " + s.message());
    ok = Pump(source.get(), max_frames, &frames_in,
              [&](const PcmView& pcm, size_t* used, std::string* e) {
                const auto t0 = Clock::now();
                const Status ps = runner.Push(pcm, used);
                compute_s += std::chrono::duration<double>(Clock::now() - t0).count();
                if (!ps.ok()) {
                  *e = input + ": " + ps.message();
                  return false;
                }
                if (!runner.result_ready()) return true;
                const StreamWindow& w = runner.window();
                const int top = runner.top_class();
                std::printf("{\"window\": %lld, \"start\": %.3f, \"end\": %.3f, \"top\": %s, "
                            "\"probability\": %.4f}\n",
                            static_cast<long long>(w.index), w.first_sample * seconds_per_sample,
                            (w.first_sample + w.num_samples) * seconds_per_sample,
                            JsonString(gate.model.label(top)).c_str(),
                            static_cast<double>(runner.probabilities()[top]));
                std::fflush(stdout);
                ++windows;
                return true;
              },
              &error);
    char line[200];
    std::snprintf(line, sizeof(line), "%lld windows (hop %d frames = %.3f s, window %.3f s)",
                  static_cast<long long>(windows), runner.stream().hop_frames(),
                  runner.stream().hop_samples() * seconds_per_sample,
                  runner.stream().window_samples() * seconds_per_sample);
    summary_line = line;
    if (ok && windows == 0)
      std::fprintf(stderr, "tinym2 listen: the input is shorter than one window (%.3f s)\n",
                   runner.stream().window_samples() * seconds_per_sample);
  } else {
    ListenerOptions o;
    o.input_rate = static_cast<uint32_t>(source->rate());
    o.channels = static_cast<uint16_t>(source->channels());
    o.gate_hop_frames = static_cast<uint16_t>(st.hop);
    o.engine = engine_options;
    if (st.merge_gap_s >= 0) o.events.merge_gap_s = static_cast<float>(st.merge_gap_s);
    if (st.min_confidence >= 0) o.events.min_confidence = static_cast<float>(st.min_confidence);
    size_t need = 0;
    const Model* screen_model = screening ? &screen.model : nullptr;
    Status s = Listener::ArenaBytes(gate.model, screen_model, o, &need);
    std::vector<uint8_t> arena(need);
    Listener listener;
    if (s.ok()) s = listener.Init(gate.model, screen_model, o, arena.data(), arena.size());
    if (!s.ok()) return Fail(s.message());
    Tally period, total;
    period.counts.assign(gate.model.num_labels(), 0);
    total.counts = period.counts;
    const int64_t summary_every =
        static_cast<int64_t>(st.summary_s * source->rate());  // frames; 0 = none
    int64_t next_summary = summary_every;
    auto print_events = [&]() {
      for (int i = 0; i < listener.num_events(); ++i) {
        const SoundEvent& e = listener.event(i);
        char screening_text[32] = "null";
        if (e.screening >= 0)
          std::snprintf(screening_text, sizeof(screening_text), "%.4f",
                        static_cast<double>(e.screening));
        std::printf("{\"type\": %s, \"time\": %.3f, \"duration\": %.3f, \"confidence\": %.4f, "
                    "\"screening\": %s}\n",
                    JsonString(gate.model.label(e.label)).c_str(), e.onset * seconds_per_sample,
                    (e.offset - e.onset) * seconds_per_sample, static_cast<double>(e.confidence),
                    screening_text);
        ++period.counts[e.label];
        ++total.counts[e.label];
        ++events;
      }
      if (listener.num_events()) std::fflush(stdout);
    };
    ok = Pump(source.get(), max_frames, &frames_in,
              [&](const PcmView& pcm, size_t* used, std::string* e) {
                // Stop at the next summary's frame so that it is on time.
                PcmView part = pcm;
                const int64_t at = listener.frames_pushed();
                if (summary_every && at + static_cast<int64_t>(part.frames) > next_summary)
                  part.frames = static_cast<size_t>(next_summary - at);
                const auto t0 = Clock::now();
                const Status ps = listener.Push(part, used);
                compute_s += std::chrono::duration<double>(Clock::now() - t0).count();
                if (!ps.ok()) {
                  *e = input + ": " + ps.message();
                  return false;
                }
                print_events();
                if (summary_every && listener.frames_pushed() == next_summary) {
                  period.Print("period", gate.model, next_summary * seconds_per_sample);
                  period.counts.assign(period.counts.size(), 0);
                  period.from_s = next_summary * seconds_per_sample;
                  next_summary += summary_every;
                }
                return true;
              },
              &error);
    // Whatever the reason for stopping, what the listener holds is printed.
    s = listener.Finish();
    if (s.ok()) print_events();
    const double end_s = listener.frames_pushed() * seconds_per_sample;
    // The last, partial period (when there were whole ones before it).
    if (period.from_s > 0 && end_s > period.from_s) period.Print("period", gate.model, end_s);
    total.Print("total", gate.model, end_s);
    windows = listener.gate_windows();
    char line[200];
    std::snprintf(line, sizeof(line),
                  "%lld events from %lld gate windows (hop %.3f s) and %lld screening windows",
                  static_cast<long long>(events), static_cast<long long>(windows),
                  listener.gate().stream().hop_samples() * seconds_per_sample,
                  static_cast<long long>(listener.screen_windows()));
    summary_line = line;
  }

  if (source->trailing_bytes() != 0)
    std::fprintf(stderr, "tinym2 listen: ignored %zu trailing bytes (not a whole frame)\n",
                 source->trailing_bytes());
  if (source->overruns() != 0)
    std::fprintf(stderr, "tinym2 listen: %d capture overruns (audio was lost; times after them "
                 "run early)\n", source->overruns());
  const double audio_s = frames_in * seconds_per_sample;
  const double total_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::fprintf(stderr,
               "# %s; %.1f s of audio at %d Hz x %d; models %.3f s (%.0fx real time), with "
               "input %.3f s (%.0fx); kernels %s%s\n",
               summary_line.c_str(), audio_s, source->rate(), source->channels(), compute_s,
               compute_s > 0 ? audio_s / compute_s : 0.0, total_s,
               total_s > 0 ? audio_s / total_s : 0.0, st.kernels->name,
               g_stop ? "; stopped by a signal" : "");
  if (!ok) return Fail(error);
  return 0;
}

}  // namespace cli
}  // namespace tm2
