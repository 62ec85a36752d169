#include "engine/engine.h"

#include <cmath>
#include <cstring>

#include "engine/band.h"
#include "kernels/select.h"

namespace tm2 {

Engine::Engine(Engine&& other) noexcept : Engine(static_cast<const Engine&>(other)) {
  other.ready_ = false;
}

Engine& Engine::operator=(Engine&& other) noexcept {
  if (this != &other) {
    *this = static_cast<const Engine&>(other);
    other.ready_ = false;
  }
  return *this;
}

Status Engine::ArenaBytes(const Model& model, size_t* bytes, const EngineOptions& options) {
  if (!bytes) return Status::Error(StatusCode::kInvalidArgument, "engine: no result pointer");
  ArenaReport report;
  TM2_RETURN_IF_ERROR(ArenaBytes(model, &report, options));
  *bytes = report.total;
  return Status::Ok();
}

Status Engine::ArenaBytes(const Model& model, ArenaReport* report, const EngineOptions& options) {
  if (!report) return Status::Error(StatusCode::kInvalidArgument, "engine: no result pointer");
  EnginePlan plan;
  TM2_RETURN_IF_ERROR(ArenaBytes(model, &plan, options));
  *report = plan.report_;
  return Status::Ok();
}

Status Engine::ArenaBytes(const Model& model, EnginePlan* plan, const EngineOptions& options) {
  if (!plan) return Status::Error(StatusCode::kInvalidArgument, "engine: no result pointer");
  plan->made_ = false;
  if (!model.root()) return Status::Error(StatusCode::kInvalidArgument, "engine: no model");
  Engine dry;
  dry.model_ = model;
  dry.options_ = options;
  dry.kernels_ = options.kernels ? options.kernels : &SelectKernels();  // sizes packed weights
  for (PreprocessBytes& m : plan->measured_) m = PreprocessBytes();
  TM2_RETURN_IF_ERROR(dry.ChoosePacking(plan->measured_, &plan->report_));
  plan->model_ = model;
  plan->options_ = dry.options_;  // the packing chosen
  plan->made_ = true;
  return Status::Ok();
}

Status Engine::Init(const Model& model, void* arena, size_t arena_bytes,
                    const EngineOptions& options) {
  ready_ = false;
  if (!model.root()) return Status::Error(StatusCode::kInvalidArgument, "engine: model not loaded");
  if (!arena) return Status::Error(StatusCode::kInvalidArgument, "engine: arena is null");
  model_ = model;
  options_ = options;
  kernels_ = options.kernels ? options.kernels : &SelectKernels();
  PreprocessBytes measured[kMaxBranches];
  ArenaReport report;
  if (options.pack_int4_activations && model.cost().int4_outputs > 0)
    TM2_RETURN_IF_ERROR(ChoosePacking(measured, &report));  // as ArenaBytes chooses
  TM2_RETURN_IF_ERROR(Plan(static_cast<uint8_t*>(arena), arena_bytes, &report, measured));
  report_ = report;
  ready_ = true;
  return Status::Ok();
}

Status Engine::Init(const EnginePlan& plan, void* arena, size_t arena_bytes,
                    uint8_t* shared_region, size_t shared_region_bytes) {
  ready_ = false;
  if (!plan.made_)
    return Status::Error(StatusCode::kInvalidArgument, "engine: the plan was not made (ArenaBytes)");
  if (!arena) return Status::Error(StatusCode::kInvalidArgument, "engine: arena is null");
  if (shared_region && !plan.options_.shared_region)
    return Status::Error(StatusCode::kInvalidArgument,
                         "engine: a shared region for a plan sized without one");
  model_ = plan.model_;
  options_ = plan.options_;
  if (shared_region) {
    options_.shared_region = shared_region;
    options_.shared_region_bytes = shared_region_bytes;
  }
  kernels_ = options_.kernels ? options_.kernels : &SelectKernels();
  PreprocessBytes measured[kMaxBranches];  // Plan wants them writable; all are measured
  for (int b = 0; b < kMaxBranches; ++b) measured[b] = plan.measured_[b];
  ArenaReport report;
  TM2_RETURN_IF_ERROR(Plan(static_cast<uint8_t*>(arena), arena_bytes, &report, measured));
  report_ = report;
  ready_ = true;
  return Status::Ok();
}

Status Engine::SetInput(int branch, const PcmView& pcm) {
  if (!ready_) return Status::Error(StatusCode::kNotReady, "engine: Init has not succeeded");
  if (branch < 0 || branch >= num_branches_)
    return Status::Error(StatusCode::kInvalidArgument, "engine: branch %d out of range (0..%d)",
                         branch, num_branches_ - 1);
  if (options_.features_only)
    return Status::Error(StatusCode::kInvalidArgument,
                         "engine: planned with features_only (no preprocessing); use SetFeatures");
  BranchPlan& bp = branches_[branch];
  bp.has_input = false;
  TM2_RETURN_IF_ERROR(bp.pre.Run(pcm, bp.features, bp.float_features));
  bp.has_input = true;
  bp.float_valid = bp.float_features != nullptr;
  return Status::Ok();
}

Status Engine::SetFeatures(int branch, const int8_t* features, size_t count) {
  if (!ready_) return Status::Error(StatusCode::kNotReady, "engine: Init has not succeeded");
  if (branch < 0 || branch >= num_branches_)
    return Status::Error(StatusCode::kInvalidArgument, "engine: branch %d out of range (0..%d)",
                         branch, num_branches_ - 1);
  BranchPlan& bp = branches_[branch];
  if (!features || count != bp.input.size())
    return Status::Error(StatusCode::kInvalidArgument,
                         "engine: branch %d needs %lu features (%d frames x %d), got %lu", branch,
                         static_cast<unsigned long>(bp.input.size()), bp.input.h, bp.input.w,
                         static_cast<unsigned long>(count));
  std::memcpy(bp.features, features, count);
  bp.has_input = true;
  bp.float_valid = false;
  return Status::Ok();
}

Status Engine::RunLayer(const LayerPlan& p, const ConvGeometry& g, const int8_t* src,
                        int8_t* dst) const {
  const KernelTable& k = *kernels_;
  switch (p.kind) {
    case LayerKind::kConv2D:
      k.conv2d(g, p.weights, p.input_zero_point, p.rq, src, dst);
      break;
    case LayerKind::kDepthwiseConv2D:
      k.depthwise_conv2d(g, p.weights, p.input_zero_point, p.rq, src, dst);
      break;
    case LayerKind::kPointwiseConv2D:
      k.fully_connected(g.out_h * g.out_w, p.in.c, p.out.c, p.weights, p.input_zero_point, p.rq,
                        src, dst);
      break;
    case LayerKind::kFullyConnected:
      k.fully_connected(1, static_cast<int>(p.in.size()), p.out.c, p.weights, p.input_zero_point,
                        p.rq, src, dst);
      break;
    case LayerKind::kMaxPool2D:
      k.max_pool2d(g, p.rq.output_min, p.rq.output_max, src, dst);
      break;
    case LayerKind::kAvgPool2D:
      k.avg_pool2d(g, p.rq.output_min, p.rq.output_max, src, dst);
      break;
    case LayerKind::kGlobalAvgPool:
      k.global_avg_pool(p.in.h * p.in.w, p.in.c, p.rq.output_min, p.rq.output_max, src, dst);
      break;
    default:  // the loader admits Softmax only as the head's last layer
      return Status::Error(StatusCode::kBadModel, "engine: a %s layer cannot run here",
                           LayerKindName(p.kind));
  }
  return Status::Ok();
}

Status Engine::RunStack(const LayerPlan* layers, int count) const {
  for (int i = 0; i < count; ++i) {
    const LayerPlan& p = layers[i];
    // A product-quantized layer's weights: decoded once, before any band.
    if (p.pq) qs8_pq_decode(pq_plans_[p.pq - 1], pq_scratch_);
    if (p.band_rows <= 0) {
      TM2_RETURN_IF_ERROR(RunLayer(p, p.geometry, p.src, p.dst));
      continue;
    }
    // Output rows in bands, in the order the planner placed them for
    // (engine/band.h): each call only writes bytes no later call reads.
    const int h = p.geometry.out_h, rows = p.band_rows;
    const int bands = (h + rows - 1) / rows;
    for (int n = 0; n < bands; ++n) {
      const int y0 = (p.band_descending ? bands - 1 - n : n) * rows;
      const int y1 = y0 + rows < h ? y0 + rows : h;
      size_t in_offset, out_offset;
      const ConvGeometry g =
          engine_internal::BandGeometry(p.kind, p.geometry, y0, y1, &in_offset, &out_offset);
      TM2_RETURN_IF_ERROR(RunLayer(p, g, p.src + in_offset, p.dst + out_offset));
    }
  }
  return Status::Ok();
}

Status Engine::Invoke() {
  if (!ready_) return Status::Error(StatusCode::kNotReady, "engine: Init has not succeeded");
  for (int b = 0; b < num_branches_; ++b) {
    if (!branches_[b].has_input)
      return Status::Error(StatusCode::kNotReady, "engine: branch %d ('%s') has no input", b,
                           model_.branch_modality(b));
  }
  int8_t* slice = fusion_;
  for (int b = 0; b < num_branches_; ++b) {
    const BranchPlan& bp = branches_[b];
    TM2_RETURN_IF_ERROR(RunStack(bp.layers, bp.num_layers));
    const int8_t* out = bp.num_layers ? bp.layers[bp.num_layers - 1].dst : bp.features;
    const size_t n = bp.output.size();
    if (fusion_rule_.used) {
      Requantization rq;
      rq.multiplier = fusion_rule_.multiplier + b;
      rq.shift = fusion_rule_.shift + b;
      rq.output_zero_point = fusion_rule_.output_zero_point;
      rq.output_min = -128;
      rq.output_max = 127;
      kernels_->requantize(n, bp.output_zero_point, rq, out, slice);
    } else {
      std::memcpy(slice, out, n);
    }
    slice += n;
  }
  TM2_RETURN_IF_ERROR(RunStack(head_, num_head_layers_));
  SoftmaxLogits(logits_, num_classes_, logit_scale_, logit_zero_point_,
                model_.temperature(), probs_);
  return Status::Ok();
}

const int8_t* Engine::features(int branch) const {
  return (branch >= 0 && branch < num_branches_) ? branches_[branch].features : nullptr;
}

const float* Engine::float_features(int branch) const {
  if (branch < 0 || branch >= num_branches_ || !branches_[branch].float_valid) return nullptr;
  return branches_[branch].float_features;
}

TensorShape Engine::input_shape(int branch) const {
  return (branch >= 0 && branch < num_branches_) ? branches_[branch].input : TensorShape{};
}

}  // namespace tm2
