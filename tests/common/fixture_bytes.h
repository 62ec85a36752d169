// A test input's bytes (a clip or a model) found the same way on every
// target: read from the source tree on a host, or, in a Cortex-M4 image
// built with TM2_EMBEDDED_FILES, found among the files compiled into it
// (tm2_embed_files, cmake/EmbedFile.cmake).
//
//   #if defined(TM2_EMBEDDED_FILES)
//   TM2_EMBEDDED_FILE(tile, coswara_cough_16k)
//   const tm2::test::EmbeddedFile kEmbedded[] = {TM2_EMBEDDED_ENTRY(tile, coswara_cough_16k)};
//   const tm2::test::FileSource kFiles(kEmbedded);
//   #else
//   const tm2::test::FileSource kFiles;
//   #endif
//   tm2::test::FileBytes clip;
//   if (!kFiles.Get("coswara_cough_16k", tm2::test::ClipPath("coswara_cough_16k"), &clip)) ...
#ifndef TM2_TESTS_COMMON_FIXTURE_BYTES_H_
#define TM2_TESTS_COMMON_FIXTURE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/embedded_files.h"

namespace tm2 {
namespace test {

// A file's bytes: read into `storage`, or pointing into flash.
struct FileBytes {
  std::vector<uint8_t> storage;
  const uint8_t* data = nullptr;
  size_t size = 0;
  FileBytes() = default;
  FileBytes(const FileBytes&) = delete;  // data may point into storage
  FileBytes& operator=(const FileBytes&) = delete;
};

// tests/fixtures/audio/<name>.wav (TM2_FIXTURES_DIR).
std::string ClipPath(const std::string& name);

// Where the files come from: the file system, or a table of embedded ones.
class FileSource {
 public:
  FileSource() = default;
  template <size_t N>
  explicit FileSource(const EmbeddedFile (&files)[N]) : files_(files), count_(N) {}

  // With a table: the entry whose stem is `name` with every character that
  // is not a letter or digit taken as '_' (as tm2_embed_files names the
  // symbols: models/sound-gate.tm2 is sound_gate); `path` is not used.
  // Without: the file at `path`. False when there is no such file.
  bool Get(const char* name, const std::string& path, FileBytes* out) const;

 private:
  const EmbeddedFile* files_ = nullptr;
  size_t count_ = 0;
};

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_COMMON_FIXTURE_BYTES_H_
