// LoadModel: the container checks, cheapest and most telling first, then
// the FlatBuffers verifier, then the semantics (verify_model.cc). Nothing
// is read from the payload before the verifier has accepted it.
#include <cstdint>

#include "format/model.h"
#include "format/tm2_generated.h"
#include "format/verify_model.h"

namespace tm2 {
namespace {

// Bounds on the verifier's work: a model nests Model > branches > Branch >
// layers > Layer, and holds at most 8 * 64 + 64 layers plus a few tables.
constexpr flatbuffers::uoffset_t kVerifierMaxDepth = 16;
constexpr flatbuffers::uoffset_t kVerifierMaxTables = 4096;
// FlatBuffers offsets are signed 32-bit.
constexpr uint64_t kMaxPayloadBytes = 0x7FFFFFFEu;

uint16_t ReadU16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t ReadU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

namespace format_internal {

Status CheckHeader(const uint8_t* bytes, size_t size, uint16_t* major, uint16_t* minor) {
  if (bytes == nullptr || size < kHeaderBytes) {
    return Status::Error(StatusCode::kBadModel,
                         "model: %lu bytes, smaller than the %lu-byte header",
                         static_cast<unsigned long>(bytes == nullptr ? size_t{0} : size),
                         static_cast<unsigned long>(kHeaderBytes));
  }
  if (reinterpret_cast<uintptr_t>(bytes) % 4 != 0) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "model: buffer is not 4-byte aligned (FlatBuffers reads it in place)");
  }
  if (bytes[0] != 'T' || bytes[1] != 'M' || bytes[2] != '2' || bytes[3] != 0) {
    return Status::Error(StatusCode::kBadModel, "model: bad magic (not a .tm2 file)");
  }
  *major = ReadU16(bytes + 4);
  *minor = ReadU16(bytes + 6);
  if (*major > kFormatMajor) {
    return Status::Error(StatusCode::kUnsupported,
                         "model: format %u.%u is newer than this reader (%u.x)", *major, *minor,
                         kFormatMajor);
  }
  if (*major < kFormatMajor) {
    return Status::Error(StatusCode::kUnsupported,
                         "model: format %u.%u is not read by this reader (%u.x)", *major, *minor,
                         kFormatMajor);
  }
  const uint32_t payload = ReadU32(bytes + 8);
  const size_t have = size - kHeaderBytes;
  if (payload > have) {
    return Status::Error(StatusCode::kBadModel,
                         "model: truncated: header says %u payload bytes, file has %lu",
                         static_cast<unsigned>(payload), static_cast<unsigned long>(have));
  }
  if (payload < have) {
    return Status::Error(StatusCode::kBadModel, "model: %lu bytes after the %u-byte payload",
                         static_cast<unsigned long>(have - static_cast<size_t>(payload)), static_cast<unsigned>(payload));
  }
  if (payload < 8 || payload > kMaxPayloadBytes) {
    return Status::Error(StatusCode::kBadModel, "model: payload of %u bytes is not a FlatBuffer",
                         static_cast<unsigned>(payload));
  }
  if (Crc32(bytes + kHeaderBytes, payload) != ReadU32(bytes + 12)) {
    return Status::Error(StatusCode::kBadModel, "model: checksum mismatch (payload corrupt)");
  }
  return Status::Ok();
}

}  // namespace format_internal

Status LoadModel(const uint8_t* bytes, size_t size, Model* model, const ModelLimits& limits) {
  if (model == nullptr) return Status::Error(StatusCode::kInvalidArgument, "model: null output");
  *model = Model();
  uint16_t major = 0, minor = 0;
  TM2_RETURN_IF_ERROR(format_internal::CheckHeader(bytes, size, &major, &minor));
  const uint8_t* payload = bytes + kHeaderBytes;
  const size_t payload_size = size - kHeaderBytes;
  if (flatbuffers::BufferHasIdentifier(payload, format_internal::kPackIdentifier)) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "model: this file is a model pack (identifier %s): load it with LoadPack "
                         "and select a model",
                         format_internal::kPackIdentifier);
  }
  if (!fb::ModelBufferHasIdentifier(payload)) {
    return Status::Error(StatusCode::kBadModel, "model: payload identifier is not TM2P");
  }
  flatbuffers::Verifier verifier(payload, payload_size, kVerifierMaxDepth, kVerifierMaxTables);
  if (!fb::VerifyModelBuffer(verifier)) {
    return Status::Error(StatusCode::kBadModel,
                         "model: payload fails the FlatBuffers verifier (bad offsets, sizes, "
                         "nesting deeper than %u or more than %u tables)",
                         static_cast<unsigned>(kVerifierMaxDepth),
                         static_cast<unsigned>(kVerifierMaxTables));
  }
  Model loaded;
  loaded.root_ = fb::GetModel(payload);
  loaded.major_ = major;
  loaded.minor_ = minor;
  TM2_RETURN_IF_ERROR(format_internal::VerifyModelSemantics(loaded, limits, &loaded.cost_));
  *model = loaded;
  return Status::Ok();
}

}  // namespace tm2
