// tus 1.0 (core, creation, checksum) for takes: POST /tus/<study>/ creates an
// upload, HEAD gives its offset, PATCH appends at Upload-Offset. Metadata
// names the take (task, take) and its SHA-256; creating the same take with
// the same checksum again returns the same upload, so replays are
// idempotent. Bytes are fsync'ed before the offset is committed to SQLite,
// so after a crash the offset never claims bytes that are not on disk.
#include <unistd.h>

#include "chunk_checksum.h"
#include "server.h"
#include "util.h"
#include "wav_header.h"

namespace tm2study {
namespace {

const char kTusVersion[] = "1.0.0";
const char kCollection[] = "/tus/([0-9a-f]{24})/?";
const char kUpload[] = "/tus/([0-9a-f]{24})/([0-9a-f]{32})";
constexpr size_t kHeaderBytes = 64 * 1024;
// Largest take a task can need: 2 channels x 16 bits at 48 kHz, plus header.
int64_t MaxBytes(const TaskLimits& t) {
  return static_cast<int64_t>(t.max_seconds * 48000 * 4) + static_cast<int64_t>(kHeaderBytes);
}
// The page stops recording at maxSeconds; a frame of slack for rounding.
constexpr double kSecondsSlack = 0.05;

// A non-negative decimal integer header, or -1.
int64_t Number(const httplib::Request& req, const char* name) {
  if (!req.has_header(name)) return -1;
  const std::string v = req.get_header_value(name);
  if (v.empty() || v.size() > 15) return -1;
  int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

// httplib's set_header adds a header; the offset may be set twice in one answer.
void SetOffsetHeader(httplib::Response& res, int64_t offset) {
  res.headers.erase("Upload-Offset");
  res.set_header("Upload-Offset", std::to_string(offset));
}

bool CheckVersion(const httplib::Request& req, httplib::Response& res) {
  res.set_header("Tus-Resumable", kTusVersion);
  if (req.get_header_value("Tus-Resumable") == kTusVersion) return true;
  res.set_header("Tus-Version", kTusVersion);
  Fail(res, 412, "Tus-Resumable: 1.0.0 is required");
  return false;
}

}  // namespace

void StudyServer::RouteTus() {
  http_.Options(kCollection, [](const httplib::Request&, httplib::Response& res) {
    res.status = 204;
    res.set_header("Tus-Resumable", kTusVersion);
    res.set_header("Tus-Version", kTusVersion);
    res.set_header("Tus-Extension", "creation,checksum");
    res.set_header("Tus-Checksum-Algorithm", kChecksumAlgorithms);
  });
  http_.Post(kCollection, [this](const httplib::Request& req, httplib::Response& res) {
    TusCreate(req, res);
  });
  // httplib answers HEAD with the GET handler (and no body).
  http_.Get(kUpload, [this](const httplib::Request& req, httplib::Response& res) {
    TusHead(req, res);
  });
  http_.Patch(kUpload, [this](const httplib::Request& req, httplib::Response& res,
                              const httplib::ContentReader& reader) {
    TusPatch(req, res, reader);
  });
}

void StudyServer::TusCreate(const httplib::Request& req, httplib::Response& res) {
  if (!CheckVersion(req, res)) return;
  auto c = Authorize(req, res);
  if (!c) return;
  if (c->participant.consented_at.empty())
    return Fail(res, 403, "no consent recorded for this participant: consent comes first");
  if (!creations_.Allow(c->participant.id))
    return res.set_header("Retry-After", "60"),
           Fail(res, 429, "too many uploads created by this participant; wait a minute");
  if (req.has_header("Upload-Defer-Length"))
    return Fail(res, 400, "Upload-Defer-Length is not supported: send Upload-Length");
  const int64_t length = Number(req, "Upload-Length");
  if (length < 0) return Fail(res, 400, "Upload-Length must be a non-negative integer");
  const auto meta = ParseUploadMetadata(req.get_header_value("Upload-Metadata"));
  if (!meta) return Fail(res, 400, "Upload-Metadata is malformed (key base64,key base64)");
  const auto get = [&](const char* k) { auto i = meta->find(k); return i == meta->end() ? "" : i->second; };
  const std::string task_id = get("task"), sha = get("sha256"), take_text = get("take");
  const auto task = c->protocol.tasks.find(task_id);
  if (task == c->protocol.tasks.end())
    return Fail(res, 400, "Upload-Metadata task '" + task_id.substr(0, 40) + "' is not a task of this study");
  int take = 0;
  if (take_text.size() == 1 || take_text.size() == 2)
    for (char ch : take_text) take = ch >= '0' && ch <= '9' ? take * 10 + (ch - '0') : -1000;
  if (take < 1 || take > task->second.takes)
    return Fail(res, 400, "Upload-Metadata take must be 1-" + std::to_string(task->second.takes) +
                              " for task " + task_id);
  if (!IsHex(sha, 64)) return Fail(res, 400, "Upload-Metadata sha256 must be 64 lower-case hex digits");
  // Optional: where and when the page recorded the take, for the export.
  const TakeDevice device{get("recordedAt"), get("inputDevice"), get("browser")};
  for (const auto& [name, value] : {std::pair<const char*, const std::string&>{"recordedAt", device.recorded_at},
                                    {"inputDevice", device.input_device}, {"browser", device.browser}}) {
    if (value.size() > 400) return Fail(res, 400, std::string("Upload-Metadata ") + name + " is over 400 bytes");
    for (unsigned char ch : value)
      if (ch < 0x20 || ch == 0x7f)
        return Fail(res, 400, std::string("Upload-Metadata ") + name + " holds a control character");
  }
  if (length > MaxBytes(task->second.limits))
    return Fail(res, 413, "Upload-Length " + std::to_string(length) + " is more than a " +
                              std::to_string(static_cast<int>(task->second.limits.max_seconds)) +
                              "-s take of task " + task_id + " can be (" +
                              std::to_string(MaxBytes(task->second.limits)) + " bytes)");
  if (auto same = db_.FindUpload(c->participant.id, task_id, take, sha)) {
    if (same->length != length)
      return Fail(res, 409, "this take was created before with another Upload-Length");
    res.status = 201;
    res.set_header("Location", "/tus/" + c->study.id + "/" + same->id);
    SetOffsetHeader(res, same->offset);
    return;
  }
  Upload u;
  u.id = RandomHex(16);
  u.study_id = c->study.id;
  u.participant_id = c->participant.id;
  u.task = task_id;
  u.take = take;
  u.sha256 = sha;
  u.length = length;
  u.created_at = NowIso();
  const int fd = storage_.OpenForAppend(u.id, 0);
  if (fd < 0) return Fail(res, 507, "cannot create the upload's file on the server");
  ::close(fd);
  db_.AddUpload(u);
  if (!device.recorded_at.empty() || !device.input_device.empty() || !device.browser.empty())
    db_.SetTakeDevice(u.id, device);
  res.status = 201;
  res.set_header("Location", "/tus/" + c->study.id + "/" + u.id);
}

void StudyServer::TusHead(const httplib::Request& req, httplib::Response& res) {
  if (!CheckVersion(req, res)) return;
  auto c = Authorize(req, res);
  if (!c) return;
  auto u = db_.GetUpload(req.matches[2]);
  if (!u || u->participant_id != c->participant.id) return Fail(res, 404, "no such upload");
  res.status = 200;
  SetOffsetHeader(res, u->offset);
  res.set_header("Upload-Length", std::to_string(u->length));
  res.set_header("Cache-Control", "no-store");
}

void StudyServer::TusPatch(const httplib::Request& req, httplib::Response& res,
                           const httplib::ContentReader& reader) {
  // Until the body has been read, an answer must close the connection: the
  // unread body would otherwise be parsed as the next request.
  res.set_header("Connection", "close");
  if (!CheckVersion(req, res)) return;
  if (req.get_header_value("Content-Type") != "application/offset+octet-stream")
    return Fail(res, 415, "PATCH needs Content-Type: application/offset+octet-stream");
  const int64_t offset = Number(req, "Upload-Offset");
  if (offset < 0) return Fail(res, 400, "Upload-Offset must be a non-negative integer");
  std::unique_ptr<ChunkChecksum> checksum;
  if (req.has_header("Upload-Checksum")) {
    std::string error;
    checksum = ChunkChecksum::Parse(req.get_header_value("Upload-Checksum"), &error);
    if (!checksum) return Fail(res, 400, error);
  }
  auto c = Authorize(req, res);
  if (!c) return;
  const std::string id = req.matches[2];
  {
    std::lock_guard<std::mutex> lock(busy_mu_);
    if (!busy_.insert(id).second)
      return Fail(res, 423, "another request is writing this upload; retry after it ends");
  }
  struct Release {
    StudyServer* s;
    std::string id;
    ~Release() {
      std::lock_guard<std::mutex> lock(s->busy_mu_);
      s->busy_.erase(id);
    }
  } release{this, id};
  // Another instance sharing the database may be writing it (PostgreSQL).
  if (!db_.TryLockUpload(id))
    return Fail(res, 423, "another request is writing this upload; retry after it ends");
  struct Unlock {
    Db& db;
    std::string id;
    ~Unlock() { db.UnlockUpload(id); }
  } unlock{db_, id};
  auto u = db_.GetUpload(id);
  if (!u || u->participant_id != c->participant.id) return Fail(res, 404, "no such upload");
  SetOffsetHeader(res, u->offset);
  if (offset != u->offset)
    return Fail(res, 409, "Upload-Offset " + std::to_string(offset) + " does not match the upload's offset " +
                              std::to_string(u->offset));
  if (u->status == "complete") {
    res.status = 204;
    return;
  }
  const TaskLimits& task = c->protocol.tasks.at(u->task).limits;
  const int fd = storage_.OpenForAppend(u->id, u->offset);
  if (fd < 0) return Fail(res, 507, "cannot open the upload's file on the server");
  int64_t written = u->offset;
  bool too_long = false, io_error = false;
  // A body cut off mid-way (connection lost, client killed) still keeps
  // what arrived: reader() returns and the offset below records it.
  const bool whole = reader([&](const char* data, size_t n) {
    if (written + static_cast<int64_t>(n) > u->length) {
      too_long = true;
      return false;
    }
    for (size_t done = 0; done < n;) {
      const ssize_t w = ::write(fd, data + done, n - done);
      if (w <= 0) {
        io_error = true;
        return false;
      }
      done += static_cast<size_t>(w);
    }
    if (checksum) checksum->Update(data, n);
    written += static_cast<int64_t>(n);
    return true;
  });
  if (::fsync(fd) != 0) io_error = true;
  ::close(fd);
  if (!too_long && !io_error) res.headers.erase("Connection");
  if (io_error) return Fail(res, 507, "the server could not store the bytes (disk full?); retry later");
  if (too_long) {
    SetOffsetHeader(res, u->offset);
    return Fail(res, 413, "the body goes past Upload-Length " + std::to_string(u->length));
  }
  // A checked body counts only whole and matching; what was written past
  // the committed offset is cut off by the next PATCH.
  if (checksum && !whole) return Fail(res, 400, "the body ended early; its checksum cannot be checked");
  if (checksum && !checksum->Matches())
    return Fail(res, 460, "Upload-Checksum does not match the body; it was not kept");
  u->offset = written;
  if (!u->header_checked && !CheckHeader(*u, task, res)) return;
  db_.SetOffset(u->id, u->offset, u->header_checked);
  SetOffsetHeader(res, u->offset);
  if (u->offset == u->length) return FinishUpload(*u, task, res);
  res.status = 204;
}

bool StudyServer::CheckHeader(Upload& u, const TaskLimits& task, httplib::Response& res) {
  const auto prefix = storage_.ReadPrefix(storage_.PartialPath(u.id), kHeaderBytes);
  const WavHeader h = ParseWavHeader(prefix.data(), prefix.size(), static_cast<size_t>(u.length));
  if (h.result == WavHeader::Result::kNeedMore) return true;
  if (h.result == WavHeader::Result::kBad) {
    DropUpload(u);
    Fail(res, h.error.rfind("not a WAV", 0) == 0 ? 415 : 422, h.error + "; the upload was discarded");
    return false;
  }
  if (h.seconds() > task.max_seconds + kSecondsSlack) {
    DropUpload(u);
    char text[160];
    std::snprintf(text, sizeof(text),
                  "too long: %.1f s, and this task accepts at most %.1f s; the upload was discarded",
                  h.seconds(), task.max_seconds);
    Fail(res, 413, text);
    return false;
  }
  u.header_checked = true;
  return true;
}

void StudyServer::FinishUpload(Upload& u, const TaskLimits& task, httplib::Response& res) {
  const auto bytes = storage_.ReadPrefix(storage_.PartialPath(u.id), static_cast<size_t>(u.length));
  if (static_cast<int64_t>(bytes.size()) != u.length)
    return Fail(res, 500, "the upload's file is shorter than its offset");
  if (Sha256Hex(std::string(bytes.begin(), bytes.end())) != u.sha256) {
    DropUpload(u);
    return Fail(res, 460, "checksum mismatch: the bytes received do not have the SHA-256 given "
                          "at creation; the upload was discarded, upload the take again");
  }
  const WavHeader h = ParseWavHeader(bytes.data(), bytes.size(), bytes.size());
  const Verdict v = checker_.Check(bytes, h, task);
  u.verdict = v.verdict;
  u.message = v.message;
  u.probability = v.probability;
  u.seconds = h.seconds();
  u.sample_rate = static_cast<int>(h.sample_rate);
  // A re-recorded take replaces the one uploaded before for the same step.
  for (const Upload& old : db_.ListUploads(u.participant_id))
    if (old.id != u.id && old.task == u.task && old.take == u.take) DropUpload(old);
  if (!storage_.Finish(u.id, u.study_id, u.participant_id))
    return Fail(res, 507, "cannot move the finished take into place on the server");
  db_.Complete(u);
  res.status = 204;
  res.set_header("Tm2-Verdict", u.verdict);
}

void StudyServer::DropUpload(const Upload& u) {
  storage_.RemoveUpload(u.id);
  if (u.status == "complete") storage_.RemoveFinal(u.study_id, u.participant_id, u.id);
  db_.DeleteUpload(u.id);
}

}  // namespace tm2study
