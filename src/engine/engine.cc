#include "engine/engine.h"

#include <cmath>
#include <cstring>

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

bool HasWeights(LayerKind k) {
  return k == LayerKind::kConv2D || k == LayerKind::kDepthwiseConv2D ||
         k == LayerKind::kFullyConnected || k == LayerKind::kPointwiseConv2D;
}

// The kernels' view of a layer's window (kernels/kernels.h).
ConvGeometry Geometry(const LayerView& v) {
  ConvGeometry g;
  g.in_h = v.in.h;
  g.in_w = v.in.w;
  g.in_c = v.in.c;
  g.out_h = v.out.h;
  g.out_w = v.out.w;
  g.out_c = v.out.c;
  g.kernel_h = v.window.kernel_h;
  g.kernel_w = v.window.kernel_w;
  g.stride_h = v.window.stride_h;
  g.stride_w = v.window.stride_w;
  g.pad_top = v.window.pad_top;
  g.pad_left = v.window.pad_left;
  return g;
}

Status RequantOk(const int32_t* multiplier, const int8_t* shift, size_t count) {
  for (size_t c = 0; c < count; ++c) {
    const int n = 31 - shift[c];
    if (multiplier[c] < 0 || n < 1 || n > 62)
      return Status::Error(StatusCode::kBadModel,
                           "engine: channel %lu multiplier %ld / shift %d out of range "
                           "(multiplier >= 0, n = 31 - shift in [1, 62])",
                           static_cast<unsigned long>(c), static_cast<long>(multiplier[c]),
                           shift[c]);
  }
  return Status::Ok();
}

// What the kernels will read, from the planned shapes alone (the kernels'
// layouts, kernels/kernels.h), against what the file holds: the engine does
// not take the loader's word for it.
Status CheckLayer(const LayerView& v) {
  if (v.act_min < -128 || v.act_max > 127 || v.act_min > v.act_max)
    return Status::Error(StatusCode::kBadModel, "engine: clamp [%d, %d] is not inside int8",
                         static_cast<int>(v.act_min), static_cast<int>(v.act_max));
  const bool keeps_channels = v.kind == LayerKind::kDepthwiseConv2D ||
                              v.kind == LayerKind::kMaxPool2D || v.kind == LayerKind::kAvgPool2D ||
                              v.kind == LayerKind::kGlobalAvgPool;
  if (keeps_channels && v.in.c != v.out.c)
    return Status::Error(StatusCode::kBadModel, "engine: %d input channels but %d output",
                         v.in.c, v.out.c);
  if (!HasWeights(v.kind)) return Status::Ok();
  if (v.weight_bits != 4 && v.weight_bits != 8)
    return Status::Error(StatusCode::kBadModel, "engine: weight_bits %d", v.weight_bits);
  size_t rows = static_cast<size_t>(v.out.c), row = 0;
  switch (v.kind) {
    case LayerKind::kConv2D:
      row = static_cast<size_t>(v.window.kernel_h) * v.window.kernel_w * v.in.c;
      break;
    case LayerKind::kDepthwiseConv2D:
      rows = static_cast<size_t>(v.window.kernel_h) * v.window.kernel_w;
      row = static_cast<size_t>(v.in.c);
      break;
    case LayerKind::kFullyConnected:
      row = v.in.size();
      break;
    default:  // pointwise
      row = static_cast<size_t>(v.in.c);
      break;
  }
  const size_t channels = static_cast<size_t>(v.out.c);
  const size_t weight_bytes = rows * WeightRowBytes(static_cast<int>(row), v.weight_bits);
  if (v.weights == nullptr || v.weight_bytes != weight_bytes || v.multiplier == nullptr ||
      v.multiplier_count != channels || v.shift == nullptr || v.shift_count != channels ||
      (v.bias != nullptr && v.bias_count != channels))
    return Status::Error(StatusCode::kBadModel,
                         "engine: %lu weight bytes, %lu multipliers, %lu shifts, %lu biases; the "
                         "plan (%dx%dx%d -> %dx%dx%d) needs %lu bytes and %lu of each",
                         static_cast<unsigned long>(v.weight_bytes),
                         static_cast<unsigned long>(v.multiplier_count),
                         static_cast<unsigned long>(v.shift_count),
                         static_cast<unsigned long>(v.bias_count), v.in.h, v.in.w, v.in.c,
                         v.out.h, v.out.w, v.out.c, static_cast<unsigned long>(weight_bytes),
                         static_cast<unsigned long>(channels));
  return RequantOk(v.multiplier, v.shift, channels);
}

// The kernel table's packed form of a layer's weights, made here once so
// that Invoke never repacks (kernels.h, "Packed weights"); null when the
// table packs nothing for the layer, or on a dry or overflowing plan.
const void* PackWeights(const KernelTable& k, LayerKind t, const ConvGeometry& g,
                        const TensorShape& in, const TensorShape& out, const QuantizedWeights& w,
                        const Requantization& rq, ArenaCursor* arena) {
  const int rows = in.h * in.w;
  size_t bytes = 0;
  if (t == LayerKind::kConv2D && k.conv2d_packed_bytes) {
    bytes = k.conv2d_packed_bytes(g);
  } else if (t == LayerKind::kPointwiseConv2D && k.fully_connected_packed_bytes) {
    bytes = k.fully_connected_packed_bytes(rows, in.c, out.c);
  }
  if (bytes == 0) return nullptr;
  void* dst = arena->Take(bytes);
  if (!dst) return nullptr;
  if (t == LayerKind::kConv2D) {
    k.conv2d_pack(g, w, rq, dst);
  } else {
    k.fully_connected_pack(rows, in.c, out.c, w, rq, dst);
  }
  return dst;
}

}  // namespace

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
//               | its layer plans and packed weights
//   head layer plans and packed weights
//   activation ping | activation pong      (shared by all stacks)
//   fusion vector | probabilities
// Each stack alternates ping/pong; every branch's output is requantized into
// its slice of the fusion vector right after the branch runs, so one pair
// of activation buffers serves the whole model.
class Engine::Planner final : public ModelVisitor {
 public:
  Planner(Engine* engine, ArenaCursor* arena) : e_(*engine), arena_(*arena) {}

  Status BeginStack(int branch, const TensorInfo& input, int num_layers) override {
    num_layers_ = num_layers;
    saw_softmax_ = false;
    const size_t plan_bytes = sizeof(LayerPlan) * static_cast<size_t>(num_layers ? num_layers : 1);
    if (branch < 0) {
      e_.head_ = static_cast<LayerPlan*>(arena_.Take(plan_bytes));
      e_.num_head_layers_ = num_layers;
      plans_ = e_.head_;
      return Status::Ok();
    }
    BranchPlan& bp = e_.branches_[branch];
    PreprocessParams params = e_.model_.preprocess(branch);
    params.resampler_cache = e_.options_.resampler_cache;
    TM2_RETURN_IF_ERROR(params.Validate());
    if (input.shape.h != params.num_frames || input.shape.w != params.num_features() ||
        input.shape.c != 1)
      return Status::Error(StatusCode::kBadModel, "engine: input %dx%dx%d is not %dx%dx1",
                           input.shape.h, input.shape.w, input.shape.c, params.num_frames,
                           params.num_features());
    const size_t ws_bytes = Preprocessor::WorkspaceBytes(params);
    void* ws = arena_.Take(ws_bytes);
    bp.input = input.shape;
    bp.features = static_cast<int8_t*>(arena_.Take(bp.input.size()));
    bp.float_features = e_.options_.keep_float_features
                            ? static_cast<float*>(arena_.Take(bp.input.size() * sizeof(float)))
                            : nullptr;
    bp.has_input = false;
    bp.float_valid = false;
    if (!arena_.dry() && !arena_.overflow()) {
      TM2_RETURN_IF_ERROR(bp.pre.Prepare(params, ws, ws_bytes));
    }
    bp.layers = static_cast<LayerPlan*>(arena_.Take(plan_bytes));
    bp.num_layers = num_layers;
    plans_ = bp.layers;
    return Status::Ok();
  }

  Status Layer(const LayerView& v) override {
    if (v.index < 0 || v.index >= num_layers_)
      return Status::Error(StatusCode::kBadModel, "engine: layer %d of %d", v.index, num_layers_);
    if (v.kind == LayerKind::kSoftmax) {
      // Runs in float after the stack (SoftmaxLogits), on the logits.
      if (v.branch >= 0 || v.index != num_layers_ - 1)
        return Status::Error(StatusCode::kBadModel, "engine: Softmax only ends the head");
      saw_softmax_ = true;
      return Status::Ok();
    }
    TM2_RETURN_IF_ERROR(CheckLayer(v));
    LayerPlan p{};
    p.kind = v.kind;
    p.in = v.in;
    p.out = v.out;
    p.geometry = Geometry(v);
    p.input_zero_point = v.input_zero_point;
    if (HasWeights(v.kind)) {
      p.weights.data = v.weights;
      p.weights.bits = v.weight_bits;
      p.weights.bias = v.bias;
      p.rq.multiplier = v.multiplier;
      p.rq.shift = v.shift;
      p.rq.output_zero_point = v.output_zero_point;
    }
    p.rq.output_min = v.act_min;
    p.rq.output_max = v.act_max;
    p.weights.packed =
        PackWeights(*e_.kernels_, v.kind, p.geometry, p.in, p.out, p.weights, p.rq, &arena_);
    // Layer i writes ping when i is even, pong when odd.
    size_t& slot = (v.index % 2 == 0) ? ping_bytes : pong_bytes;
    if (v.out.size() > slot) slot = v.out.size();
    if (plans_) plans_[v.index] = p;
    return Status::Ok();
  }

  Status EndStack(int branch, const TensorInfo& output) override {
    if (branch >= 0) {
      BranchPlan& bp = e_.branches_[branch];
      bp.output = output.shape;
      bp.output_zero_point = output.zero_point;
      fusion_bytes += output.shape.size();
      return Status::Ok();
    }
    if (!saw_softmax_)
      return Status::Error(StatusCode::kBadModel, "engine: the head must end with Softmax");
    if (static_cast<int>(output.shape.size()) != e_.num_classes_)
      return Status::Error(StatusCode::kBadModel, "engine: head gives %d outputs for %d labels",
                           static_cast<int>(output.shape.size()), e_.num_classes_);
    --e_.num_head_layers_;  // the Softmax itself
    e_.logit_zero_point_ = output.zero_point;
    e_.logit_scale_ = output.scale;
    return Status::Ok();
  }

  size_t ping_bytes = 0, pong_bytes = 0, fusion_bytes = 0;

 private:
  Engine& e_;
  ArenaCursor& arena_;
  LayerPlan* plans_ = nullptr;
  int num_layers_ = 0;
  bool saw_softmax_ = false;
};

Status Engine::Plan(uint8_t* base, size_t capacity, size_t* used) {
  ArenaCursor arena(base, capacity);
  num_branches_ = model_.num_branches();
  num_classes_ = model_.num_labels();
  if (num_branches_ < 1 || num_branches_ > kMaxBranches)
    return Status::Error(StatusCode::kBadModel, "engine: %d branches (1..%d supported)",
                         num_branches_, kMaxBranches);
  fusion_rule_ = model_.fusion();
  if (fusion_rule_.used)
    TM2_RETURN_IF_ERROR(RequantOk(fusion_rule_.multiplier, fusion_rule_.shift,
                                  static_cast<size_t>(num_branches_)));
  Planner planner(this, &arena);
  TM2_RETURN_IF_ERROR(WalkModel(model_, &planner));
  // softmax(z), z = (q - zp) * scale / T, |q - zp| <= 255 (FORMAT.md 4.4).
  const float temperature = model_.temperature();
  const float k = logit_scale_ / temperature;
  if (!(temperature >= kMinTemperature && temperature <= kMaxTemperature && std::isfinite(k) &&
        std::isfinite(k * 256.0f)))
    return Status::Error(StatusCode::kBadModel,
                         "engine: logit scale %g / temperature %g is not a finite float",
                         static_cast<double>(logit_scale_), static_cast<double>(temperature));

  int8_t* ping = static_cast<int8_t*>(arena.Take(planner.ping_bytes ? planner.ping_bytes : 1));
  int8_t* pong = static_cast<int8_t*>(arena.Take(planner.pong_bytes ? planner.pong_bytes : 1));
  fusion_ = static_cast<int8_t*>(arena.Take(planner.fusion_bytes));
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
    switch (p.kind) {
      case LayerKind::kConv2D:
        k.conv2d(p.geometry, p.weights, p.input_zero_point, p.rq, p.src, p.dst);
        break;
      case LayerKind::kDepthwiseConv2D:
        k.depthwise_conv2d(p.geometry, p.weights, p.input_zero_point, p.rq, p.src, p.dst);
        break;
      case LayerKind::kPointwiseConv2D:
        k.fully_connected(p.in.h * p.in.w, p.in.c, p.out.c, p.weights, p.input_zero_point, p.rq,
                          p.src, p.dst);
        break;
      case LayerKind::kFullyConnected:
        k.fully_connected(1, static_cast<int>(p.in.size()), p.out.c, p.weights,
                          p.input_zero_point, p.rq, p.src, p.dst);
        break;
      case LayerKind::kMaxPool2D:
        k.max_pool2d(p.geometry, p.rq.output_min, p.rq.output_max, p.src, p.dst);
        break;
      case LayerKind::kAvgPool2D:
        k.avg_pool2d(p.geometry, p.rq.output_min, p.rq.output_max, p.src, p.dst);
        break;
      case LayerKind::kGlobalAvgPool:
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
