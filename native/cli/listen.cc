// `tinym2 listen`: runs the listener (or, with --windows, one model) over
// the source that listen_setup.h opened, prints events, windows and
// summaries through listen_print.h, and stops cleanly on SIGINT/SIGTERM.
#include "listen.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "listen_print.h"
#include "listen_setup.h"
#include "stream/listener.h"
#include "stream/stream_runner.h"

namespace tm2 {
namespace cli {
namespace {

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
  ListenSettings st;
  int status = ParseListenArgs(argc, argv, &st);
  if (status >= 0) return status;
  ListenSetup setup;
  if ((status = OpenListenSetup(&st, &setup)) >= 0) return status;
  const LoadedModel& gate = setup.gate;
  AudioSource* source = setup.source.get();
  const std::string& input = setup.input;
  std::string error;
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
    if (!s.ok()) return ListenFail(st.gate + ": " + s.message());
    ok = Pump(source, max_frames, &frames_in,
              [&](const PcmView& pcm, size_t* used, std::string* e) {
                const auto t0 = Clock::now();
                const Status ps = runner.Push(pcm, used);
                compute_s += std::chrono::duration<double>(Clock::now() - t0).count();
                if (!ps.ok()) {
                  *e = input + ": " + ps.message();
                  return false;
                }
                if (!runner.result_ready()) return true;
                const int top = runner.top_class();
                PrintWindow(gate.model, runner.window(), top, runner.probabilities()[top], false,
                            seconds_per_sample);
                ++windows;
                return true;
              },
              &error);
    // The end of input: windows still due, then the tail (the first window
    // not completed, cut at the end and padded as a short clip is).
    bool tail = false;
    for (Status fs = Status::Ok(); ok;) {
      const auto t0 = Clock::now();
      fs = runner.Finish();
      compute_s += std::chrono::duration<double>(Clock::now() - t0).count();
      if (!fs.ok()) {
        ok = false;
        error = input + ": " + fs.message();
      }
      if (!ok || !runner.result_ready()) break;
      const int top = runner.top_class();
      tail = runner.tail_ready();
      PrintWindow(gate.model, runner.window(), top, runner.probabilities()[top], tail,
                  seconds_per_sample);
      ++windows;
    }
    char line[200];
    std::snprintf(line, sizeof(line), "%lld windows (hop %d frames = %.3f s, window %.3f s)",
                  static_cast<long long>(windows), runner.stream().hop_frames(),
                  runner.stream().hop_samples() * seconds_per_sample,
                  runner.stream().window_samples() * seconds_per_sample);
    summary_line = line;
    if (ok && windows == 1 && tail)
      std::fprintf(stderr,
                   gate.model.preprocess(0).pad == PadMode::kTile
                       ? "tinym2 listen: the input is shorter than one window (%.3f s): its one "
                         "window is the clip tiled (clip, silence, clip, ...; the model's pad "
                         "Tile), as `tinym2 run` tiles it\n"
                       : "tinym2 listen: the input is shorter than one window (%.3f s): its one "
                         "window is the clip padded with silence, as `tinym2 run` pads it\n",
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
    const Model* screen_model = setup.screening ? &setup.screen.model : nullptr;
    Status s = Listener::ArenaBytes(gate.model, screen_model, o, &need);
    std::vector<uint8_t> arena(need);
    Listener listener;
    if (s.ok()) s = listener.Init(gate.model, screen_model, o, arena.data(), arena.size());
    if (!s.ok()) return ListenFail(s.message());
    Tally period, total;
    period.counts.assign(gate.model.num_labels(), 0);
    total.counts = period.counts;
    const int64_t summary_every =
        static_cast<int64_t>(st.summary_s * source->rate());  // frames; 0 = none
    int64_t next_summary = summary_every;
    auto print_events = [&]() {
      for (int i = 0; i < listener.num_events(); ++i) {
        const SoundEvent& e = listener.event(i);
        PrintEvent(gate.model, e, seconds_per_sample);
        ++period.counts[e.label];
        ++total.counts[e.label];
        ++events;
      }
      if (listener.num_events()) std::fflush(stdout);
    };
    ok = Pump(source, max_frames, &frames_in,
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
                  "%lld events from %lld gate windows (hop %.3f s%s) and %lld screening windows",
                  static_cast<long long>(events), static_cast<long long>(windows),
                  listener.gate().stream().hop_samples() * seconds_per_sample,
                  listener.tail_windows() ? ", the last a padded tail" : "",
                  static_cast<long long>(listener.screen_windows()));
    summary_line = line;
    // Say that a short recording was judged as one padded clip (the page and
    // `tinym2 run` do the same), not windowed, and, when that gave no event,
    // the two rules that drop one, so that "0 events" does not read as "not
    // classified".
    if (s.ok() && windows == listener.tail_windows() && windows > 0) {
      std::fprintf(stderr,
                   "tinym2 listen: the input is shorter than one gate window (%.3f s): it was "
                   "classified as one clip padded with silence, as the page and `tinym2 run` "
                   "do\n",
                   listener.gate().stream().window_samples() * seconds_per_sample);
      if (events == 0)
        std::fprintf(stderr,
                     "tinym2 listen: no event: it holds less than %.1f s of sound, or the gate's "
                     "answer is below --min-confidence %.2f\n",
                     o.events.min_duration_s, o.events.min_confidence);
    }
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
  if (!ok) return ListenFail(error);
  return 0;
}

}  // namespace cli
}  // namespace tm2
