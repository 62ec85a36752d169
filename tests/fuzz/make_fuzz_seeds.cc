// Writes the fuzz seed corpus (shared by fuzz_load_model and fuzz_engine):
// valid .tm2 files from the writer, plus a few variants that stop at each
// loader stage, so libFuzzer starts from inputs that already reach the deep
// checks.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "file_edit.h"
#include "format/writer.h"
#include "sample_model.h"

namespace {

bool WriteFile(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  FILE* f = std::fopen(path.string().c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s SEED_DIR WORK_DIR\n", argv[0]);
    return 2;
  }
  std::filesystem::create_directories(argv[1]);
  std::filesystem::create_directories(argv[2]);
  std::vector<std::pair<std::string, std::vector<uint8_t>>> seeds;
  std::vector<uint8_t> small, multi;
  const tm2::Status a = tm2::WriteModel(tm2::test::SmallSpec(), &small);
  const tm2::Status b = tm2::WriteModel(tm2::test::MultiBranchSpec(), &multi);
  if (!a.ok() || !b.ok()) {
    std::fprintf(stderr, "writer failed: %s / %s\n", a.message(), b.message());
    return 1;
  }
  seeds.push_back({"small.tm2", small});
  seeds.push_back({"multi.tm2", multi});
  // A 1.1 file with an unknown field, and one whose layer needs a newer reader.
  auto m = tm2::test::Unpack(small);
  m->codebooks = {1.0f, 2.0f};
  seeds.push_back({"v1_1.tm2", tm2::test::Pack(*m, 1, 1)});
  m->head[0]->weight_encoding = tm2::fbt::WeightEncoding::Future;
  seeds.push_back({"v1_1_pq.tm2", tm2::test::Pack(*m, 1, 1)});
  // A model pack with both PQ code widths and Narrow per-channel parameters.
  std::vector<uint8_t> pack;
  const tm2::Status pk = tm2::WritePack(tm2::test::SamplePackSpec(), &pack);
  if (!pk.ok()) {
    std::fprintf(stderr, "pack writer failed: %s\n", pk.message());
    return 1;
  }
  seeds.push_back({"sample.pack.tm2", pack});  // format 1.2: Narrow per-channel parameters
  // The same pack with the wide per-channel vectors (format 1.1).
  tm2::PackSpec wide_spec = tm2::test::SamplePackSpec();
  wide_spec.wide_channels = true;
  std::vector<uint8_t> wide;
  const tm2::Status wk = tm2::WritePack(wide_spec, &wide);
  if (!wk.ok() || wide == pack) {
    std::fprintf(stderr, "wide pack writer failed: %s\n", wk.message());
    return 1;
  }
  seeds.push_back({"sample_wide.pack.tm2", wide});
  // For fuzz_engine: one branch with a (well-formed, unused) fusion table,
  // and the small model followed by a PCM description (float samples at
  // 44.1 kHz, stereo, with NaN, inf and huge values).
  seeds.push_back({"one_branch_fusion.tm2", tm2::test::Edit(small, [](tm2::fbt::ModelT& f) {
                     f.fusion = std::make_unique<tm2::fbt::FusionT>();
                     f.fusion->multiplier = {0x40000000};
                     f.fusion->shift = {-2};
                     f.fusion->output_scale = 0.5f;
                   })});
  std::vector<uint8_t> with_pcm = small;
  for (uint8_t b : {0x01, 0x05, 0x01, 0x10, 0x00, 0x80, 0xF8, 0x90, 0xF9, 0x20, 0xFB, 0x7F, 0xFC})
    with_pcm.push_back(b);
  seeds.push_back({"small_pcm_nan.tm2", with_pcm});
  // Format 1.3: a branch that tiles short input (Preprocess.pad Tile, a 37 ms
  // gap), alone and followed by the same PCM description (fuzz_engine runs
  // the tiled batch path on it).
  tm2::ModelSpec tile_spec = tm2::test::SmallSpec();
  tile_spec.branches[0].preprocess.pad = tm2::PadMode::kTile;
  tile_spec.branches[0].preprocess.tile_gap_ms = 37;
  std::vector<uint8_t> tile;
  const tm2::Status tk = tm2::WriteModel(tile_spec, &tile);
  if (!tk.ok() || tile[6] != tm2::kFormatMinorTile) {
    std::fprintf(stderr, "tile writer failed: %s\n", tk.message());
    return 1;
  }
  seeds.push_back({"tile.tm2", tile});
  std::vector<uint8_t> tile_pcm = tile;
  tile_pcm.insert(tile_pcm.end(), with_pcm.begin() + static_cast<std::ptrdiff_t>(small.size()), with_pcm.end());
  seeds.push_back({"tile_pcm.tm2", tile_pcm});
  for (const auto& s : seeds) {
    if (!WriteFile(std::filesystem::path(argv[1]) / s.first, s.second)) {
      std::fprintf(stderr, "cannot write %s\n", s.first.c_str());
      return 1;
    }
  }
  std::printf("%zu seeds in %s\n", seeds.size(), argv[1]);
  return 0;
}
