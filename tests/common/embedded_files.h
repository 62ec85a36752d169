// Files compiled into a firmware image by tm2_embed_files(<target> <prefix>
// <file>...) (cmake/EmbedFile.cmake): its symbols, declared, and a table
// entry for a lookup by name (common/fixture_bytes.h).
//
//   TM2_EMBEDDED_FILE(bench, kws_dscnn)  // models/kws-dscnn.tm2
//   ... LoadModel(bench_kws_dscnn, bench_kws_dscnn_size, &model) ...
#ifndef TM2_TESTS_COMMON_EMBEDDED_FILES_H_
#define TM2_TESTS_COMMON_EMBEDDED_FILES_H_

#include <cstddef>

// Declares <prefix>_<stem>[] and <prefix>_<stem>_size for one file.
#define TM2_EMBEDDED_FILE(prefix, stem)           \
  extern const unsigned char prefix##_##stem[]; \
  extern const size_t prefix##_##stem##_size;
// That file as an EmbeddedFile.
#define TM2_EMBEDDED_ENTRY(prefix, stem) \
  tm2::test::EmbeddedFile { #stem, prefix##_##stem, prefix##_##stem##_size }

namespace tm2 {
namespace test {

struct EmbeddedFile {
  const char* stem;  // the file's name without its extension, as a C identifier
  const unsigned char* data;
  size_t size;
};

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_COMMON_EMBEDDED_FILES_H_
