// Clips for tinym2-listen-eval: reading 16 kHz audio, the page's level
// check, and the sound gate's Coswara participants of one split, chosen
// as the factory chooses them (native/factory/data/split.cc, items.cc) from
// the gate recipe's data settings, so a new gate's recipe gives its own
// held-out participants:
//
//   tm2::cli::SplitRule rule;                       // or ReadSplitRule(recipe)
//   std::vector<tm2::cli::Clip> clips;
//   std::string error;
//   if (!tm2::cli::LoadCoswara(dir, rule, "validation", &clips, &error)) ...
#ifndef TM2_CLI_LISTEN_EVAL_CLIPS_H_
#define TM2_CLI_LISTEN_EVAL_CLIPS_H_

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tm2 {
namespace cli {

constexpr int kRate = 16000;  // the streams are built at 16 kHz mono

struct Clip {
  std::string label, path;
  std::vector<float> samples;
};

// A recipe's data split: validation_fraction, split_seed and holdout
// (models/recipes/*.json, "data"). The defaults are the shipped gate's
// (models/recipes/sound-gate-tile.json; sound-gate-balanced.json has the same split).
struct SplitRule {
  double fraction = 0.25;
  unsigned long long seed = 3;
  bool holdout = true;
};

// Reads the three fields from a recipe's "data" object; false with a
// message if the file or a field is missing.
bool ReadSplitRule(const std::string& recipe_path, SplitRule* rule, std::string* error);

bool ReadMono(const std::string& path, std::vector<float>* out, std::string* error);
std::vector<std::string> ListDir(const std::string& dir);
bool IsAudio(const std::string& name);
bool LoudEnough(const std::vector<float>& x);

// The factory's split by group: groups in name order, shuffled with
// splitmix64 from the seed, taken until they hold the wanted share.
std::set<std::string> ValidationGroups(const std::map<std::string, int>& items_per_group,
                                       double fraction, unsigned long long seed);

// Coswara (<participant>/<type>-<variant>.flac, labels = types): the
// recordings that pass the level check, of the participants in `split`:
// "validation" (tuning) or "evaluation" (held out; needs rule.holdout).
// With holdout the factory first takes evaluation participants as a plain
// split would take validation ones, then draws validation from the rest
// with seed ^ 0xE7A1.
bool LoadCoswara(const std::string& dir, const SplitRule& rule, const std::string& split,
                 std::vector<Clip>* clips, std::string* error);

// [first, last) of the clip's sound: 10 ms frames within 30 dB of its
// loudest frame.
void SoundSpan(const std::vector<float>& x, size_t* first, size_t* last);

}  // namespace cli
}  // namespace tm2

#endif  // TM2_CLI_LISTEN_EVAL_CLIPS_H_
