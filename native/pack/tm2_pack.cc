// tm2-pack: several .tm2 models -> one model pack with shared product-
// quantization codebooks (models/FORMAT.md 12, pack_builder.h), then how
// much smaller it is and how closely each packed model follows its source.
//
//   tm2-pack -o models.pack.tm2 models/sound-gate.tm2 models/covid-cough.tm2 models/kws-dscnn.tm2
//   tm2-pack --dim 8 --centroids 256 --max-error 0.05 --audio a.wav --random 200 -o out.tm2 ...
//
// Agreement is measured on every --audio file (fed to every branch) and on
// --random seeded int8 feature inputs: the share of inputs whose top class
// matches the source's, the share with identical int8 logits, and the
// largest probability difference.
#include <sndfile.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../cli/read_file.h"
#include "engine/pack_runner_host.h"
#include "format/pack.h"
#include "format/spec_reader.h"
#include "agreement.h"
#include "pack_builder.h"

namespace {

struct Aligned {  // file bytes at a 4-byte-aligned address (FlatBuffers)
  std::vector<uint32_t> words;
  size_t size = 0;
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(words.data()); }
};

bool ReadAligned(const char* path, Aligned* out) {
  std::vector<uint8_t> bytes;
  if (!tm2::cli::ReadFile(path, &bytes)) return false;
  out->words.assign((bytes.size() + 3) / 4, 0);
  if (!bytes.empty()) std::memcpy(out->words.data(), bytes.data(), bytes.size());
  out->size = bytes.size();
  return true;
}

bool DecodeAudio(const char* path, tm2::pack::AudioInput* a) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path, SFM_READ, &info);
  if (!f) return false;
  a->rate = static_cast<uint32_t>(info.samplerate);
  a->channels = static_cast<uint16_t>(info.channels);
  std::vector<float> block(4096 * static_cast<size_t>(info.channels));
  sf_count_t got;
  while ((got = sf_readf_float(f, block.data(), 4096)) > 0)
    a->samples.insert(a->samples.end(), block.begin(), block.begin() + got * info.channels);
  sf_close(f);
  return true;
}

int Usage() {
  std::fprintf(stderr,
               "usage: tm2-pack [--name N] [--dim D] [--centroids K] [--max-error E]\n"
               "                [--min-weights W] [--seed S] [--iterations I]\n"
               "                [--audio FILE]... [--random N] [--min-agreement A]\n"
               "                [--select-random N] -o OUT.tm2 MODEL.tm2...\n");
  return 2;
}

int Fail(const tm2::Status& s, const char* what) {
  std::fprintf(stderr, "tm2-pack: %s: %s\n", what, s.message());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  tm2::pack::Options options;
  const char* out_path = nullptr;
  std::vector<const char*> inputs, audio_paths;
  int random_inputs = 200;
  int select_random = 100;     // inputs the layer choice is judged on
  double min_agreement = 0.99;  // top-1 share a coded layer must keep (0: error threshold only)
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has = i + 1 < argc;
    if (a == "-o" && has) out_path = argv[++i];
    else if (a == "--name" && has) options.name = argv[++i];
    else if (a == "--dim" && has) options.dim = std::atoi(argv[++i]);
    else if (a == "--centroids" && has) options.centroids = std::atoi(argv[++i]);
    else if (a == "--max-error" && has) options.max_error = std::atof(argv[++i]);
    else if (a == "--min-weights" && has) options.min_weights = static_cast<size_t>(std::atol(argv[++i]));
    else if (a == "--seed" && has) options.seed = static_cast<uint32_t>(std::atol(argv[++i]));
    else if (a == "--iterations" && has) options.iterations = std::atoi(argv[++i]);
    else if (a == "--audio" && has) audio_paths.push_back(argv[++i]);
    else if (a == "--random" && has) random_inputs = std::atoi(argv[++i]);
    else if (a == "--select-random" && has) select_random = std::atoi(argv[++i]);
    else if (a == "--min-agreement" && has) min_agreement = std::atof(argv[++i]);
    else if (a.size() > 1 && a[0] == '-') return Usage();
    else inputs.push_back(argv[i]);
  }
  if (!out_path || inputs.empty()) return Usage();

  std::vector<Aligned> files(inputs.size());
  std::vector<tm2::Model> sources(inputs.size());
  std::vector<tm2::ModelSpec> specs(inputs.size());
  size_t file_bytes_in = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!ReadAligned(inputs[i], &files[i])) {
      std::fprintf(stderr, "tm2-pack: cannot read %s\n", inputs[i]);
      return 1;
    }
    file_bytes_in += files[i].size;
    tm2::Status s = tm2::LoadModel(files[i].data(), files[i].size, &sources[i]);
    if (!s.ok()) return Fail(s, inputs[i]);
    s = tm2::ReadModelSpec(sources[i], &specs[i]);
    if (!s.ok()) return Fail(s, inputs[i]);
  }
  std::vector<tm2::pack::AudioInput> audio;
  for (const char* p : audio_paths) {
    tm2::pack::AudioInput a;
    if (!DecodeAudio(p, &a)) {
      std::fprintf(stderr, "tm2-pack: cannot decode %s\n", p);
      return 1;
    }
    audio.push_back(std::move(a));
  }
  // The judge: a one-model pack of the candidate against its source, on the
  // audio and on random features of another seed than the report's.
  const tm2::pack::AgreementCheck check = [&](size_t index, const tm2::ModelSpec& candidate,
                                              const std::vector<tm2::CodebookSpec>& codebooks,
                                              double* share) -> tm2::Status {
    tm2::PackSpec one;
    one.name = "candidate";
    one.codebooks = codebooks;
    one.models.push_back(candidate);
    std::vector<uint8_t> bytes;
    TM2_RETURN_IF_ERROR(tm2::WritePack(one, &bytes));
    Aligned file;
    file.words.assign((bytes.size() + 3) / 4, 0);
    std::memcpy(file.words.data(), bytes.data(), bytes.size());
    file.size = bytes.size();
    tm2::Pack pack;
    TM2_RETURN_IF_ERROR(tm2::LoadPack(file.data(), file.size, &pack));
    tm2::pack::Agreement a;
    TM2_RETURN_IF_ERROR(tm2::pack::Compare(sources[index], pack.model(0), audio, select_random,
                                           options.seed + 7u, &a));
    *share = a.top_share();
    return tm2::Status::Ok();
  };
  tm2::PackSpec spec;
  tm2::pack::Report report;
  tm2::Status s = tm2::pack::Build(specs, options, &spec, &report,
                                   min_agreement > 0 ? check : tm2::pack::AgreementCheck(),
                                   min_agreement);
  if (!s.ok()) return Fail(s, "build");
  std::vector<uint8_t> packed;
  s = tm2::WritePack(spec, &packed);
  if (!s.ok()) return Fail(s, "write");
  FILE* f = std::fopen(out_path, "wb");
  if (!f || std::fwrite(packed.data(), 1, packed.size(), f) != packed.size() || std::fclose(f) != 0) {
    std::fprintf(stderr, "tm2-pack: cannot write %s\n", out_path);
    return 1;
  }

  std::printf("layer choices (d = %d, K = %d, max error %.3f):\n", options.dim, options.centroids,
              options.max_error);
  for (const auto& l : report.layers)
  {
    char judged[24] = "      -";
    if (l.agreement >= 0) std::snprintf(judged, sizeof(judged), "%5.1f %%", 100.0 * l.agreement);
    std::printf("  %-18s %-16s %5zu weights int%d  %-4s err %.4f  judged %s  %5zu -> %5zu B\n",
                l.model.c_str(), l.layer.c_str(), l.weights, l.source_bits, l.coded ? "PQ" : "kept",
                l.error, judged, l.bytes_before, l.bytes_after);
  }
  std::printf("codebooks: %d, %zu bytes\n", static_cast<int>(spec.codebooks.size()), report.codebook_bytes);
  std::printf("weights only: %zu B (sum of inputs) -> %zu B (pack, codebooks included): %.2fx\n",
              report.weight_bytes_in, report.weight_bytes_out,
              static_cast<double>(report.weight_bytes_in) / static_cast<double>(report.weight_bytes_out));
  std::printf("per-channel vectors: %zu B -> %zu B (Narrow where smaller, format 1.2; weight_scales "
              "dropped: the engine never reads them)\n",
              report.channel_bytes_in, report.channel_bytes_out);
  std::printf("whole files: %zu B (sum of inputs) -> %zu B (%s): %.2fx\n", file_bytes_in,
              packed.size(), out_path,
              static_cast<double>(file_bytes_in) / static_cast<double>(packed.size()));

  // Agreement of each packed model with its source.
  Aligned pack_file;
  pack_file.words.assign((packed.size() + 3) / 4, 0);
  std::memcpy(pack_file.words.data(), packed.data(), packed.size());
  pack_file.size = packed.size();
  tm2::Pack pack;
  s = tm2::LoadPack(pack_file.data(), pack_file.size, &pack);
  if (!s.ok()) return Fail(s, "reload");
  std::printf("agreement with the source models (%zu audio files, %d random feature inputs):\n",
              audio.size(), random_inputs);
  for (size_t m = 0; m < sources.size(); ++m) {
    tm2::pack::Agreement a;
    s = tm2::pack::Compare(sources[m], pack.model(static_cast<int>(m)), audio, random_inputs,
                           options.seed + 1000u * static_cast<uint32_t>(m + 1), &a);
    if (!s.ok()) return Fail(s, "agreement");
    std::printf("  %-18s top-1 %d/%d (%.1f %%), identical logits %d/%d, max |dp| %.3f\n",
                sources[m].name(), a.same_top, a.total, 100.0 * a.top_share(), a.same_logits,
                a.total, a.max_dp);
  }
  // What a switch costs on this machine (plan + preprocessing tables).
  tm2::HostPackRunner host;
  s = host.Init(pack);
  if (!s.ok()) return Fail(s, "runner");
  tm2::PackRunner& runner = host.runner();
  std::printf("one arena for all models: %zu B\n", host.arena_bytes());
  for (int m = 0; m < pack.num_models(); ++m) {
    const int next = (m + 1) % pack.num_models();
    const auto t0 = std::chrono::steady_clock::now();
    const int reps = 50;
    for (int r = 0; r < reps; ++r) {
      s = runner.Select(r % 2 ? m : next);
      if (!s.ok()) return Fail(s, "switch");
    }
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / reps;
    std::printf("  switch %s <-> %s: %.1f us (plan %zu B, of which %zu B preprocessing tables)\n",
                pack.model(m).name(), pack.model(next).name(), us, runner.last_switch().arena_bytes,
                runner.last_switch().preprocess_tables);
  }
  return 0;
}
