#include "storage.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "util.h"

namespace tm2study {
namespace fs = std::filesystem;
namespace {

// Every component is a server-generated id; anything else is a bug, and
// refusing it here keeps a bug from becoming a path outside DATA.
const std::string& Checked(const std::string& id) {
  if (!(IsHex(id, 32) || IsHex(id, 24) || IsHex(id, 16)))
    throw std::logic_error("storage: not a server-generated id: " + id);
  return id;
}

void SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

Storage::Storage(std::string data_dir) : dir_(std::move(data_dir)) {
  fs::create_directories(dir_ + "/partial");
  fs::create_directories(dir_ + "/audio");
}

std::string Storage::PartialPath(const std::string& upload) const {
  return dir_ + "/partial/" + Checked(upload) + ".part";
}

std::string Storage::FinalPath(const std::string& study, const std::string& participant,
                               const std::string& upload) const {
  return dir_ + "/audio/" + Checked(study) + "/" + Checked(participant) + "/" + Checked(upload) +
         ".wav";
}

int Storage::OpenForAppend(const std::string& upload, int64_t offset) const {
  const int fd = ::open(PartialPath(upload).c_str(), O_WRONLY | O_CREAT, 0600);
  if (fd < 0) return -1;
  if (::ftruncate(fd, offset) != 0 || ::lseek(fd, offset, SEEK_SET) != offset) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::vector<uint8_t> Storage::ReadPrefix(const std::string& path, size_t max) const {
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> out(max);
  f.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(max));
  out.resize(static_cast<size_t>(f.gcount()));
  return out;
}

bool Storage::Finish(const std::string& upload, const std::string& study,
                     const std::string& participant) const {
  const std::string to = FinalPath(study, participant, upload);
  const std::string folder = to.substr(0, to.find_last_of('/'));
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return false;
  fs::rename(PartialPath(upload), to, ec);
  if (ec) return false;
  SyncDir(folder);
  SyncDir(dir_ + "/partial");
  return true;
}

void Storage::RemoveUpload(const std::string& upload) const {
  std::error_code ec;
  fs::remove(PartialPath(upload), ec);
}

void Storage::RemoveFinal(const std::string& study, const std::string& participant,
                          const std::string& upload) const {
  std::error_code ec;
  fs::remove(FinalPath(study, participant, upload), ec);
}

void Storage::RemoveParticipant(const std::string& study, const std::string& participant) const {
  std::error_code ec;
  fs::remove_all(dir_ + "/audio/" + Checked(study) + "/" + Checked(participant), ec);
  SyncDir(dir_ + "/audio/" + Checked(study));
}

}  // namespace tm2study
