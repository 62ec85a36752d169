#include "listen_setup.h"

#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "read_file.h"

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

bool LoadModelFile(const std::string& path, LoadedModel* m, std::string* error) {
  if (!ReadFile(path.c_str(), &m->bytes)) {
    *error = "cannot read " + path;
    return false;
  }
  const Status s = LoadModel(m->bytes.data(), m->bytes.size(), &m->model);
  if (!s.ok()) *error = path + ": " + s.message();
  return s.ok();
}

}  // namespace

int ListenFail(const std::string& message) {
  std::fprintf(stderr, "tinym2 listen: %s\n", message.c_str());
  return 1;
}

int ParseListenArgs(int argc, char** argv, ListenSettings* st) {
  st->kernels = &SelectKernels();
  std::vector<const char*> positional;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "-h" || a == "--help") {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (a == "--reference") {
      st->kernels = &ReferenceKernels();
    } else if (a == "--no-screen") {
      st->screen_off = true;
    } else if (a == "--windows") {
      st->windows = true;
    } else if (a == "--rate") {
      if (!v || !ParseLong(argv[++i], 8000, 48000, &st->rate))
        return Usage("--rate needs a whole number of Hz in 8000..48000");
    } else if (a == "--channels") {
      if (!v || !ParseLong(argv[++i], 1, 32, &st->channels))
        return Usage("--channels needs a whole number in 1..32");
    } else if (a == "--hop") {
      if (!v || !ParseLong(argv[++i], 1, 65535, &st->hop))
        return Usage("--hop needs a whole number of frames in 1..65535");
    } else if (a == "--summary") {
      if (!v || !ParseDouble(argv[++i], 0, 86400, &st->summary_s))
        return Usage("--summary needs seconds in 0..86400");
    } else if (a == "--seconds") {
      if (!v || !ParseDouble(argv[++i], 0, 1e9, &st->seconds))
        return Usage("--seconds needs a number of seconds >= 0");
    } else if (a == "--merge-gap") {
      if (!v || !ParseDouble(argv[++i], 0, 4, &st->merge_gap_s))
        return Usage("--merge-gap needs seconds in 0..4");
    } else if (a == "--min-confidence") {
      if (!v || !ParseDouble(argv[++i], 0, 1, &st->min_confidence))
        return Usage("--min-confidence needs a probability in 0..1");
    } else if (a == "--gate" || a == "--screen" || a == "--device") {
      if (!v) return Usage(a + " needs a value");
      (a == "--gate" ? st->gate : a == "--screen" ? st->screen : st->device) = argv[++i];
      if (a == "--device") st->from_device = true;
    } else if (a.size() > 1 && a[0] == '-') {
      return Usage("unknown option " + a);
    } else {
      positional.push_back(argv[i]);
    }
  }
  if (positional.size() > 1)
    return Usage("give one input: an audio file, - for stdin, or --device NAME");
  if (positional.size() == 1 && st->from_device)
    return Usage("give either an audio file (or -) or --device, not both");
  if (positional.empty()) {
    st->from_device = true;
    if (st->device.empty()) st->device = "default";
  } else {
    st->audio = positional[0];
    st->from_stdin = st->audio == "-";
  }
  if (!st->from_stdin && !st->from_device && (st->rate || st->channels))
    return Usage("--rate and --channels describe stdin or a device; a file's header gives them");
  if (st->windows && (!st->screen.empty() || st->screen_off))
    return Usage("--windows prints one model's windows; --screen does not apply");

  return -1;
}

int OpenListenSetup(ListenSettings* st, ListenSetup* setup) {
  // Models.
  std::string error, looked;
  if (st->gate.empty()) st->gate = FindModel("sound-gate.tm2", &looked);
  if (st->gate.empty()) return ListenFail("no gate model (looked at " + looked + "); give --gate");
  if (!LoadModelFile(st->gate, &setup->gate, &error)) return ListenFail(error);
  setup->screening = !st->windows && !st->screen_off;
  if (setup->screening) {
    looked.clear();
    if (st->screen.empty()) st->screen = FindModel("covid-cough.tm2", &looked);
    if (st->screen.empty())
      return ListenFail("no screening model (looked at " + looked +
                        "); give --screen or --no-screen");
    if (!LoadModelFile(st->screen, &setup->screen, &error)) return ListenFail(error);
  }
  // Which files: a service's journal (and the package test) can tell the
  // installed models from others.
  std::fprintf(stderr, "# models: %s%s%s\n", st->gate.c_str(), setup->screening ? ", " : "",
               setup->screening ? st->screen.c_str() : "");

  // Input.
  const int rate = st->rate ? static_cast<int>(st->rate) : 16000;
  const int channels = st->channels ? static_cast<int>(st->channels) : 1;
  setup->input = st->from_device ? "ALSA device '" + st->device + "'" : st->audio;
  std::unique_ptr<AudioSource>& source = setup->source;
  if (st->from_device) {
    if (!OpenAlsa(st->device.c_str(), rate, channels, &source, &error)) return ListenFail(error);
  } else if (st->from_stdin) {
    OpenStdin(rate, channels, &source);
  } else if (!OpenFile(st->audio.c_str(), &source, &error)) {
    return ListenFail(error);
  }
  if (source->rate() < 8000 || source->rate() > 48000)
    return ListenFail(setup->input + " is at " + std::to_string(source->rate()) +
                      " Hz; tinym2 takes 8000..48000 Hz");
  if (source->channels() < 1 || source->channels() > 32)
    return ListenFail(setup->input + " has " + std::to_string(source->channels()) +
                      " channels; tinym2 takes 1..32");
  return -1;
}

}  // namespace cli
}  // namespace tm2
