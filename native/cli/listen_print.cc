#include "listen_print.h"

#include <cstdio>

namespace tm2 {
namespace cli {

std::string JsonString(const char* s) {
  std::string out = "\"";
  for (; *s; ++s) {
    if (*s == '"' || *s == '\\') out += '\\';
    if (static_cast<unsigned char>(*s) >= 0x20) out += *s;
  }
  return out + "\"";
}

void PrintEvent(const Model& gate, const SoundEvent& e, double seconds_per_sample) {
  char screening_text[32] = "null";
  if (e.screening >= 0)
    std::snprintf(screening_text, sizeof(screening_text), "%.4f", static_cast<double>(e.screening));
  std::printf("{\"type\": %s, \"time\": %.3f, \"duration\": %.3f, \"confidence\": %.4f, "
              "\"screening\": %s}\n",
              JsonString(gate.label(e.label)).c_str(), e.onset * seconds_per_sample,
              (e.offset - e.onset) * seconds_per_sample, static_cast<double>(e.confidence),
              screening_text);
}

void PrintWindow(const Model& model, const StreamWindow& w, int top, float probability, bool tail,
                 double seconds_per_sample) {
  std::printf("{\"window\": %lld, \"start\": %.3f, \"end\": %.3f, \"top\": %s, "
              "\"probability\": %.4f, \"tail\": %s}\n",
              static_cast<long long>(w.index), w.first_sample * seconds_per_sample,
              (w.first_sample + w.num_samples) * seconds_per_sample,
              JsonString(model.label(top)).c_str(), static_cast<double>(probability),
              tail ? "true" : "false");
  std::fflush(stdout);
}

void Tally::Print(const char* kind, const Model& gate, double to_s) const {
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

}  // namespace cli
}  // namespace tm2
