// The research page and the files it loads, served as scripts/serve.mjs
// serves them (same folders, same headers), so the page runs the same way
// from either server.
#include "server.h"

namespace tm2study {

void StudyServer::MountSite() {
  const std::string& root = config_.root;
  http_.set_mount_point("/engine", config_.engine_dir);
  http_.set_mount_point("/models", root + "/models");
  http_.set_mount_point("/vendor/fflate", root + "/node_modules/fflate/esm");
  http_.set_mount_point("/vendor/tus", root + "/node_modules/tus-js-client/dist");
  http_.set_mount_point("/", root + "/web");
  http_.set_file_extension_and_mimetype_mapping("mjs", "text/javascript");
  http_.set_file_extension_and_mimetype_mapping("tm2", "application/octet-stream");
  http_.set_file_extension_and_mimetype_mapping("wasm", "application/wasm");
  http_.set_post_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Cross-Origin-Opener-Policy", "same-origin");
    res.set_header("Cross-Origin-Embedder-Policy", "require-corp");
    res.set_header("Cross-Origin-Resource-Policy", "same-origin");
    // The dashboard (page and API) runs no WebAssembly, no worker, no
    // inline code, loads nothing from elsewhere and may not be framed.
    const bool dashboard = req.path.rfind("/research/dashboard", 0) == 0 ||
                           req.path.rfind("/api/dashboard/", 0) == 0;
    res.set_header("Content-Security-Policy",
                   dashboard ? "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "media-src 'self'; connect-src 'self'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'"
                             : "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
                               "img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; "
                               "worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'");
    if (dashboard) res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Permissions-Policy", "microphone=(self), camera=(), geolocation=()");
    if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-cache");
  });
}

}  // namespace tm2study
