// Adapters for the layouts in the project's shared datasets folder (its
// README describes each). Directory listings are sorted so a dataset always
// loads in the same order, whatever the file system returns.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "data/dataset.h"

namespace tm2 {
namespace factory {
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> SortedEntries(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw std::runtime_error(dir.string() + ": not a directory");
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

bool IsAudio(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".wav" || ext == ".flac" || ext == ".mp3" || ext == ".ogg";
}

nlohmann::json ReadJson(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error(p.string() + ": cannot open");
  return nlohmann::json::parse(in);
}

}  // namespace

std::vector<Example> LoadCovidCough(const std::string& root) {
  const auto meta = ReadJson(fs::path(root) / "metadata.json");
  std::vector<Example> rows;
  for (const auto& r : meta) {
    Example e;
    const std::string file = r.at("filename").get<std::string>();
    e.path = (fs::path(root) / "raw" / file).string();
    e.label = r.at("covid19").get<bool>() ? "positive" : "negative";
    // No participant ids: each recording is its own group; identical
    // copies under other names are removed by content before splitting.
    e.group = file;
    e.modality = "cough";
    e.source = r.value("source", "");
    rows.push_back(e);
  }
  return rows;
}

std::vector<Example> LoadCoswara(const std::string& root, const std::string& label_kind) {
  const std::string kind = label_kind.empty() ? "sound_type" : label_kind;
  if (kind != "sound_type" && kind != "covid_status" && kind != "gender")
    throw std::runtime_error("coswara label '" + kind + "': use sound_type, covid_status or gender");
  std::vector<Example> rows;
  for (const auto& dir : SortedEntries(root)) {
    if (!fs::is_directory(dir)) continue;
    // Participant-level labels come from the folder's metadata.json; a
    // participant without the field gets no label and is left out.
    std::string status;
    if (kind == "covid_status") status = ReadJson(dir / "metadata.json").value("covid_status", "");
    if (kind == "gender") status = ReadJson(dir / "metadata.json").value("g", "");
    for (const auto& f : SortedEntries(dir)) {
      if (!IsAudio(f)) continue;
      const std::string stem = f.stem().string();  // e.g. cough-heavy
      const std::string type = stem.substr(0, stem.find('-'));
      Example e;
      e.path = f.string();
      e.group = dir.filename().string();
      e.modality = type;  // breathing, cough, counting, vowel
      e.label = kind == "sound_type" ? type : status;
      e.source = stem;
      rows.push_back(e);
    }
  }
  return rows;
}

std::vector<Example> LoadSpeechCommands(const std::string& root) {
  std::vector<Example> rows;
  for (const auto& dir : SortedEntries(root)) {
    if (!fs::is_directory(dir)) continue;
    const std::string label = dir.filename().string();
    for (const auto& f : SortedEntries(dir)) {
      if (!IsAudio(f)) continue;
      const std::string stem = f.stem().string();
      Example e;
      e.path = f.string();
      e.label = label;
      e.modality = "speech";
      // <speaker>_nohash_<n>, or <word>_<speaker>_nohash_<n> in _unknown_;
      // _silence_ clips have no speaker and are their own group.
      const size_t h = stem.find("_nohash_");
      if (h == std::string::npos) {
        e.group = label + "/" + stem;
      } else {
        const std::string head = stem.substr(0, h);
        const size_t u = head.rfind('_');
        e.group = u == std::string::npos ? head : head.substr(u + 1);
      }
      rows.push_back(e);
    }
  }
  return rows;
}

std::vector<Example> LoadFsdd(const std::string& root) {
  std::vector<Example> rows;
  for (const auto& f : SortedEntries(root)) {
    if (!IsAudio(f)) continue;
    const std::string stem = f.stem().string();  // <digit>_<speaker>_<n>
    const size_t a = stem.find('_'), b = stem.rfind('_');
    if (a == std::string::npos || b == a) continue;
    Example e;
    e.path = f.string();
    e.label = stem.substr(0, a);
    e.group = stem.substr(a + 1, b - a - 1);
    e.modality = "speech";
    rows.push_back(e);
  }
  return rows;
}

}  // namespace factory
}  // namespace tm2
