// A study database made before participants.consent_language existed:
// opening it adds the column once (its old rows read back as "not
// recorded"), keeps every row, and takes a consent language afterwards;
// opening it again changes nothing.
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <string>

#include "db.h"
#include "sql_backend.h"

namespace {

// The participants and studies tables as the release before consent_language wrote them.
const char kOldSchema[] = R"sql(
CREATE TABLE studies (
  id TEXT PRIMARY KEY, protocol_id TEXT NOT NULL, version TEXT NOT NULL,
  protocol_json TEXT NOT NULL, join_key TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE participants (
  id TEXT PRIMARY KEY, study_id TEXT NOT NULL REFERENCES studies(id),
  token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
  consented_at TEXT NOT NULL DEFAULT '', consent_version TEXT NOT NULL DEFAULT '',
  answers TEXT NOT NULL DEFAULT '{}', completed_at TEXT NOT NULL DEFAULT '');
INSERT INTO studies VALUES ('s1', 'p', '1', '{}', 'k', '2026-01-01T00:00:00Z');
INSERT INTO participants VALUES ('old', 's1', 'h1', '2026-01-01T00:00:00Z',
  '2026-01-01T00:01:00Z', '1', '{"test_result":"negative"}', '');
)sql";

int CountColumn(const std::string& path, const char* name) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info('participants') WHERE name = ?",
                             -1, &s, nullptr) == SQLITE_OK);
  sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  const int n = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

}  // namespace

TEST_CASE("an older SQLite study database gains consent_language and keeps its rows") {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("tm2-migration-" + std::to_string(getpid()) + ".sqlite")).string();
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, kOldSchema, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  REQUIRE(CountColumn(path, "consent_language") == 0);
  {
    tm2study::Db db(tm2study::OpenSqlite(path));
    const auto old = db.GetParticipant("old");
    REQUIRE(old);
    CHECK(old->consented_at == "2026-01-01T00:01:00Z");
    CHECK(old->consent_version == "1");
    CHECK(old->answers == "{\"test_result\":\"negative\"}");
    CHECK(old->consent_language.empty());
    db.AddParticipant(tm2study::Participant{"new", "s1", "2026-02-01T00:00:00Z", "", "", "{}", "", ""}, "h2");
    db.SetConsent("new", "1", "fr", "2026-02-01T00:01:00Z");
  }
  CHECK(CountColumn(path, "consent_language") == 1);
  {
    // Opened again: the column is there once, and the rows are as written.
    tm2study::Db db(tm2study::OpenSqlite(path));
    CHECK(db.GetParticipant("new")->consent_language == "fr");
    CHECK(db.GetParticipant("old")->consent_language.empty());
    CHECK(db.ListParticipants("s1").size() == 2);
  }
  CHECK(CountColumn(path, "consent_language") == 1);
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}
