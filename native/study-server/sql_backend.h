// The study server's storage interface: one SQL database, reached through
// SQLite (the default, a file in DATA) or PostgreSQL (libpq, for several
// server instances behind a proxy sharing one database). Db (db.h) writes
// its queries once against this interface with `?` placeholders; each
// backend brings its own schema and connection handling.
//
//   auto sql = OpenSqlBackend(data_dir, "");   // SQLite: DATA/study.sqlite
//   auto pg = OpenSqlBackend(data_dir, "host=/run/pg dbname=study");
//   SqlRows rows = sql->Query("SELECT id FROM studies WHERE id = ?", {id});
//
// Every call throws DbError on a database failure.
#ifndef TM2_STUDY_SERVER_SQL_BACKEND_H_
#define TM2_STUDY_SERVER_SQL_BACKEND_H_

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace tm2study {

struct DbError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using SqlParam = std::variant<std::string, int64_t, double>;
// Result rows, every column as text (NULL as ""); numbers in a form
// strtoll/strtod read back exactly.
using SqlRows = std::vector<std::vector<std::string>>;

class SqlBackend {
 public:
  virtual ~SqlBackend() = default;
  // "sqlite" or "postgresql", for messages.
  virtual const char* Name() const = 0;
  // Runs one statement (`?` placeholders) and returns its rows, if any.
  virtual SqlRows Query(const std::string& sql, const std::vector<SqlParam>& params) = 0;
  // A lock on `key` held across server instances sharing the database
  // (PostgreSQL advisory locks); false when another instance holds it.
  // SQLite serves one instance, whose own locks suffice: always true.
  virtual bool TryLock(const std::string& key) = 0;
  virtual void Unlock(const std::string& key) = 0;
  // Removes what deleted rows leave behind where the backend can: SQLite
  // checkpoints and truncates its write-ahead log (secure_delete has
  // zeroed the pages); PostgreSQL vacuums `tables` (dead rows become
  // free space; see docs/study-server.md).
  virtual void Purge(const std::vector<std::string>& tables) = 0;
};

// The tables and indexes in either dialect (sql_schema.cc). For
// PostgreSQL this also adds AddedColumns() to an older database; SQLite
// adds them itself (it has no ADD COLUMN IF NOT EXISTS).
enum class SqlDialect { kSqlite, kPostgres };
std::string SchemaSql(SqlDialect dialect);

// A column added to an existing table after a release, e.g.
// {"participants", "consent_language", "TEXT NOT NULL DEFAULT ''"}.
struct SqlColumn {
  std::string table, name, type;
};
const std::vector<SqlColumn>& AddedColumns();

// SQLite at DATA/study.sqlite when `postgres` is empty; otherwise a libpq
// connection string ("host=/var/run/postgresql dbname=study" or
// "postgresql://user@host/db"). Creates the tables if they are missing.
std::unique_ptr<SqlBackend> OpenSqlBackend(const std::string& data_dir, const std::string& postgres);
std::unique_ptr<SqlBackend> OpenSqlite(const std::string& path);
std::unique_ptr<SqlBackend> OpenPostgres(const std::string& conninfo);

}  // namespace tm2study

#endif  // TM2_STUDY_SERVER_SQL_BACKEND_H_
