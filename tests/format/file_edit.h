// Editing .tm2 files in tests: unpack into the mutable object API, change
// anything (including into nonsense the writer refuses), repack with a
// correct header and CRC, so the edit reaches the loader's later checks.
#ifndef TM2_TESTS_FORMAT_FILE_EDIT_H_
#define TM2_TESTS_FORMAT_FILE_EDIT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/status.h"
#include "format/model.h"
#include "format/pack.h"
#include "tm2_test_generated.h"

namespace tm2 {
namespace test {

std::unique_ptr<fbt::ModelT> Unpack(const std::vector<uint8_t>& file);
// Header (magic, version, size, CRC) + packed payload.
std::vector<uint8_t> Pack(const fbt::ModelT& model, uint16_t major = kFormatMajor,
                          uint16_t minor = kFormatMinor);
// Unpack, edit, Pack.
std::vector<uint8_t> Edit(const std::vector<uint8_t>& file,
                          const std::function<void(fbt::ModelT&)>& edit);
// Sets the header's size field to the payload length and recomputes the CRC.
void FixHeader(std::vector<uint8_t>* file);
void PutU16(std::vector<uint8_t>* file, size_t at, uint16_t v);
void PutU32(std::vector<uint8_t>* file, size_t at, uint32_t v);

// LoadModel on a 4-byte-aligned copy (the Model must not outlive `storage`).
Status LoadCopy(const std::vector<uint8_t>& file, std::vector<uint32_t>* storage, Model* model,
                const ModelLimits& limits = ModelLimits());
inline Status LoadCopy(const std::vector<uint8_t>& file) {
  std::vector<uint32_t> storage;
  Model m;
  return LoadCopy(file, &storage, &m);
}

// Packs (format 1.1): the same edits on a ModelPack payload (TM2K).
std::unique_ptr<fbt::ModelPackT> UnpackPack(const std::vector<uint8_t>& file);
std::vector<uint8_t> PackPack(const fbt::ModelPackT& pack, uint16_t minor = kFormatMinorPack);
std::vector<uint8_t> EditPack(const std::vector<uint8_t>& file,
                              const std::function<void(fbt::ModelPackT&)>& edit);
// LoadPack on a 4-byte-aligned copy (the Pack must not outlive `storage`).
Status LoadPackCopy(const std::vector<uint8_t>& file, std::vector<uint32_t>* storage, tm2::Pack* pack);

// Touches everything a verified model offers (accessors, shapes, every
// weight byte), so sanitizers see any read the loader should have stopped.
// Returns a checksum of what it read.
uint64_t WalkModel(const Model& model);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_FORMAT_FILE_EDIT_H_
