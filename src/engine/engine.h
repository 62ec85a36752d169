// tinym2 engine: run a .tm2 model on PCM, in one static arena.
//
// At Init the engine plans every buffer (preprocessing tables and scratch,
// each branch's input features, activations, fusion vector, logits,
// probabilities) into the caller's arena and reports the peak, part by part
// (ArenaReport); SetInput and Invoke never allocate. Buffers share memory by
// lifetime: the activations and the fusion vector by a greedy offset plan
// (engine/memory_plan.h), a layer's output with its input when the layer
// runs in bands (engine/band.h), and all of them with the preprocessing
// scratch, which is dead once SetInput has written the features
// (docs/memory.md). EngineOptions trims the rest for a small part.
// A too-small arena, a wrong branch index, a bad input or a call out of
// order returns an error Status, never an overflow.
// The plan follows the loader's own walk of the model (WalkModel), and Init
// re-checks every length and shift a kernel will use against that plan.
// An Engine owns its plan, which points into its arena: it can be moved
// (the source is left not ready) but not copied.
//
//   tm2::Model model;
//   TM2_RETURN_IF_ERROR(tm2::LoadModel(file_bytes, file_size, &model));
//   size_t need = 0;
//   TM2_RETURN_IF_ERROR(tm2::Engine::ArenaBytes(model, &need));
//   static uint8_t arena[64 * 1024];            // or malloc(need) on a host
//   tm2::Engine engine;
//   TM2_RETURN_IF_ERROR(engine.Init(model, arena, sizeof(arena)));
//   // Or size once and keep what sizing measured and chose (EnginePlan):
//   //   tm2::EnginePlan plan;
//   //   TM2_RETURN_IF_ERROR(tm2::Engine::ArenaBytes(model, &plan));
//   //   TM2_RETURN_IF_ERROR(engine.Init(plan, malloc(plan.report().total), plan.report().total));
//   for (int b = 0; b < engine.num_branches(); ++b)   // one recording each
//     TM2_RETURN_IF_ERROR(engine.SetInput(b, tm2::PcmView::S16(pcm[b], n[b], 48000, 1)));
//   TM2_RETURN_IF_ERROR(engine.Invoke());
//   for (int i = 0; i < engine.num_classes(); ++i)
//     printf("%s %.3f\n", model.label(i), engine.probabilities()[i]);
#ifndef TM2_ENGINE_ENGINE_H_
#define TM2_ENGINE_ENGINE_H_

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "format/model.h"
#include "kernels/kernels.h"
#include "kernels/pq_decode.h"
#include "preprocess/preprocess.h"

namespace tm2 {

constexpr int kMaxBranches = 8;

// What the planner did with the layer outputs (EngineOptions::plan_trace):
// the buffers it placed, with their sizes and lifetimes in steps, and the
// buffer each layer writes. The factory's bit allocation prices activation
// bit widths with it (native/factory/ilp/ram_model.h) instead of planning
// on its own. Host tooling: about 9 KB, so not for a small part's stack.
struct PlanTrace {
  struct Buffer {
    uint32_t size;         // bytes, as planned (a chain of banded layers is one buffer)
    uint16_t first, last;  // steps, inclusive (engine_internal::PlannedBuffer)
  };
  static constexpr int kMaxBuffers = 640;
  static constexpr int kMaxStackLayers = 64;  // FORMAT.md
  static constexpr int kHead = kMaxBranches;  // the head's row of layer_buffer
  Buffer buffers[kMaxBuffers];
  int num_buffers = 0;
  // [branch or kHead][layer index]: index into buffers, -1 for none (the
  // logits, Softmax, layers of stacks the model does not have).
  int16_t layer_buffer[kMaxBranches + 1][kMaxStackLayers];
};

struct EngineOptions {
  const KernelTable* kernels = nullptr;  // null = SelectKernels()
  // Also keep each branch's float features (for display and parity hashes);
  // costs num_frames x num_features x 4 bytes of arena per branch.
  bool keep_float_features = false;
  // See PreprocessParams::resampler_cache: false saves ~60 KB per branch
  // when the input already arrives at (or near) the model rate.
  bool resampler_cache = true;
  // The one PCM rate SetInput will accept (0: any of 8000..48000 Hz). The
  // preprocessing scratch is sized for it, and at the model's own rate the
  // resampler takes no memory at all (docs/memory.md).
  uint32_t input_rate = 0;
  // Plan no preprocessing (tables, cache, scratch): the caller gives the
  // features with SetFeatures; SetInput then fails. This is the inference
  // arena TFLM-style engines report.
  bool features_only = false;
  // Run a layer in bands over its own input where that lowers the peak
  // (engine/band.h); false gives every layer output its own buffer. The
  // results are the same bytes either way. Only with a kernel table that
  // packs no weights (the reference, the Cortex-M4's): a packing table runs
  // its layers whole.
  bool in_place = true;
  // Store a layer output the model declares 4-bit packed two per byte
  // (models/FORMAT.md 3.1, engine/act_packing.h): half its buffer. Packed
  // layers run whole (no bands), so the plan keeps packing only when the
  // arena's peak falls (ArenaReport::packed_outputs says whether it did).
  // The results are the same bytes either way; false plans every output int8.
  bool pack_int4_activations = true;
  // The shared region (preprocessing scratch, activations: ArenaReport::shared)
  // in caller memory instead of the arena, 16-byte aligned and at least
  // ArenaReport::shared bytes; ArenaBytes then leaves it out of the total.
  // Engines that never run at the same time may share one region: a
  // PackRunner in resident mode plans every model of a pack this way.
  uint8_t* shared_region = nullptr;
  size_t shared_region_bytes = 0;
  // When set, Plan (ArenaBytes or Init) fills it in.
  PlanTrace* plan_trace = nullptr;
};

// Where the arena's bytes go (Engine::ArenaBytes, Engine::arena_report).
struct ArenaReport {
  // Kept from Init on.
  size_t preprocess_tables = 0;  // window, FFT, mel, DCT, resampler kernel (all branches)
  size_t resampler_cache = 0;    // phase weights (EngineOptions::resampler_cache)
  size_t features = 0;           // every branch's int8 input (+ float features if kept)
  size_t layer_plans = 0;
  size_t packed_weights = 0;     // the kernel table's weight layouts (kernels.h)
  size_t pq_scratch = 0;         // product-quantized layers: the largest one decoded
                                 // (pq_decode.h) and one small plan per PQ layer
  size_t channel_params = 0;     // format 1.2 Narrow layers' bias, multiplier and shift,
                                 // decoded at Init (format/channel_params.h)
  size_t outputs = 0;            // logits and probabilities
  // One region used in turn: by SetInput's preprocessing, then by Invoke.
  size_t preprocess_scratch = 0;  // the largest branch's
  size_t activations = 0;         // planned peak of all layer outputs and the fusion vector
  size_t packed_outputs = 0;      // of those outputs, how many are stored packed int4
                                  // (not bytes: a count, outside the total)
  size_t shared = 0;              // max(preprocess_scratch, activations); in the arena
                                  // unless EngineOptions::shared_region gives it
  size_t alignment = 0;           // padding between parts and for an unaligned arena start
  size_t total = 0;               // what ArenaBytes reports
};

// A model's plan as Engine::ArenaBytes made it, kept for Init: the model,
// the options with the packing choice made (EngineOptions::
// pack_int4_activations), and each branch's preprocessing bytes as
// measured. Init(plan, ...) plans once and measures nothing again, where
// ArenaBytes then Init(model, ...) would size everything twice. The
// model's bytes must outlive the plan. 488 bytes on a 64-bit host.
class EnginePlan {
 public:
  const ArenaReport& report() const { return report_; }  // report().total: what Init needs

 private:
  friend class Engine;
  // A branch's preprocessing bytes. Measuring carves its tables (the mel
  // table counts its weights), so each branch is measured once and the
  // figures go to every plan made from them.
  struct PreprocessBytes {
    size_t tables = 0, scratch = 0, cache = 0;
    bool measured = false;
  };
  Model model_;
  EngineOptions options_;
  ArenaReport report_;
  PreprocessBytes measured_[kMaxBranches];
  bool made_ = false;
};

class Engine {
 public:
  Engine() = default;
  Engine(Engine&& other) noexcept;
  Engine& operator=(Engine&& other) noexcept;

  // Peak arena bytes this model needs (plans, tables, activations; includes
  // alignment slack).
  static Status ArenaBytes(const Model& model, size_t* bytes,
                           const EngineOptions& options = EngineOptions());
  // The same figure by part (report->total is the peak above).
  static Status ArenaBytes(const Model& model, ArenaReport* report,
                           const EngineOptions& options = EngineOptions());
  // The same, kept as a plan for Init(plan, ...) (plan->report() is the
  // figure by part).
  static Status ArenaBytes(const Model& model, EnginePlan* plan,
                           const EngineOptions& options = EngineOptions());

  // Plans into `arena` (any alignment; the engine aligns inside). Pass
  // options.kernels = &ReferenceKernels() to run the scalar reference.
  Status Init(const Model& model, void* arena, size_t arena_bytes,
              const EngineOptions& options = EngineOptions());
  // The same for the plan ArenaBytes made: its model, options and packing
  // choice, without sizing again. A plan sized with an outside shared
  // region (EngineOptions::shared_region) may take the region here instead,
  // when the one it was sized with only stood in; null keeps the plan's.
  Status Init(const EnginePlan& plan, void* arena, size_t arena_bytes,
              uint8_t* shared_region = nullptr, size_t shared_region_bytes = 0);

  // Preprocesses one recording into branch `branch`'s input features.
  Status SetInput(int branch, const PcmView& pcm);
  // Or sets the branch's int8 features directly (num_frames x num_features).
  Status SetFeatures(int branch, const int8_t* features, size_t count);

  // Runs every branch, the fusion and the head. All branches need inputs.
  Status Invoke();

  int num_branches() const { return num_branches_; }
  int num_classes() const { return num_classes_; }
  const float* probabilities() const { return probs_; }
  const int8_t* logits() const { return logits_; }  // int8, head output before softmax
  float logit_scale() const { return logit_scale_; }
  int32_t logit_zero_point() const { return logit_zero_point_; }
  // Branch input features (int8) and their float values before
  // quantization (null after SetFeatures), num_frames x num_features.
  const int8_t* features(int branch) const;
  const float* float_features(int branch) const;
  TensorShape input_shape(int branch) const;
  size_t arena_used() const { return arena_used_; }
  const ArenaReport& arena_report() const { return report_; }
  const char* kernels_name() const { return kernels_ ? kernels_->name : ""; }

 private:
  // Small fields first: no padding, so that the activation layouts in
  // geometry and rq cost no arena bytes on 32-bit targets (136 bytes).
  struct LayerPlan {
    LayerKind kind;
    // Banded (engine/band.h): output rows per call, 0 = one call; order.
    bool band_descending;
    uint16_t pq;  // 0: Dense; else 1 + its entry in pq_plans_
    int16_t band_rows;
    // Set by the planner: the planned buffer holding the output and the
    // output's offset in it (wired into dst at the end of Plan).
    uint16_t dst_buffer;
    TensorShape in, out;
    ConvGeometry geometry;     // in_bits / out_bits: the activations' storage
    QuantizedWeights weights;  // a PQ layer's data: pq_scratch_, decoded before the kernel
    Requantization rq;         // in_bits / out_bits as geometry's
    int32_t input_zero_point;
    int32_t dst_offset;
    const int8_t* src;
    int8_t* dst;
  };
  struct BranchPlan {
    Preprocessor pre;
    TensorShape input;
    TensorShape output;
    int32_t output_zero_point;
    int8_t* features;
    float* float_features;
    bool has_input;
    bool float_valid;
    int num_layers;
    LayerPlan* layers;  // in the arena
  };

  class Planner;
  // Member-wise; private, because two engines on one arena would overwrite
  // each other's activations. The moves use them and unready the source.
  Engine(const Engine&) = default;
  Engine& operator=(const Engine&) = default;

  using PreprocessBytes = EnginePlan::PreprocessBytes;
  // Lays out the arena (engine_plan.cc); a null base only sizes it.
  // `measured` has kMaxBranches entries, filled on first use.
  Status Plan(uint8_t* base, size_t capacity, ArenaReport* report, PreprocessBytes* measured);
  // Sizes the plan with 4-bit outputs packed and, if any is, int8 too, and
  // keeps the lower peak in options_ and *report (act_packing.cc): packed
  // layers run whole, so packing pays only where the peak falls.
  Status ChoosePacking(PreprocessBytes* measured, ArenaReport* report);
  Status RunStack(const LayerPlan* layers, int count) const;
  Status RunLayer(const LayerPlan& p, const ConvGeometry& g, const int8_t* src, int8_t* dst) const;

  Model model_;
  EngineOptions options_;
  const KernelTable* kernels_ = nullptr;
  int num_branches_ = 0;
  int num_classes_ = 0;
  BranchPlan branches_[kMaxBranches];
  FusionView fusion_rule_;
  int8_t* fusion_ = nullptr;
  int num_head_layers_ = 0;
  LayerPlan* head_ = nullptr;  // in the arena
  int8_t* pq_scratch_ = nullptr;  // in the arena; null without PQ layers
  PqWeights* pq_plans_ = nullptr;  // in the arena, one per PQ layer
  int num_pq_ = 0;
  int8_t* logits_ = nullptr;
  float* probs_ = nullptr;
  float logit_scale_ = 1.0f;
  int32_t logit_zero_point_ = 0;
  size_t arena_used_ = 0;
  ArenaReport report_;
  bool ready_ = false;
};

// Deterministic softmax of dequantized logits / temperature (det_math exp).
void SoftmaxLogits(const int8_t* logits, int n, float scale, int32_t zero_point,
                   float temperature, float* probs);

}  // namespace tm2

#endif  // TM2_ENGINE_ENGINE_H_
