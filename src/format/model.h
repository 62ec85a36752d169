// tinym2 model format (.tm2): load and verify a model in place.
//
// The loader checks everything before anyone reads a weight: header magic,
// version, payload size, CRC-32, the FlatBuffers verifier, then the
// semantics (bit widths, vector lengths against shapes, requantization
// shifts, preprocessing ranges, label count vs. the head's output). Every
// failure is a Status naming the problem. Nothing is copied: the Model
// points into the caller's bytes (flash, an ArrayBuffer, a mapped file),
// which must outlive it and stay 4-byte aligned (FlatBuffers).
//
//   tm2::Model model;
//   tm2::Status s = tm2::LoadModel(bytes, size, &model);
//   if (!s.ok()) return s;
//   printf("%s: %d branches, %d labels\n", model.name(), model.num_branches(),
//          model.num_labels());
#ifndef TM2_FORMAT_MODEL_H_
#define TM2_FORMAT_MODEL_H_

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "preprocess/preprocess.h"

namespace tm2 {
namespace fb {
struct Model;
struct Branch;
struct Layer;
}  // namespace fb

constexpr uint16_t kFormatMajor = 1;
constexpr uint16_t kFormatMinor = 0;
constexpr size_t kHeaderBytes = 16;

// CRC-32 (IEEE, reflected, polynomial 0xEDB88320), as stored in the header.
uint32_t Crc32(const uint8_t* data, size_t size);

// A verified model. Cheap to copy: it only points into the file's bytes.
class Model {
 public:
  const fb::Model* root() const { return root_; }
  uint16_t format_major() const { return major_; }
  uint16_t format_minor() const { return minor_; }

  const char* name() const;
  const char* description() const;
  float temperature() const;  // calibration: softmax(logits / T)
  // Metadata value for `key` ("" when absent).
  const char* metadata(const char* key) const;
  int num_metadata() const;
  const char* metadata_key(int i) const;
  const char* metadata_value(int i) const;
  int num_labels() const;
  const char* label(int i) const;
  int num_branches() const;
  const fb::Branch* branch(int i) const;
  const char* branch_name(int i) const;
  const char* branch_modality(int i) const;
  const char* branch_prompt(int i) const;
  // Preprocessing parameters of branch i (norm arrays point into the file).
  PreprocessParams preprocess(int i) const;

 private:
  friend Status LoadModel(const uint8_t*, size_t, Model*);
  const fb::Model* root_ = nullptr;
  uint16_t major_ = 0, minor_ = 0;
};

// Verifies `bytes` (header + payload) and points `model` into them.
Status LoadModel(const uint8_t* bytes, size_t size, Model* model);

}  // namespace tm2

#endif  // TM2_FORMAT_MODEL_H_
