// The server-side quality gate of a completed take: the same rules as the
// page's web/quality.js (length, level, clipping) and the same sound-type
// model (models/manifest.json's `gate`) run by the same C++ core, on the
// WAV as stored. The verdict is recorded, not enforced: a flagged take is
// kept for the researcher to judge.
#ifndef TM2_STUDY_SERVER_TAKE_CHECK_H_
#define TM2_STUDY_SERVER_TAKE_CHECK_H_

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "wav_header.h"

namespace tm2study {

struct TaskLimits {
  std::string modality;
  double min_seconds = 0, max_seconds = 0;
};

struct Verdict {
  std::string verdict;  // ok, short, quiet, clipped, kind
  std::string message;
  double probability = -1;  // sound-type probability; -1 when not checked
};

class TakeChecker {
 public:
  // Loads the manifest's gate model; with an empty path (or no `gate` in the
  // manifest) only length and level are checked. Throws std::runtime_error
  // naming the file on a bad manifest or model.
  explicit TakeChecker(const std::string& manifest_path);

  Verdict Check(const std::vector<uint8_t>& wav, const WavHeader& header,
                const TaskLimits& task);
  bool has_gate() const { return ready_; }

 private:
  std::vector<uint8_t> model_bytes_;
  std::vector<uint8_t> arena_;
  tm2::Model model_;
  tm2::Engine engine_;
  std::map<std::string, int> label_index_;  // modality -> class index
  double threshold_ = 0.5;
  bool ready_ = false;
  std::mutex mu_;  // one engine, one take at a time
};

}  // namespace tm2study

#endif  // TM2_STUDY_SERVER_TAKE_CHECK_H_
