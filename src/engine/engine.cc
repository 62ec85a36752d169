#include "engine/engine.h"

#include <cstring>

#include "format/tm2_generated.h"
#include "kernels/select.h"

namespace tm2 {
namespace {

constexpr size_t kAlign = 16;

// Bump allocator over the caller's arena. With a null base it only counts,
// which is how ArenaBytes() sizes a plan without memory.
class ArenaCursor {
 public:
  ArenaCursor(uint8_t* base, size_t capacity) : base_(base), capacity_(capacity) {}
  void* Take(size_t bytes) {
    const uintptr_t start = reinterpret_cast<uintptr_t>(base_) + used_;
    const size_t pad = (kAlign - start % kAlign) % kAlign;
    if (bytes > SIZE_MAX - used_ - pad) { overflow_ = true; return nullptr; }
    void* p = base_ ? base_ + used_ + pad : nullptr;
    used_ += pad + bytes;
    if (used_ > capacity_) overflow_ = true;
    return overflow_ ? nullptr : p;
  }
  size_t used() const { return used_; }
  bool overflow() const { return overflow_; }
  bool dry() const { return base_ == nullptr; }

 private:
  uint8_t* base_;
  size_t capacity_;
  size_t used_ = 0;
  bool overflow_ = false;
};

bool HasWeights(fb::LayerType t) {
  return t == fb::LayerType::Conv2D || t == fb::LayerType::DepthwiseConv2D ||
         t == fb::LayerType::FullyConnected || t == fb::LayerType::PointwiseConv2D;
}

// The kernel table's packed form of a layer's weights, made here once so
// that Invoke never repacks (kernels.h, "Packed weights"); null when the
// table packs nothing for the layer, or on a dry or overflowing plan.
const void* PackWeights(const KernelTable& k, fb::LayerType t, const ConvGeometry& g,
                        const TensorShape& in, const TensorShape& out, const QuantizedWeights& w,
                        const Requantization& rq, ArenaCursor* arena) {
  const int rows = in.h * in.w;
  size_t bytes = 0;
  if (t == fb::LayerType::Conv2D && k.conv2d_packed_bytes) {
    bytes = k.conv2d_packed_bytes(g);
  } else if (t == fb::LayerType::PointwiseConv2D && k.fully_connected_packed_bytes) {
    bytes = k.fully_connected_packed_bytes(rows, in.c, out.c);
  }
  if (bytes == 0) return nullptr;
  void* dst = arena->Take(bytes);
  if (!dst) return nullptr;
  if (t == fb::LayerType::Conv2D) {
    k.conv2d_pack(g, w, rq, dst);
  } else {
    k.fully_connected_pack(rows, in.c, out.c, w, rq, dst);
  }
  return dst;
}

}  // namespace

Status Engine::ArenaBytes(const Model& model, size_t* bytes, const EngineOptions& options) {
  if (!model.root() || !bytes) return Status::Error(StatusCode::kInvalidArgument, "engine: no model");
  Engine dry;
  dry.model_ = model;
  dry.options_ = options;
  dry.kernels_ = options.kernels ? options.kernels : &SelectKernels();  // sizes packed weights
  size_t used = 0;
  TM2_RETURN_IF_ERROR(dry.Plan(nullptr, SIZE_MAX, &used));
  *bytes = used + kAlign;  // slack for an unaligned arena start
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
  size_t used = 0;
  TM2_RETURN_IF_ERROR(Plan(static_cast<uint8_t*>(arena), arena_bytes, &used));
  arena_used_ = used;
  ready_ = true;
  return Status::Ok();
}

// Arena layout (in this order):
//   per branch: preprocessing workspace | int8 features | [float features]
//   layer plans and packed weights (branches, then head)
//   activation ping | activation pong      (shared by all stacks)
//   fusion vector | probabilities
// Each stack alternates ping/pong; every branch's output is requantized into
// its slice of the fusion vector right after the branch runs, so one pair
// of activation buffers serves the whole model.
Status Engine::Plan(uint8_t* base, size_t capacity, size_t* used) {
  ArenaCursor arena(base, capacity);
  const fb::Model* root = model_.root();
  num_branches_ = model_.num_branches();
  num_classes_ = model_.num_labels();
  if (num_branches_ < 1 || num_branches_ > kMaxBranches)
    return Status::Error(StatusCode::kBadModel, "engine: %d branches (1..%d supported)",
                         num_branches_, kMaxBranches);
  const float temperature = root->temperature();
  if (!(temperature > 0.0f && temperature < 1e30f))
    return Status::Error(StatusCode::kBadModel, "engine: calibration temperature %g is not > 0",
                         static_cast<double>(temperature));

  size_t ping_bytes = 0, pong_bytes = 0, fusion_bytes = 0;
  // Plans one stack of layers starting from `in`; returns its output shape.
  auto plan_stack = [&](const flatbuffers::Vector<flatbuffers::Offset<fb::Layer>>* layers,
                        TensorShape in, int32_t zero_point, float scale, LayerPlan** out_plans,
                        int* out_count, TensorShape* out_shape, int32_t* out_zp,
                        float* out_scale) -> Status {
    const int n = layers ? static_cast<int>(layers->size()) : 0;
    *out_count = n;
    LayerPlan* plans =
        static_cast<LayerPlan*>(arena.Take(sizeof(LayerPlan) * static_cast<size_t>(n ? n : 1)));
    *out_plans = plans;
    TensorShape shape = in;
    for (int i = 0; i < n; ++i) {
      const fb::Layer* layer = layers->Get(static_cast<flatbuffers::uoffset_t>(i));
      LayerPlan p{};
      p.layer = layer;
      p.in = shape;
      TM2_RETURN_IF_ERROR(InferLayerShape(*layer, shape, &p.out, &p.geometry));
      p.input_zero_point = zero_point;
      if (HasWeights(layer->type())) {
        p.weights.data = layer->weights()->data();
        p.weights.bits = layer->weight_bits();
        p.weights.bias = layer->bias() ? layer->bias()->data() : nullptr;
        p.rq.multiplier = layer->multiplier()->data();
        p.rq.shift = layer->shift()->data();
        p.rq.output_zero_point = layer->output_zero_point();
        zero_point = layer->output_zero_point();
        scale = layer->output_scale();
      }
      p.rq.output_min = layer->act_min();
      p.rq.output_max = layer->act_max();
      p.weights.packed = PackWeights(*kernels_, layer->type(), p.geometry, p.in, p.out,
                                     p.weights, p.rq, &arena);
      // Layer i writes ping when i is even, pong when odd.
      size_t& slot = (i % 2 == 0) ? ping_bytes : pong_bytes;
      if (p.out.size() > slot) slot = p.out.size();
      if (plans) plans[i] = p;
      shape = p.out;
    }
    *out_shape = shape;
    *out_zp = zero_point;
    *out_scale = scale;
    return Status::Ok();
  };

  for (int b = 0; b < num_branches_; ++b) {
    BranchPlan& bp = branches_[b];
    PreprocessParams params = model_.preprocess(b);
    params.resampler_cache = options_.resampler_cache;
    TM2_RETURN_IF_ERROR(params.Validate());
    const size_t ws_bytes = Preprocessor::WorkspaceBytes(params);
    void* ws = arena.Take(ws_bytes);
    bp.input = TensorShape{params.num_frames, params.num_features(), 1};
    bp.features = static_cast<int8_t*>(arena.Take(bp.input.size()));
    bp.float_features = options_.keep_float_features
                            ? static_cast<float*>(arena.Take(bp.input.size() * sizeof(float)))
                            : nullptr;
    bp.has_input = false;
    bp.float_valid = false;
    if (!arena.dry() && !arena.overflow()) {
      TM2_RETURN_IF_ERROR(bp.pre.Prepare(params, ws, ws_bytes));
    }
    float scale = 0.0f;
    TM2_RETURN_IF_ERROR(plan_stack(model_.branch(b)->layers(), bp.input, params.input_zero_point,
                                   params.input_scale, &bp.layers, &bp.num_layers, &bp.output,
                                   &bp.output_zero_point, &scale));
    fusion_bytes += bp.output.size();
  }
  fusion_scale_ = 1.0f;
  if (root->fusion()) {
    fusion_zero_point_ = root->fusion()->output_zero_point();
    fusion_scale_ = root->fusion()->output_scale();
  } else {
    fusion_zero_point_ = branches_[0].output_zero_point;  // single branch, passed through
  }

  TensorShape head_in{1, 1, static_cast<int>(fusion_bytes)};
  if (num_branches_ == 1 && !root->fusion()) head_in = branches_[0].output;
  TensorShape logits_shape;
  int32_t logit_zp = 0;
  float logit_scale = 0.0f;
  // Softmax is the head's last layer and runs in float after the stack.
  const auto* head = root->head();
  TM2_RETURN_IF_ERROR(plan_stack(head, head_in, fusion_zero_point_, fusion_scale_, &head_,
                                 &num_head_layers_, &logits_shape, &logit_zp, &logit_scale));
  if (num_head_layers_ < 1 ||
      head->Get(static_cast<flatbuffers::uoffset_t>(num_head_layers_ - 1))->type() !=
          fb::LayerType::Softmax)
    return Status::Error(StatusCode::kBadModel, "engine: the head must end with Softmax");
  if (static_cast<int>(logits_shape.size()) != num_classes_)
    return Status::Error(StatusCode::kBadModel, "engine: head gives %d outputs for %d labels",
                         static_cast<int>(logits_shape.size()), num_classes_);
  --num_head_layers_;  // the Softmax itself
  logit_zero_point_ = logit_zp;
  logit_scale_ = logit_scale;

  int8_t* ping = static_cast<int8_t*>(arena.Take(ping_bytes ? ping_bytes : 1));
  int8_t* pong = static_cast<int8_t*>(arena.Take(pong_bytes ? pong_bytes : 1));
  fusion_ = static_cast<int8_t*>(arena.Take(fusion_bytes));
  probs_ = static_cast<float*>(arena.Take(sizeof(float) * static_cast<size_t>(num_classes_)));
  if (arena.overflow())
    return Status::Error(StatusCode::kArenaTooSmall, "engine: arena of %lu bytes is too small, "
                         "the model needs %lu", static_cast<unsigned long>(capacity),
                         static_cast<unsigned long>(arena.used() + kAlign));

  // Wire sources and destinations now that the buffers exist.
  auto wire = [&](LayerPlan* plans, int count, const int8_t* first_src) {
    const int8_t* src = first_src;
    for (int i = 0; i < count; ++i) {
      plans[i].src = src;
      plans[i].dst = (i % 2 == 0) ? ping : pong;
      src = plans[i].dst;
    }
    return src;
  };
  if (!arena.dry()) {
    for (int b = 0; b < num_branches_; ++b) wire(branches_[b].layers, branches_[b].num_layers,
                                                 branches_[b].features);
    logits_ = const_cast<int8_t*>(wire(head_, num_head_layers_, fusion_));
  }
  *used = arena.used();
  return Status::Ok();
}

Status Engine::SetInput(int branch, const PcmView& pcm) {
  if (!ready_) return Status::Error(StatusCode::kNotReady, "engine: Init has not succeeded");
  if (branch < 0 || branch >= num_branches_)
    return Status::Error(StatusCode::kInvalidArgument, "engine: branch %d out of range (0..%d)",
                         branch, num_branches_ - 1);
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

Status Engine::RunStack(const LayerPlan* layers, int count) const {
  const KernelTable& k = *kernels_;
  for (int i = 0; i < count; ++i) {
    const LayerPlan& p = layers[i];
    switch (p.layer->type()) {
      case fb::LayerType::Conv2D:
        k.conv2d(p.geometry, p.weights, p.input_zero_point, p.rq, p.src, p.dst);
        break;
      case fb::LayerType::DepthwiseConv2D:
        k.depthwise_conv2d(p.geometry, p.weights, p.input_zero_point, p.rq, p.src, p.dst);
        break;
      case fb::LayerType::PointwiseConv2D:
        k.fully_connected(p.in.h * p.in.w, p.in.c, p.out.c, p.weights, p.input_zero_point, p.rq,
                          p.src, p.dst);
        break;
      case fb::LayerType::FullyConnected:
        k.fully_connected(1, static_cast<int>(p.in.size()), p.out.c, p.weights,
                          p.input_zero_point, p.rq, p.src, p.dst);
        break;
      case fb::LayerType::MaxPool2D:
        k.max_pool2d(p.geometry, p.rq.output_min, p.rq.output_max, p.src, p.dst);
        break;
      case fb::LayerType::AvgPool2D:
        k.avg_pool2d(p.geometry, p.rq.output_min, p.rq.output_max, p.src, p.dst);
        break;
      case fb::LayerType::GlobalAvgPool:
        k.global_avg_pool(p.in.h * p.in.w, p.in.c, p.rq.output_min, p.rq.output_max, p.src,
                          p.dst);
        break;
      default:  // the loader admits Softmax only as the head's last layer
        return Status::Error(StatusCode::kBadModel, "engine: layer %d cannot run here", i);
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
  const fb::Fusion* fusion = model_.root()->fusion();
  int8_t* slice = fusion_;
  for (int b = 0; b < num_branches_; ++b) {
    const BranchPlan& bp = branches_[b];
    TM2_RETURN_IF_ERROR(RunStack(bp.layers, bp.num_layers));
    const int8_t* out = bp.num_layers ? bp.layers[bp.num_layers - 1].dst : bp.features;
    const size_t n = bp.output.size();
    if (fusion) {
      Requantization rq;
      rq.multiplier = fusion->multiplier()->data() + b;
      rq.shift = fusion->shift()->data() + b;
      rq.output_zero_point = fusion->output_zero_point();
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
                model_.root()->temperature(), probs_);
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
