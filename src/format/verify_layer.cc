// Checks of one stored layer against its input shape: everything a kernel
// will trust later (bit widths, clamp range, weight bytes, one requantization
// entry per output channel with a shift the 64-bit rounding can take).
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "format/channel_params.h"
#include "format/layer_params.h"
#include "format/layer_rules.h"
#include "format/verify_model.h"

namespace tm2 {
namespace format_internal {
namespace {

template <typename V>
size_t Len(const V* v) {
  return v != nullptr ? v->size() : 0;
}

Status CheckActivation(const fb::Layer& layer) {
  const int bits = layer.act_bits();
  if (bits != 4 && bits != 8) {
    return Status::Error(StatusCode::kBadModel, "act_bits %d, expected 4 or 8", bits);
  }
  const int lo = bits == 4 ? -8 : -128, hi = bits == 4 ? 7 : 127;
  const int mn = layer.act_min(), mx = layer.act_max();
  if (mn < lo || mx > hi || mn > mx) {
    return Status::Error(StatusCode::kBadModel,
                         "activation range [%d, %d] is not an ordered range inside int%d [%d, %d]",
                         mn, mx, bits, lo, hi);
  }
  return Status::Ok();
}

// "3x3x8"-style description of the weight tensor, in the stored order.
void DescribeWeights(const fb::Layer& layer, const TensorShape& in, char* buf, size_t n) {
  const int kh = layer.kernel_h(), kw = layer.kernel_w(), oc = layer.out_channels();
  switch (layer.type()) {
    case fb::LayerType::Conv2D:
      std::snprintf(buf, n, "%dx%dx%dx%d", oc, kh, kw, in.c);
      break;
    case fb::LayerType::DepthwiseConv2D:
      std::snprintf(buf, n, "%dx%dx%d", kh, kw, in.c);
      break;
    case fb::LayerType::FullyConnected:
      std::snprintf(buf, n, "%dx%llu", oc, static_cast<unsigned long long>(in.size()));
      break;
    default:
      std::snprintf(buf, n, "%dx%d", oc, in.c);
      break;
  }
}

Status CheckNoWeights(const fb::Layer& layer) {
  if (Len(layer.weights()) || Len(layer.bias()) || Len(layer.multiplier()) || Len(layer.shift()) ||
      Len(layer.weight_scales()) || Len(layer.channel_params()) ||
      layer.channel_encoding() != fb::ChannelEncoding::Wide) {
    return Status::Error(StatusCode::kBadModel,
                         "carries weights or per-channel vectors but has no weights");
  }
  return Status::Ok();
}

Status CheckChannelVector(const char* what, size_t len, int channels, bool required) {
  if ((required || len != 0) && len != static_cast<size_t>(channels)) {
    return Status::Error(StatusCode::kBadModel,
                         "%lu %s values, expected %d (one per output channel)",
                         static_cast<unsigned long>(len), what,
                         channels);
  }
  return Status::Ok();
}

// Today's vectors: one multiplier and shift a channel, bias optional.
Status CheckWide(const fb::Layer& layer, int oc) {
  if (Len(layer.channel_params())) {
    return Status::Error(StatusCode::kBadModel, "a Wide layer carries %lu channel_params bytes",
                         static_cast<unsigned long>(Len(layer.channel_params())));
  }
  TM2_RETURN_IF_ERROR(CheckChannelVector("multiplier", Len(layer.multiplier()), oc, true));
  TM2_RETURN_IF_ERROR(CheckChannelVector("shift", Len(layer.shift()), oc, true));
  TM2_RETURN_IF_ERROR(CheckChannelVector("bias", Len(layer.bias()), oc, false));
  for (int c = 0; c < oc; ++c) {
    const int32_t m = layer.multiplier()->Get(c);
    const int s = layer.shift()->Get(c);
    if (m < 0) {
      return Status::Error(StatusCode::kBadModel, "channel %d: multiplier %" PRId32 " is negative",
                           c, m);
    }
    if (31 - s < 1 || 31 - s > 62) {
      return Status::Error(StatusCode::kBadModel,
                           "channel %d: shift %d gives n = 31 - shift = %d, outside [1, 62]", c, s,
                           31 - s);
    }
  }
  return Status::Ok();
}

// Format 1.2 (FORMAT.md 4.5): the same values in one block, no vectors.
Status CheckNarrow(const fb::Layer& layer, int oc, uint16_t minor) {
  if (minor < 2) {
    return Status::Error(StatusCode::kBadModel,
                         "narrow per-channel parameters need format 1.2 (the file says 1.%u)",
                         static_cast<unsigned>(minor));
  }
  if (Len(layer.bias()) || Len(layer.multiplier()) || Len(layer.shift())) {
    return Status::Error(StatusCode::kBadModel,
                         "a Narrow layer also carries bias, multiplier or shift vectors");
  }
  const auto* p = layer.channel_params();
  return CheckNarrowChannels(p ? p->data() : nullptr, Len(p), oc);
}

Status CheckWeighted(const fb::Layer& layer, const TensorShape& in, const TensorShape& out,
                     const CodebookVector* codebooks, uint16_t minor) {
  const int bits = layer.weight_bits();
  if (bits != 4 && bits != 8) {
    return Status::Error(StatusCode::kBadModel, "weight_bits %d, expected 4 or 8", bits);
  }
  if (layer.weight_encoding() == fb::WeightEncoding::ProductQuantized) {
    TM2_RETURN_IF_ERROR(VerifyPqCodes(layer, in, codebooks));
  } else if (layer.codebook() != 0) {
    return Status::Error(StatusCode::kBadModel, "a Dense layer names codebook %d",
                         static_cast<int>(layer.codebook()));
  }
  const size_t expected = ExpectedWeightBytes(layer, in);
  const size_t have = Len(layer.weights());
  if (layer.weight_encoding() == fb::WeightEncoding::Dense && have != expected) {
    char dims[64];
    DescribeWeights(layer, in, dims, sizeof(dims));
    return Status::Error(StatusCode::kBadModel, "%lu weight bytes, expected %lu for %s at %d bits",
                         static_cast<unsigned long>(have), static_cast<unsigned long>(expected), dims, bits);
  }
  const int oc = out.c;
  TM2_RETURN_IF_ERROR(CheckChannelVector("weight_scales", Len(layer.weight_scales()), oc, false));
  if (layer.channel_encoding() == fb::ChannelEncoding::Narrow) {
    TM2_RETURN_IF_ERROR(CheckNarrow(layer, oc, minor));
  } else {
    TM2_RETURN_IF_ERROR(CheckWide(layer, oc));
  }
  const float scale = layer.output_scale();
  if (!(std::isfinite(scale) && scale > 0.0f)) {
    return Status::Error(StatusCode::kBadModel, "output_scale %g must be positive and finite",
                         static_cast<double>(scale));
  }
  return Status::Ok();
}

}  // namespace

Status VerifyLayer(const fb::Layer& layer, const TensorShape& in, const CodebookVector* codebooks,
                   uint16_t minor, TensorShape* out, LayerWindow* window) {
  const int type = static_cast<int>(layer.type());
  if (type >= kNumLayerTypes) {
    return Status::Error(StatusCode::kUnsupported, "layer type %d needs a newer reader", type);
  }
  if (layer.weight_encoding() != fb::WeightEncoding::Dense &&
      layer.weight_encoding() != fb::WeightEncoding::ProductQuantized) {
    return Status::Error(StatusCode::kUnsupported,
                         "weight encoding %d needs a newer reader (this one reads Dense and "
                         "ProductQuantized)",
                         static_cast<int>(layer.weight_encoding()));
  }
  if (layer.channel_encoding() != fb::ChannelEncoding::Wide &&
      layer.channel_encoding() != fb::ChannelEncoding::Narrow) {
    return Status::Error(StatusCode::kUnsupported,
                         "channel encoding %d needs a newer reader (this one reads Wide and Narrow)",
                         static_cast<int>(layer.channel_encoding()));
  }
  if (layer.padding() != fb::Padding::Valid && layer.padding() != fb::Padding::Same) {
    return Status::Error(StatusCode::kUnsupported, "padding %d needs a newer reader",
                         static_cast<int>(layer.padding()));
  }
  TM2_RETURN_IF_ERROR(CheckActivation(layer));
  TM2_RETURN_IF_ERROR(InferShape(ParamsOf(layer), in, out, window));
  if (!LayerHasWeights(type)) {
    if (layer.weight_encoding() != fb::WeightEncoding::Dense || layer.codebook() != 0) {
      return Status::Error(StatusCode::kBadModel, "has no weights but a weight encoding or codebook");
    }
    return CheckNoWeights(layer);
  }
  return CheckWeighted(layer, in, *out, codebooks, minor);
}

Status WithContext(const Status& inner, const char* context) {
  if (inner.ok()) return inner;
  return Status::Error(inner.code(), "%s: %s", context, inner.message());
}

}  // namespace format_internal
}  // namespace tm2
