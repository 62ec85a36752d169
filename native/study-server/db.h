// The study server's metadata: studies, participants (token hashes,
// consent, answers), uploads (tus state, checksum, server verdict),
// researchers (Argon2id hashes), dashboard sessions and the audit log.
// The queries are written once here against SqlBackend (sql_backend.h),
// so SQLite and PostgreSQL hold the same rows. Every method throws DbError
// on a database failure.
//
//   Db db(OpenSqlBackend(dir, ""));
//   db.AddStudy(study);
//   auto s = db.GetStudy(id);
#ifndef TM2_STUDY_SERVER_DB_H_
#define TM2_STUDY_SERVER_DB_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sql_backend.h"

namespace tm2study {

struct Study {
  std::string id, protocol_id, version, protocol_json, join_key, created_at;
};

struct Participant {
  std::string id, study_id, created_at, consented_at, consent_version;
  std::string answers = "{}";  // JSON object: question id -> answer
  std::string completed_at;    // set when the page reports the session finished
  // The language the consent was shown in (a tag such as "de"; "" when
  // the page did not say, or the consent predates this column).
  std::string consent_language;
};

struct Upload {
  std::string id, study_id, participant_id, task, sha256, status, created_at;
  int take = 0;
  int64_t length = 0, offset = 0;
  bool header_checked = false;
  // Server verdict (set when complete).
  std::string verdict, message;
  double probability = -1, seconds = 0;
  int sample_rate = 0;
};

// Where and when a take was recorded, as the page reports it at upload
// (the export's recorded_at, input_device and browser columns).
struct TakeDevice {
  std::string recorded_at, input_device, browser;
};

struct DashboardSession {
  std::string researcher, csrf;
  int64_t expires = 0;  // Unix seconds
};

struct ExportRecord {
  int64_t id = 0;
  std::string study_id, at, researcher;
  int64_t participants = 0, takes = 0;
  int64_t withdrawn = 0;  // participants of this export who withdrew since
};

struct AuditEntry {
  int64_t id = 0;
  std::string at, actor, action, study_id, detail;
};

class Db {
 public:
  explicit Db(std::unique_ptr<SqlBackend> sql) : sql_(std::move(sql)) {}
  const char* BackendName() const { return sql_->Name(); }

  void AddStudy(const Study& s);
  std::optional<Study> GetStudy(const std::string& id);
  std::vector<Study> ListStudies();

  void AddParticipant(const Participant& p, const std::string& token_hash);
  // The participant whose token hashes to `token_hash` in this study.
  std::optional<Participant> FindParticipant(const std::string& study_id,
                                             const std::string& token_hash);
  std::optional<Participant> GetParticipant(const std::string& id);
  std::vector<Participant> ListParticipants(const std::string& study_id);
  void SetConsent(const std::string& participant_id, const std::string& version,
                  const std::string& language, const std::string& at);
  void SetAnswers(const std::string& participant_id, const std::string& answers_json);
  void SetCompleted(const std::string& participant_id, const std::string& at);
  // Deletes the participant's rows, counts the withdrawal on every export
  // that held them, and purges what the rows leave behind (Purge()).
  void DeleteParticipant(const std::string& participant_id);

  void AddUpload(const Upload& u);
  std::optional<Upload> GetUpload(const std::string& id);
  // The same take with the same content, for idempotent creation.
  std::optional<Upload> FindUpload(const std::string& participant_id, const std::string& task,
                                   int take, const std::string& sha256);
  std::vector<Upload> ListUploads(const std::string& participant_id);
  std::vector<Upload> ListStudyUploads(const std::string& study_id);
  void SetOffset(const std::string& id, int64_t offset, bool header_checked);
  void Complete(const Upload& u);
  void DeleteUpload(const std::string& id);
  void SetTakeDevice(const std::string& upload_id, const TakeDevice& d);
  // upload id -> device, for the study's takes that have one.
  std::map<std::string, TakeDevice> StudyTakeDevices(const std::string& study_id);
  // Held while a PATCH writes the upload, across instances (SqlBackend::TryLock).
  bool TryLockUpload(const std::string& id) { return sql_->TryLock("upload:" + id); }
  void UnlockUpload(const std::string& id) { sql_->Unlock("upload:" + id); }

  // Adds a researcher or replaces their password hash.
  void SetResearcher(const std::string& name, const std::string& password_hash,
                     const std::string& at);
  std::optional<std::string> ResearcherHash(const std::string& name);
  void AddDashboardSession(const std::string& token_hash, const DashboardSession& s);
  std::optional<DashboardSession> GetDashboardSession(const std::string& token_hash);
  void DeleteDashboardSession(const std::string& token_hash);
  void DeleteExpiredSessions(int64_t now);

  // Records an export and who was in it (to count later withdrawals).
  void AddExport(const ExportRecord& e, const std::vector<std::string>& participant_ids);
  std::vector<ExportRecord> ListExports(const std::string& study_id);

  void AddAudit(const AuditEntry& e);
  std::vector<AuditEntry> ListAudit(int limit);

 private:
  SqlRows Q(const std::string& sql, const std::vector<SqlParam>& params = {}) {
    return sql_->Query(sql, params);
  }
  std::unique_ptr<SqlBackend> sql_;
};

}  // namespace tm2study

#endif  // TM2_STUDY_SERVER_DB_H_
