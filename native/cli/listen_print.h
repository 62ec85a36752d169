// `tinym2 listen`'s output: one JSON line per event or window, and the
// summaries (events per type, and per minute, over a stretch of audio).
//
//   tm2::cli::Tally period;                       // counts per gate label
//   period.counts.assign(gate.num_labels(), 0);
//   tm2::cli::PrintEvent(gate, event, 1.0 / 16000);
//   ++period.counts[event.label];
//   period.Print("period", gate, 60.0);
#ifndef TM2_NATIVE_CLI_LISTEN_PRINT_H_
#define TM2_NATIVE_CLI_LISTEN_PRINT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "format/model.h"
#include "preprocess/stream.h"
#include "stream/event_detector.h"

namespace tm2 {
namespace cli {

// A JSON string: the text between quotes, with " and \ escaped.
std::string JsonString(const char* s);

// {"type": ..., "time": ..., "duration": ..., "confidence": ..., "screening": ...}
void PrintEvent(const Model& gate, const SoundEvent& e, double seconds_per_sample);
// {"window": ..., "start": ..., "end": ..., "top": ..., "probability": ..., "tail": ...};
// tail = the last window at the end of input, cut there and padded with
// silence (end = the end of input).
void PrintWindow(const Model& model, const StreamWindow& w, int top, float probability, bool tail,
                 double seconds_per_sample);

// Events per gate label over a stretch of the stream.
struct Tally {
  std::vector<int64_t> counts;
  double from_s = 0;
  // {"summary": KIND, "from": ..., "to": TO_S, "events": {...}, "per_minute": {...}}
  void Print(const char* kind, const Model& gate, double to_s) const;
};

}  // namespace cli
}  // namespace tm2

#endif  // TM2_NATIVE_CLI_LISTEN_PRINT_H_
