// Writes the parity test models:
//   make_parity_model OUT.tm2              tests/fixtures/models/parity_multibranch.tm2
//   make_parity_model --a4 OUT.tm2         tests/fixtures/models/a4_cough.tm2
//   make_parity_model --a4-mixed OUT.tm2   tests/fixtures/models/a4_mixed_cough.tm2
#include <cstdio>
#include <string>
#include <vector>

#include "format/writer.h"
#include "parity/parity_model.h"

int main(int argc, char** argv) {
  const std::string flag = argc == 3 ? argv[1] : "";
  if ((argc != 2 && argc != 3) || (argc == 3 && flag != "--a4" && flag != "--a4-mixed")) {
    std::fprintf(stderr, "usage: %s [--a4 | --a4-mixed] OUT.tm2\n", argv[0]);
    return 2;
  }
  const char* out = argv[argc - 1];
  std::vector<uint8_t> bytes;
  const tm2::Status s = tm2::WriteModel(
      flag.empty() ? tm2::test::MakeParityModelSpec() : tm2::test::MakeA4ModelSpec(flag == "--a4-mixed"),
      &bytes);
  if (!s.ok()) {
    std::fprintf(stderr, "cannot build the parity model: %s\n", s.message());
    return 1;
  }
  FILE* f = std::fopen(out, "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
    std::fprintf(stderr, "cannot write %s\n", out);
    return 1;
  }
  std::printf("wrote %s (%zu bytes)\n", out, bytes.size());
  return 0;
}
