#include "data/dataset.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace tm2 {
namespace factory {
namespace fs = std::filesystem;

std::vector<Example> LoadCovidCough(const std::string& root);
std::vector<Example> LoadCoswara(const std::string& root, const std::string& label_kind);
std::vector<Example> LoadSpeechCommands(const std::string& root);
std::vector<Example> LoadFsdd(const std::string& root);

namespace {

// One CSV line; fields may be double-quoted with "" as an escaped quote.
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') { out.back() += '"'; ++i; }
      else if (c == '"') quoted = false;
      else out.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

std::string Quote(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::vector<Example> ReadManifest(const std::string& csv_path) {
  std::ifstream in(csv_path);
  if (!in) throw std::runtime_error(csv_path + ": cannot open manifest");
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(csv_path + ": empty manifest");
  std::map<std::string, size_t> col;
  const auto header = SplitCsv(line);
  for (size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  for (const char* need : {"path", "label", "group"})
    if (!col.count(need))
      throw std::runtime_error(csv_path + ": header lacks the '" + need + "' column");
  const fs::path base = fs::path(csv_path).parent_path();
  std::vector<Example> rows;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line == "\r") continue;
    const auto f = SplitCsv(line);
    auto get = [&](const char* name) {
      auto it = col.find(name);
      return it != col.end() && it->second < f.size() ? f[it->second] : std::string();
    };
    Example e{get("path"), get("label"), get("group"), get("modality"), get("split"), get("source")};
    if (e.path.empty() || e.label.empty() || e.group.empty())
      throw std::runtime_error(csv_path + ":" + std::to_string(line_no) +
                               ": path, label and group must not be empty");
    if (!e.split.empty() && e.split != "train" && e.split != "validation" && e.split != "evaluation" &&
        e.split != "test")
      throw std::runtime_error(csv_path + ":" + std::to_string(line_no) + ": split '" + e.split +
                               "' is not train, validation, evaluation or test");
    if (fs::path(e.path).is_relative()) e.path = (base / e.path).string();
    rows.push_back(e);
  }
  return rows;
}

void WriteManifest(const std::string& csv_path, const std::vector<Example>& rows) {
  std::ofstream out(csv_path);
  out << "path,label,group,modality,split,source\n";
  for (const auto& e : rows)
    out << Quote(e.path) << ',' << Quote(e.label) << ',' << Quote(e.group) << ','
        << Quote(e.modality) << ',' << Quote(e.split) << ',' << Quote(e.source) << '\n';
  if (!out) throw std::runtime_error(csv_path + ": write failed");
}

const char* const kDatasetFormats = "manifest, covid19-cough, coswara, speech-commands, fsdd";

bool IsDatasetFormat(const std::string& format) {
  return format == "manifest" || format == "covid19-cough" || format == "coswara" || format == "speech-commands" ||
         format == "fsdd";
}

std::vector<Example> LoadDataset(const std::string& format, const std::string& path,
                                 const std::string& label_kind) {
  if (format == "manifest") return ReadManifest(path);
  if (format == "covid19-cough") return LoadCovidCough(path);
  if (format == "coswara") return LoadCoswara(path, label_kind);
  if (format == "speech-commands") return LoadSpeechCommands(path);
  if (format == "fsdd") return LoadFsdd(path);
  throw std::runtime_error("unknown dataset format '" + format + "' (" + kDatasetFormats + ")");
}

}  // namespace factory
}  // namespace tm2
