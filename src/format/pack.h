// tinym2 model packs (format 1.1): several models in one file, sharing the
// product-quantization codebooks their ProductQuantized layers index
// (models/FORMAT.md 3.4 and 12). LoadPack verifies the header, the CRC, the
// FlatBuffer, every codebook and then every model exactly as LoadModel
// would (with the pack's codebooks), so each Model it hands out is as
// trustworthy as a loaded standalone one. Nothing is copied: the models and
// codebooks point into the caller's bytes, which must outlive the Pack.
// A plain .tm2 loads as a pack of one model, so front ends take either.
//
//   tm2::Pack pack;
//   TM2_RETURN_IF_ERROR(tm2::LoadPack(bytes, size, &pack));
//   for (int i = 0; i < pack.num_models(); ++i) printf("%s\n", pack.model(i).name());
//   const int kws = pack.Find("kws-dscnn-kd");   // -1 when absent
//   // then run pack.model(kws) like any Model (engine/pack_runner.h switches in place)
#ifndef TM2_FORMAT_PACK_H_
#define TM2_FORMAT_PACK_H_

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "format/model.h"

namespace tm2 {

constexpr int kMaxPackModels = 16;

class Pack {
 public:
  bool is_pack_file() const { return is_pack_file_; }  // false: a plain .tm2
  uint16_t format_minor() const { return minor_; }
  const char* name() const { return name_; }
  const char* description() const { return description_; }
  int num_models() const { return num_models_; }
  const Model& model(int i) const { return models_[i]; }  // 0 <= i < num_models()
  // Index of the model named `name`, or -1.
  int Find(const char* name) const;
  int num_codebooks() const { return num_codebooks_; }
  size_t codebook_bytes() const { return codebook_bytes_; }  // all centroids

 private:
  friend class PackLoader;
  Model models_[kMaxPackModels];
  int num_models_ = 0;
  int num_codebooks_ = 0;
  size_t codebook_bytes_ = 0;
  const char* name_ = "";
  const char* description_ = "";
  uint16_t minor_ = 0;
  bool is_pack_file_ = false;
};

// Verifies `bytes` (a pack, or a plain .tm2 as a one-model pack) and points
// `pack` into them; every model is checked against `limits`.
Status LoadPack(const uint8_t* bytes, size_t size, Pack* pack,
                const ModelLimits& limits = ModelLimits());

// True when `bytes` start like a pack (header, then the TM2K identifier);
// says nothing about validity.
bool LooksLikePack(const uint8_t* bytes, size_t size);

}  // namespace tm2

#endif  // TM2_FORMAT_PACK_H_
