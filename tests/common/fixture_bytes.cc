#include "common/fixture_bytes.h"

#include "common/wav.h"

namespace tm2 {
namespace test {
namespace {

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// `name` equals `stem` once every non-alphanumeric character of it is '_'.
bool SameStem(const char* name, const char* stem) {
  for (; *name && *stem; ++name, ++stem) {
    if (*stem != (IsAlnum(*name) ? *name : '_')) return false;
  }
  return *name == '\0' && *stem == '\0';
}

}  // namespace

std::string ClipPath(const std::string& name) {
  return std::string(TM2_FIXTURES_DIR) + "/audio/" + name + ".wav";
}

bool FileSource::Get(const char* name, const std::string& path, FileBytes* out) const {
  if (files_) {
    for (size_t i = 0; i < count_; ++i) {
      if (SameStem(name, files_[i].stem)) {
        out->data = files_[i].data;
        out->size = files_[i].size;
        return true;
      }
    }
    return false;
  }
  if (!ReadFileBytes(path, &out->storage)) return false;
  out->data = out->storage.data();
  out->size = out->storage.size();
  return true;
}

}  // namespace test
}  // namespace tm2
