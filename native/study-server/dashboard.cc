// The researcher dashboard's API (/api/dashboard/*; the page is
// web/research/dashboard.html): progress, flagged takes and their audio,
// the export listing, deletions and the audit log. Every route needs a
// logged-in researcher (dashboard_auth.cc); those that change or export
// data also the CSRF token. No CORS header is ever sent, so no other site
// can read an answer. Exports and deletions are written to the audit log.
#include <nlohmann/json.hpp>

#include "server.h"
#include "util.h"

namespace tm2study {
namespace {

using nlohmann::json;

const char kStudyPath[] = "/api/dashboard/studies/([0-9a-f]{24})";

// (Researcher() and the login set Cache-Control: no-store.)
void Json(httplib::Response& res, const json& body) {
  res.set_content(body.dump(), "application/json");
}

// A take flagged by the server-side gate: anything but "ok".
bool Flagged(const Upload& u) { return u.status == "complete" && u.verdict != "ok"; }

}  // namespace

void StudyServer::RouteDashboard() {
  RouteDashboardAuth();

  // Every study with its progress per task and its flagged takes.
  http_.Get("/api/dashboard/studies", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Researcher(req, res, false)) return;
    json studies = json::array();
    for (const Study& st : db_.ListStudies()) {
      const Protocol protocol = ParseProtocol(st.protocol_json);
      const json pj = json::parse(st.protocol_json);
      const auto participants = db_.ListParticipants(st.id);
      const auto uploads = db_.ListStudyUploads(st.id);
      // participant -> task -> complete takes
      std::map<std::string, std::map<std::string, int>> done;
      json flagged = json::array();
      for (const Upload& u : uploads) {
        if (u.status != "complete") continue;
        ++done[u.participant_id][u.task];
        if (Flagged(u))
          flagged.push_back({{"upload", u.id}, {"participant", u.participant_id}, {"task", u.task},
                             {"take", u.take}, {"verdict", u.verdict}, {"message", u.message},
                             {"seconds", u.seconds},
                             {"probability", u.probability < 0 ? json(nullptr) : json(u.probability)}});
      }
      json tasks = json::array();
      int complete = 0;
      for (const Participant& p : participants) {
        bool all = !p.consented_at.empty();
        for (const auto& [id, t] : protocol.tasks) all = all && done[p.id][id] >= t.takes;
        complete += all ? 1 : 0;
      }
      for (const auto& t : pj["tasks"]) {
        const std::string id = t.value("id", "");
        const int need = protocol.tasks.at(id).takes;
        int finished = 0, uploaded = 0, bad = 0;
        for (const Participant& p : participants) finished += done[p.id][id] >= need ? 1 : 0;
        for (const Upload& u : uploads)
          if (u.task == id && u.status == "complete") ++uploaded, bad += Flagged(u) ? 1 : 0;
        tasks.push_back({{"task", id}, {"modality", protocol.tasks.at(id).limits.modality},
                         {"takes", need}, {"participantsDone", finished}, {"uploaded", uploaded},
                         {"flagged", bad}});
      }
      int consented = 0, finished = 0;
      for (const Participant& p : participants) {
        consented += p.consented_at.empty() ? 0 : 1;
        finished += p.completed_at.empty() ? 0 : 1;
      }
      // Exports, with the participants who withdrew since: their data is
      // gone here, but a copy of that ZIP elsewhere still holds it.
      json exports = json::array();
      for (const ExportRecord& e : db_.ListExports(st.id))
        exports.push_back({{"id", e.id}, {"at", e.at}, {"researcher", e.researcher},
                           {"participants", e.participants}, {"takes", e.takes},
                           {"withdrawnSince", e.withdrawn}});
      studies.push_back({{"exports", exports}, {"id", st.id}, {"protocolId", st.protocol_id}, {"version", st.version},
                         {"name", pj.value("study", st.protocol_id)}, {"createdAt", st.created_at},
                         {"participants", participants.size()}, {"consented", consented},
                         {"finished", finished}, {"complete", complete}, {"tasks", tasks}, {"flagged", flagged}});
    }
    Json(res, {{"studies", studies}});
  });

  // A completed take's WAV, for playback and export.
  http_.Get("/api/dashboard/takes/([0-9a-f]{32})", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Researcher(req, res, false)) return;
    const auto u = db_.GetUpload(req.matches[1]);
    if (!u || u->status != "complete") return Fail(res, 404, "no such take");
    const auto bytes = storage_.ReadPrefix(storage_.FinalPath(u->study_id, u->participant_id, u->id),
                                           static_cast<size_t>(u->length));
    if (static_cast<int64_t>(bytes.size()) != u->length) return Fail(res, 500, "the take's file is missing");
    res.set_content(std::string(bytes.begin(), bytes.end()), "audio/wav");
  });

  // What the page needs to build the export ZIP (web/research/archive.js):
  // the protocol and every consented participant with a label answer,
  // their answers and completed takes. Logged, and recorded with who was
  // in it, since the data leaves the server here.
  http_.Post(std::string(kStudyPath) + "/export", [this](const httplib::Request& req, httplib::Response& res) {
    auto s = Researcher(req, res, true);
    if (!s) return;
    const auto study = db_.GetStudy(req.matches[1]);
    if (!study) return Fail(res, 404, "no such study");
    std::map<std::string, std::vector<Upload>> takes;
    for (const Upload& u : db_.ListStudyUploads(study->id))
      if (u.status == "complete") takes[u.participant_id].push_back(u);
    const Protocol protocol = ParseProtocol(study->protocol_json);
    const auto devices = db_.StudyTakeDevices(study->id);
    json sessions = json::array();
    size_t n_takes = 0;
    // As on a device, only participants with a label answer are exported.
    const json pj = json::parse(study->protocol_json);
    std::string label;
    for (const auto& q : pj.value("questions", json::array()))
      if (q.value("label", false)) label = q.value("id", "");
    for (const Participant& p : db_.ListParticipants(study->id)) {
      const json answers = json::parse(p.answers, nullptr, false);
      const bool labelled = answers.is_object() && answers.contains(label) &&
                            ((answers[label].is_string() && !answers[label].get<std::string>().empty()) ||
                             answers[label].is_number());
      if (p.consented_at.empty() || !labelled) continue;
      json tj = json::array();
      bool all = true;
      for (const auto& [id, t] : protocol.tasks) {
        int n = 0;
        for (const Upload& u : takes[p.id]) n += u.task == id ? 1 : 0;
        all = all && n >= t.takes;
      }
      for (const Upload& u : takes[p.id]) {
        const auto d = devices.find(u.id);
        const TakeDevice device = d == devices.end() ? TakeDevice{} : d->second;
        tj.push_back({{"upload", u.id}, {"task", u.task}, {"take", u.take}, {"savedAt", u.created_at},
                      {"modality", protocol.tasks.at(u.task).limits.modality},
                      {"recordedAt", device.recorded_at}, {"inputDevice", device.input_device},
                      {"browser", device.browser}});
      }
      n_takes += takes[p.id].size();
      sessions.push_back({{"participant", p.id}, {"createdAt", p.created_at},
                          {"consentedAt", p.consented_at}, {"consentVersion", p.consent_version},
                          {"consentLanguage", p.consent_language},
                          {"status", all || !p.completed_at.empty() ? "complete" : "unfinished"},
                          {"answers", answers}, {"takes", tj}});
    }
    std::vector<std::string> members;
    for (const auto& x : sessions) members.push_back(x["participant"].get<std::string>());
    db_.AddExport(ExportRecord{0, study->id, NowIso(), s->researcher, static_cast<int64_t>(members.size()),
                               static_cast<int64_t>(n_takes), 0},
                  members);
    Audit(s->researcher, "export", study->id,
          std::to_string(sessions.size()) + " participants, " + std::to_string(n_takes) + " takes");
    Json(res, {{"protocol", json::parse(study->protocol_json)}, {"sessions", sessions}});
  });

  // Deleting a participant (e.g. on a request by e-mail) is a withdrawal
  // done by the researcher; the log says who, not whose (no byte of the
  // participant is kept).
  http_.Delete(std::string(kStudyPath) + "/participants/([0-9a-f]{16})",
               [this](const httplib::Request& req, httplib::Response& res) {
    auto s = Researcher(req, res, true);
    if (!s) return;
    const auto p = db_.GetParticipant(req.matches[2]);
    if (!p || p->study_id != req.matches[1]) return Fail(res, 404, "no such participant in this study");
    const size_t n = db_.ListUploads(p->id).size();
    Withdraw(p->study_id, p->id);
    Audit(s->researcher, "delete participant", p->study_id,
          "a participant who joined " + p->created_at + ": " + std::to_string(n) + " takes");
    Json(res, {{"deleted", p->id}, {"deletedTakes", n}});
  });

  http_.Delete("/api/dashboard/takes/([0-9a-f]{32})", [this](const httplib::Request& req, httplib::Response& res) {
    auto s = Researcher(req, res, true);
    if (!s) return;
    const auto u = db_.GetUpload(req.matches[1]);
    if (!u) return Fail(res, 404, "no such take");
    const auto owner = db_.GetParticipant(u->participant_id);
    DropUpload(*u);
    Audit(s->researcher, "delete take", u->study_id,
          u->task + " take " + std::to_string(u->take) + " (" + (u->verdict.empty() ? u->status : u->verdict) +
              ") of a participant who joined " + (owner ? owner->created_at : "?"));
    Json(res, {{"deleted", u->id}});
  });

  http_.Get("/api/dashboard/audit", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Researcher(req, res, false)) return;
    json entries = json::array();
    for (const AuditEntry& e : db_.ListAudit(500))
      entries.push_back({{"at", e.at}, {"actor", e.actor}, {"action", e.action}, {"study", e.study_id},
                         {"detail", e.detail}});
    Json(res, {{"entries", entries}});
  });
}

}  // namespace tm2study
