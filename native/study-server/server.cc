#include "server.h"

#include <nlohmann/json.hpp>

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "util.h"

namespace tm2study {

// Every read and write on a participant's connection, and the wait for its
// first request (TuneListeningSocket).
constexpr int kReadTimeoutSeconds = 15;

void Fail(httplib::Response& res, int status, const std::string& text) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", text}}.dump(), "application/json");
}

bool RateLimiter::Allow(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now - window_ >= std::chrono::minutes(1)) {
    window_ = now;
    counts_.clear();
  }
  return ++counts_[key] <= per_minute_;
}

StudyServer::StudyServer(const Config& config)
    : config_(config),
      db_(OpenSqlBackend(config.data_dir, config.postgres)),
      storage_(config.data_dir),
      checker_(config.manifest),
      joins_(config.joins_per_minute),
      creations_(config.uploads_per_minute),
      logins_(config.logins_per_minute) {
  // Slow or stalled clients must not hold a worker: every read and write
  // times out, and a PATCH that stalls keeps what arrived (tus resumes it).
  http_.set_read_timeout(kReadTimeoutSeconds, 0);
  http_.set_write_timeout(kReadTimeoutSeconds, 0);
  // httplib serves one connection per pool thread, and an idle keep-alive
  // connection holds its thread until the keep-alive timeout: many threads
  // and a short timeout keep queued participants from waiting on idle ones.
  http_.new_task_queue = [] { return new httplib::ThreadPool(256); };
  http_.set_keep_alive_timeout(1);
  // JSON bodies are small; PATCH bodies stream to disk and are bounded by
  // the upload's length in TusPatch.
  http_.set_payload_max_length(64 * 1024 * 1024);
  http_.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                 std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    std::fprintf(stderr, "tinym2-study: internal error: %s\n", what.c_str());
    Fail(res, 500, "internal server error");
  });
  MountSite();
  RouteApi();
  RouteTus();
  RouteDashboard();
}

namespace {

// Debian's cpp-httplib 0.11 is a compiled library, so two of its listening
// socket's settings are fixed when it was built; both are set again here on
// the socket itself, found by its port among this process's descriptors
// (httplib does not hand it out).
// - Backlog: httplib listens with 5 (CPPHTTPLIB_LISTEN_BACKLOG). With more
//   participants connecting at once, the kernel drops their handshakes, which
//   retry after 1, 2, 4 s (seconds of latency) or end in a reset. Calling
//   listen() again raises it (Linux allows it).
// - First request: a worker waits for every request on a connection,
//   the first one included, only as long as the keep-alive timeout (1 s,
//   see the constructor), then closes it unanswered. A client that connects
//   and sends its request over a second later (a slow phone, or the load
//   test on a busy machine: node's fetch reports "other side closed") loses
//   the request. TCP_DEFER_ACCEPT hands a connection to accept() only once
//   its first bytes have arrived, so the 1 s applies between requests only.
void TuneListeningSocket(int port, int first_request_seconds) {
  DIR* fds = opendir("/proc/self/fd");
  if (!fds) return;
  while (const dirent* e = readdir(fds)) {
    const int fd = std::atoi(e->d_name);
    if (fd <= 2 || fd == dirfd(fds)) continue;
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    sockaddr_storage addr{};
    socklen_t alen = sizeof(addr);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) continue;
    const int bound = addr.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                      : addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                                   : -1;
    if (bound != port) continue;
    ::listen(fd, SOMAXCONN);
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &first_request_seconds, sizeof(first_request_seconds));
  }
  closedir(fds);
}

}  // namespace

bool StudyServer::Run() {
  if (!http_.bind_to_port(config_.host, config_.port)) {
    std::fprintf(stderr, "tinym2-study: cannot listen on %s:%d\n", config_.host.c_str(),
                 config_.port);
    return false;
  }
  TuneListeningSocket(config_.port, kReadTimeoutSeconds);
  // Written through a temporary name and renamed, so `create-study` never
  // reads half an address.
  const std::string url = "http://" + config_.host + ":" + std::to_string(config_.port);
  const std::string note = config_.data_dir + "/" + kServerUrlFile;
  const std::string tmp = note + ".tmp" + std::to_string(getpid());
  if (!(std::ofstream(tmp) << url << "\n") || std::rename(tmp.c_str(), note.c_str()) != 0)
    std::fprintf(stderr, "tinym2-study: cannot write %s (create-study will need --base-url)\n", note.c_str());
  std::printf("tinym2-study: serving http://%s:%d/research/ (data in %s, %s, sound-type check %s)\n",
              config_.host.c_str(), config_.port, config_.data_dir.c_str(), db_.BackendName(),
              checker_.has_gate() ? "on" : "off");
  std::fflush(stdout);
  return http_.listen_after_bind();
}

std::optional<std::pair<Study, Protocol>> StudyServer::FindStudy(const std::string& id) {
  auto study = db_.GetStudy(id);
  if (!study) return std::nullopt;
  return std::make_pair(*study, ParseProtocol(study->protocol_json));
}

std::optional<StudyServer::Caller> StudyServer::Authorize(const httplib::Request& req,
                                                          httplib::Response& res) {
  auto study = FindStudy(req.matches[1]);
  if (!study) {
    Fail(res, 404, "no such study");
    return std::nullopt;
  }
  const std::string auth = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  const std::string token = auth.rfind(prefix, 0) == 0 ? auth.substr(prefix.size()) : "";
  if (!IsHex(token, 64)) {
    Fail(res, 401, "missing or malformed participant token (Authorization: Bearer <64 hex digits>)");
    return std::nullopt;
  }
  auto participant = db_.FindParticipant(study->first.id, Sha256Hex(token));
  if (!participant) {
    Fail(res, 401, "unknown participant token for this study (withdrawn, or from another study)");
    return std::nullopt;
  }
  return Caller{study->first, study->second, *participant};
}

std::string StudyServer::ClientAddress(const httplib::Request& req) const {
  const std::string& peer = req.remote_addr;
  const bool loopback = peer == "::1" || peer.rfind("127.", 0) == 0 || peer.rfind("::ffff:127.", 0) == 0;
  if (!config_.trust_proxy || !loopback) return peer;
  // Only a proxy on this machine may name the client; a participant could
  // otherwise pick a new address per request and pass every rate limit.
  const std::string real = req.get_header_value("X-Real-IP");
  if (real.empty() || real.size() > 45) return peer;
  for (char c : real)
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '.' && c != ':') return peer;
  return real;
}

void StudyServer::Withdraw(const std::string& study, const std::string& participant) {
  for (const Upload& u : db_.ListUploads(participant)) storage_.RemoveUpload(u.id);
  storage_.RemoveParticipant(study, participant);
  db_.DeleteParticipant(participant);
}

}  // namespace tm2study
