// SqlBackend on PostgreSQL through libpq, for several tinym2-study
// instances sharing one database: a small pool of connections (requests
// run in parallel, unlike SQLite's single writer), the schema created
// under an advisory lock (instances may start together), and upload locks
// as session advisory locks on one dedicated connection, so that two
// instances never write the same upload at once.
#include <libpq-fe.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "sql_backend.h"

namespace tm2study {
namespace {

// The shared tables (sql_schema.cc), created by one instance at a time.
std::string Schema() {
  return "SELECT pg_advisory_lock(7263001);\n" + SchemaSql(SqlDialect::kPostgres) +
         "SELECT pg_advisory_unlock(7263001);\n";
}

constexpr int kPoolSize = 8;

// "?" placeholders to PostgreSQL's "$1", "$2"... (no query here holds a
// literal question mark).
std::string Numbered(const std::string& sql) {
  std::string out;
  int n = 0;
  for (char c : sql) {
    if (c == '?') out += "$" + std::to_string(++n);
    else out += c;
  }
  return out;
}

// A stable 64-bit key for an advisory lock (FNV-1a): the same in every instance.
long long LockKey(const std::string& key) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  return static_cast<long long>(h);
}

void IgnoreNotice(void*, const char*) {}

PGconn* Connect(const std::string& conninfo) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    PQfinish(c);
    throw DbError("cannot connect to PostgreSQL (" + conninfo + "): " + msg);
  }
  PQsetNoticeProcessor(c, IgnoreNotice, nullptr);  // "already exists, skipping"
  return c;
}

// A result that clears itself; throws on an error status.
struct Result {
  PGresult* r;
  Result(PGconn* c, PGresult* res) : r(res) {
    const auto s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
      std::string msg = PQerrorMessage(c);
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      PQclear(r);
      throw DbError("postgresql: " + msg);
    }
  }
  ~Result() { PQclear(r); }
};

class Postgres final : public SqlBackend {
 public:
  explicit Postgres(std::string conninfo) : conninfo_(std::move(conninfo)) {
    lock_conn_ = Connect(conninfo_);
    Result(lock_conn_, PQexec(lock_conn_, Schema().c_str()));
    for (int i = 0; i < kPoolSize; ++i) free_.push_back(Connect(conninfo_));
  }
  ~Postgres() override {
    for (PGconn* c : free_) PQfinish(c);
    PQfinish(lock_conn_);
  }

  const char* Name() const override { return "postgresql"; }

  SqlRows Query(const std::string& sql, const std::vector<SqlParam>& params) override {
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      if (const auto* t = std::get_if<std::string>(&params[i])) {
        text[i] = *t;
      } else if (const auto* n = std::get_if<int64_t>(&params[i])) {
        text[i] = std::to_string(*n);
      } else {
        char v[32];
        std::snprintf(v, sizeof(v), "%.17g", std::get<double>(params[i]));
        text[i] = v;
      }
      values[i] = text[i].c_str();
    }
    PGconn* c = Acquire();
    struct Release {
      Postgres* p;
      PGconn* c;
      ~Release() { p->Return(c); }
    } release{this, c};
    if (PQstatus(c) != CONNECTION_OK) PQreset(c);  // the database restarted
    Result res(c, PQexecParams(c, Numbered(sql).c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0));
    SqlRows rows(static_cast<size_t>(PQntuples(res.r)));
    const int cols = PQnfields(res.r);
    for (size_t i = 0; i < rows.size(); ++i) {
      rows[i].resize(static_cast<size_t>(cols));
      for (int j = 0; j < cols; ++j) rows[i][static_cast<size_t>(j)] = PQgetvalue(res.r, static_cast<int>(i), j);
    }
    return rows;
  }

  void Purge(const std::vector<std::string>& tables) override {
    std::string names;
    for (const auto& t : tables) names += (names.empty() ? "" : ", ") + t;
    Query("VACUUM " + names, {});  // not in a transaction: one statement of its own
  }

  bool TryLock(const std::string& key) override {
    std::lock_guard<std::mutex> lock(lock_mu_);
    if (PQstatus(lock_conn_) != CONNECTION_OK) PQreset(lock_conn_);
    const std::string k = std::to_string(LockKey(key));
    const char* v[] = {k.c_str()};
    Result res(lock_conn_, PQexecParams(lock_conn_, "SELECT pg_try_advisory_lock($1::bigint)", 1,
                                        nullptr, v, nullptr, nullptr, 0));
    return PQntuples(res.r) == 1 && PQgetvalue(res.r, 0, 0)[0] == 't';
  }

  void Unlock(const std::string& key) override {
    std::lock_guard<std::mutex> lock(lock_mu_);
    const std::string k = std::to_string(LockKey(key));
    const char* v[] = {k.c_str()};
    PQclear(PQexecParams(lock_conn_, "SELECT pg_advisory_unlock($1::bigint)", 1, nullptr, v,
                         nullptr, nullptr, 0));
  }

 private:
  PGconn* Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [this] { return !free_.empty(); });
    PGconn* c = free_.back();
    free_.pop_back();
    return c;
  }
  void Return(PGconn* c) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      free_.push_back(c);
    }
    ready_.notify_one();
  }

  std::string conninfo_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::vector<PGconn*> free_;
  std::mutex lock_mu_;
  PGconn* lock_conn_ = nullptr;
};

}  // namespace

std::unique_ptr<SqlBackend> OpenPostgres(const std::string& conninfo) {
  return std::make_unique<Postgres>(conninfo);
}

}  // namespace tm2study
