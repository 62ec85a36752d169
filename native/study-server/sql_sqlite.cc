// SqlBackend on SQLite: DATA/study.sqlite in WAL mode, synchronous=FULL (an
// offset committed here is on disk), secure_delete (a withdrawn
// participant's rows are zeroed, not just unlinked). One connection behind
// a mutex: requests are short and SQLite serialises writers anyway.
#include <sqlite3.h>

#include <cstdio>
#include <mutex>

#include "sql_backend.h"

namespace tm2study {
namespace {

// Durability and deletion settings, then the shared tables (sql_schema.cc).
const char kPragmas[] = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;
PRAGMA secure_delete = ON;
)sql";

class Sqlite final : public SqlBackend {
 public:
  explicit Sqlite(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
      const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw DbError("cannot open " + path + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 5000);
    char* err = nullptr;
    const std::string schema = kPragmas + SchemaSql(SqlDialect::kSqlite);
    if (sqlite3_exec(db_, schema.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      sqlite3_close(db_);
      throw DbError("sqlite: " + msg);
    }
    AddMissingColumns();
  }
  ~Sqlite() override { sqlite3_close(db_); }

  const char* Name() const override { return "sqlite"; }

  SqlRows Query(const std::string& sql, const std::vector<SqlParam>& params) override {
    std::lock_guard<std::mutex> lock(mu_);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
      throw DbError(std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
    struct Finalize {
      sqlite3_stmt* s;
      ~Finalize() { sqlite3_finalize(s); }
    } finalize{s};
    for (size_t i = 0; i < params.size(); ++i) {
      const int at = static_cast<int>(i) + 1;
      if (const auto* t = std::get_if<std::string>(&params[i]))
        sqlite3_bind_text(s, at, t->data(), static_cast<int>(t->size()), SQLITE_TRANSIENT);
      else if (const auto* n = std::get_if<int64_t>(&params[i]))
        sqlite3_bind_int64(s, at, *n);
      else
        sqlite3_bind_double(s, at, std::get<double>(params[i]));
    }
    SqlRows rows;
    for (;;) {
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) throw DbError(std::string("sqlite: ") + sqlite3_errmsg(db_));
      std::vector<std::string> row(static_cast<size_t>(sqlite3_column_count(s)));
      for (size_t c = 0; c < row.size(); ++c) {
        const int col = static_cast<int>(c);
        if (sqlite3_column_type(s, col) == SQLITE_FLOAT) {
          // %.17g reads back to the same double (SQLite's own text has 15 digits).
          char text[32];
          std::snprintf(text, sizeof(text), "%.17g", sqlite3_column_double(s, col));
          row[c] = text;
        } else if (const auto* t = sqlite3_column_text(s, col)) {
          row[c] = reinterpret_cast<const char*>(t);
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  void Purge(const std::vector<std::string>&) override {
    Query("PRAGMA wal_checkpoint(TRUNCATE)", {});
  }

  bool TryLock(const std::string&) override { return true; }
  void Unlock(const std::string&) override {}

 private:
  // A database made before a column existed gets it, once; its old rows
  // take the column's default.
  void AddMissingColumns() {
    try {
      for (const SqlColumn& c : AddedColumns()) {
        bool present = false;
        for (const auto& row : Query("SELECT name FROM pragma_table_info(?)", {c.table}))
          present = present || row.at(0) == c.name;
        if (!present) Query("ALTER TABLE " + c.table + " ADD COLUMN " + c.name + " " + c.type, {});
      }
    } catch (...) {
      sqlite3_close(db_);
      throw;
    }
  }

  sqlite3* db_ = nullptr;
  std::mutex mu_;
};

}  // namespace

std::unique_ptr<SqlBackend> OpenSqlite(const std::string& path) {
  return std::make_unique<Sqlite>(path);
}

std::unique_ptr<SqlBackend> OpenSqlBackend(const std::string& data_dir, const std::string& postgres) {
  if (postgres.empty()) return OpenSqlite(data_dir + "/study.sqlite");
  return OpenPostgres(postgres);
}

}  // namespace tm2study
