#include "db.h"

#include <cstdlib>

namespace tm2study {
namespace {

const char kUploadColumns[] =
    "id, study_id, participant_id, task, take, sha256, length, \"offset\", header_checked, status, "
    "verdict, message, probability, seconds, sample_rate, created_at";
const char kParticipantColumns[] =
    "id, study_id, created_at, consented_at, consent_version, answers, completed_at, consent_language";
const char kStudyColumns[] = "id, protocol_id, version, protocol_json, join_key, created_at";

int64_t Int(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }
double Real(const std::string& s) { return std::strtod(s.c_str(), nullptr); }

Upload ReadUpload(const std::vector<std::string>& r) {
  Upload u;
  u.id = r[0];
  u.study_id = r[1];
  u.participant_id = r[2];
  u.task = r[3];
  u.take = static_cast<int>(Int(r[4]));
  u.sha256 = r[5];
  u.length = Int(r[6]);
  u.offset = Int(r[7]);
  u.header_checked = Int(r[8]) != 0;
  u.status = r[9];
  u.verdict = r[10];
  u.message = r[11];
  u.probability = Real(r[12]);
  u.seconds = Real(r[13]);
  u.sample_rate = static_cast<int>(Int(r[14]));
  u.created_at = r[15];
  return u;
}

Participant ReadParticipant(const std::vector<std::string>& r) {
  return Participant{r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]};
}

Study ReadStudy(const std::vector<std::string>& r) { return Study{r[0], r[1], r[2], r[3], r[4], r[5]}; }

std::vector<Upload> Uploads(const SqlRows& rows) {
  std::vector<Upload> out;
  for (const auto& r : rows) out.push_back(ReadUpload(r));
  return out;
}

}  // namespace

void Db::AddStudy(const Study& s) {
  Q("INSERT INTO studies (id, protocol_id, version, protocol_json, join_key, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?)",
    {s.id, s.protocol_id, s.version, s.protocol_json, s.join_key, s.created_at});
}

std::optional<Study> Db::GetStudy(const std::string& id) {
  const auto rows = Q(std::string("SELECT ") + kStudyColumns + " FROM studies WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return ReadStudy(rows[0]);
}

std::vector<Study> Db::ListStudies() {
  std::vector<Study> out;
  for (const auto& r : Q(std::string("SELECT ") + kStudyColumns + " FROM studies ORDER BY created_at, id"))
    out.push_back(ReadStudy(r));
  return out;
}

void Db::AddParticipant(const Participant& p, const std::string& token_hash) {
  Q("INSERT INTO participants (id, study_id, token_hash, created_at) VALUES (?, ?, ?, ?)",
    {p.id, p.study_id, token_hash, p.created_at});
}

std::optional<Participant> Db::FindParticipant(const std::string& study_id,
                                               const std::string& token_hash) {
  const auto rows = Q(std::string("SELECT ") + kParticipantColumns +
                          " FROM participants WHERE study_id = ? AND token_hash = ?",
                      {study_id, token_hash});
  if (rows.empty()) return std::nullopt;
  return ReadParticipant(rows[0]);
}

std::optional<Participant> Db::GetParticipant(const std::string& id) {
  const auto rows = Q(std::string("SELECT ") + kParticipantColumns + " FROM participants WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return ReadParticipant(rows[0]);
}

std::vector<Participant> Db::ListParticipants(const std::string& study_id) {
  std::vector<Participant> out;
  for (const auto& r : Q(std::string("SELECT ") + kParticipantColumns +
                             " FROM participants WHERE study_id = ? ORDER BY created_at, id",
                         {study_id}))
    out.push_back(ReadParticipant(r));
  return out;
}

void Db::SetConsent(const std::string& participant_id, const std::string& version,
                    const std::string& language, const std::string& at) {
  Q("UPDATE participants SET consented_at = ?, consent_version = ?, consent_language = ? WHERE id = ?",
    {at, version, language, participant_id});
}

void Db::SetAnswers(const std::string& participant_id, const std::string& answers_json) {
  Q("UPDATE participants SET answers = ? WHERE id = ?", {answers_json, participant_id});
}

void Db::SetCompleted(const std::string& participant_id, const std::string& at) {
  Q("UPDATE participants SET completed_at = ? WHERE id = ?", {at, participant_id});
}

void Db::DeleteParticipant(const std::string& participant_id) {
  // Uploads go with their participant (ON DELETE CASCADE); deleted
  // explicitly too, so that no backend depends on the cascade.
  Q("UPDATE exports SET withdrawn = withdrawn + 1 WHERE id IN "
    "(SELECT export_id FROM export_members WHERE participant_id = ?)", {participant_id});
  Q("DELETE FROM export_members WHERE participant_id = ?", {participant_id});
  Q("DELETE FROM take_devices WHERE upload_id IN (SELECT id FROM uploads WHERE participant_id = ?)",
    {participant_id});
  Q("DELETE FROM uploads WHERE participant_id = ?", {participant_id});
  Q("DELETE FROM participants WHERE id = ?", {participant_id});
  sql_->Purge({"participants", "uploads", "take_devices", "export_members"});
}

void Db::AddExport(const ExportRecord& e, const std::vector<std::string>& participant_ids) {
  const auto rows = Q("INSERT INTO exports (study_id, at, researcher, participants, takes) "
                      "VALUES (?, ?, ?, ?, ?) RETURNING id",
                      {e.study_id, e.at, e.researcher, e.participants, e.takes});
  const int64_t id = Int(rows.at(0).at(0));
  for (const auto& p : participant_ids)
    Q("INSERT INTO export_members (export_id, participant_id) VALUES (?, ?)", {id, p});
}

std::vector<ExportRecord> Db::ListExports(const std::string& study_id) {
  std::vector<ExportRecord> out;
  for (const auto& r : Q("SELECT id, study_id, at, researcher, participants, takes, withdrawn "
                         "FROM exports WHERE study_id = ? ORDER BY id DESC", {study_id}))
    out.push_back(ExportRecord{Int(r[0]), r[1], r[2], r[3], Int(r[4]), Int(r[5]), Int(r[6])});
  return out;
}

void Db::AddUpload(const Upload& u) {
  Q("INSERT INTO uploads (id, study_id, participant_id, task, take, sha256, length, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    {u.id, u.study_id, u.participant_id, u.task, static_cast<int64_t>(u.take), u.sha256, u.length,
     u.created_at});
}

std::optional<Upload> Db::GetUpload(const std::string& id) {
  const auto rows = Q(std::string("SELECT ") + kUploadColumns + " FROM uploads WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return ReadUpload(rows[0]);
}

std::optional<Upload> Db::FindUpload(const std::string& participant_id, const std::string& task,
                                     int take, const std::string& sha256) {
  const auto rows = Q(std::string("SELECT ") + kUploadColumns +
                          " FROM uploads WHERE participant_id = ? AND task = ? AND take = ? AND sha256 = ?",
                      {participant_id, task, static_cast<int64_t>(take), sha256});
  if (rows.empty()) return std::nullopt;
  return ReadUpload(rows[0]);
}

std::vector<Upload> Db::ListUploads(const std::string& participant_id) {
  return Uploads(Q(std::string("SELECT ") + kUploadColumns +
                       " FROM uploads WHERE participant_id = ? ORDER BY created_at, id",
                   {participant_id}));
}

std::vector<Upload> Db::ListStudyUploads(const std::string& study_id) {
  return Uploads(Q(std::string("SELECT ") + kUploadColumns +
                       " FROM uploads WHERE study_id = ? ORDER BY participant_id, task, take, id",
                   {study_id}));
}

void Db::SetOffset(const std::string& id, int64_t offset, bool header_checked) {
  Q("UPDATE uploads SET \"offset\" = ?, header_checked = ? WHERE id = ?",
    {offset, static_cast<int64_t>(header_checked), id});
}

void Db::Complete(const Upload& u) {
  Q("UPDATE uploads SET \"offset\" = length, header_checked = 1, status = 'complete', "
    "verdict = ?, message = ?, probability = ?, seconds = ?, sample_rate = ? WHERE id = ?",
    {u.verdict, u.message, u.probability, u.seconds, static_cast<int64_t>(u.sample_rate), u.id});
}

void Db::DeleteUpload(const std::string& id) {
  Q("DELETE FROM take_devices WHERE upload_id = ?", {id});
  Q("DELETE FROM uploads WHERE id = ?", {id});
}

void Db::SetTakeDevice(const std::string& upload_id, const TakeDevice& d) {
  Q("INSERT INTO take_devices (upload_id, recorded_at, input_device, browser) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (upload_id) DO NOTHING",
    {upload_id, d.recorded_at, d.input_device, d.browser});
}

std::map<std::string, TakeDevice> Db::StudyTakeDevices(const std::string& study_id) {
  std::map<std::string, TakeDevice> out;
  for (const auto& r : Q("SELECT d.upload_id, d.recorded_at, d.input_device, d.browser FROM take_devices d "
                         "JOIN uploads u ON u.id = d.upload_id WHERE u.study_id = ?", {study_id}))
    out[r[0]] = TakeDevice{r[1], r[2], r[3]};
  return out;
}

void Db::SetResearcher(const std::string& name, const std::string& password_hash,
                       const std::string& at) {
  Q("INSERT INTO researchers (name, password_hash, created_at) VALUES (?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
    {name, password_hash, at});
}

std::optional<std::string> Db::ResearcherHash(const std::string& name) {
  const auto rows = Q("SELECT password_hash FROM researchers WHERE name = ?", {name});
  if (rows.empty()) return std::nullopt;
  return rows[0][0];
}

void Db::AddDashboardSession(const std::string& token_hash, const DashboardSession& s) {
  Q("INSERT INTO dashboard_sessions (token_hash, researcher, csrf, expires) VALUES (?, ?, ?, ?)",
    {token_hash, s.researcher, s.csrf, s.expires});
}

std::optional<DashboardSession> Db::GetDashboardSession(const std::string& token_hash) {
  const auto rows =
      Q("SELECT researcher, csrf, expires FROM dashboard_sessions WHERE token_hash = ?", {token_hash});
  if (rows.empty()) return std::nullopt;
  return DashboardSession{rows[0][0], rows[0][1], Int(rows[0][2])};
}

void Db::DeleteDashboardSession(const std::string& token_hash) {
  Q("DELETE FROM dashboard_sessions WHERE token_hash = ?", {token_hash});
}

void Db::DeleteExpiredSessions(int64_t now) {
  Q("DELETE FROM dashboard_sessions WHERE expires < ?", {now});
}

void Db::AddAudit(const AuditEntry& e) {
  Q("INSERT INTO audit (at, actor, action, study_id, detail) VALUES (?, ?, ?, ?, ?)",
    {e.at, e.actor, e.action, e.study_id, e.detail});
}

std::vector<AuditEntry> Db::ListAudit(int limit) {
  std::vector<AuditEntry> out;
  for (const auto& r : Q("SELECT id, at, actor, action, study_id, detail FROM audit ORDER BY id DESC LIMIT ?",
                         {static_cast<int64_t>(limit)}))
    out.push_back(AuditEntry{Int(r[0]), r[1], r[2], r[3], r[4], r[5]});
  return out;
}

}  // namespace tm2study
