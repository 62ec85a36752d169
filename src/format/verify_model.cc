// Semantic checks of a whole model: the structure the engine relies on
// (how many branches, what each branch's input is, how the branches meet in
// the head, and that the head produces one logit per label).
#include "format/verify_model.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "format/layer_rules.h"
#include "format/model.h"

namespace tm2 {
namespace format_internal {
namespace {

constexpr int kMaxBranches = 8;  // tm2::kMaxBranches (engine/engine.h)

using LayerVector = flatbuffers::Vector<flatbuffers::Offset<fb::Layer>>;

template <typename V>
size_t Len(const V* v) {
  return v != nullptr ? v->size() : 0;
}

const char* Str(const flatbuffers::String* s) { return s != nullptr ? s->c_str() : ""; }

// `where` is "branch 1 'speech'" or "head"; the head must end with Softmax,
// branches must not contain it.
Status VerifyStack(const LayerVector* layers, const char* where, bool is_head, TensorShape in,
                   TensorShape* out) {
  const size_t n = Len(layers);
  if (n > static_cast<size_t>(kMaxLayersPerStack)) {
    return Status::Error(StatusCode::kBadModel, "%s: %lu layers, at most %d", where,
                         static_cast<unsigned long>(n),
                         kMaxLayersPerStack);
  }
  if (is_head && n == 0) {
    return Status::Error(StatusCode::kBadModel, "head: no layers (it must end with Softmax)");
  }
  for (size_t i = 0; i < n; ++i) {
    const fb::Layer& layer = *layers->Get(static_cast<flatbuffers::uoffset_t>(i));
    char context[96];
    std::snprintf(context, sizeof(context), "%s layer %lu (%s)", where,
                  static_cast<unsigned long>(i),
                  LayerTypeName(static_cast<int>(layer.type())));
    const bool softmax = layer.type() == fb::LayerType::Softmax;
    if (softmax && !(is_head && i + 1 == n)) {
      return Status::Error(StatusCode::kBadModel,
                           "%s: Softmax is allowed only as the last head layer", context);
    }
    if (is_head && i + 1 == n && !softmax) {
      return Status::Error(StatusCode::kBadModel, "%s: the head must end with Softmax", context);
    }
    TensorShape next;
    TM2_RETURN_IF_ERROR(WithContext(VerifyLayer(layer, in, &next), context));
    in = next;
  }
  *out = in;
  return Status::Ok();
}

Status VerifyPreprocess(const Model& model, int b, const fb::Preprocess& p) {
  if (static_cast<int>(p.window()) > static_cast<int>(fb::Window::MAX) ||
      static_cast<int>(p.crop()) > static_cast<int>(fb::CropPolicy::MAX) ||
      static_cast<int>(p.normalization()) > static_cast<int>(fb::Normalization::MAX)) {
    return Status::Error(StatusCode::kUnsupported,
                         "window %d / crop %d / normalization %d: a value needs a newer reader",
                         static_cast<int>(p.window()), static_cast<int>(p.crop()),
                         static_cast<int>(p.normalization()));
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

Status VerifyBranch(const Model& model, int b, TensorShape* out) {
  const fb::Branch& branch = *model.branch(b);
  char where[64];
  std::snprintf(where, sizeof(where), "branch %d '%.32s'", b, Str(branch.name()));
  if (branch.preprocess() == nullptr) {
    return Status::Error(StatusCode::kBadModel, "%s: no preprocess table", where);
  }
  char pre_where[80];
  std::snprintf(pre_where, sizeof(pre_where), "%s preprocess", where);
  TM2_RETURN_IF_ERROR(WithContext(VerifyPreprocess(model, b, *branch.preprocess()), pre_where));
  const fb::Preprocess& p = *branch.preprocess();
  TensorShape in;
  in.h = p.num_frames();
  in.w = p.dct_coefficients() > 0 ? p.dct_coefficients() : p.mel_bins();
  in.c = 1;
  return VerifyStack(branch.layers(), where, false, in, out);
}

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
    const char* prev = md->Get(static_cast<flatbuffers::uoffset_t>(i - 1))->key()->c_str();
    const char* cur = md->Get(static_cast<flatbuffers::uoffset_t>(i))->key()->c_str();
    if (std::strcmp(prev, cur) >= 0) {
      return Status::Error(StatusCode::kBadModel,
                           "metadata: keys must be sorted and unique ('%.40s' then '%.40s')", prev,
                           cur);
    }
  }
  return Status::Ok();
}

}  // namespace

Status VerifyModelSemantics(const Model& model) {
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
  if (!(std::isfinite(root.temperature()) && root.temperature() > 0.0f)) {
    return Status::Error(StatusCode::kBadModel, "model: temperature %g must be positive and finite",
                         static_cast<double>(root.temperature()));
  }
  TM2_RETURN_IF_ERROR(VerifyMetadata(root));
  TM2_RETURN_IF_ERROR(VerifyFusion(root, branches));
  // One branch feeds the head as it is; several are flattened and
  // concatenated in branch order.
  TensorShape head_in;
  uint64_t fused = 0;
  for (int b = 0; b < branches; ++b) {
    TensorShape out;
    TM2_RETURN_IF_ERROR(VerifyBranch(model, b, &out));
    head_in = out;
    fused += out.size();
  }
  if (branches > 1) {
    if (fused > kMaxTensorElements) {
      return Status::Error(StatusCode::kBadModel, "fusion: %llu values, beyond 2^24",
                           static_cast<unsigned long long>(fused));
    }
    head_in.h = head_in.w = 1;
    head_in.c = static_cast<int>(fused);
  }
  TensorShape logits;
  TM2_RETURN_IF_ERROR(VerifyStack(root.head(), "head", true, head_in, &logits));
  if (logits.size() != static_cast<size_t>(num_labels)) {
    return Status::Error(StatusCode::kBadModel, "head: outputs %d values for %d labels",
                         static_cast<int>(logits.size()), num_labels);
  }
  return Status::Ok();
}

}  // namespace format_internal
}  // namespace tm2
