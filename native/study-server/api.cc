// The participant API. A study link carries the study id and its join key;
// joining gives a random participant id and a bearer token (only its hash
// is stored). Consent must name the study's protocol version and may name
// the language it was read in (one the protocol is written or translated
// in); the answers follow it. Withdrawal deletes the participant's files and rows.
#include <sodium.h>

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "server.h"
#include "util.h"

namespace tm2study {
namespace {

using nlohmann::json;
const char kStudy[] = "/api/studies/([0-9a-f]{24})";

json UploadJson(const Upload& u) {
  return {{"upload", u.id},        {"task", u.task},         {"take", u.take},
          {"sha256", u.sha256},    {"status", u.status},     {"offset", u.offset},
          {"length", u.length},    {"verdict", u.verdict},   {"message", u.message},
          {"seconds", u.seconds},  {"sampleRate", u.sample_rate},
          {"probability", u.probability < 0 ? json(nullptr) : json(u.probability)}};
}

// The languages a protocol can be shown in: its own ("en" unless it says)
// and those of its translations (in name order), as web/research/protocol.js
// reads them.
std::vector<std::string> ProtocolLanguages(const std::string& protocol_json) {
  const json p = json::parse(protocol_json, nullptr, false);
  std::vector<std::string> out;
  if (!p.is_object()) return out;
  out.push_back(p.contains("language") && p["language"].is_string() ? p["language"].get<std::string>() : "en");
  if (p.contains("translations") && p["translations"].is_object())
    for (const auto& [tag, _] : p["translations"].items()) out.push_back(tag);
  return out;
}

}  // namespace

void StudyServer::RouteApi() {
  http_.Get(std::string(kStudy) + "/?", [this](const httplib::Request& req, httplib::Response& res) {
    auto study = db_.GetStudy(req.matches[1]);
    if (!study) return Fail(res, 404, "no such study");
    res.set_content(json{{"id", study->id}, {"protocol", json::parse(study->protocol_json)}}.dump(),
                    "application/json");
  });

  http_.Post(std::string(kStudy) + "/participants",
             [this](const httplib::Request& req, httplib::Response& res) {
    if (!joins_.Allow(ClientAddress(req)))
      return res.set_header("Retry-After", "60"),
             Fail(res, 429, "too many new participants from this address; wait a minute");
    auto study = db_.GetStudy(req.matches[1]);
    if (!study) return Fail(res, 404, "no such study");
    const json body = json::parse(req.body, nullptr, false);
    const std::string key = body.is_object() && body.contains("join") && body["join"].is_string()
                                ? body["join"].get<std::string>() : "";
    if (key.size() != study->join_key.size() ||
        sodium_memcmp(key.data(), study->join_key.data(), key.size()) != 0)
      return Fail(res, 403, "wrong or missing join key: open the study link you were given");
    const Participant p{RandomHex(8), study->id, NowIso(), "", "", "{}", "", ""};
    const std::string token = RandomHex(32);
    db_.AddParticipant(p, Sha256Hex(token));
    res.status = 201;
    res.set_content(json{{"participant", p.id}, {"token", token}}.dump(), "application/json");
  });

  http_.Post(std::string(kStudy) + "/consent",
             [this](const httplib::Request& req, httplib::Response& res) {
    auto c = Authorize(req, res);
    if (!c) return;
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("version") || !body["version"].is_string())
      return Fail(res, 400, "consent needs {\"version\": the protocol version consented to}");
    if (body["version"] != c->study.version)
      return Fail(res, 409, "consent is for protocol version " + body["version"].get<std::string>() +
                                 " but the study runs version " + c->study.version);
    // The language is optional (a page from before it was sent leaves it
    // unrecorded), but when given it must be one the consent exists in.
    std::string language;
    if (body.contains("language")) {
      const auto languages = ProtocolLanguages(c->study.protocol_json);
      std::string list;
      for (const auto& l : languages) list += (list.empty() ? "" : ", ") + l;
      if (!body["language"].is_string() ||
          std::find(languages.begin(), languages.end(), body["language"].get<std::string>()) == languages.end())
        return Fail(res, 400, "consent.language: expected one of the protocol's languages (" + list + ")");
      language = body["language"].get<std::string>();
    }
    const std::string at = NowIso();
    db_.SetConsent(c->participant.id, c->study.version, language, at);
    res.set_content(json{{"consentedAt", at}, {"version", c->study.version}, {"language", language}}.dump(),
                    "application/json");
  });

  // The answers to the protocol's questions (the label among them), as the
  // page holds them: question ids to a short string or a number.
  http_.Put(std::string(kStudy) + "/answers", [this](const httplib::Request& req, httplib::Response& res) {
    auto c = Authorize(req, res);
    if (!c) return;
    if (c->participant.consented_at.empty())
      return Fail(res, 403, "no consent recorded for this participant: consent comes first");
    if (req.body.size() > 16 * 1024) return Fail(res, 413, "answers are limited to 16 KB");
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || body.size() > 100)
      return Fail(res, 400, "answers must be a JSON object of at most 100 question ids");
    for (const auto& [id, value] : body.items()) {
      if (!IsIdentifier(id)) return Fail(res, 400, "answers: '" + id.substr(0, 40) + "' is not a question id");
      const bool ok = value.is_number() || (value.is_string() && value.get<std::string>().size() <= 200);
      if (!ok) return Fail(res, 400, "answers." + id + ": expected a number or a string of at most 200 characters");
    }
    db_.SetAnswers(c->participant.id, body.dump());
    res.set_content(json{{"saved", body.size()}}.dump(), "application/json");
  });

  // The page finished the session (the review's Finish). Kept once: a
  // repeated call answers with the first time. The page deletes its local
  // copies of the takes once this and every take's upload are confirmed.
  http_.Post(std::string(kStudy) + "/complete", [this](const httplib::Request& req, httplib::Response& res) {
    auto c = Authorize(req, res);
    if (!c) return;
    if (c->participant.consented_at.empty())
      return Fail(res, 403, "no consent recorded for this participant: consent comes first");
    std::string at = c->participant.completed_at;
    if (at.empty()) db_.SetCompleted(c->participant.id, at = NowIso());
    size_t complete = 0;
    for (const Upload& u : db_.ListUploads(c->participant.id)) complete += u.status == "complete" ? 1 : 0;
    res.set_content(json{{"completedAt", at}, {"takes", complete}}.dump(), "application/json");
  });

  http_.Get(std::string(kStudy) + "/me", [this](const httplib::Request& req, httplib::Response& res) {
    auto c = Authorize(req, res);
    if (!c) return;
    json takes = json::array();
    for (const Upload& u : db_.ListUploads(c->participant.id)) takes.push_back(UploadJson(u));
    res.set_header("Cache-Control", "no-store");
    res.set_content(json{{"participant", c->participant.id},
                         {"consentedAt", c->participant.consented_at},
                         {"consentVersion", c->participant.consent_version},
                         {"consentLanguage", c->participant.consent_language},
                         {"completedAt", c->participant.completed_at},
                         {"answers", json::parse(c->participant.answers, nullptr, false)},
                         {"takes", takes}}.dump(),
                    "application/json");
  });

  http_.Delete(std::string(kStudy) + "/me", [this](const httplib::Request& req, httplib::Response& res) {
    auto c = Authorize(req, res);
    if (!c) return;
    const size_t n = db_.ListUploads(c->participant.id).size();
    Withdraw(c->study.id, c->participant.id);
    // Who, not whose: the log keeps no byte of the participant.
    Audit("participant", "withdrawal", c->study.id, std::to_string(n) + " takes deleted");
    res.set_content(json{{"withdrawn", c->participant.id}, {"deletedTakes", n}}.dump(),
                    "application/json");
  });
}

}  // namespace tm2study
