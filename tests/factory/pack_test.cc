// tm2-factory pack on the fixture clips: two tiny models trained, one
// shared codebook learned, both fine-tuned with it fixed and written into
// one pack that the core loads and runs, agreeing with the factory's
// integer model; the report section, card inputs and sweep plot.
// libtorch first: its glog-style CHECK macro would otherwise replace Catch's.
#include "pack/pack_factory.h"
#include "results/rows.h"
#undef CHECK
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "format/pack.h"
#include "results/pack_report.h"

using namespace tm2::factory;
namespace fs = std::filesystem;

TEST_CASE("pack factory: shared codebook, fine-tuned members, the engine agrees with the factory") {
  const PackRecipe p = LoadPackRecipe(std::string(TM2_FACTORY_TEST_DIR) + "/tiny_pack.json");
  PackOptions o;
  o.out_dir = std::string(TM2_FACTORY_WORK_DIR) + "/pack";
  o.data_root = TM2_FIXTURES_DIR;
  o.quiet = true;
  o.bootstrap = 50;
  fs::remove_all(o.out_dir);
  // Members trained in two lanes first (as models/reproduce.sh does):
  // models + generalization = yes-no, fusion, yes-no again (one folder).
  PackOptions lane = o;
  lane.train_only = true;
  lane.lanes = 2;
  const nlohmann::json l0 = RunPack(p, lane);
  CHECK(l0.at("trained") == nlohmann::json::array({"factory-test-yes-no", "factory-test-yes-no"}));
  lane.lane = 1;
  CHECK(RunPack(p, lane).at("trained") == nlohmann::json::array({"factory-test-fusion"}));
  CHECK(fs::exists(fs::path(o.out_dir) / "factory-test-fusion" / "results.json"));
  CHECK_FALSE(fs::exists(fs::path(o.out_dir) / "pack-results.json"));
  lane.lane = 2;
  CHECK_THROWS(RunPack(p, lane));
  const nlohmann::json r = RunPack(p, o);

  const auto& pk = r.at("pack");
  REQUIRE(pk.at("models").size() == 2);
  long long w8 = 0;
  for (const auto& m : pk.at("models")) {
    CHECK(m["pack"]["coded_layers"].get<int>() >= 2);
    // A weight budget of float32 / 1000 leaves no room to keep a layer uncoded.
    CHECK(m["pack"]["kept_layers"].empty());
    CHECK(m["pack"]["engine_agreement"].get<double>() == 1.0);
    w8 += m["w8a8"]["weight_bytes"].get<long long>();
  }
  // d = 2, K = 16: 4-bit codes, two weights a byte's half, plus a 32-byte codebook.
  CHECK(pk["codebook_bytes"].get<long long>() == 32);
  CHECK(pk["pack_weight_bytes"].get<long long>() < w8);

  std::ifstream in(fs::path(o.out_dir) / "factory-test-pack.pack.tm2", std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  REQUIRE(bytes.size() == pk["pack_file_bytes"].get<size_t>());
  std::vector<uint32_t> aligned((bytes.size() + 3) / 4);
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  tm2::Pack pack;
  REQUIRE(tm2::LoadPack(reinterpret_cast<const uint8_t*>(aligned.data()), bytes.size(), &pack).ok());
  CHECK(pack.num_models() == 2);
  CHECK(pack.Find("factory-test-fusion") == 1);

  REQUIRE(r.contains("generalization"));
  // The recipe's "keep" holds the first conv out of the codebook, at keep_bits = 4:
  // an int4 layer beside coded ones, still equal to the factory's integer model.
  const auto& gm = r["generalization"]["models"][0]["pack"];
  REQUIRE(gm["kept_layers"].size() == 1);
  CHECK(gm["kept_layers"][0]["layer"] == "speech/conv0");
  CHECK(gm["kept_layers"][0]["bits"] == 4);
  CHECK(gm["finetune_epochs"] == 2);  // the member's own, over the pack's 1
  CHECK(pk["models"][0]["pack"]["finetune_epochs"] == 1);
  CHECK(r["generalization"]["models"][0]["pack"]["engine_agreement"].get<double>() == 1.0);
  // The generalization models reuse the pack's codebook: their budget is charged only their own bytes.
  CHECK(pk["codebook_charged"] == true);
  CHECK(pk["charged_weight_bytes"].get<long long>() == pk["pack_weight_bytes"].get<long long>());
  CHECK(r["generalization"]["codebook_charged"] == false);
  CHECK(r["generalization"]["charged_weight_bytes"].get<long long>() ==
        r["generalization"]["pack_weight_bytes"].get<long long>() - r["generalization"]["codebook_bytes"].get<long long>());
  REQUIRE(r.at("sweep").size() == 1);
  CHECK(r["sweep"][0]["dim"].get<int>() == 4);
  CHECK(fs::exists(fs::path(o.out_dir) / "pack-results.json"));

  const std::string md = PackMarkdown(r, "images/sweep.svg");
  CHECK(md.find("| weights |") != std::string::npos);
  CHECK(md.find("| factory-test-fusion | auc |") != std::string::npos);
  CHECK(md.find("![pack size against metric change](images/sweep.svg)") != std::string::npos);
  const std::string svg = PackSweepSvg(r);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("d=4 K=16") != std::string::npos);
}
