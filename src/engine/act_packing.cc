// Packed int4 activations: the per-layer rule and the whole-model choice
// (act_packing.h).
#include "engine/act_packing.h"

#include "engine/engine.h"

namespace tm2 {
namespace engine_internal {
namespace {

// Kinds whose kernels read and write packed int4 activations.
bool ReadsPacked(LayerKind k) {
  return k == LayerKind::kConv2D || k == LayerKind::kDepthwiseConv2D ||
         k == LayerKind::kPointwiseConv2D || k == LayerKind::kFullyConnected ||
         k == LayerKind::kMaxPool2D || k == LayerKind::kAvgPool2D;
}

// Whether `v`'s output may be stored packed, before its reader is known.
bool WritesPacked(const LayerView& v, int num_layers) {
  return v.act_bits == 4 && v.act_min >= -8 && v.act_max <= 7 && ReadsPacked(v.kind) &&
         v.index + 1 < num_layers;
}

}  // namespace

ActBits StackPacking::Next(const LayerView& v, int num_layers) {
  ActBits bits;
  bits.unpack_previous = prev_packed_ && !ReadsPacked(v.kind);
  if (prev_packed_ && !bits.unpack_previous) bits.in = 4;
  prev_packed_ = enabled_ && WritesPacked(v, num_layers);
  if (prev_packed_) bits.out = 4;
  return bits;
}

}  // namespace engine_internal

Status Engine::ChoosePacking(PreprocessBytes* measured, ArenaReport* report) {
  TM2_RETURN_IF_ERROR(Plan(nullptr, SIZE_MAX, report, measured));
  if (report->packed_outputs == 0) return Status::Ok();
  // Ties go to int8, which the SIMD kernels run.
  ArenaReport int8;
  options_.pack_int4_activations = false;
  TM2_RETURN_IF_ERROR(Plan(nullptr, SIZE_MAX, &int8, measured));
  // With an external shared region the totals leave it out: compare all.
  const size_t outside = options_.shared_region ? 1 : 0;
  if (int8.total + outside * int8.shared <= report->total + outside * report->shared)
    *report = int8;
  else
    options_.pack_int4_activations = true;
  return Status::Ok();
}

}  // namespace tm2
