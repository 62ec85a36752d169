// The dashboard's login and sessions: Argon2id-checked passwords, a
// session cookie (HttpOnly, SameSite=Strict; Secure behind a TLS proxy)
// whose SHA-256 is stored, and a CSRF token required, with a same-site
// check, on every request that changes or exports data. See dashboard.cc
// for the data routes.
#include <sodium.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "password.h"
#include "server.h"
#include "util.h"

namespace tm2study {
namespace {

using nlohmann::json;
const char kCookie[] = "tm2_dashboard";
constexpr int64_t kSessionSeconds = 8 * 3600;

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

// The value of cookie `name` in the Cookie header, or "".
std::string CookieValue(const httplib::Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  size_t at = 0;
  while (at < header.size()) {
    size_t end = header.find(';', at);
    if (end == std::string::npos) end = header.size();
    size_t start = header.find_first_not_of(' ', at);
    if (start < end) {
      const std::string pair = header.substr(start, end - start);
      const size_t eq = pair.find('=');
      if (eq != std::string::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    }
    at = end + 1;
  }
  return "";
}

bool SameText(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// False when the browser says the request comes from another site.
bool FromThisSite(const httplib::Request& req) {
  const std::string site = req.get_header_value("Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin") return false;
  const std::string origin = req.get_header_value("Origin");
  if (origin.empty()) return true;  // not a browser's cross-site request
  const std::string host = req.get_header_value("Host");
  return origin == "http://" + host || origin == "https://" + host;
}

std::string SessionCookie(const httplib::Request& req, const std::string& value, int64_t max_age) {
  std::string c = std::string(kCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                  std::to_string(max_age);
  // Behind a TLS proxy (which sets X-Forwarded-Proto, docs/study-server.md)
  // the cookie never travels in clear.
  if (req.get_header_value("X-Forwarded-Proto") == "https") c += "; Secure";
  return c;
}

// (Researcher() and the login set Cache-Control: no-store.)
void Json(httplib::Response& res, const json& body) {
  res.set_content(body.dump(), "application/json");
}

}  // namespace

std::optional<DashboardSession> StudyServer::Researcher(const httplib::Request& req,
                                                        httplib::Response& res, bool changes) {
  res.set_header("Cache-Control", "no-store");
  const std::string token = CookieValue(req, kCookie);
  std::optional<DashboardSession> s;
  if (IsHex(token, 64)) s = db_.GetDashboardSession(Sha256Hex(token));
  if (!s || s->expires < Now()) {
    Fail(res, 401, "not logged in (or the session expired): log in again");
    return std::nullopt;
  }
  if (changes && (!FromThisSite(req) || !SameText(req.get_header_value("X-CSRF-Token"), s->csrf))) {
    Fail(res, 403, "missing or wrong X-CSRF-Token, or a request from another site");
    return std::nullopt;
  }
  return s;
}

void StudyServer::Audit(const std::string& actor, const std::string& action,
                        const std::string& study, const std::string& detail) {
  db_.AddAudit(AuditEntry{0, NowIso(), actor, action, study, detail});
}

void StudyServer::RouteDashboardAuth() {
  http_.Post("/api/dashboard/login", [this](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    // JSON only: a cross-site form cannot send it without a preflight,
    // which this server never approves.
    if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0 || !FromThisSite(req))
      return Fail(res, 403, "log in from the dashboard page (JSON from this site)");
    if (!logins_.Allow(ClientAddress(req)))
      return res.set_header("Retry-After", "60"),
             Fail(res, 429, "too many login attempts from this address; wait a minute");
    const json body = json::parse(req.body, nullptr, false);
    const auto text = [&](const char* k) {
      return body.is_object() && body.contains(k) && body[k].is_string() ? body[k].get<std::string>() : "";
    };
    const std::string name = text("name"), password = text("password");
    if (name.empty() || password.empty() || name.size() > 100 || password.size() > 1000)
      return Fail(res, 400, "log in with {\"name\": ..., \"password\": ...}");
    const auto hash = db_.ResearcherHash(name);
    if (!hash) VerifyNothing(password);
    if (!hash || !VerifyPassword(*hash, password)) return Fail(res, 401, "wrong name or password");
    db_.DeleteExpiredSessions(Now());
    const std::string token = RandomHex(32);
    const DashboardSession s{name, RandomHex(32), Now() + kSessionSeconds};
    db_.AddDashboardSession(Sha256Hex(token), s);
    Audit(name, "login", "", "from " + ClientAddress(req));
    res.set_header("Set-Cookie", SessionCookie(req, token, kSessionSeconds));
    Json(res, {{"researcher", name}, {"csrf", s.csrf}});
  });

  http_.Post("/api/dashboard/logout", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Researcher(req, res, true)) return;
    db_.DeleteDashboardSession(Sha256Hex(CookieValue(req, kCookie)));
    res.set_header("Set-Cookie", SessionCookie(req, "", 0));
    Json(res, {{"loggedOut", true}});
  });

  http_.Get("/api/dashboard/session", [this](const httplib::Request& req, httplib::Response& res) {
    auto s = Researcher(req, res, false);
    if (s) Json(res, {{"researcher", s->researcher}, {"csrf", s->csrf}});
  });
}

}  // namespace tm2study
