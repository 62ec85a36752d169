// The one walk over a model's stacks: each branch from its preprocessed
// input, then the head from the fusion rule (FORMAT.md 4.3). The loader
// verifies and budgets with it, the engine plans with it (WalkModel), so a
// shape, zero point or scale cannot be read two ways.
#include <cmath>
#include <cstdio>

#include "format/layer_params.h"
#include "format/layer_rules.h"
#include "format/verify_model.h"

// LayerKind (model.h) mirrors the schema's numbering; the walk casts one to
// the other.
static_assert(static_cast<int>(tm2::LayerKind::kConv2D) == static_cast<int>(tm2::fb::LayerType::Conv2D) &&
                  static_cast<int>(tm2::LayerKind::kPointwiseConv2D) ==
                      static_cast<int>(tm2::fb::LayerType::PointwiseConv2D) &&
                  static_cast<int>(tm2::LayerKind::kSoftmax) == static_cast<int>(tm2::fb::LayerType::Softmax) &&
                  static_cast<int>(tm2::LayerKind::kSoftmax) == static_cast<int>(tm2::fb::LayerType::MAX),
              "LayerKind and fb::LayerType disagree");

namespace tm2 {
namespace format_internal {
namespace {

using LayerVector = flatbuffers::Vector<flatbuffers::Offset<fb::Layer>>;

template <typename V>
size_t Len(const V* v) {
  return v != nullptr ? v->size() : 0;
}

const char* Str(const flatbuffers::String* s) { return s != nullptr ? s->c_str() : ""; }

// Kernels can be up to 2^31 cells on a Same-padded axis: saturate instead
// of wrapping, so a hostile count can only exceed a budget.
uint64_t SatMul(uint64_t a, uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a) return UINT64_MAX;
  return a * b;
}

void SetCost(LayerView* v) {
  const uint64_t out = v->out.size(), in = v->in.size();
  const uint64_t window = SatMul(static_cast<uint64_t>(v->window.kernel_h),
                                 static_cast<uint64_t>(v->window.kernel_w));
  switch (v->kind) {
    case LayerKind::kConv2D:
      v->macs = SatMul(SatMul(out, window), static_cast<uint64_t>(v->in.c));
      break;
    case LayerKind::kDepthwiseConv2D:
      v->macs = SatMul(out, window);
      break;
    case LayerKind::kFullyConnected:
      v->macs = SatMul(out, in);
      break;
    case LayerKind::kPointwiseConv2D:
      v->macs = SatMul(out, static_cast<uint64_t>(v->in.c));
      break;
    case LayerKind::kMaxPool2D:
    case LayerKind::kAvgPool2D:
      v->ops = SatMul(out, window);
      break;
    case LayerKind::kGlobalAvgPool:
    case LayerKind::kSoftmax:
      v->ops = in;
      break;
  }
  // Plus one step per output value: requantize, divide or clamp.
  v->ops = v->ops + v->macs;
  v->ops = v->ops > UINT64_MAX - out ? UINT64_MAX : v->ops + out;
}

LayerView MakeView(const fb::Layer& layer, int branch, int index, const TensorInfo& in,
                   const TensorShape& out, const LayerWindow& window,
                   const CodebookVector* codebooks) {
  LayerView v;
  v.branch = branch;
  v.index = index;
  v.kind = static_cast<LayerKind>(layer.type());
  v.name = Str(layer.name());
  v.in = in.shape;
  v.out = out;
  v.window = window;
  v.input_zero_point = in.zero_point;
  v.input_scale = in.scale;
  v.output_zero_point = in.zero_point;
  v.output_scale = in.scale;
  v.act_min = layer.act_min();
  v.act_max = layer.act_max();
  v.act_bits = layer.act_bits();
  if (LayerHasWeights(static_cast<int>(layer.type()))) {
    v.output_zero_point = layer.output_zero_point();
    v.output_scale = layer.output_scale();
    v.weight_bits = layer.weight_bits();
    if (layer.weight_encoding() == fb::WeightEncoding::ProductQuantized) {
      // VerifyLayer has checked the index, the codebook and the codes.
      const fb::Codebook& cb = *codebooks->Get(layer.codebook());
      v.pq = true;
      v.pq_dim = cb.dim();
      v.pq_codebook_size = static_cast<int>(cb.centroids()->size() / cb.dim());
      v.pq_centroids = cb.centroids()->data();
    }
    v.weights = layer.weights()->data();
    v.weight_bytes = layer.weights()->size();
    // An empty bias vector is no bias, like a missing one (FORMAT.md 3.3):
    // a kernel given its pointer would read past it.
    if (layer.channel_encoding() == fb::ChannelEncoding::Narrow) {
      // Decoded by the engine at Init (format/channel_params.h).
      v.channel_params = layer.channel_params()->data();
      v.channel_params_bytes = layer.channel_params()->size();
    } else {
      v.bias = Len(layer.bias()) ? layer.bias()->data() : nullptr;
      v.bias_count = Len(layer.bias());
      v.multiplier = layer.multiplier()->data();
      v.multiplier_count = layer.multiplier()->size();
      v.shift = layer.shift()->data();
      v.shift_count = layer.shift()->size();
    }
  }
  SetCost(&v);
  return v;
}

// Checked before the visitor sizes anything by the count.
Status CheckStackSize(const LayerVector* layers, const char* where, bool is_head) {
  const size_t n = Len(layers);
  if (n > static_cast<size_t>(kMaxLayersPerStack)) {
    return Status::Error(StatusCode::kBadModel, "%s: %lu layers, at most %d", where,
                         static_cast<unsigned long>(n), kMaxLayersPerStack);
  }
  if (is_head && n == 0) {
    return Status::Error(StatusCode::kBadModel, "head: no layers (it must end with Softmax)");
  }
  return Status::Ok();
}

// `where` is "branch 1 'speech'" or "head"; the head must end with Softmax,
// branches must not contain it.
Status WalkStack(const LayerVector* layers, int branch, const char* where, TensorInfo in,
                 const CodebookVector* codebooks, uint16_t minor, ModelVisitor* visitor,
                 TensorInfo* out) {
  const bool is_head = branch < 0;
  const size_t n = Len(layers);
  for (size_t i = 0; i < n; ++i) {
    const fb::Layer& layer = *layers->Get(static_cast<flatbuffers::uoffset_t>(i));
    // The error's context ("branch 0 'cough' layer 3 (Conv2D)"), formatted
    // only on failure: a plan walks the model twice per load.
    auto fail = [&](const Status& inner) {
      char context[96];
      std::snprintf(context, sizeof(context), "%s layer %lu (%s)", where,
                    static_cast<unsigned long>(i), LayerTypeName(static_cast<int>(layer.type())));
      return WithContext(inner, context);
    };
    const bool softmax = layer.type() == fb::LayerType::Softmax;
    if (softmax && !(is_head && i + 1 == n)) {
      return fail(Status::Error(StatusCode::kBadModel,
                                "Softmax is allowed only as the last head layer"));
    }
    if (is_head && i + 1 == n && !softmax) {
      return fail(Status::Error(StatusCode::kBadModel, "the head must end with Softmax"));
    }
    TensorShape next;
    LayerWindow window;
    Status s = VerifyLayer(layer, in.shape, codebooks, minor, &next, &window);
    if (!s.ok()) return fail(s);
    const LayerView view = MakeView(layer, branch, static_cast<int>(i), in, next, window, codebooks);
    s = visitor->Layer(view);
    if (!s.ok()) return fail(s);
    in.shape = next;
    in.zero_point = view.output_zero_point;
    in.scale = view.output_scale;
  }
  *out = in;
  return Status::Ok();
}

}  // namespace

Status Walk(const Model& model, ModelVisitor* visitor) {
  const FusionView fusion = model.fusion();
  const CodebookVector* codebooks = static_cast<const CodebookVector*>(model.codebooks());
  TensorInfo head_in;
  uint64_t fused = 0;
  for (int b = 0; b < model.num_branches(); ++b) {
    const fb::Branch& branch = *model.branch(b);
    char where[64];
    std::snprintf(where, sizeof(where), "branch %d '%.32s'", b, Str(branch.name()));
    if (branch.preprocess() == nullptr) {
      return Status::Error(StatusCode::kBadModel, "%s: no preprocess table", where);
    }
    char pre_where[80];
    std::snprintf(pre_where, sizeof(pre_where), "%s preprocess", where);
    const fb::Preprocess& p = *branch.preprocess();
    TM2_RETURN_IF_ERROR(WithContext(VerifyPreprocess(model, b, p), pre_where));
    TensorInfo in;
    in.shape.h = p.num_frames();
    in.shape.w = p.dct_coefficients() > 0 ? p.dct_coefficients() : p.mel_bins();
    in.shape.c = 1;
    in.zero_point = p.input_zero_point();
    in.scale = p.input_scale();
    TM2_RETURN_IF_ERROR(CheckStackSize(branch.layers(), where, false));
    TM2_RETURN_IF_ERROR(
        WithContext(visitor->BeginStack(b, in, static_cast<int>(Len(branch.layers()))), pre_where));
    TensorInfo out;
    TM2_RETURN_IF_ERROR(WalkStack(branch.layers(), b, where, in, codebooks, model.format_minor(), visitor, &out));
    TM2_RETURN_IF_ERROR(WithContext(visitor->EndStack(b, out), where));
    head_in = out;
    fused += out.shape.size();
  }
  if (fusion.used) {
    if (fused > kMaxTensorElements) {
      return Status::Error(StatusCode::kBadModel, "fusion: %llu values, beyond 2^24",
                           static_cast<unsigned long long>(fused));
    }
    head_in.shape.h = head_in.shape.w = 1;
    head_in.shape.c = static_cast<int>(fused);
    head_in.zero_point = fusion.output_zero_point;
    head_in.scale = fusion.output_scale;
  }
  TM2_RETURN_IF_ERROR(CheckStackSize(model.root()->head(), "head", true));
  const int head_layers = static_cast<int>(Len(model.root()->head()));
  TM2_RETURN_IF_ERROR(WithContext(visitor->BeginStack(-1, head_in, head_layers), "head"));
  TensorInfo logits;
  TM2_RETURN_IF_ERROR(WalkStack(model.root()->head(), -1, "head", head_in, codebooks,
                                        model.format_minor(), visitor, &logits));
  if (logits.shape.size() != static_cast<size_t>(model.num_labels())) {
    return Status::Error(StatusCode::kBadModel, "head: outputs %d values for %d labels",
                         static_cast<int>(logits.shape.size()), model.num_labels());
  }
  // softmax(z), z = (q - zp) * scale / T with |q - zp| <= 255: keep every z
  // a finite float, so the probabilities are numbers (FORMAT.md 4.4).
  const float k = logits.scale / model.temperature();
  if (!(std::isfinite(k) && std::isfinite(k * 256.0f))) {
    return Status::Error(StatusCode::kBadModel,
                         "head: logit scale %g / temperature %g is not a finite float (x 256)",
                         static_cast<double>(logits.scale),
                         static_cast<double>(model.temperature()));
  }
  return WithContext(visitor->EndStack(-1, logits), "head");
}

}  // namespace format_internal

Status WalkModel(const Model& model, ModelVisitor* visitor) {
  if (model.root() == nullptr || visitor == nullptr) {
    return Status::Error(StatusCode::kInvalidArgument, "model: not loaded (or no visitor)");
  }
  return format_internal::Walk(model, visitor);
}

}  // namespace tm2
