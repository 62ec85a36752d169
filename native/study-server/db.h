// The study server's metadata in SQLite: studies, participants (token
// hashes, consent) and uploads (tus state, checksum, server verdict). One
// connection behind a mutex: requests are short and SQLite serialises
// writers anyway. Every method throws DbError on an SQLite failure.
#ifndef TM2_STUDY_SERVER_DB_H_
#define TM2_STUDY_SERVER_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tm2study {

struct DbError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Study {
  std::string id, protocol_id, version, protocol_json, join_key, created_at;
};

struct Participant {
  std::string id, study_id, created_at, consented_at, consent_version;
  std::string answers = "{}";  // JSON object: question id -> answer
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

class Db {
 public:
  explicit Db(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void AddStudy(const Study& s);
  std::optional<Study> GetStudy(const std::string& id);

  void AddParticipant(const Participant& p, const std::string& token_hash);
  // The participant whose token hashes to `token_hash` in this study.
  std::optional<Participant> FindParticipant(const std::string& study_id,
                                             const std::string& token_hash);
  void SetConsent(const std::string& participant_id, const std::string& version,
                  const std::string& at);
  void SetAnswers(const std::string& participant_id, const std::string& answers_json);
  void DeleteParticipant(const std::string& participant_id);

  void AddUpload(const Upload& u);
  std::optional<Upload> GetUpload(const std::string& id);
  // The same take with the same content, for idempotent creation.
  std::optional<Upload> FindUpload(const std::string& participant_id, const std::string& task,
                                   int take, const std::string& sha256);
  std::vector<Upload> ListUploads(const std::string& participant_id);
  void SetOffset(const std::string& id, int64_t offset, bool header_checked);
  void Complete(const Upload& u);
  void DeleteUpload(const std::string& id);

 private:
  void Exec(const char* sql);
  sqlite3* db_ = nullptr;
  std::mutex mu_;
};

}  // namespace tm2study

#endif  // TM2_STUDY_SERVER_DB_H_
