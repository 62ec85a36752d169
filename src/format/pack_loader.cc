// LoadPack: header and CRC (shared with LoadModel), the FlatBuffers
// verifier on the Pack root, then the codebooks, then each model through
// the same semantic checks LoadModel runs, with the codebooks attached.
#include <cstring>

#include "format/pack.h"
#include "format/tm2_generated.h"
#include "format/verify_model.h"

namespace tm2 {
namespace {

// A pack nests Pack > models > Model > branches > Branch > layers > Layer:
// two levels deeper than a model, and up to 16 models' tables.
constexpr flatbuffers::uoffset_t kPackVerifierMaxDepth = 20;
constexpr flatbuffers::uoffset_t kPackVerifierMaxTables = 4096 * 4;

const char* Str(const flatbuffers::String* s) { return s != nullptr ? s->c_str() : ""; }

}  // namespace

class PackLoader {
 public:
  static Status Load(const uint8_t* bytes, size_t size, Pack* pack, const ModelLimits& limits);
};

int Pack::Find(const char* name) const {
  if (name == nullptr) return -1;
  for (int i = 0; i < num_models_; ++i)
    if (std::strcmp(models_[i].name(), name) == 0) return i;
  return -1;
}

bool LooksLikePack(const uint8_t* bytes, size_t size) {
  return bytes != nullptr && size >= kHeaderBytes + 8 &&
         flatbuffers::BufferHasIdentifier(bytes + kHeaderBytes, format_internal::kPackIdentifier);
}

Status PackLoader::Load(const uint8_t* bytes, size_t size, Pack* pack, const ModelLimits& limits) {
  *pack = Pack();
  uint16_t major = 0, minor = 0;
  TM2_RETURN_IF_ERROR(format_internal::CheckHeader(bytes, size, &major, &minor));
  const uint8_t* payload = bytes + kHeaderBytes;
  const size_t payload_size = size - kHeaderBytes;
  if (!flatbuffers::BufferHasIdentifier(payload, format_internal::kPackIdentifier)) {
    // A plain model: a pack of one.
    Pack one;
    TM2_RETURN_IF_ERROR(LoadModel(bytes, size, &one.models_[0], limits));
    one.num_models_ = 1;
    one.name_ = one.models_[0].name();
    one.description_ = one.models_[0].description();
    one.minor_ = minor;
    *pack = one;
    return Status::Ok();
  }
  if (minor < kFormatMinorPack) {
    return Status::Error(StatusCode::kBadModel, "pack: format 1.%u, packs need 1.%u", minor,
                         kFormatMinorPack);
  }
  flatbuffers::Verifier verifier(payload, payload_size, kPackVerifierMaxDepth,
                                 kPackVerifierMaxTables);
  if (!verifier.VerifyBuffer<fb::ModelPack>(format_internal::kPackIdentifier)) {
    return Status::Error(StatusCode::kBadModel,
                         "pack: payload fails the FlatBuffers verifier (bad offsets, sizes, "
                         "nesting deeper than %u or more than %u tables)",
                         static_cast<unsigned>(kPackVerifierMaxDepth),
                         static_cast<unsigned>(kPackVerifierMaxTables));
  }
  const fb::ModelPack& root = *flatbuffers::GetRoot<fb::ModelPack>(payload);
  Pack loaded;
  loaded.is_pack_file_ = true;
  loaded.minor_ = minor;
  loaded.name_ = Str(root.name());
  loaded.description_ = Str(root.description());
  const format_internal::CodebookVector* codebooks = root.codebooks();
  const size_t num_codebooks = codebooks ? codebooks->size() : 0;
  if (num_codebooks > 65535) {
    return Status::Error(StatusCode::kBadModel, "pack: %lu codebooks, at most 65535",
                         static_cast<unsigned long>(num_codebooks));
  }
  for (size_t c = 0; c < num_codebooks; ++c) {
    const Status s = format_internal::VerifyCodebook(*codebooks->Get(static_cast<flatbuffers::uoffset_t>(c)));
    if (!s.ok()) {
      return Status::Error(s.code(), "pack: codebook %lu: %s", static_cast<unsigned long>(c),
                           s.message());
    }
    loaded.codebook_bytes_ += codebooks->Get(static_cast<flatbuffers::uoffset_t>(c))->centroids()->size();
  }
  loaded.num_codebooks_ = static_cast<int>(num_codebooks);
  const size_t n = root.models() ? root.models()->size() : 0;
  if (n < 1 || n > static_cast<size_t>(kMaxPackModels)) {
    return Status::Error(StatusCode::kBadModel, "pack: %lu models, expected 1 to %d",
                         static_cast<unsigned long>(n), kMaxPackModels);
  }
  for (size_t i = 0; i < n; ++i) {
    Model& m = loaded.models_[i];
    m.root_ = root.models()->Get(static_cast<flatbuffers::uoffset_t>(i));
    m.major_ = major;
    m.minor_ = minor;
    m.codebooks_ = codebooks;
    const Status s = format_internal::VerifyModelSemantics(m, limits, &m.cost_);
    if (!s.ok()) {
      return Status::Error(s.code(), "pack: model %lu '%.32s': %s", static_cast<unsigned long>(i),
                           m.name(), s.message());
    }
    if (m.name()[0] == '\0') {
      return Status::Error(StatusCode::kBadModel, "pack: model %lu has no name",
                           static_cast<unsigned long>(i));
    }
    for (size_t j = 0; j < i; ++j) {
      if (std::strcmp(loaded.models_[j].name(), m.name()) == 0) {
        return Status::Error(StatusCode::kBadModel, "pack: models %lu and %lu are both named '%.32s'",
                             static_cast<unsigned long>(j), static_cast<unsigned long>(i), m.name());
      }
    }
  }
  loaded.num_models_ = static_cast<int>(n);
  *pack = loaded;
  return Status::Ok();
}

Status LoadPack(const uint8_t* bytes, size_t size, Pack* pack, const ModelLimits& limits) {
  if (pack == nullptr) return Status::Error(StatusCode::kInvalidArgument, "pack: null output");
  return PackLoader::Load(bytes, size, pack, limits);
}

}  // namespace tm2
