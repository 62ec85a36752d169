// Training loop: Adam, cross-entropy (+ distillation), augmentation (a
// random augmented view per item, SpecAugment masks, feature-domain gain,
// noise and shift, mixup), early stopping on the validation metric, progress line,
// log file, checkpoint/resume.
#ifndef TM2_FACTORY_TRAIN_TRAINER_H_
#define TM2_FACTORY_TRAIN_TRAINER_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "train/net.h"

namespace tm2 {
namespace factory {

struct TensorSet {
  std::vector<torch::Tensor> x;  // per branch [N, 1, frames, bins], normalised
  // Training only, with augment.copies > 0: per branch [1 + copies, N, 1,
  // frames, bins], x itself first, then the augmented views.
  std::vector<torch::Tensor> views;
  torch::Tensor y;               // [N] int64
  std::vector<std::string> source, group, path;  // per item
  int64_t size() const { return y.defined() ? y.size(0) : 0; }
};

struct TrainRun {
  std::string tag;          // "teacher", "float", "qat": names the checkpoint files
  std::string dir;          // checkpoint + log folder ("" = none)
  int epochs = 10;
  double lr = 1e-3;
  bool resume = false;
  bool quiet = false;
  // Per branch, the change of each normalised feature per unit of ln(gain)
  // (log-mel: 2/std for every bin; MFCC: 2 sqrt(M)/std for c0 only).
  std::vector<torch::Tensor> gain_unit;
  AugmentConfig augment;  // views and masks (recipe "augment")
  std::vector<TinyNet*> teachers;  // distillation: soft targets = mean of theirs
  double kd_temperature = 4, kd_weight = 0;
};

struct TrainResult {
  double best_metric = 0, first_loss = 0, last_loss = 0, seconds = 0;
  int best_epoch = 0, epochs_run = 0;
};

TrainResult Train(TinyNet& net, const TensorSet& train, const TensorSet& val,
                  const TrainConfig& cfg, const TrainRun& run);

// Per-item loss weights for train.balance ("label" | "label_source"), mean 1
// over the set; undefined for "none". With "label_source" every label weighs
// the same in total and, within a label, every source the same.
torch::Tensor ItemWeights(const TensorSet& train, const std::string& balance);
// train.lr_schedule: the learning rate of epoch `epoch` (0-based) of `epochs`;
// "constant" gives `lr`, "cosine" lr x (1 + cos(pi epoch / epochs)) / 2.
double LearningRate(const std::string& schedule, double lr, int epoch, int epochs);

// train.mixup: every branch's batch x mixed with its rows in `partner` order,
// l x + (1 - l) x[partner] (same partner and l for all branches).
std::vector<torch::Tensor> MixBatch(const std::vector<torch::Tensor>& x, const torch::Tensor& partner, double l);

// Distillation targets for a batch: the mean over `teachers` of
// softmax(logits / temperature), [N, C] (rows sum to 1). Averaging
// probabilities, not logits, keeps each teacher's own confidence.
torch::Tensor TeacherSoftTargets(const std::vector<TinyNet*>& teachers, const std::vector<torch::Tensor>& x,
                                 double temperature);

torch::Tensor PredictLogits(TinyNet& net, const TensorSet& set);
// accuracy | balanced_accuracy | auc (binary: P(label 1)) from scores [N, C].
double Metric(const std::string& metric, const torch::Tensor& scores, const torch::Tensor& y);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_TRAIN_TRAINER_H_
