#include "format/budget.h"

#include <cmath>
#include <cstdio>

namespace tm2 {
namespace format_internal {
namespace {

constexpr uint64_t kMaxInputRate = 48000;       // PcmView rates: 8000..48000 Hz
constexpr uint64_t kResamplerHalfWidth = 16;    // Resampler::kHalfWidth (preprocess/)
constexpr uint64_t kPlanBytesPerLayer = 128;    // the engine's per-layer plan, rounded up

uint64_t SatAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

unsigned long long Ull(uint64_t v) { return static_cast<unsigned long long>(v); }

}  // namespace

uint64_t PreprocessOps(const PreprocessParams& p) {
  // max_seconds <= 3600 and every count below 2^16 (Validate), so no
  // product here comes near 2^64.
  const double seconds = static_cast<double>(p.max_seconds);
  const uint64_t input = static_cast<uint64_t>(std::ceil(seconds * kMaxInputRate));
  const uint64_t model_len = static_cast<uint64_t>(std::ceil(seconds * p.sample_rate));
  const uint64_t length = p.frame_length, step = p.frame_step, fft = p.fft_size;
  const uint64_t frames = model_len <= length ? 1 : 1 + (model_len - length) / step;
  const uint64_t kept = frames < p.num_frames ? frames : p.num_frames;
  // Input samples per model sample, and the resampler's taps per output
  // (2 * half width, in units of the lower rate's period).
  const uint64_t ratio = (kMaxInputRate + p.sample_rate - 1) / p.sample_rate;
  const uint64_t taps = 2 * kResamplerHalfWidth * ratio;
  uint64_t log2_fft = 0;
  while ((uint64_t{1} << log2_fft) < fft) ++log2_fft;
  const uint64_t features = static_cast<uint64_t>(p.num_features());
  // Per computed frame: resampling a whole frame (no overlap in the worst
  // case), the real FFT, the power spectrum and the sparse mel bands (each
  // bin feeds at most two), log, DCT, normalization and quantization.
  const uint64_t per_frame = (length + 1) * taps + 2 * fft * log2_fft + 3 * (fft / 2 + 1) +
                             uint64_t{p.mel_bins} * (1 + p.dct_coefficients) + 2 * features;
  uint64_t ops = input;  // finite check and mixing down
  if (p.crop == CropPolicy::kLoudest) ops += frames * length * ratio;  // energy of every frame
  ops += kept * per_frame + uint64_t{p.num_frames} * features;
  return ops;
}

Status BudgetVisitor::BeginStack(int branch, const TensorInfo& input, int /*num_layers*/) {
  if (branch < 0) {
    // The fusion vector, and the head's input when it is that vector.
    cost_.ops = SatAdd(cost_.ops, model_.fusion().used ? fused_ : 0);
    cost_.memory_bytes = SatAdd(cost_.memory_bytes, fused_);
    return Status::Ok();
  }
  const PreprocessParams p = model_.preprocess(branch);
  const uint64_t ops = PreprocessOps(p);
  if (ops > limits_.max_model_ops) {
    return Status::Error(StatusCode::kBadModel,
                         "%llu operations for the longest input (%g s at up to 48 kHz), over the "
                         "model budget of %llu (ModelLimits::max_model_ops)",
                         Ull(ops), static_cast<double>(p.max_seconds), Ull(limits_.max_model_ops));
  }
  cost_.preprocess_ops = SatAdd(cost_.preprocess_ops, ops);
  // Tables and scratch, the int8 features and (optionally) their floats.
  cost_.memory_bytes = SatAdd(cost_.memory_bytes, Preprocessor::WorkspaceBytes(p));
  cost_.memory_bytes = SatAdd(cost_.memory_bytes, input.shape.size() * (1 + sizeof(float)));
  return Status::Ok();
}

Status BudgetVisitor::Layer(const LayerView& v) {
  if (v.macs > limits_.max_layer_macs) {
    return Status::Error(StatusCode::kBadModel,
                         "%llu MACs (%dx%dx%d -> %dx%dx%d), over the layer budget of %llu "
                         "(ModelLimits::max_layer_macs)",
                         Ull(v.macs), v.in.h, v.in.w, v.in.c, v.out.h, v.out.w, v.out.c,
                         Ull(limits_.max_layer_macs));
  }
  if (v.ops > limits_.max_layer_ops) {
    return Status::Error(StatusCode::kBadModel,
                         "%llu operations (%dx%dx%d -> %dx%dx%d, window %dx%d), over the layer "
                         "budget of %llu (ModelLimits::max_layer_ops)",
                         Ull(v.ops), v.in.h, v.in.w, v.in.c, v.out.h, v.out.w, v.out.c,
                         v.window.kernel_h, v.window.kernel_w, Ull(limits_.max_layer_ops));
  }
  cost_.macs = SatAdd(cost_.macs, v.macs);
  if (v.act_bits == 4 && v.kind != LayerKind::kSoftmax) ++cost_.int4_outputs;
  cost_.ops = SatAdd(cost_.ops, v.ops);
  if (v.out.size() > largest_tensor_) largest_tensor_ = v.out.size();
  if (v.pq) {  // the engine decodes the largest PQ layer into one scratch
    const uint64_t taps = static_cast<uint64_t>(v.window.kernel_h) * v.window.kernel_w;
    uint64_t decoded = static_cast<uint64_t>(v.out.c) * v.in.c;  // pointwise
    if (v.kind == LayerKind::kConv2D) decoded *= taps;
    if (v.kind == LayerKind::kDepthwiseConv2D) decoded = taps * v.in.c;
    if (v.kind == LayerKind::kFullyConnected) decoded = static_cast<uint64_t>(v.out.c) * v.in.size();
    if (decoded > largest_pq_) largest_pq_ = decoded;
    ++cost_.pq_layers;
  }
  // Narrow per-channel parameters (1.2) are decoded into the arena at Init:
  // int32 bias, int32 multiplier, int8 shift a channel.
  if (v.channel_params) cost_.memory_bytes = SatAdd(cost_.memory_bytes, 9 * static_cast<uint64_t>(v.out.c));
  ++layers_;
  return Status::Ok();
}

Status BudgetVisitor::EndStack(int branch, const TensorInfo& output) {
  if (branch >= 0) fused_ += output.shape.size();
  if (branch < 0) cost_.ops = SatAdd(cost_.ops, output.shape.size());  // the softmax
  return Status::Ok();
}

Status BudgetVisitor::Finish() {
  cost_.memory_bytes = SatAdd(cost_.memory_bytes, 2 * largest_tensor_);
  cost_.memory_bytes = SatAdd(cost_.memory_bytes, largest_pq_);
  cost_.pq_decoded_bytes = largest_pq_;
  cost_.memory_bytes = SatAdd(cost_.memory_bytes, layers_ * kPlanBytesPerLayer);
  if (cost_.macs > limits_.max_model_macs) {
    return Status::Error(StatusCode::kBadModel,
                         "model: %llu MACs, over the budget of %llu (ModelLimits::max_model_macs)",
                         Ull(cost_.macs), Ull(limits_.max_model_macs));
  }
  const uint64_t total = SatAdd(cost_.ops, cost_.preprocess_ops);
  if (total > limits_.max_model_ops) {
    return Status::Error(StatusCode::kBadModel,
                         "model: %llu operations (%llu in layers, %llu preprocessing), over the "
                         "budget of %llu (ModelLimits::max_model_ops)",
                         Ull(total), Ull(cost_.ops), Ull(cost_.preprocess_ops),
                         Ull(limits_.max_model_ops));
  }
  if (cost_.memory_bytes > limits_.max_memory_bytes) {
    return Status::Error(StatusCode::kBadModel,
                         "model: about %llu bytes of arena, over the budget of %llu "
                         "(ModelLimits::max_memory_bytes)",
                         Ull(cost_.memory_bytes), Ull(limits_.max_memory_bytes));
  }
  return Status::Ok();
}

}  // namespace format_internal
}  // namespace tm2
