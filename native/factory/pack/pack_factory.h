// The pack factory (issue 11, YONO): several trained models in one model
// pack with shared product-quantization codebooks (models/FORMAT.md 12),
// each model fine-tuned with the codebooks fixed. docs/packs.md,
// "tm2-factory pack".
//
// 1. Every member (and generalization model) is trained by RunFactory into
//    <out>/<name>/ with its W8A8 and mixed 4/8 variants (the comparison
//    rows and files), unless that folder already has its results.json.
// 2. From each member's float student (BN folded): per-channel int8
//    weights; their d-long sub-vectors of every layer with at least
//    `min_weights` weights, pooled over the members (not the
//    generalization models), learn one codebook of K int8 centroids by
//    seeded k-means (native/pack/kmeans.h).
// 3. Layer choice: a layer can be coded when it has >= min_weights weights,
//    its rows are at least d long and its relative reconstruction error is
//    <= max_error; other layers keep int8 weights. With `min_compression`
//    > 0 the most sensitive codable layers stay uncoded (at `keep_bits`)
//    while the pack's weights stay within sum(float bytes) / min_compression:
//    HAWQ-style sensitivity tr(H)/n * ||W - Q(W)||^2 (quant/sensitivity.h,
//    `sensitivity_samples` Hutchinson probes), as a share of the member's
//    total, gained per extra byte, greedily (YONO's per-layer choice;
//    pack/layer_choice.h). The generalization models reuse the pack's
//    codebook, so their budget counts only their own codes and uncoded
//    weights. A member's "keep" names layers that stay uncoded regardless.
// 4. Fine-tuning, codebook fixed: quantization-aware training whose forward
//    pass uses, for a coded layer, the per-channel scale times the nearest
//    centroid of each int8 sub-vector (assignments re-chosen at every step
//    as the float weights move; straight-through gradients). All float
//    weights, biases and activation ranges train; the centroids do not.
// 5. Export: codes and decoded weights from the same assignment; the
//    factory's integer model runs the decoded weights, the engine runs the
//    pack (PackRunner) from PCM; their top-1 agreement is reported.
//
//   PackRecipe p = LoadPackRecipe("models/recipes/pack-four.json");
//   PackOptions o; o.out_dir = "build/factory-runs/pack"; o.data_root = "../shared/datasets";
//   nlohmann::json results = RunPack(p, o);   // also <out>/pack-results.json, the .pack.tm2 and card
#ifndef TM2_FACTORY_PACK_PACK_FACTORY_H_
#define TM2_FACTORY_PACK_PACK_FACTORY_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace tm2 {
namespace factory {

struct PackMemberDef {
  std::string recipe;  // path (relative to the pack recipe's folder)
  std::string data;    // "" = the recipe's data.path; else relative to PackOptions::data_root
  int epochs = -1;     // > 0 overrides the recipe's train.epochs (teacher and student)
  int finetune_epochs = -1;          // > 0 overrides the pack's finetune_epochs for this member
  std::vector<std::string> keep;     // layer names never coded (kept at keep_bits)
};

struct PackRecipe {
  std::string name, description, path;
  std::vector<PackMemberDef> models, generalization;
  int dim = 4, centroids = 256;
  size_t min_weights = 256;
  double max_error = 1.0;
  double min_compression = 0;  // > 0: keep sensitive layers uncoded within this weight budget (step 3)
  int keep_bits = 8;           // 8 or 4: width of a codable layer kept uncoded
  int sensitivity_samples = 0; // Hutchinson probes per member; 0: reconstruction error alone
  int iterations = 30;
  size_t max_training = 1 << 16;
  unsigned seed = 1;
  int finetune_epochs = 4;   // fine-tuning with the codebook fixed
  double finetune_lr = -1;   // < 0: each recipe's train.qat_lr
  std::vector<std::pair<int, int>> sweep;  // (d, K) points, each with sweep_epochs of fine-tuning
  int sweep_epochs = 1;
};

PackRecipe LoadPackRecipe(const std::string& path);

struct PackOptions {
  std::string out_dir, data_root, cache_dir;
  bool retrain = false;  // rerun RunFactory even where <out>/<name>/results.json exists
  bool sweep = true;
  bool quiet = false;
  int bootstrap = 1000;
  int epochs = -1, finetune_epochs = -1;  // > 0 override (tests)
  // Train the members (and generalization models) only, those whose index
  // in models + generalization is lane modulo lanes: several processes
  // train the members at once, then one RunPack reuses their folders.
  bool train_only = false;
  int lane = 0, lanes = 1;
};

// Runs the pack factory; returns (and writes to <out>/pack-results.json)
// the bytes, per-model rows, generalization rows and sweep points.
// `written` (optional) is called each time pack-results.json is written:
// after the pack and generalization models, and after the sweep.
nlohmann::json RunPack(const PackRecipe& recipe, const PackOptions& options,
                       const std::function<void(const nlohmann::json&)>& written = nullptr);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_PACK_PACK_FACTORY_H_
