// tinym2-study: the collection server of research mode.
//
//   tinym2-study --data DIR [--postgres CONNINFO] [--port 8090] [--host 127.0.0.1]
//                [--root REPO] [--engine DIR] [--manifest FILE] [--trust-proxy]
//   tinym2-study create-study --data DIR [--postgres CONNINFO] --protocol FILE [--base-url URL]
//                [--host HOST --port PORT]
//   tinym2-study add-researcher --data DIR [--postgres CONNINFO] --name NAME  < password
//
// The first serves the research page and takes uploads; the second adds a
// study from a protocol JSON and prints its participant link; the third
// adds a dashboard login (or sets a new password), the password read from
// the first line of standard input and stored as an Argon2id hash. See
// docs/study-server.md.
#include <signal.h>
#include <sodium.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <chrono>
#include <thread>

#include "password.h"
#include "protocol.h"
#include "server.h"
#include "util.h"

namespace {

using tm2study::Config;

int Usage() {
  std::fprintf(stderr,
               "usage: tinym2-study --data DIR [--postgres CONNINFO] [--port 8090] [--host 127.0.0.1]\n"
               "                    [--root REPO] [--engine DIR] [--manifest FILE]\n"
               "                    [--joins-per-minute N] [--uploads-per-minute N] [--logins-per-minute N]\n"
               "                    [--trust-proxy]\n"
               "       tinym2-study create-study --data DIR [--postgres CONNINFO] --protocol FILE\n"
               "                    [--base-url URL | --host HOST --port PORT]\n"
               "       tinym2-study add-researcher --data DIR [--postgres CONNINFO] --name NAME < password\n");
  return 2;
}

// Where participants reach the server when --base-url is not given: the
// --host/--port given, else the address the server last started on DATA
// noted there (kServerUrlFile), else the defaults (with a warning).
std::string LinkBase(const Config& config, bool address_given) {
  const std::string given = "http://" + config.host + ":" + std::to_string(config.port);
  if (address_given) return given;
  std::ifstream noted(config.data_dir + "/" + tm2study::kServerUrlFile);
  std::string url;
  if (noted && std::getline(noted, url) && url.rfind("http", 0) == 0) return url;
  std::fprintf(stderr,
               "note: no server has run on %s yet; the link assumes %s (give --base-url, or the "
               "server's --host and --port)\n",
               config.data_dir.c_str(), given.c_str());
  return given;
}

int CreateStudy(const std::string& data, const std::string& postgres,
                const std::string& protocol_path, const std::string& base_url) {
  std::ifstream f(protocol_path);
  if (!f) {
    std::fprintf(stderr, "error: cannot read %s\n", protocol_path.c_str());
    return 1;
  }
  std::stringstream text;
  text << f.rdbuf();
  tm2study::Protocol protocol;
  try {
    protocol = tm2study::ParseProtocol(text.str());
  } catch (const tm2study::ProtocolError& e) {
    std::fprintf(stderr, "error: %s: %s\n", protocol_path.c_str(), e.what());
    return 1;
  }
  tm2study::Storage storage(data);  // creates DATA
  tm2study::Db db(tm2study::OpenSqlBackend(data, postgres));
  const tm2study::Study s{tm2study::RandomHex(12), protocol.id, protocol.version, text.str(),
                          tm2study::RandomHex(16), tm2study::NowIso()};
  db.AddStudy(s);
  std::printf("study %s (protocol %s, version %s)\n", s.id.c_str(), protocol.id.c_str(),
              protocol.version.c_str());
  std::printf("participant link: %s/research/?study=%s&join=%s\n", base_url.c_str(), s.id.c_str(),
              s.join_key.c_str());
  return 0;
}

int AddResearcher(const std::string& data, const std::string& postgres, const std::string& name) {
  if (name.empty() || name.size() > 100) {
    std::fprintf(stderr, "error: --name must be 1-100 characters\n");
    return 2;
  }
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.size() < 10) {
    std::fprintf(stderr, "error: give a password of at least 10 characters on standard input\n");
    return 2;
  }
  tm2study::Storage storage(data);  // creates DATA
  tm2study::Db db(tm2study::OpenSqlBackend(data, postgres));
  db.SetResearcher(name, tm2study::HashPassword(password), tm2study::NowIso());
  std::printf("researcher %s can log in at /research/dashboard.html\n", name.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "error: libsodium could not start\n");
    return 1;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  const bool create = !args.empty() && args[0] == "create-study";
  const bool researcher = !args.empty() && args[0] == "add-researcher";
  if (create || researcher || (!args.empty() && args[0] == "serve")) args.erase(args.begin());
  Config config;
  std::string protocol, base_url, name;
  bool address_given = false;  // --host or --port
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--trust-proxy" && !create && !researcher) {
      config.trust_proxy = true;
      continue;
    }
    if (i + 1 >= args.size()) return Usage();
    const std::string& v = args[++i];
    try {
      if (a == "--data") config.data_dir = v;
      else if (a == "--port" || a == "--host") {
        if (a == "--port") config.port = std::stoi(v);
        else config.host = v;
        address_given = true;
      }
      else if (a == "--postgres") config.postgres = v;
      else if (a == "--root") config.root = v;
      else if (a == "--engine") config.engine_dir = v;
      else if (a == "--manifest") config.manifest = v;
      else if (a == "--joins-per-minute") config.joins_per_minute = std::stoi(v);
      else if (a == "--uploads-per-minute") config.uploads_per_minute = std::stoi(v);
      else if (a == "--protocol" && create) protocol = v;
      else if (a == "--base-url" && create) base_url = v;
      else if (a == "--name" && researcher) name = v;
      else if (a == "--logins-per-minute") config.logins_per_minute = std::stoi(v);
      else return Usage();
    } catch (const std::exception&) {
      std::fprintf(stderr, "error: %s needs a number, got '%s'\n", a.c_str(), v.c_str());
      return 2;
    }
  }
  if (config.data_dir.empty()) return Usage();
  try {
    if (create) {
      if (protocol.empty()) return Usage();
      if (base_url.empty()) base_url = LinkBase(config, address_given);
      return CreateStudy(config.data_dir, config.postgres, protocol, base_url);
    }
    if (researcher) return AddResearcher(config.data_dir, config.postgres, name);
    if (config.engine_dir.empty()) config.engine_dir = config.root + "/build/wasm/web-engine";
    if (config.manifest.empty()) config.manifest = config.root + "/models/manifest.json";
    // SIGINT/SIGTERM stop the server from a waiting thread, not from a
    // signal handler (Stop() is not async-signal-safe).
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    tm2study::StudyServer server(config);
    std::thread waiter([&] {
      int sig = 0;
      sigwait(&signals, &sig);
      // httplib's stop() does nothing before listening has begun: a signal
      // right after start-up waits for it.
      while (!server.Running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      server.Stop();
    });
    waiter.detach();
    return server.Run() ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
