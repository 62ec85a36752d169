// Engine::Plan: lays out the arena (engine.h, docs/memory.md).
#include <alloca.h>

#include <cmath>
#include <cstring>

#include "engine/act_packing.h"
#include "engine/arena_cursor.h"
#include "engine/band.h"
#include "engine/channel_plan.h"
#include "engine/engine.h"
#include "engine/layer_check.h"
#include "engine/memory_plan.h"
#include "engine/pq_layer.h"
#include "engine/weight_packing.h"

namespace tm2 {
namespace {

using engine_internal::ArenaCursor;
using engine_internal::CheckLayer;
using engine_internal::Geometry;
using engine_internal::HasWeights;
using engine_internal::PlannedBuffer;
using engine_internal::RequantOk;

constexpr size_t kAlign = ArenaCursor::kAlign;
// Activation buffers the plan can hold: a record per layer of at most 64
// (FORMAT.md) in each of 8 branches and the head, and the fusion vector.
// The records sit on Init's stack, sized by the model (12 bytes a layer:
// KWS 0.4 KB; a fixed 640 took 7.7 KB, more than a 32 KB part has left
// beside KWS's arena).
constexpr int kMaxPlannedBuffers = 640;

}  // namespace

// Arena layout: first what lives from Init on, in this order
//   per branch: preprocessing tables | int8 features | [float features]
//               | its layer plans and packed weights
//   head layer plans and packed weights | logits | probabilities
// then one shared region, used in turn by SetInput (the preprocessing
// scratch of the branch being set) and by Invoke (every layer output but
// the logits, and the fusion vector, at offsets planned by lifetime).
// Invoke's steps, in order: each branch's layers, then its requantization
// into its slice of the fusion vector; then the head's layers. A layer's
// output lives from its step to the next one; the fusion vector from the
// first branch's slice to the head's first layer.
class Engine::Planner final : public ModelVisitor {
 public:
  Planner(Engine* engine, ArenaCursor* arena, PlannedBuffer* buffers, int buffer_capacity,
          ArenaReport* report, int pq_capacity, size_t pq_bytes, PreprocessBytes* measured)
      : e_(*engine), arena_(*arena), buffers_(buffers), buffer_capacity_(buffer_capacity),
        report_(*report), pq_capacity_(pq_capacity), pq_bytes_(pq_bytes), measured_(measured),
        packing_(engine->options_.pack_int4_activations) {
    // A table that packs weights runs those layers whole, and banding only
    // the others can raise the peak: such tables (hosts) keep one buffer
    // per layer output, as they trade memory for speed anyway.
    const KernelTable& k = *engine->kernels_;
    band_ = engine->options_.in_place && !k.conv2d_packed_bytes && !k.fully_connected_packed_bytes &&
            !k.depthwise_conv2d_packed_bytes;
    buffers_[0] = PlannedBuffer{0, 0, 0, 0};  // the fusion vector
    count_ = 1;
  }

  Status BeginStack(int branch, const TensorInfo& input, int num_layers) override {
    num_layers_ = num_layers;
    group_ = -1;
    saw_softmax_ = false;
    head_ = branch < 0;
    packing_.BeginStack();
    const size_t plan_bytes = sizeof(LayerPlan) * static_cast<size_t>(num_layers ? num_layers : 1);
    report_.layer_plans += plan_bytes;
    if (head_) {
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
    if (!e_.options_.features_only) {
      params.input_rate = e_.options_.input_rate;
      TM2_RETURN_IF_ERROR(params.Validate());
      PreprocessBytes& m = measured_[branch];
      if (!m.measured) {
        // One measuring pass for both parts, a second only for the cache's
        // share.
        Preprocessor::PartBytes(params, &m.tables, &m.scratch);
        if (params.resampler_cache) {
          PreprocessParams uncached = params;
          uncached.resampler_cache = false;
          m.cache = m.tables - Preprocessor::TablesBytes(uncached);
        }
        m.measured = true;
      }
      tables_bytes[branch] = m.tables;
      report_.resampler_cache += m.cache;
      report_.preprocess_tables += m.tables - m.cache;
      if (m.scratch > report_.preprocess_scratch) report_.preprocess_scratch = m.scratch;
      tables[branch] = arena_.Take(tables_bytes[branch]);
    }
    branch_params[branch] = params;
    bp.input = input.shape;
    bp.features = static_cast<int8_t*>(arena_.Take(bp.input.size()));
    report_.features += bp.input.size();
    bp.float_features = nullptr;
    if (e_.options_.keep_float_features) {
      bp.float_features = static_cast<float*>(arena_.Take(bp.input.size() * sizeof(float)));
      report_.features += bp.input.size() * sizeof(float);
    }
    bp.has_input = false;
    bp.float_valid = false;
    bp.layers = static_cast<LayerPlan*>(arena_.Take(plan_bytes));
    bp.num_layers = num_layers;
    plans_ = bp.layers;
    return Status::Ok();
  }

  Status Layer(const LayerView& v) override {
    if (v.index < 0 || v.index >= num_layers_)
      return Status::Error(StatusCode::kBadModel, "engine: layer %d of %d", v.index, num_layers_);
    // Activation storage (act_packing.h); a previous output planned packed
    // whose reader cannot unpack is int8 after all.
    const engine_internal::ActBits bits = packing_.Next(v, num_layers_);
    if (bits.unpack_previous) Unpack(v.index - 1);
    const bool in_packed = bits.in == 4, out_packed = bits.out == 4;
    if (v.kind == LayerKind::kSoftmax) {
      // Runs in float after the stack (SoftmaxLogits), on the logits.
      if (v.branch >= 0 || v.index != num_layers_ - 1)
        return Status::Error(StatusCode::kBadModel, "engine: Softmax only ends the head");
      saw_softmax_ = true;
      return Status::Ok();
    }
    LayerPlan p{};
    PqWeights pq;
    TM2_RETURN_IF_ERROR(CheckLayer(v, &pq));
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
      if (v.channel_params) {
        engine_internal::DecodedChannels ch;
        report_.channel_params += engine_internal::DecodeChannels(v, &arena_, &ch);
        if (ch.multiplier) {
          p.weights.bias = ch.bias;
          p.rq.multiplier = ch.multiplier;
          p.rq.shift = ch.shift;
        }
      }
      p.rq.output_zero_point = v.output_zero_point;
      if (v.pq) {
        // Decoded into the scratch before every run, and now for packing.
        if (e_.num_pq_ >= pq_capacity_ ||
            static_cast<size_t>(pq.rows) * static_cast<size_t>(pq.row_length) > pq_bytes_)
          return Status::Error(StatusCode::kBadModel, "engine: more PQ layers or weights than planned");
        if (e_.pq_plans_) e_.pq_plans_[e_.num_pq_] = pq;
        p.pq = static_cast<uint16_t>(++e_.num_pq_);
        p.weights.data = reinterpret_cast<const uint8_t*>(e_.pq_scratch_);
        p.weights.bits = 8;
        if (!arena_.dry() && e_.pq_scratch_) qs8_pq_decode(pq, e_.pq_scratch_);
      }
    }
    p.rq.output_min = static_cast<int16_t>(v.act_min);
    p.rq.output_max = static_cast<int16_t>(v.act_max);
    p.geometry.in_bits = p.rq.in_bits = bits.in;
    p.geometry.out_bits = p.rq.out_bits = bits.out;
    const size_t before = arena_.used();
    p.weights.packed = engine_internal::PackWeightsIn(*e_.kernels_, v.kind, p.geometry, p.in,
                                                      p.out, p.weights, p.rq, &arena_);
    report_.packed_weights += arena_.used() - before;
    // Packed weights hold for one shape (kernels.h), so such a layer runs whole.
    const bool packed = arena_.used() > before;
    if (head_ && v.index == 0) buffers_[0].last = step_;
    const int64_t out_bytes =
        static_cast<int64_t>(ActivationBytes(v.out.size(), p.geometry.out_bits));
    if (out_packed) ++report_.packed_outputs;
    prev_values_ = static_cast<int64_t>(v.out.size());
    // Band over the input (engine/band.h) when that beats a buffer of its
    // own; bands work in whole bytes per row, so packed layers run whole.
    engine_internal::BandPlace place;
    if (band_ && !head_ && group_ >= 0 && !packed && !in_packed && !out_packed &&
        engine_internal::ChooseBand(v.kind, p.geometry, out_bytes, chain_, &place)) {
      engine_internal::ExtendChain(place, out_bytes, &chain_);
      buffers_[group_].size = static_cast<uint32_t>(chain_.end - chain_.min);
      buffers_[group_].last = static_cast<uint16_t>(step_ + 1);
    } else {
      CloseGroup();
      if (count_ == buffer_capacity_)
        return Status::Error(StatusCode::kBadModel, "engine: more than %d activation buffers",
                             kMaxPlannedBuffers);
      group_ = count_;
      group_first_ = v.index;
      chain_ = engine_internal::BandChain{0, out_bytes, 0};
      buffers_[count_++] = PlannedBuffer{static_cast<uint32_t>(out_bytes), step_,
                                         static_cast<uint16_t>(step_ + 1), 0};
      place = engine_internal::BandPlace();
    }
    p.band_rows = place.rows;
    p.band_descending = place.descending;
    p.dst_offset = place.offset;
    p.dst_buffer = static_cast<uint16_t>(group_);
    if (PlanTrace* t = e_.options_.plan_trace)
      t->layer_buffer[head_ ? PlanTrace::kHead : v.branch][v.index] = static_cast<int16_t>(group_);
    group_last_ = v.index;
    if (plans_) plans_[v.index] = p;
    ++step_;
    return Status::Ok();
  }

  // Plans layer `index`'s output (just planned packed, alone in the current
  // group) as int8 after all.
  void Unpack(int index) {
    if (plans_) plans_[index].geometry.out_bits = plans_[index].rq.out_bits = 8;
    chain_.end = prev_values_;
    buffers_[group_].size = static_cast<uint32_t>(prev_values_);
    --report_.packed_outputs;
  }

  // Ends the chain of layers sharing one buffer: offsets from its lowest byte.
  void CloseGroup() {
    if (group_ >= 0 && plans_) {
      for (int i = group_first_; i <= group_last_; ++i) plans_[i].dst_offset -= chain_.min;
    }
    group_ = -1;
  }

  Status EndStack(int branch, const TensorInfo& output) override {
    CloseGroup();
    if (branch >= 0) {
      BranchPlan& bp = e_.branches_[branch];
      bp.output = output.shape;
      bp.output_zero_point = output.zero_point;
      if (branch == 0) buffers_[0].first = step_;
      buffers_[0].size += static_cast<uint32_t>(output.shape.size());
      ++step_;  // the requantization into the fusion vector
      return Status::Ok();
    }
    if (!saw_softmax_)
      return Status::Error(StatusCode::kBadModel, "engine: the head must end with Softmax");
    if (static_cast<int>(output.shape.size()) != e_.num_classes_)
      return Status::Error(StatusCode::kBadModel, "engine: head gives %d outputs for %d labels",
                           static_cast<int>(output.shape.size()), e_.num_classes_);
    --e_.num_head_layers_;  // the Softmax itself
    // The logits outlive Invoke (logits(), probabilities()): not planned.
    if (e_.num_head_layers_ > 0) --count_;
    e_.logit_zero_point_ = output.zero_point;
    e_.logit_scale_ = output.scale;
    return Status::Ok();
  }

  int count() const { return count_; }

  void* tables[kMaxBranches] = {};
  size_t tables_bytes[kMaxBranches] = {};
  PreprocessParams branch_params[kMaxBranches];

 private:
  Engine& e_;
  ArenaCursor& arena_;
  PlannedBuffer* buffers_;
  int buffer_capacity_;
  ArenaReport& report_;
  int pq_capacity_;
  size_t pq_bytes_;
  PreprocessBytes* measured_;
  engine_internal::StackPacking packing_;
  int count_ = 0;
  uint16_t step_ = 0;
  LayerPlan* plans_ = nullptr;
  int num_layers_ = 0;
  bool head_ = false;
  bool saw_softmax_ = false;
  // The previous layer of this stack: its output's values.
  int64_t prev_values_ = 0;
  // The chain of layers whose outputs share one planned buffer: its index,
  // first and last layer, and its bytes (band.h).
  bool band_ = false;
  int group_ = -1;
  int group_first_ = 0, group_last_ = 0;
  engine_internal::BandChain chain_;
};

Status Engine::Plan(uint8_t* base, size_t capacity, ArenaReport* report,
                    PreprocessBytes* measured) {
  ArenaCursor arena(base, capacity);
  *report = ArenaReport();
  num_branches_ = model_.num_branches();
  num_classes_ = model_.num_labels();
  if (num_branches_ < 1 || num_branches_ > kMaxBranches)
    return Status::Error(StatusCode::kBadModel, "engine: %d branches (1..%d supported)",
                         num_branches_, kMaxBranches);
  fusion_rule_ = model_.fusion();
  if (fusion_rule_.used)
    TM2_RETURN_IF_ERROR(RequantOk(fusion_rule_.multiplier, fusion_rule_.shift,
                                  static_cast<size_t>(num_branches_)));
  // Product-quantized layers decode into one scratch, first in the arena so
  // the planner can decode into it when a kernel table packs weights.
  size_t pq_decoded = 0;
  int pq_layers = 0;
  TM2_RETURN_IF_ERROR(engine_internal::PqPlanSizes(model_, &pq_decoded, &pq_layers));
  const size_t pq_plan_bytes = sizeof(PqWeights) * static_cast<size_t>(pq_layers);
  report->pq_scratch = pq_decoded + pq_plan_bytes;
  pq_scratch_ = pq_decoded ? static_cast<int8_t*>(arena.Take(pq_decoded)) : nullptr;
  pq_plans_ = pq_layers ? static_cast<PqWeights*>(arena.Take(pq_plan_bytes)) : nullptr;
  num_pq_ = 0;
  // One record per layer output at most, and the fusion vector's.
  const int layers = model_.num_layers();
  const int records = layers + 1 < kMaxPlannedBuffers ? layers + 1 : kMaxPlannedBuffers;
  PlannedBuffer* buffers =
      static_cast<PlannedBuffer*>(alloca(sizeof(PlannedBuffer) * static_cast<size_t>(records)));
  if (PlanTrace* t = options_.plan_trace) {
    t->num_buffers = 0;
    for (auto& row : t->layer_buffer)
      for (int16_t& b : row) b = -1;
  }
  Planner planner(this, &arena, buffers, records, report, pq_layers, pq_decoded, measured);
  TM2_RETURN_IF_ERROR(WalkModel(model_, &planner));
  // softmax(z), z = (q - zp) * scale / T, |q - zp| <= 255 (FORMAT.md 4.4).
  const float temperature = model_.temperature();
  const float k = logit_scale_ / temperature;
  if (!(temperature >= kMinTemperature && temperature <= kMaxTemperature && std::isfinite(k) &&
        std::isfinite(k * 256.0f)))
    return Status::Error(StatusCode::kBadModel,
                         "engine: logit scale %g / temperature %g is not a finite float",
                         static_cast<double>(logit_scale_), static_cast<double>(temperature));

  // A head of only Softmax takes the fusion vector as its logits, which
  // then outlive Invoke like any logits.
  const bool fusion_is_logits = num_head_layers_ == 0;
  const size_t fusion_bytes = buffers[0].size;
  int8_t* logits = static_cast<int8_t*>(
      arena.Take(fusion_is_logits ? fusion_bytes : static_cast<size_t>(num_classes_)));
  probs_ = static_cast<float*>(arena.Take(sizeof(float) * static_cast<size_t>(num_classes_)));
  report->outputs = (fusion_is_logits ? fusion_bytes : static_cast<size_t>(num_classes_)) +
                    sizeof(float) * static_cast<size_t>(num_classes_);
  PlannedBuffer* planned = fusion_is_logits ? buffers + 1 : buffers;
  const int planned_count = fusion_is_logits ? planner.count() - 1 : planner.count();
  report->activations = engine_internal::PlanBuffers(planned, planned_count, kAlign);
  if (report->activations == SIZE_MAX)
    return Status::Error(StatusCode::kBadModel, "engine: activations beyond 4 GB");
  if (PlanTrace* t = options_.plan_trace) {
    // Indices as PlanBuffers saw them: without the fusion vector when it is
    // the logits, and without the logits' record (dropped by EndStack).
    const int skip = fusion_is_logits ? 1 : 0;
    t->num_buffers = planned_count < PlanTrace::kMaxBuffers ? planned_count : PlanTrace::kMaxBuffers;
    for (int i = 0; i < t->num_buffers; ++i)
      t->buffers[i] = PlanTrace::Buffer{planned[i].size, planned[i].first, planned[i].last};
    for (auto& row : t->layer_buffer)
      for (int16_t& b : row) b = b - skip >= 0 && b - skip < t->num_buffers ? b - skip : -1;
  }
  report->shared = report->activations > report->preprocess_scratch ? report->activations
                                                                    : report->preprocess_scratch;
  const bool external = options_.shared_region != nullptr;
  uint8_t* shared = external ? options_.shared_region
                             : static_cast<uint8_t*>(arena.Take(report->shared ? report->shared : 1));
  report->total = arena.used() + kAlign;  // slack for an unaligned arena start
  report->alignment = report->total - report->preprocess_tables - report->resampler_cache -
                      report->features - report->layer_plans - report->packed_weights -
                      report->channel_params - report->pq_scratch - report->outputs - (external ? 0 : report->shared);
  if (external && !arena.dry() &&
      (options_.shared_region_bytes < report->shared ||
       reinterpret_cast<uintptr_t>(options_.shared_region) % kAlign != 0))
    return Status::Error(StatusCode::kArenaTooSmall,
                         "engine: shared region of %lu bytes (16-byte aligned) is too small or "
                         "misaligned, the model needs %lu",
                         static_cast<unsigned long>(options_.shared_region_bytes),
                         static_cast<unsigned long>(report->shared));
  if (arena.overflow())
    return Status::Error(StatusCode::kArenaTooSmall, "engine: arena of %lu bytes is too small, "
                         "the model needs %lu", static_cast<unsigned long>(capacity),
                         static_cast<unsigned long>(report->total));
  if (arena.dry()) return Status::Ok();
  arena_used_ = arena.used();

  for (int b = 0; b < num_branches_ && !options_.features_only; ++b)
    TM2_RETURN_IF_ERROR(branches_[b].pre.Prepare(planner.branch_params[b], planner.tables[b],
                                                 planner.tables_bytes[b], shared,
                                                 report->preprocess_scratch));
  // Wire sources and destinations in the order the planner recorded them.
  auto placed = [&](const LayerPlan& p) {
    return reinterpret_cast<int8_t*>(shared + buffers[p.dst_buffer].offset + p.dst_offset);
  };
  for (int b = 0; b < num_branches_; ++b) {
    const int8_t* src = branches_[b].features;
    for (int i = 0; i < branches_[b].num_layers; ++i) {
      branches_[b].layers[i].src = src;
      branches_[b].layers[i].dst = placed(branches_[b].layers[i]);
      src = branches_[b].layers[i].dst;
    }
  }
  fusion_ = fusion_is_logits ? logits : reinterpret_cast<int8_t*>(shared + buffers[0].offset);
  const int8_t* src = fusion_;
  for (int i = 0; i < num_head_layers_; ++i) {
    head_[i].src = src;
    head_[i].dst = i + 1 < num_head_layers_ ? placed(head_[i]) : logits;
    src = head_[i].dst;
  }
  logits_ = logits;
  return Status::Ok();
}

}  // namespace tm2
