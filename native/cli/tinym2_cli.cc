// tinym2 command-line tool: inspect a .tm2 model and run it on audio files.
//
//   tinym2 info MODEL.tm2
//   tinym2 info PACK.tm2                     the models of a pack, switch cost
//   tinym2 info --model NAME PACK.tm2        one model of a pack
//   tinym2 run MODEL.tm2 AUDIO [AUDIO ...]   one file per branch, in branch order
//   tinym2 run --model NAME PACK.tm2 AUDIO   one model of a pack
//   tinym2 run --reference MODEL.tm2 ...     scalar reference kernels
//   tinym2 listen [AUDIO | - | --device NAME]   sound events of a stream (listen.cc)
//
// Audio is decoded with libsndfile (WAV, FLAC, OGG/Opus, MP3) at its own
// rate and channel count; the core resamples and mixes down. `listen -`
// reads raw s16le PCM from stdin (listen.cc).
#include <sndfile.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/pack_runner_host.h"
#include "format/pack.h"
#include "kernels/select.h"
#include "listen.h"
#include "read_file.h"

namespace {

struct Audio {
  std::vector<float> samples;  // interleaved
  int rate = 0;
  int channels = 0;
};

bool DecodeAudio(const char* path, Audio* audio, std::string* error) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path, SFM_READ, &info);
  if (!f) {
    *error = sf_strerror(nullptr);
    return false;
  }
  audio->rate = info.samplerate;
  audio->channels = info.channels;
  // Read until a read returns 0: some headers misstate the frame count.
  std::vector<float> block(4096 * static_cast<size_t>(info.channels));
  sf_count_t got;
  while ((got = sf_readf_float(f, block.data(), 4096)) > 0)
    audio->samples.insert(audio->samples.end(), block.begin(),
                          block.begin() + got * info.channels);
  sf_close(f);
  return true;
}

// Layer count and MACs per stack, from the loader's own walk.
class StackCounter final : public tm2::ModelVisitor {
 public:
  explicit StackCounter(const tm2::Model& model) : model_(model) {}
  tm2::Status BeginStack(int, const tm2::TensorInfo&, int num_layers) override {
    layers_ = num_layers;
    macs_ = 0;
    return tm2::Status::Ok();
  }
  tm2::Status Layer(const tm2::LayerView& layer) override {
    macs_ += layer.macs;
    if (layer.macs > largest_macs) largest_macs = layer.macs;
    if (layer.ops > largest_ops) largest_ops = layer.ops;
    if (layer.kind != tm2::LayerKind::kSoftmax) ++outputs;
    if (layer.kind != tm2::LayerKind::kSoftmax && layer.act_bits == 4) ++outputs_a4;
    return tm2::Status::Ok();
  }
  unsigned long long largest_macs = 0, largest_ops = 0;  // over all layers
  int outputs = 0, outputs_a4 = 0;  // layer outputs, of them declared 4-bit

  tm2::Status EndStack(int branch, const tm2::TensorInfo&) override {
    if (branch >= 0) {
      const tm2::PreprocessParams p = model_.preprocess(branch);
      std::printf("branch %d  %s: %u Hz, %d frames x %d %s, %d layers, %llu MACs\n", branch,
                  model_.branch_modality(branch), p.sample_rate, p.num_frames, p.num_features(),
                  p.dct_coefficients ? "MFCC" : "log-mel", layers_, macs_);
    } else {
      std::printf("head      %d layers, %llu MACs\n", layers_, macs_);
    }
    return tm2::Status::Ok();
  }

 private:
  const tm2::Model& model_;
  int layers_ = 0;
  unsigned long long macs_ = 0;
};

int Info(const tm2::Model& model, size_t file_bytes) {
  std::printf("model     %s (format %u.%u, %zu bytes)\n", model.name(), model.format_major(),
              model.format_minor(), file_bytes);
  std::printf("labels   ");
  for (int i = 0; i < model.num_labels(); ++i) std::printf(" %s", model.label(i));
  std::printf("\n");
  StackCounter counter(model);
  const tm2::Status walked = tm2::WalkModel(model, &counter);
  if (!walked.ok()) {
    std::fprintf(stderr, "error: %s\n", walked.message());
    return 1;
  }
  const tm2::ModelCost& cost = model.cost();
  std::printf("compute   %llu MACs, %llu operations in layers, %llu in preprocessing (worst-case "
              "input); largest layer %llu MACs, %llu operations; about %llu bytes of memory\n",
              static_cast<unsigned long long>(cost.macs), static_cast<unsigned long long>(cost.ops),
              static_cast<unsigned long long>(cost.preprocess_ops), counter.largest_macs,
              counter.largest_ops, static_cast<unsigned long long>(cost.memory_bytes));
  // The arena for the table this host selects, and for one that packs
  // nothing (the reference, the Cortex-M4's): with and without the
  // resampler's phase cache, for input at the model's rate only (an MCU
  // whose microphone records at that rate), and with the features given.
  tm2::EngineOptions selected, mcu, mcu_uncached, mcu_model_rate, mcu_features;
  mcu.kernels = &tm2::ReferenceKernels();
  mcu_uncached = mcu;
  mcu_uncached.resampler_cache = false;
  mcu_model_rate = mcu_uncached;
  mcu_model_rate.input_rate = model.preprocess(0).sample_rate;
  mcu_features = mcu_uncached;
  mcu_features.features_only = true;
  tm2::ArenaReport r[5];
  const tm2::EngineOptions* options[5] = {&selected, &mcu, &mcu_uncached, &mcu_model_rate,
                                          &mcu_features};
  for (int i = 0; i < 5; ++i) {
    const tm2::Status s = tm2::Engine::ArenaBytes(model, &r[i], *options[i]);
    if (!s.ok()) {
      std::fprintf(stderr, "error: %s\n", s.message());
      return 1;
    }
  }
  std::printf("arena     %zu bytes with %s kernels\n", r[0].total, tm2::SelectKernels().name);
  // Packed int4 activations (models/FORMAT.md 3.1): what they save, with
  // the features given (the inference arena alone).
  tm2::EngineOptions mcu_features_int8 = mcu_features;
  mcu_features_int8.pack_int4_activations = false;
  tm2::ArenaReport unpacked;
  const tm2::Status su = tm2::Engine::ArenaBytes(model, &unpacked, mcu_features_int8);
  if (!su.ok()) {
    std::fprintf(stderr, "error: %s\n", su.message());
    return 1;
  }
  std::printf("int4 act  %d of %d layer outputs declared 4-bit, %zu stored packed; features given: "
              "activations %zu bytes (%zu all int8), arena %zu (%zu)\n",
              counter.outputs_a4, counter.outputs, r[4].packed_outputs, r[4].activations,
              unpacked.activations, r[4].total, unpacked.total);
  std::printf("arena by part (bytes)      %12s %12s %12s %12s %12s\n",
              tm2::SelectKernels().name, "no packing", "no cache", "model rate", "features");
  const struct {
    const char* name;
    size_t tm2::ArenaReport::*part;
  } parts[] = {
      {"preprocessing tables", &tm2::ArenaReport::preprocess_tables},
      {"resampler cache", &tm2::ArenaReport::resampler_cache},
      {"features", &tm2::ArenaReport::features},
      {"layer plans", &tm2::ArenaReport::layer_plans},
      {"packed weights", &tm2::ArenaReport::packed_weights},
      {"narrow channel params", &tm2::ArenaReport::channel_params},
      {"logits, probabilities", &tm2::ArenaReport::outputs},
      {"shared: max of", &tm2::ArenaReport::shared},
      {"  preprocessing scratch", &tm2::ArenaReport::preprocess_scratch},
      {"  activations, fusion", &tm2::ArenaReport::activations},
      {"alignment", &tm2::ArenaReport::alignment},
      {"total", &tm2::ArenaReport::total},
  };
  for (const auto& part : parts)
    std::printf("  %-24s %12zu %12zu %12zu %12zu %12zu\n", part.name, r[0].*part.part,
                r[1].*part.part, r[2].*part.part, r[3].*part.part, r[4].*part.part);
  std::printf("flash     %zu bytes of constant preprocessing tables, shared by every model "
              "(not in the arena)\n", tm2::Preprocessor::ConstTablesBytes());
  return 0;
}

// Layers stored as PQ codes, per model.
class PqCounter final : public tm2::ModelVisitor {
 public:
  tm2::Status BeginStack(int, const tm2::TensorInfo&, int) override { return tm2::Status::Ok(); }
  tm2::Status EndStack(int, const tm2::TensorInfo&) override { return tm2::Status::Ok(); }
  tm2::Status Layer(const tm2::LayerView& v) override {
    if (v.weight_bits) ++weighted;
    if (v.pq) ++pq;
    return tm2::Status::Ok();
  }
  int weighted = 0, pq = 0;
};

int PackInfo(const tm2::Pack& pack, size_t file_bytes) {
  std::printf("pack      %s (format 1.%u, %zu bytes): %d models, %d codebooks (%zu bytes)\n",
              pack.name(), pack.format_minor(), file_bytes, pack.num_models(),
              pack.num_codebooks(), pack.codebook_bytes());
  for (int m = 0; m < pack.num_models(); ++m) {
    const tm2::Model& model = pack.model(m);
    PqCounter pq;
    (void)tm2::WalkModel(model, &pq);
    std::printf("  %d  %-20s %d labels, %d branches, %llu MACs, %d of %d weighted layers PQ\n", m,
                model.name(), model.num_labels(), model.num_branches(),
                static_cast<unsigned long long>(model.cost().macs), pq.pq, pq.weighted);
  }
  // Both ways to switch (PackRunner): re-planning into one arena sized for
  // the largest model, or every model resident (planned once).
  for (tm2::PackMode mode : {tm2::PackMode::kReplan, tm2::PackMode::kResident}) {
    const bool resident = mode == tm2::PackMode::kResident;
    tm2::HostPackRunner host;
    tm2::Status s = host.Init(pack, mode);
    if (!s.ok()) {
      std::fprintf(stderr, "error: %s\n", s.message());
      return 1;
    }
    tm2::PackRunner& runner = host.runner();
    std::printf("%s %zu bytes %s (%s kernels)\n", resident ? "resident " : "arena    ", host.arena_bytes(),
                resident ? "with every model planned once" : "for any model, re-planned per switch",
                tm2::SelectKernels().name);
    for (int m = 0; m < pack.num_models(); ++m) {
      const int reps = resident ? 2000 : 20;
      const auto t0 = std::chrono::steady_clock::now();
      for (int r = 0; r < reps && s.ok(); ++r) s = runner.Select(r % 2 ? (m + 1) % pack.num_models() : m);
      const double us =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / reps;
      if (!s.ok() || !(s = runner.Select(m)).ok()) {
        std::fprintf(stderr, "error: %s\n", s.message());
        return 1;
      }
      std::printf("  switch  to %-20s %9.3f us (mean of %d)", pack.model(m).name(), us, reps);
      if (resident)
        std::printf(", nothing re-planned\n");
      else
        std::printf(", plans %zu arena bytes, %zu of them preprocessing tables\n",
                    runner.last_switch().arena_bytes, runner.last_switch().preprocess_tables);
    }
  }
  return 0;
}

int Run(const tm2::Model& model, const tm2::KernelTable& kernels, char** files, int count) {
  if (count != model.num_branches()) {
    std::fprintf(stderr, "error: the model has %d branches (", model.num_branches());
    for (int b = 0; b < model.num_branches(); ++b)
      std::fprintf(stderr, "%s%s", b ? ", " : "", model.branch_modality(b));
    std::fprintf(stderr, "): give one audio file for each, in that order; got %d\n", count);
    return 2;
  }
  size_t arena_bytes = 0;
  tm2::Status s = tm2::Engine::ArenaBytes(model, &arena_bytes);
  std::vector<uint8_t> arena(arena_bytes);
  tm2::EngineOptions options;
  options.kernels = &kernels;
  tm2::Engine engine;
  if (s.ok()) s = engine.Init(model, arena.data(), arena.size(), options);
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.message());
    return 1;
  }
  using Clock = std::chrono::steady_clock;
  double preprocess_ms = 0;
  for (int b = 0; b < count; ++b) {
    Audio audio;
    std::string error;
    if (!DecodeAudio(files[b], &audio, &error)) {
      std::fprintf(stderr, "error: cannot decode %s: %s\n", files[b], error.c_str());
      return 1;
    }
    const auto t0 = Clock::now();
    s = engine.SetInput(b, tm2::PcmView::F32(audio.samples.data(),
                                             audio.samples.size() / audio.channels, audio.rate,
                                             static_cast<uint16_t>(audio.channels)));
    preprocess_ms += std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!s.ok()) {
      std::fprintf(stderr, "error: %s (branch %d '%s'): %s\n", files[b], b,
                   model.branch_modality(b), s.message());
      return 1;
    }
  }
  const auto t0 = Clock::now();
  s = engine.Invoke();
  const double invoke_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.message());
    return 1;
  }
  for (int i = 0; i < engine.num_classes(); ++i)
    std::printf("%-16s %.4f\n", model.label(i), static_cast<double>(engine.probabilities()[i]));
  std::printf("# preprocess %.3f ms, inference %.3f ms, arena %zu bytes, kernels %s\n",
              preprocess_ms, invoke_ms, engine.arena_used(), engine.kernels_name());
  return 0;
}

void Usage() {
  std::fprintf(stderr,
               "usage: tinym2 info [--model NAME] MODEL.tm2|PACK.tm2\n"
               "       tinym2 run [--reference] [--model NAME] MODEL.tm2|PACK.tm2 AUDIO [AUDIO ...]\n"
               "       tinym2 listen [options] [AUDIO | - | --device NAME]   (tinym2 listen --help)\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "listen") == 0) return tm2::cli::Listen(argc - 2, argv + 2);
  if (argc < 3) {
    Usage();
    return 2;
  }
  const std::string command = argv[1];
  int arg = 2;
  const tm2::KernelTable* kernels = &tm2::SelectKernels();
  const char* model_name = nullptr;
  for (;;) {
    if (arg < argc && std::strcmp(argv[arg], "--reference") == 0) {
      kernels = &tm2::ReferenceKernels();
      ++arg;
    } else if (arg + 1 < argc && std::strcmp(argv[arg], "--model") == 0) {
      model_name = argv[arg + 1];
      arg += 2;
    } else {
      break;
    }
  }
  if ((command != "info" && command != "run") || arg >= argc) {
    Usage();
    return 2;
  }
  std::vector<uint8_t> bytes;
  if (!tm2::cli::ReadFile(argv[arg], &bytes)) {
    std::fprintf(stderr, "error: cannot read %s\n", argv[arg]);
    return 1;
  }
  // A plain model loads as a pack of one (format/pack.h).
  tm2::Pack pack;
  const tm2::Status s = tm2::LoadPack(bytes.data(), bytes.size(), &pack);
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s: %s\n", argv[arg], s.message());
    return 1;
  }
  int index = 0;
  if (model_name) {
    index = pack.Find(model_name);
    if (index < 0) {
      std::fprintf(stderr, "error: %s has no model '%s'; it has:", argv[arg], model_name);
      for (int m = 0; m < pack.num_models(); ++m) std::fprintf(stderr, " %s", pack.model(m).name());
      std::fprintf(stderr, "\n");
      return 2;
    }
  } else if (pack.is_pack_file()) {
    if (command == "info") return PackInfo(pack, bytes.size());
    if (pack.num_models() > 1) {
      std::fprintf(stderr, "error: %s is a pack of %d models: choose one with --model NAME (", argv[arg],
                   pack.num_models());
      for (int m = 0; m < pack.num_models(); ++m)
        std::fprintf(stderr, "%s%s", m ? ", " : "", pack.model(m).name());
      std::fprintf(stderr, ")\n");
      return 2;
    }
  }
  const tm2::Model& model = pack.model(index);
  if (command == "info") return Info(model, bytes.size());
  return Run(model, *kernels, argv + arg + 1, argc - arg - 1);
}
