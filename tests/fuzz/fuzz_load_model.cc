// libFuzzer target: LoadModel and LoadPack on arbitrary bytes must return a Status, and a
// model it accepts must be safe to walk end to end (every weight byte, every
// per-channel vector, every shape). Each input is tried twice: as it is, and
// with its header's size and CRC repaired, because a fuzzer would almost
// never guess a CRC and would otherwise stay at the checksum.
#include <cstdint>
#include <cstring>
#include <vector>

#include "file_edit.h"
#include "format/model.h"

namespace {

void LoadAndWalk(const std::vector<uint8_t>& file) {
  std::vector<uint32_t> storage;
  tm2::Model model;
  if (tm2::test::LoadCopy(file, &storage, &model).ok()) (void)tm2::test::WalkModel(model);
  // Packs (format 1.1) too: every model of an accepted pack, PQ codes and
  // the centroids they name included.
  tm2::Pack pack;
  if (tm2::test::LoadPackCopy(file, &storage, &pack).ok())
    for (int i = 0; i < pack.num_models(); ++i) (void)tm2::test::WalkModel(pack.model(i));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> file(data, data + size);
  LoadAndWalk(file);
  if (size >= tm2::kHeaderBytes) {
    tm2::test::FixHeader(&file);
    LoadAndWalk(file);
  }
  return 0;
}
