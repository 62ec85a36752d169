// Semantic checks of a .tm2 payload that the FlatBuffers verifier has
// already accepted (models/FORMAT.md, "What the loader verifies"), and the
// walk over its stacks that both the loader and WalkModel use.
// Internal to src/format.
#ifndef TM2_FORMAT_VERIFY_MODEL_H_
#define TM2_FORMAT_VERIFY_MODEL_H_

#include "common/status.h"
#include "format/model.h"
#include "format/shapes.h"
#include "format/tm2_generated.h"

namespace tm2 {
namespace format_internal {

constexpr int kMaxLayersPerStack = 64;
// Payload identifier of a model pack (a plain model's is TM2P).
constexpr const char* kPackIdentifier = "TM2K";

// The 16-byte header (FORMAT.md 1), its CRC included; kPayload... checks
// of the FlatBuffer are the caller's.
Status CheckHeader(const uint8_t* bytes, size_t size, uint16_t* major, uint16_t* minor);
constexpr int kMaxBranches = 8;  // tm2::kMaxBranches (engine/engine.h)

// Whole model: labels, branches, temperature, metadata, fusion, then the
// walk (preprocessing, layer stacks, head) and the budget of `limits`.
// Fills `cost`.
Status VerifyModelSemantics(const Model& model, const ModelLimits& limits, ModelCost* cost);

// Branch b's Preprocess table: known enums, norm vector lengths, ranges.
Status VerifyPreprocess(const Model& model, int b, const fb::Preprocess& p);

using CodebookVector = flatbuffers::Vector<flatbuffers::Offset<fb::Codebook>>;

// One layer on input `in`: fields, shape, weight and per-channel vectors.
// `codebooks`: the pack's (null for a standalone model, where a
// ProductQuantized layer is an error); `minor`: the file's format minor
// (Narrow per-channel parameters need 1.2). The message carries no context;
// the caller prefixes where the layer is.
Status VerifyLayer(const fb::Layer& layer, const TensorShape& in, const CodebookVector* codebooks,
                   uint16_t minor, TensorShape* out, LayerWindow* window);

// A ProductQuantized layer's codes against its codebook (verify_pq.cc):
// the codebook exists, code bits 4 or 8, the exact code byte count of
// PqCodeLayout, every code below the codebook's size.
Status VerifyPqCodes(const fb::Layer& layer, const TensorShape& in,
                     const CodebookVector* codebooks);

// One codebook of a pack: dim in 1..16, 1..256 centroids of dim values.
Status VerifyCodebook(const fb::Codebook& codebook);

// Every stack in execution order, each layer verified (VerifyLayer, the
// stack rules, preprocessing, the head's logits against the labels) before
// `visitor` sees it; errors carry where they happened.
Status Walk(const Model& model, ModelVisitor* visitor);

// "<context>: <inner message>", keeping the inner code.
Status WithContext(const Status& inner, const char* context);

}  // namespace format_internal
}  // namespace tm2

#endif  // TM2_FORMAT_VERIFY_MODEL_H_
