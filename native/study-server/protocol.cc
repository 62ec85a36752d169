#include "protocol.h"

#include <nlohmann/json.hpp>

namespace tm2study {

bool IsIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 40) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '-' && c != '_'))) return false;
  }
  return true;
}

Protocol ParseProtocol(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ProtocolError("protocol: not a JSON object");
  auto fail = [](const std::string& where, const std::string& what) -> ProtocolError {
    return ProtocolError("protocol." + where + ": " + what);
  };
  if (j.value("format", 0) != 1) throw fail("format", "expected 1");
  Protocol p;
  if (!j.contains("id") || !j["id"].is_string() || !IsIdentifier(j["id"]))
    throw fail("id", "expected an identifier (a-z 0-9 - _, at most 40 characters)");
  p.id = j["id"];
  p.version = j.contains("version") && j["version"].is_string() ? j["version"].get<std::string>() : "1";
  if (!j.contains("tasks") || !j["tasks"].is_array() || j["tasks"].empty())
    throw fail("tasks", "expected a non-empty list");
  for (size_t i = 0; i < j["tasks"].size(); ++i) {
    const auto& t = j["tasks"][i];
    const std::string at = "tasks[" + std::to_string(i) + "]";
    if (!t.is_object()) throw fail(at, "expected an object");
    if (!t.contains("id") || !t["id"].is_string() || !IsIdentifier(t["id"]))
      throw fail(at + ".id", "expected an identifier");
    if (!t.contains("modality") || !t["modality"].is_string() || !IsIdentifier(t["modality"]))
      throw fail(at + ".modality", "expected an identifier");
    ProtocolTask task;
    task.limits.modality = t["modality"];
    if (!t.contains("minSeconds") || !t["minSeconds"].is_number() || t["minSeconds"] <= 0)
      throw fail(at + ".minSeconds", "expected a number of seconds > 0");
    task.limits.min_seconds = t["minSeconds"];
    if (!t.contains("maxSeconds") || !t["maxSeconds"].is_number() ||
        t["maxSeconds"] < task.limits.min_seconds || t["maxSeconds"] > 120)
      throw fail(at + ".maxSeconds", "expected a number of seconds >= minSeconds and <= 120");
    task.limits.max_seconds = t["maxSeconds"];
    task.takes = t.value("takes", 1);
    if (task.takes < 1 || task.takes > 10) throw fail(at + ".takes", "expected 1-10");
    if (!p.tasks.emplace(t["id"].get<std::string>(), task).second)
      throw fail(at + ".id", "duplicate task id");
  }
  return p;
}

}  // namespace tm2study
