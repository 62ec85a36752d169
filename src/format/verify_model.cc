// Semantic checks of a whole model: the structure the engine relies on
// (how many branches, the calibration, how the branches meet in the head),
// then the walk (model_walk.cc) with the budget (budget.cc) as its visitor.
#include "format/verify_model.h"

#include <cmath>
#include <cstdint>

#include "format/budget.h"
#include "format/model.h"

namespace tm2 {
namespace format_internal {
namespace {

template <typename V>
size_t Len(const V* v) {
  return v != nullptr ? v->size() : 0;
}

}  // namespace

Status VerifyPreprocess(const Model& model, int b, const fb::Preprocess& p) {
  if (static_cast<int>(p.window()) > static_cast<int>(fb::Window::MAX) ||
      static_cast<int>(p.crop()) > static_cast<int>(fb::CropPolicy::MAX) ||
      static_cast<int>(p.normalization()) > static_cast<int>(fb::Normalization::MAX)) {
    return Status::Error(StatusCode::kUnsupported,
                         "window %d / crop %d / normalization %d: a value needs a newer reader",
                         static_cast<int>(p.window()), static_cast<int>(p.crop()),
                         static_cast<int>(p.normalization()));
  }
  if (static_cast<int>(p.pad()) > static_cast<int>(fb::PadMode::MAX)) {
    return Status::Error(StatusCode::kUnsupported,
                         "pad mode %d needs a newer reader (this one reads Zero and Tile)",
                         static_cast<int>(p.pad()));
  }
  if (p.pad() == fb::PadMode::Tile && model.format_minor() < kFormatMinorTile) {
    return Status::Error(StatusCode::kBadModel,
                         "pad mode Tile needs format 1.%u (the file says 1.%u)",
                         static_cast<unsigned>(kFormatMinorTile),
                         static_cast<unsigned>(model.format_minor()));
  }
  if (p.pad() != fb::PadMode::Tile && p.tile_gap_ms() != 100) {
    return Status::Error(StatusCode::kBadModel,
                         "tile_gap_ms %u given but the pad mode is Zero (only Tile reads it)",
                         static_cast<unsigned>(p.tile_gap_ms()));
  }
  if (p.tile_gap_ms() > 1000) {
    return Status::Error(StatusCode::kBadModel, "tile_gap_ms %u is outside 0..1000",
                         static_cast<unsigned>(p.tile_gap_ms()));
  }
  const size_t mean = Len(p.norm_mean()), std = Len(p.norm_std());
  const size_t features =
      static_cast<size_t>(p.dct_coefficients() > 0 ? p.dct_coefficients() : p.mel_bins());
  if (p.normalization() == fb::Normalization::Fixed) {
    if (mean != std || (mean != 1 && mean != features)) {
      return Status::Error(StatusCode::kBadModel,
                           "norm_mean has %lu values and norm_std %lu, expected 1 or %lu each",
                           static_cast<unsigned long>(mean), static_cast<unsigned long>(std),
                           static_cast<unsigned long>(features));
    }
  } else if (mean != 0 || std != 0) {
    return Status::Error(StatusCode::kBadModel,
                         "norm_mean/norm_std given (%lu/%lu values) but normalization is None",
                         static_cast<unsigned long>(mean), static_cast<unsigned long>(std));
  }
  return model.preprocess(b).Validate();
}

namespace {

Status VerifyFusion(const fb::Model& root, int branches) {
  const fb::Fusion* f = root.fusion();
  if (f == nullptr) {
    if (branches == 1) return Status::Ok();
    return Status::Error(StatusCode::kBadModel, "fusion: missing, required with %d branches",
                         branches);
  }
  if (Len(f->multiplier()) != static_cast<size_t>(branches) ||
      Len(f->shift()) != static_cast<size_t>(branches)) {
    return Status::Error(StatusCode::kBadModel,
                         "fusion: %lu multipliers and %lu shifts, expected one per branch (%d)",
                         static_cast<unsigned long>(Len(f->multiplier())),
                         static_cast<unsigned long>(Len(f->shift())), branches);
  }
  for (int b = 0; b < branches; ++b) {
    const int32_t m = f->multiplier()->Get(b);
    const int n = 31 - f->shift()->Get(b);
    if (m < 0 || n < 1 || n > 62) {
      return Status::Error(StatusCode::kBadModel,
                           "fusion: branch %d multiplier %d / shift %d out of range (multiplier "
                           ">= 0, n = 31 - shift in [1, 62])",
                           b, static_cast<int>(m), f->shift()->Get(b));
    }
  }
  if (!(std::isfinite(f->output_scale()) && f->output_scale() > 0.0f)) {
    return Status::Error(StatusCode::kBadModel,
                         "fusion: output_scale %g must be positive and finite",
                         static_cast<double>(f->output_scale()));
  }
  return Status::Ok();
}

// KeyValue is a keyed table: LookupByKey needs sorted, unique keys.
Status VerifyMetadata(const fb::Model& root) {
  const auto* md = root.metadata();
  for (size_t i = 1; i < Len(md); ++i) {
    const flatbuffers::String& prev = *md->Get(static_cast<flatbuffers::uoffset_t>(i - 1))->key();
    const flatbuffers::String& cur = *md->Get(static_cast<flatbuffers::uoffset_t>(i))->key();
    // FlatBuffers' order for keyed tables (KeyCompareLessThan).
    if (!(prev < cur)) {
      return Status::Error(StatusCode::kBadModel,
                           "metadata: keys must be sorted and unique ('%.40s' then '%.40s')",
                           prev.c_str(), cur.c_str());
    }
  }
  return Status::Ok();
}

}  // namespace

Status VerifyModelSemantics(const Model& model, const ModelLimits& limits, ModelCost* cost) {
  const fb::Model& root = *model.root();
  const int num_labels = model.num_labels();
  const int branches = model.num_branches();
  if (num_labels < 2) {
    return Status::Error(StatusCode::kBadModel, "model: %d labels, at least 2 needed", num_labels);
  }
  if (branches < 1 || branches > kMaxBranches) {
    return Status::Error(StatusCode::kBadModel, "model: %d branches, expected 1 to %d", branches,
                         kMaxBranches);
  }
  // Also rejects NaN and subnormals, whose logit_scale / T is inf.
  if (!(root.temperature() >= kMinTemperature && root.temperature() <= kMaxTemperature)) {
    return Status::Error(StatusCode::kBadModel, "model: temperature %g is outside [%g, %g]",
                         static_cast<double>(root.temperature()),
                         static_cast<double>(kMinTemperature),
                         static_cast<double>(kMaxTemperature));
  }
  TM2_RETURN_IF_ERROR(VerifyMetadata(root));
  TM2_RETURN_IF_ERROR(VerifyFusion(root, branches));
  BudgetVisitor budget(model, limits);
  TM2_RETURN_IF_ERROR(Walk(model, &budget));
  TM2_RETURN_IF_ERROR(budget.Finish());
  *cost = budget.cost();
  return Status::Ok();
}

}  // namespace format_internal
}  // namespace tm2
