// Writes the parity test model: make_parity_model OUT.tm2
// (checked in as tests/fixtures/models/parity_multibranch.tm2).
#include <cstdio>
#include <vector>

#include "format/writer.h"
#include "parity/parity_model.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.tm2\n", argv[0]);
    return 2;
  }
  std::vector<uint8_t> bytes;
  const tm2::Status s = tm2::WriteModel(tm2::test::MakeParityModelSpec(), &bytes);
  if (!s.ok()) {
    std::fprintf(stderr, "cannot build the parity model: %s\n", s.message());
    return 1;
  }
  FILE* f = std::fopen(argv[1], "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
    std::fprintf(stderr, "cannot write %s\n", argv[1]);
    return 1;
  }
  std::printf("wrote %s (%zu bytes)\n", argv[1], bytes.size());
  return 0;
}
