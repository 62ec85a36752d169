// The inverse of the writer: a loaded model as a ModelSpec, with int4 rows
// unpacked and product-quantized layers decoded to int8 values (their
// weight_bits becomes 8). Writing the spec back gives a Dense model that
// computes exactly what the source computes; the pack builder
// (native/pack) starts from it, and the tests compare a pack's models with
// their decoded twins. Native and wasm only.
//
//   tm2::ModelSpec spec;
//   TM2_RETURN_IF_ERROR(tm2::ReadModelSpec(model, &spec));
//   std::vector<uint8_t> dense;
//   TM2_RETURN_IF_ERROR(tm2::WriteModel(spec, &dense));
#ifndef TM2_FORMAT_SPEC_READER_H_
#define TM2_FORMAT_SPEC_READER_H_

#include "common/status.h"
#include "format/model.h"
#include "format/writer.h"

namespace tm2 {

Status ReadModelSpec(const Model& model, ModelSpec* spec);

}  // namespace tm2

#endif  // TM2_FORMAT_SPEC_READER_H_
