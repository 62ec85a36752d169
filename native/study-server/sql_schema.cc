// The study server's tables, written once for both backends: the few
// types that differ (64-bit integers, doubles, auto-numbered keys) are
// filled in per dialect. Every statement is CREATE ... IF NOT EXISTS, so
// opening an older database adds what it lacks (a new table or index). A
// column added to an existing table since is listed in AddedColumns():
// each backend adds it where it is missing (PostgreSQL: ADD COLUMN IF NOT
// EXISTS; SQLite, which lacks that: after looking at PRAGMA table_info).
#include <string>
#include <vector>

#include "sql_backend.h"

namespace tm2study {
namespace {

const char kTables[] = R"sql(
CREATE TABLE IF NOT EXISTS studies (
  id TEXT PRIMARY KEY, protocol_id TEXT NOT NULL, version TEXT NOT NULL,
  protocol_json TEXT NOT NULL, join_key TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS participants (
  id TEXT PRIMARY KEY, study_id TEXT NOT NULL REFERENCES studies(id),
  token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
  consented_at TEXT NOT NULL DEFAULT '', consent_version TEXT NOT NULL DEFAULT '',
  consent_language TEXT NOT NULL DEFAULT '',
  answers TEXT NOT NULL DEFAULT '{}', completed_at TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY, study_id TEXT NOT NULL,
  participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
  task TEXT NOT NULL, take INTEGER NOT NULL, sha256 TEXT NOT NULL,
  length @INT64@ NOT NULL, "offset" @INT64@ NOT NULL DEFAULT 0,
  header_checked INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'partial',
  verdict TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '',
  probability @DOUBLE@ NOT NULL DEFAULT -1, seconds @DOUBLE@ NOT NULL DEFAULT 0,
  sample_rate INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
  UNIQUE (participant_id, task, take, sha256));
CREATE INDEX IF NOT EXISTS uploads_by_study ON uploads (study_id);
CREATE INDEX IF NOT EXISTS uploads_by_participant ON uploads (participant_id);
CREATE TABLE IF NOT EXISTS take_devices (
  upload_id TEXT PRIMARY KEY REFERENCES uploads(id) ON DELETE CASCADE,
  recorded_at TEXT NOT NULL, input_device TEXT NOT NULL, browser TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS researchers (
  name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dashboard_sessions (
  token_hash TEXT PRIMARY KEY,
  researcher TEXT NOT NULL REFERENCES researchers(name) ON DELETE CASCADE,
  csrf TEXT NOT NULL, expires @INT64@ NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  id @SERIAL@, at TEXT NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, study_id TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exports (
  id @SERIAL@, study_id TEXT NOT NULL, at TEXT NOT NULL, researcher TEXT NOT NULL,
  participants INTEGER NOT NULL, takes INTEGER NOT NULL, withdrawn INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS export_members (
  export_id @INT64@ NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
  participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS export_members_by_participant ON export_members (participant_id);
)sql";

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

}  // namespace

const std::vector<SqlColumn>& AddedColumns() {
  // Columns added after a release: with a default, so that old rows read
  // back as "not recorded" ("" for a consent given before the language was kept).
  static const std::vector<SqlColumn> columns = {
      {"participants", "consent_language", "TEXT NOT NULL DEFAULT ''"},
  };
  return columns;
}

std::string SchemaSql(SqlDialect dialect) {
  std::string s = kTables;
  const bool pg = dialect == SqlDialect::kPostgres;
  // SQLite's INTEGER and REAL are 64-bit already.
  ReplaceAll(s, "@INT64@", pg ? "BIGINT" : "INTEGER");
  ReplaceAll(s, "@DOUBLE@", pg ? "DOUBLE PRECISION" : "REAL");
  ReplaceAll(s, "@SERIAL@", pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT");
  if (pg)
    for (const SqlColumn& c : AddedColumns())
      s += "ALTER TABLE " + c.table + " ADD COLUMN IF NOT EXISTS " + c.name + " " + c.type + ";\n";
  return s;
}

}  // namespace tm2study
