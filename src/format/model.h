// tinym2 model format (.tm2): load and verify a model in place.
//
// The loader checks everything before anyone reads a weight: header magic,
// version, payload size, CRC-32, the FlatBuffers verifier, then the
// semantics (bit widths, vector lengths against shapes, requantization
// shifts, preprocessing ranges, label count vs. the head's output) and a
// compute and memory budget (ModelLimits). Every failure is a Status naming
// the problem. Nothing is copied: the Model points into the caller's bytes
// (flash, an ArrayBuffer, a mapped file), which must outlive it and stay
// 4-byte aligned (FlatBuffers).
//
// WalkModel visits every layer with the shapes, zero points and scales the
// loader verified: the one walker both the loader and the engine use, so
// they cannot read a model differently.
//
//   tm2::Model model;
//   tm2::Status s = tm2::LoadModel(bytes, size, &model);
//   if (!s.ok()) return s;
//   printf("%s: %d branches, %d labels, %llu MACs\n", model.name(),
//          model.num_branches(), model.num_labels(),
//          (unsigned long long)model.cost().macs);
#ifndef TM2_FORMAT_MODEL_H_
#define TM2_FORMAT_MODEL_H_

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "preprocess/preprocess.h"

namespace tm2 {
namespace fb {
struct Model;
struct Branch;
}  // namespace fb

constexpr uint16_t kFormatMajor = 1;
constexpr uint16_t kFormatMinor = 0;      // what WriteModel writes (the lowest that suffices)
constexpr uint16_t kFormatMinorPack = 1;  // model packs and ProductQuantized weights
constexpr uint16_t kFormatMinorNarrow = 2;  // Narrow per-channel parameters (packs that use them)
constexpr uint16_t kFormatMinorTile = 3;    // a branch with Preprocess.pad Tile
constexpr size_t kHeaderBytes = 16;

// CRC-32 (IEEE, reflected, polynomial 0xEDB88320), as stored in the header.
uint32_t Crc32(const uint8_t* data, size_t size);

// Calibration temperatures a model may carry (models/FORMAT.md 4.4): far
// outside what calibration produces, and close enough to 1 that
// logit_scale / T stays a normal float.
constexpr float kMinTemperature = 0.01f;
constexpr float kMaxTemperature = 100.0f;

// Layer types, numbered as in models/tm2.fbs.
enum class LayerKind : uint8_t {
  kConv2D = 0,
  kDepthwiseConv2D = 1,
  kFullyConnected = 2,
  kPointwiseConv2D = 3,
  kMaxPool2D = 4,
  kAvgPool2D = 5,
  kGlobalAvgPool = 6,
  kSoftmax = 7,
};
const char* LayerKindName(LayerKind kind);  // "Conv2D", ...

// An activation tensor, NHWC with N = 1.
struct TensorShape {
  int h = 0, w = 0, c = 0;
  size_t size() const { return static_cast<size_t>(h) * w * c; }
};

// Window of a windowed layer (conv, depthwise, pools); 1x1, stride 1 and
// no padding for the others. Same padding puts the extra cell at the
// bottom/right, so the top/left pads say it all.
struct LayerWindow {
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
};

// A tensor between stacks: a branch input or output, the head input.
struct TensorInfo {
  TensorShape shape;
  int32_t zero_point = 0;
  float scale = 1.0f;
};

// One verified layer as the loader read it, with its input's shape and
// quantization. Vector pointers point into the file; the loader has
// checked every length against the shapes.
struct LayerView {
  int branch = -1;  // -1: the head
  int index = 0;    // position in its stack
  LayerKind kind = LayerKind::kConv2D;
  const char* name = "";
  TensorShape in, out;
  LayerWindow window;
  int32_t input_zero_point = 0;
  float input_scale = 1.0f;
  // Weighted layers: as stored. Pools and Softmax pass their input's on.
  int32_t output_zero_point = 0;
  float output_scale = 1.0f;
  int32_t act_min = -128, act_max = 127;
  // Declared activation width, 4 or 8 (FORMAT.md 4.2): a 4-bit output may
  // be stored packed (FORMAT.md 3.1, engine/act_packing.h).
  int act_bits = 8;
  // Weighted layers only (null and 0 otherwise).
  // Dense: weights are int8 or packed int4 values (weight_bits). PQ (a
  // pack member's ProductQuantized layer): weights are codes of weight_bits
  // bits, ceil(row_length / pq_dim) per row, each row starting on a byte
  // boundary, indexing pq_centroids (pq_codebook_size x pq_dim int8).
  bool pq = false;
  int pq_dim = 0;
  int pq_codebook_size = 0;
  const int8_t* pq_centroids = nullptr;
  int weight_bits = 0;
  const uint8_t* weights = nullptr;
  size_t weight_bytes = 0;
  const int32_t* bias = nullptr;  // null = zeros
  size_t bias_count = 0;
  const int32_t* multiplier = nullptr;
  size_t multiplier_count = 0;
  const int8_t* shift = nullptr;
  size_t shift_count = 0;
  // Format 1.2 Narrow layers: bias, multiplier and shift above are null and
  // these bytes hold them (format/channel_params.h, FORMAT.md 4.5; verified).
  const uint8_t* channel_params = nullptr;
  size_t channel_params_bytes = 0;
  // Cost: multiply-accumulates, and all inner-loop steps (MACs, pool
  // cells, one per output value for requantization or the final divide).
  uint64_t macs = 0;
  uint64_t ops = 0;
};

// How branches meet the head (FORMAT.md 4.3).
struct FusionView {
  // 2+ branches: each branch output is requantized with its multiplier and
  // shift into a 1 x 1 x sum(sizes) vector. With one branch it is false,
  // even when the file carries a fusion table, and the branch output feeds
  // the head unchanged.
  bool used = false;
  const int32_t* multiplier = nullptr;  // one per branch
  const int8_t* shift = nullptr;
  int32_t output_zero_point = 0;
  float output_scale = 1.0f;
};

// What running a model costs, as the loader counts it (FORMAT.md 9.1).
struct ModelCost {
  uint64_t macs = 0;            // all layers
  uint64_t ops = 0;             // all layers, the fusion and the softmax
  uint64_t preprocess_ops = 0;  // all branches, worst-case input
  uint64_t memory_bytes = 0;    // estimate of the engine's arena
  uint32_t int4_outputs = 0;    // layer outputs declared 4-bit (act_bits 4)
  // Product-quantized layers and the int8 weights of the largest decoded:
  // the engine's PQ scratch, known at load so planning need not walk again.
  uint32_t pq_layers = 0;
  uint64_t pq_decoded_bytes = 0;
};

// The budget LoadModel enforces (models/FORMAT.md 9.1). The defaults are
// far above every shipped and test model (the most MACs: KWS DS-CNN, 2.7 M;
// the most operations and memory: the three-branch parity model, 20 M with
// preprocessing, about 0.45 MB) and keep a hostile file from describing
// hours of work.
struct ModelLimits {
  uint64_t max_layer_macs = uint64_t{1} << 27;  // 134 M
  uint64_t max_layer_ops = uint64_t{1} << 28;   // 268 M
  uint64_t max_model_macs = uint64_t{1} << 28;
  uint64_t max_model_ops = uint64_t{1} << 30;   // 1.07 G, preprocessing included
  uint64_t max_memory_bytes = uint64_t{1} << 24;  // 16 MiB
};

// A verified model. Cheap to copy: it only points into the file's bytes.
// A model of a pack (format/pack.h) also points to the pack's codebooks.
class Model {
 public:
  const fb::Model* root() const { return root_; }
  uint16_t format_major() const { return major_; }
  uint16_t format_minor() const { return minor_; }

  const char* name() const;
  const char* description() const;
  float temperature() const;  // calibration: softmax(logits / T)
  // Metadata value for `key` ("" when absent).
  const char* metadata(const char* key) const;
  int num_metadata() const;
  const char* metadata_key(int i) const;
  const char* metadata_value(int i) const;
  int num_labels() const;
  const char* label(int i) const;
  int num_branches() const;
  // Layers over all branches and the head (Softmax included).
  int num_layers() const;
  const fb::Branch* branch(int i) const;
  const char* branch_name(int i) const;
  const char* branch_modality(int i) const;
  const char* branch_prompt(int i) const;
  // Preprocessing parameters of branch i (norm arrays point into the file).
  PreprocessParams preprocess(int i) const;
  FusionView fusion() const;
  // Figures the loader computed (zero before a successful load).
  const ModelCost& cost() const { return cost_; }
  // The pack's codebooks (a flatbuffers vector of fb::Codebook); null for
  // a standalone model, whose layers must all be Dense.
  const void* codebooks() const { return codebooks_; }

 private:
  friend Status LoadModel(const uint8_t*, size_t, Model*, const ModelLimits&);
  friend class PackLoader;
  const fb::Model* root_ = nullptr;
  const void* codebooks_ = nullptr;
  uint16_t major_ = 0, minor_ = 0;
  ModelCost cost_;
};

// Verifies `bytes` (header + payload) and points `model` into them.
Status LoadModel(const uint8_t* bytes, size_t size, Model* model,
                 const ModelLimits& limits = ModelLimits());

// Receives a loaded model's stacks in execution order: each branch (from
// its num_frames x num_features x 1 input), then the head (from the
// FusionView's rule). Return an error to stop the walk.
class ModelVisitor {
 public:
  // branch -1: the head (its Softmax included in num_layers).
  virtual Status BeginStack(int branch, const TensorInfo& input, int num_layers) = 0;
  virtual Status Layer(const LayerView& layer) = 0;
  virtual Status EndStack(int branch, const TensorInfo& output) = 0;

 protected:
  ~ModelVisitor() = default;
};

// Walks `model` (loaded) with the loader's own checks and shape rules.
Status WalkModel(const Model& model, ModelVisitor* visitor);

}  // namespace tm2

#endif  // TM2_FORMAT_MODEL_H_
