#include "db.h"

namespace tm2study {
namespace {

const char kSchema[] = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;
PRAGMA secure_delete = ON;
CREATE TABLE IF NOT EXISTS studies (
  id TEXT PRIMARY KEY, protocol_id TEXT NOT NULL, version TEXT NOT NULL,
  protocol_json TEXT NOT NULL, join_key TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS participants (
  id TEXT PRIMARY KEY, study_id TEXT NOT NULL REFERENCES studies(id),
  token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
  consented_at TEXT NOT NULL DEFAULT '', consent_version TEXT NOT NULL DEFAULT '',
  answers TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY, study_id TEXT NOT NULL,
  participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
  task TEXT NOT NULL, take INTEGER NOT NULL, sha256 TEXT NOT NULL,
  length INTEGER NOT NULL, offset INTEGER NOT NULL DEFAULT 0,
  header_checked INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'partial',
  verdict TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '',
  probability REAL NOT NULL DEFAULT -1, seconds REAL NOT NULL DEFAULT 0,
  sample_rate INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
  UNIQUE (participant_id, task, take, sha256));
)sql";

// A prepared statement that finalizes itself; Bind* take 1-based indices.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
      throw DbError(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  bool Step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw DbError(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  std::string Text(int col) const {
    const auto* t = sqlite3_column_text(s_, col);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  double Real(int col) const { return sqlite3_column_double(s_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

const char kUploadColumns[] =
    "id, study_id, participant_id, task, take, sha256, length, offset, header_checked, status, "
    "verdict, message, probability, seconds, sample_rate, created_at";

Upload ReadUpload(const Stmt& s) {
  Upload u;
  u.id = s.Text(0);
  u.study_id = s.Text(1);
  u.participant_id = s.Text(2);
  u.task = s.Text(3);
  u.take = static_cast<int>(s.Int(4));
  u.sha256 = s.Text(5);
  u.length = s.Int(6);
  u.offset = s.Int(7);
  u.header_checked = s.Int(8) != 0;
  u.status = s.Text(9);
  u.verdict = s.Text(10);
  u.message = s.Text(11);
  u.probability = s.Real(12);
  u.seconds = s.Real(13);
  u.sample_rate = static_cast<int>(s.Int(14));
  u.created_at = s.Text(15);
  return u;
}

}  // namespace

Db::Db(const std::string& path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw DbError("cannot open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  Exec(kSchema);
}

Db::~Db() { sqlite3_close(db_); }

void Db::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw DbError("sqlite: " + msg);
  }
}

void Db::AddStudy(const Study& s) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "INSERT INTO studies VALUES (?, ?, ?, ?, ?, ?)");
  q.Bind(1, s.id).Bind(2, s.protocol_id).Bind(3, s.version).Bind(4, s.protocol_json)
      .Bind(5, s.join_key).Bind(6, s.created_at).Step();
}

std::optional<Study> Db::GetStudy(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "SELECT id, protocol_id, version, protocol_json, join_key, created_at "
              "FROM studies WHERE id = ?");
  q.Bind(1, id);
  if (!q.Step()) return std::nullopt;
  return Study{q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5)};
}

void Db::AddParticipant(const Participant& p, const std::string& token_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "INSERT INTO participants (id, study_id, token_hash, created_at) VALUES (?, ?, ?, ?)");
  q.Bind(1, p.id).Bind(2, p.study_id).Bind(3, token_hash).Bind(4, p.created_at).Step();
}

std::optional<Participant> Db::FindParticipant(const std::string& study_id,
                                               const std::string& token_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "SELECT id, study_id, created_at, consented_at, consent_version, answers "
              "FROM participants WHERE study_id = ? AND token_hash = ?");
  q.Bind(1, study_id).Bind(2, token_hash);
  if (!q.Step()) return std::nullopt;
  return Participant{q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5)};
}

void Db::SetConsent(const std::string& participant_id, const std::string& version,
                    const std::string& at) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "UPDATE participants SET consented_at = ?, consent_version = ? WHERE id = ?");
  q.Bind(1, at).Bind(2, version).Bind(3, participant_id).Step();
}

void Db::SetAnswers(const std::string& participant_id, const std::string& answers_json) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "UPDATE participants SET answers = ? WHERE id = ?");
  q.Bind(1, answers_json).Bind(2, participant_id).Step();
}

void Db::DeleteParticipant(const std::string& participant_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "DELETE FROM participants WHERE id = ?");  // uploads cascade
  q.Bind(1, participant_id).Step();
}

void Db::AddUpload(const Upload& u) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "INSERT INTO uploads (id, study_id, participant_id, task, take, sha256, length, "
              "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  q.Bind(1, u.id).Bind(2, u.study_id).Bind(3, u.participant_id).Bind(4, u.task)
      .Bind(5, static_cast<int64_t>(u.take)).Bind(6, u.sha256).Bind(7, u.length)
      .Bind(8, u.created_at).Step();
}

std::optional<Upload> Db::GetUpload(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, (std::string("SELECT ") + kUploadColumns + " FROM uploads WHERE id = ?").c_str());
  q.Bind(1, id);
  if (!q.Step()) return std::nullopt;
  return ReadUpload(q);
}

std::optional<Upload> Db::FindUpload(const std::string& participant_id, const std::string& task,
                                     int take, const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, (std::string("SELECT ") + kUploadColumns +
               " FROM uploads WHERE participant_id = ? AND task = ? AND take = ? AND sha256 = ?")
                  .c_str());
  q.Bind(1, participant_id).Bind(2, task).Bind(3, static_cast<int64_t>(take)).Bind(4, sha256);
  if (!q.Step()) return std::nullopt;
  return ReadUpload(q);
}

std::vector<Upload> Db::ListUploads(const std::string& participant_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, (std::string("SELECT ") + kUploadColumns +
               " FROM uploads WHERE participant_id = ? ORDER BY created_at, id").c_str());
  q.Bind(1, participant_id);
  std::vector<Upload> out;
  while (q.Step()) out.push_back(ReadUpload(q));
  return out;
}

void Db::SetOffset(const std::string& id, int64_t offset, bool header_checked) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "UPDATE uploads SET offset = ?, header_checked = ? WHERE id = ?");
  q.Bind(1, offset).Bind(2, static_cast<int64_t>(header_checked)).Bind(3, id).Step();
}

void Db::Complete(const Upload& u) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "UPDATE uploads SET offset = length, header_checked = 1, status = 'complete', "
              "verdict = ?, message = ?, probability = ?, seconds = ?, sample_rate = ? WHERE id = ?");
  q.Bind(1, u.verdict).Bind(2, u.message).Bind(3, u.probability).Bind(4, u.seconds)
      .Bind(5, static_cast<int64_t>(u.sample_rate)).Bind(6, u.id).Step();
}

void Db::DeleteUpload(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "DELETE FROM uploads WHERE id = ?");
  q.Bind(1, id).Step();
}

}  // namespace tm2study
