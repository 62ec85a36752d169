// tinym2-study's HTTP server: the research page and its files, the
// participant API (join, consent, status, withdrawal), tus 1.0 uploads of
// takes and the researcher dashboard. Routes live in site.cc, api.cc, tus.cc
// and dashboard.cc; state in Db
// (SQLite or PostgreSQL), Storage (files) and TakeChecker (the server-side gate).
#ifndef TM2_STUDY_SERVER_SERVER_H_
#define TM2_STUDY_SERVER_SERVER_H_

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "db.h"
#include "protocol.h"
#include "storage.h"
#include "take_check.h"

namespace tm2study {

struct Config {
  std::string data_dir;
  std::string root = ".";    // repository checkout: web/, models/, node_modules/fflate
  std::string engine_dir;    // default ROOT/build/wasm/web-engine
  std::string manifest;      // gate manifest; default ROOT/models/manifest.json
  std::string postgres;      // libpq connection string; empty: SQLite in data_dir
  std::string host = "127.0.0.1";
  int port = 8090;
  int joins_per_minute = 30;    // new participants per client address
  int uploads_per_minute = 60;  // tus creations per participant
  int logins_per_minute = 10;   // dashboard login attempts per client address
  // Behind a proxy on this machine: the client address is the proxy's
  // X-Real-IP (for the rate limits and the audit log), not 127.0.0.1.
  bool trust_proxy = false;
};

// Per-key counters over a fixed one-minute window: enough to stop a client
// from creating participants or uploads in a loop.
class RateLimiter {
 public:
  explicit RateLimiter(int per_minute) : per_minute_(per_minute) {}
  bool Allow(const std::string& key);

 private:
  int per_minute_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point window_;
  std::map<std::string, int> counts_;
};

// The file in the data folder where a running server notes the address it
// serves ("http://127.0.0.1:8091"): `create-study` builds its participant
// link from it when given no --base-url, --host or --port.
constexpr const char* kServerUrlFile = "server-url";

class StudyServer {
 public:
  explicit StudyServer(const Config& config);
  // Binds and serves until Stop(); false when the port cannot be bound.
  bool Run();
  void Stop() { http_.stop(); }
  bool Running() const { return http_.is_running(); }

 private:
  struct Caller {
    Study study;
    Protocol protocol;
    Participant participant;
  };

  void MountSite();
  void RouteApi();
  void RouteTus();
  void RouteDashboard();
  void RouteDashboardAuth();  // login, logout, session (dashboard_auth.cc)
  // The logged-in researcher's session; `changes`: the request changes or
  // exports data, so it must carry the CSRF token and come from this site.
  // Otherwise fills `res` with 401/403 and returns nullopt.
  std::optional<DashboardSession> Researcher(const httplib::Request& req, httplib::Response& res,
                                             bool changes);
  void Audit(const std::string& actor, const std::string& action, const std::string& study,
             const std::string& detail);
  // The study named in the path and the participant whose bearer token the
  // request carries; otherwise fills `res` with 404/401 and returns nullopt.
  std::optional<Caller> Authorize(const httplib::Request& req, httplib::Response& res);
  std::optional<std::pair<Study, Protocol>> FindStudy(const std::string& id);
  // The client's address: the peer's, or with --trust-proxy and a loopback
  // peer, the X-Real-IP the proxy set.
  std::string ClientAddress(const httplib::Request& req) const;

  void TusCreate(const httplib::Request& req, httplib::Response& res);
  void TusHead(const httplib::Request& req, httplib::Response& res);
  void TusPatch(const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader& reader);
  // Checks the header once enough bytes are in; false (and `res` filled,
  // the upload deleted) when the take is refused.
  bool CheckHeader(Upload& u, const TaskLimits& task, httplib::Response& res);
  void FinishUpload(Upload& u, const TaskLimits& task, httplib::Response& res);
  void DropUpload(const Upload& u);
  // Deletes the participant's files, partial uploads and rows.
  void Withdraw(const std::string& study, const std::string& participant);

  Config config_;
  Db db_;
  Storage storage_;
  TakeChecker checker_;
  RateLimiter joins_;
  RateLimiter creations_;
  RateLimiter logins_;
  httplib::Server http_;
  std::mutex busy_mu_;
  std::set<std::string> busy_;  // uploads with a PATCH in progress
};

// A JSON {"error": text} response.
void Fail(httplib::Response& res, int status, const std::string& text);

}  // namespace tm2study

#endif  // TM2_STUDY_SERVER_SERVER_H_
