// Whole-file reads for the CLI's subcommands (models and raw inputs).
#ifndef TM2_NATIVE_CLI_READ_FILE_H_
#define TM2_NATIVE_CLI_READ_FILE_H_

#include <cstdint>
#include <cstdio>
#include <vector>

namespace tm2 {
namespace cli {

// Appends the bytes of `path` to `out`; false if it cannot be opened or read.
inline bool ReadFile(const char* path, std::vector<uint8_t>* out) {
  FILE* f = std::fopen(path, "rb");
  if (!f) return false;
  uint8_t buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out->insert(out->end(), buf, buf + n);
  const bool ok = !std::ferror(f);
  std::fclose(f);
  return ok;
}

}  // namespace cli
}  // namespace tm2

#endif  // TM2_NATIVE_CLI_READ_FILE_H_
