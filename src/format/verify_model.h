// Semantic checks of a .tm2 payload that the FlatBuffers verifier has
// already accepted (models/FORMAT.md, "What the loader verifies").
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

// Whole model: labels, branches, preprocessing, layer stacks, fusion, head.
Status VerifyModelSemantics(const Model& model);

// One layer on input `in`: fields, shape, weight and per-channel vectors.
// The message carries no context; the caller prefixes where the layer is.
Status VerifyLayer(const fb::Layer& layer, const TensorShape& in, TensorShape* out);

// "<context>: <inner message>", keeping the inner code.
Status WithContext(const Status& inner, const char* context);

}  // namespace format_internal
}  // namespace tm2

#endif  // TM2_FORMAT_VERIFY_MODEL_H_
