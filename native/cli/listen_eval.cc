// tinym2-listen-eval: measures event detection on long streams with known
// event times. Real clips (labelled by sound type) are trimmed to their
// sound and placed with random gaps onto a bed of real background
// recordings; the stream goes through tm2::Listener (the gate and the
// screening model) in 4096-frame blocks, and the detected events are scored
// against the placed ones (event_match.h): precision, recall and onset
// error per label and overall, and the real-time factor.
//
//   tinym2-listen-eval GATE.tm2 SCREEN.tm2 --coswara DIR --background DIR
//   tinym2-listen-eval GATE.tm2 SCREEN.tm2 --clip cough=a.wav --clip ...
//       --background b.wav --repeat 4 --min-precision 0.8 --min-recall 0.8
// --coswara takes the gate recipe's validation participants (or with
// --split evaluation its held-out ones; listen_eval_clips.h) and their
// recordings that pass the page's level check.
#include <sndfile.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "event_match.h"
#include "listen_eval_clips.h"
#include "read_file.h"
#include "stream/listener.h"

namespace tm2 {
namespace cli {
namespace {

int Fail(const std::string& m) {
  std::fprintf(stderr, "tinym2-listen-eval: %s\n", m.c_str());
  return 2;
}

bool LoadModelFile(const char* path, std::vector<uint8_t>* bytes, Model* model, std::string* e) {
  if (!ReadFile(path, bytes)) {
    *e = std::string("cannot read ") + path;
    return false;
  }
  const Status s = LoadModel(bytes->data(), bytes->size(), model);
  if (!s.ok()) *e = std::string(path) + ": " + s.message();
  return s.ok();
}

const char kHelp[] =
    "usage: tinym2-listen-eval [options] GATE.tm2 SCREEN.tm2\n"
    "  --coswara DIR          Coswara recordings of the gate recipe's participants of one split\n"
    "  --split NAME           validation (tune here; default) or evaluation (held out)\n"
    "  --recipe FILE          the gate's recipe, for its split (default: the shipped gate's,\n"
    "                         validation_fraction 0.25, split_seed 3, holdout)\n"
    "  --clip LABEL=FILE      a clip of a known type (repeatable)\n"
    "  --background FILE|DIR  background recordings for the bed and gaps (repeatable)\n"
    "  --background-db DB     background RMS in dBFS (default -50)\n"
    "  --gap MIN,MAX          seconds of background before each clip (default 2,6)\n"
    "  --repeat N             place the clip list N times, reshuffled (default 1)\n"
    "  --seed N               shuffle and gap seed (default 1)\n"
    "  --merge-gap S, --merge-same-gap S, --min-confidence P, --min-duration S,\n"
    "  --gate-hop FRAMES,\n"
    "  --on-margin DB, --off-margin DB, --min-dbfs DB         detector settings\n"
    "  --raw-votes            windows vote without the background taken out\n"
    "  --write FILE.wav       also save the stream (16-bit WAV)\n"
    "  --verbose              list the true and the detected events\n"
    "  --min-precision P, --min-recall R, --max-onset-ms MS\n"
    "                         exit 1 when the overall figures miss these\n";

}  // namespace

int ListenEval(int argc, char** argv) {
  std::vector<const char*> positional;
  ListenerOptions o;
  std::vector<Clip> clips;
  std::vector<std::string> background_paths;
  std::string coswara, split = "validation", error;
  SplitRule rule;
  double background_db = -50, gap_min = 2, gap_max = 6;
  double min_precision = 0, min_recall = 0, max_onset_ms = 1e9;
  int repeat = 1;
  bool verbose = false;
  std::string write_path;
  unsigned seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    auto need = [&]() {
      if (!v) std::exit(Fail(a + " needs a value"));
      ++i;
      return std::string(v);
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (a == "--merge-gap") {
      o.events.merge_gap_s = static_cast<float>(std::atof(need().c_str()));
    } else if (a == "--raw-votes") {
      o.events.subtract_background = false;
    } else if (a == "--min-confidence") {
      o.events.min_confidence = static_cast<float>(std::atof(need().c_str()));
    } else if (a == "--merge-same-gap") {
      o.events.merge_same_label_gap_s = static_cast<float>(std::atof(need().c_str()));
    } else if (a == "--min-duration") {
      o.events.min_duration_s = static_cast<float>(std::atof(need().c_str()));
    } else if (a == "--on-margin") {
      o.activity.on_margin_db = static_cast<float>(std::atof(need().c_str()));
    } else if (a == "--off-margin") {
      o.activity.off_margin_db = static_cast<float>(std::atof(need().c_str()));
    } else if (a == "--min-dbfs") {
      o.activity.min_dbfs = static_cast<float>(std::atof(need().c_str()));
    } else if (a == "--split") {
      split = need();
    } else if (a == "--recipe") {
      if (!ReadSplitRule(need(), &rule, &error)) return Fail(error);
    } else if (a == "--gate-hop") {
      o.gate_hop_frames = static_cast<uint16_t>(std::atoi(need().c_str()));
    } else if (a == "--write") {
      write_path = need();
    } else if (a == "--verbose") {
      verbose = true;
    } else if (a == "--coswara") {
      coswara = need();
    } else if (a == "--clip") {
      const std::string s = need();
      const size_t eq = s.find('=');
      if (eq == std::string::npos) return Fail("--clip takes LABEL=FILE");
      Clip c;
      c.label = s.substr(0, eq);
      c.path = s.substr(eq + 1);
      clips.push_back(c);
    } else if (a == "--background") {
      background_paths.push_back(need());
    } else if (a == "--background-db") {
      background_db = std::atof(need().c_str());
    } else if (a == "--gap") {
      if (std::sscanf(need().c_str(), "%lf,%lf", &gap_min, &gap_max) != 2 || gap_min < 0 ||
          gap_max < gap_min)
        return Fail("--gap takes MIN,MAX seconds");
    } else if (a == "--repeat") {
      repeat = std::atoi(need().c_str());
    } else if (a == "--seed") {
      seed = static_cast<unsigned>(std::atoi(need().c_str()));
    } else if (a == "--min-precision") {
      min_precision = std::atof(need().c_str());
    } else if (a == "--min-recall") {
      min_recall = std::atof(need().c_str());
    } else if (a == "--max-onset-ms") {
      max_onset_ms = std::atof(need().c_str());
    } else if (a[0] == '-') {
      return Fail("unknown option " + a);
    } else {
      positional.push_back(argv[i]);
    }
  }
  if (positional.size() != 2) return Fail("give the gate and the screening model (see --help)");
  if (repeat < 1) return Fail("--repeat needs at least 1");
  std::vector<uint8_t> gate_bytes, screen_bytes;
  Model gate, screen;
  if (!LoadModelFile(positional[0], &gate_bytes, &gate, &error) ||
      !LoadModelFile(positional[1], &screen_bytes, &screen, &error))
    return Fail(error);
  for (Clip& c : clips)
    if (!ReadMono(c.path, &c.samples, &error)) return Fail(error);
  if (!coswara.empty() && !LoadCoswara(coswara, rule, split, &clips, &error)) return Fail(error);
  if (clips.empty()) return Fail("no clips (--coswara or --clip)");
  std::vector<std::vector<float>> backgrounds;
  for (const std::string& p : background_paths) {
    std::vector<std::string> files;
    if (IsAudio(p)) files.push_back(p);
    else
      for (const std::string& n : ListDir(p))
        if (IsAudio(n)) files.push_back(p + "/" + n);
    for (const std::string& f : files) {
      std::vector<float> x;
      if (!ReadMono(f, &x, &error)) return Fail(error);
      double e = 0;
      for (float v : x) e += static_cast<double>(v) * v;
      const double rms = std::sqrt(e / std::max<size_t>(1, x.size()));
      if (rms < 1e-6) continue;  // digital silence says nothing about a room
      const double gain = std::pow(10.0, background_db / 20) / rms;
      for (float& v : x) v = static_cast<float>(v * gain);
      backgrounds.push_back(std::move(x));
    }
  }
  if (backgrounds.empty()) return Fail("no background recordings (--background)");

  // Place the clips: a gap of background, then the clip's sound, ...
  std::mt19937 rng(seed);
  auto uniform = [&rng](double lo, double hi) { return lo + (hi - lo) * (rng() / 4294967296.0); };
  std::vector<int> label_of_clip;
  std::vector<std::string> labels;
  for (int i = 0; i < gate.num_labels(); ++i) labels.push_back(gate.label(i));
  std::vector<TimedEvent> truth;
  std::vector<std::pair<size_t, size_t>> placed;  // clip index, stream position
  int64_t pos = 0;
  for (int r = 0; r < repeat; ++r) {
    std::vector<size_t> order(clips.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t i : order) {
      const auto it = std::find(labels.begin(), labels.end(), clips[i].label);
      if (it == labels.end()) return Fail("the gate has no label '" + clips[i].label + "'");
      size_t a = 0, b = 0;
      SoundSpan(clips[i].samples, &a, &b);
      pos += static_cast<int64_t>(uniform(gap_min, gap_max) * kRate);
      TimedEvent t;
      t.label = static_cast<int>(it - labels.begin());
      t.onset = pos;
      t.offset = pos + static_cast<int64_t>(b - a);
      truth.push_back(t);
      placed.push_back({i, static_cast<size_t>(pos)});
      pos = t.offset;
    }
  }
  pos += static_cast<int64_t>(gap_max * kRate);
  std::vector<float> stream(static_cast<size_t>(pos));
  for (size_t at = 0, k = 0; at < stream.size(); k = (k + 1) % backgrounds.size()) {
    const std::vector<float>& bg = backgrounds[(rng() % backgrounds.size())];
    const size_t n = std::min(bg.size(), stream.size() - at);
    std::copy(bg.begin(), bg.begin() + static_cast<std::ptrdiff_t>(n), stream.begin() + at);
    at += n;
  }
  for (size_t j = 0; j < placed.size(); ++j) {
    const Clip& c = clips[placed[j].first];
    size_t a = 0, b = 0;
    SoundSpan(c.samples, &a, &b);
    for (size_t f = a; f < b; ++f) stream[placed[j].second + f - a] += c.samples[f];
  }

  if (!write_path.empty()) {
    SF_INFO info{};
    info.samplerate = kRate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* f = sf_open(write_path.c_str(), SFM_WRITE, &info);
    if (!f) return Fail("cannot write " + write_path + ": " + sf_strerror(nullptr));
    sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE);
    const bool written = sf_writef_float(f, stream.data(), static_cast<sf_count_t>(stream.size())) ==
                         static_cast<sf_count_t>(stream.size());
    sf_close(f);
    if (!written) return Fail("cannot write " + write_path);
  }
  size_t need = 0;
  Status s = Listener::ArenaBytes(gate, &screen, o, &need);
  std::vector<uint8_t> arena(need);
  Listener listener;
  if (s.ok()) s = listener.Init(gate, &screen, o, arena.data(), arena.size());
  if (!s.ok()) return Fail(s.message());
  std::vector<TimedEvent> found;
  std::vector<float> screening;
  auto take = [&]() {
    for (int i = 0; i < listener.num_events(); ++i) {
      const SoundEvent& e = listener.event(i);
      found.push_back({e.label, e.onset, e.offset});
      screening.push_back(e.screening);
    }
  };
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t cpu0 = std::clock();
  for (size_t at = 0; at < stream.size();) {
    const size_t n = std::min<size_t>(4096, stream.size() - at);
    size_t done = 0;
    while (done < n) {
      size_t used = 0;
      s = listener.Push(PcmView::F32(stream.data() + at + done, n - done, kRate, 1), &used);
      if (!s.ok()) return Fail(s.message());
      done += used;
      take();
    }
    at += n;
  }
  if (!(s = listener.Finish()).ok()) return Fail(s.message());
  take();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu_s = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  const double audio_s = static_cast<double>(stream.size()) / kRate;

  std::printf("stream: %.1f min, %zu true events from %zu clips (x%d%s%s), background %zu "
              "recordings at %.0f dBFS, gaps %.1f..%.1f s, seed %u\n",
              audio_s / 60, truth.size(), clips.size(), repeat, coswara.empty() ? "" : ", Coswara ",
              coswara.empty() ? "" : split.c_str(), backgrounds.size(), background_db, gap_min,
              gap_max, seed);
  std::printf("listener: arena %zu bytes, gate hop %.3f s, %lld gate + %lld screening windows, %.3f s "
              "(%.0fx real time; CPU time %.3f s, %.0fx), %lld events dropped as too short, %lld as unsure\n",
              need, static_cast<double>(listener.gate().stream().hop_samples()) / kRate,
              static_cast<long long>(listener.gate_windows()),
              static_cast<long long>(listener.screen_windows()), seconds,
              seconds > 0 ? audio_s / seconds : 0.0, cpu_s, cpu_s > 0 ? audio_s / cpu_s : 0.0,
              static_cast<long long>(listener.detector().dropped_short()),
              static_cast<long long>(listener.detector().dropped_unsure()));
  std::printf("%-10s %5s %5s %5s %9s %7s %13s %13s %13s\n", "label", "true", "found", "match",
              "precision", "recall", "onset |err| median ms", "mean ms", "p90 ms");
  auto row = [&](const char* name, const MatchResult& m) {
    double mean = 0;
    for (int64_t e : m.onset_errors) mean += std::fabs(static_cast<double>(e));
    mean = m.onset_errors.empty() ? 0 : mean / m.onset_errors.size();
    std::printf("%-10s %5d %5d %5d %9.3f %7.3f %13.0f %13.0f %13.0f\n", name, m.truth, m.detected,
                m.matched, m.precision(), m.recall(), AbsQuantile(m.onset_errors, 0.5) * 1000.0 / kRate,
                mean * 1000 / kRate, AbsQuantile(m.onset_errors, 0.9) * 1000.0 / kRate);
  };
  for (int l = 0; l < static_cast<int>(labels.size()); ++l) row(labels[l].c_str(), MatchEvents(truth, found, l, false));
  const MatchResult all = MatchEvents(truth, found, -1, false);
  const MatchResult any = MatchEvents(truth, found, -1, true);
  row("all", all);
  row("any-label", any);
  // 95 % Wilson score intervals: precision as matched of found, recall as
  // matched of true (events taken as independent trials).
  auto wilson = [](int k, int n, double* lo, double* hi) {
    if (n == 0) return void(*lo = *hi = 0);
    const double z = 1.959964, p = static_cast<double>(k) / n, d = 1 + z * z / n;
    const double c = (p + z * z / (2 * n)) / d, h = z * std::sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / d;
    *lo = c - h, *hi = c + h;
  };
  for (const auto& r : {std::make_pair("all", &all), std::make_pair("any-label", &any)}) {
    double plo, phi, rlo, rhi;
    wilson(r.second->matched, r.second->detected, &plo, &phi);
    wilson(r.second->matched, r.second->truth, &rlo, &rhi);
    std::printf("%-10s precision %.3f [%.3f, %.3f], recall %.3f [%.3f, %.3f] (95 %% Wilson)\n",
                r.first, r.second->precision(), plo, phi, r.second->recall(), rlo, rhi);
  }
  int screened = 0;
  for (size_t i = 0; i < found.size(); ++i) screened += screening[i] >= 0;
  std::printf("cough events with a screening probability: %d\n", screened);

  if (verbose) {
    for (const TimedEvent& t : truth)
      std::printf("true  %-10s %8.2f %8.2f\n", labels[t.label].c_str(), t.onset / double(kRate), t.offset / double(kRate));
    for (const TimedEvent& t : found)
      std::printf("found %-10s %8.2f %8.2f\n", labels[t.label].c_str(), t.onset / double(kRate), t.offset / double(kRate));
  }
  const double onset_ms = AbsQuantile(all.onset_errors, 0.5) * 1000.0 / kRate;
  bool ok = true;
  if (all.precision() < min_precision) ok = false, std::printf("FAIL: precision %.3f < %.3f\n", all.precision(), min_precision);
  if (all.recall() < min_recall) ok = false, std::printf("FAIL: recall %.3f < %.3f\n", all.recall(), min_recall);
  if (onset_ms > max_onset_ms) ok = false, std::printf("FAIL: median onset error %.0f ms > %.0f ms\n", onset_ms, max_onset_ms);
  return ok ? 0 : 1;
}

}  // namespace cli
}  // namespace tm2

int main(int argc, char** argv) { return tm2::cli::ListenEval(argc, argv); }
