// Cross-target parity on native x86-64, aarch64 (qemu) and WASM (node). The
// Cortex-M4 runs the same RunAllParityCases in parity_firmware.cc.
#include <cstdio>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "common/wav.h"
#include "format/writer.h"
#include "kernels/select.h"
#include "parity/parity_model.h"
#include "parity/a4_parity.h"
#include "parity/pack_parity.h"
#include "parity/parity_run.h"

namespace {
const std::string kFixtures = TM2_FIXTURES_DIR;

std::vector<uint8_t> ReadOrFail(const std::string& path) {
  std::vector<uint8_t> bytes;
  INFO(path);
  REQUIRE(tm2::test::ReadFileBytes(path, &bytes));
  return bytes;
}
}  // namespace

TEST_CASE("the checked-in parity model is what the generator writes") {
  std::vector<uint8_t> generated;
  const tm2::Status s = tm2::WriteModel(tm2::test::MakeParityModelSpec(), &generated);
  INFO(s.message());
  REQUIRE(s.ok());
  const std::vector<uint8_t> checked_in = ReadOrFail(kFixtures + "/models/parity_multibranch.tm2");
  size_t first_difference = 0;
  while (first_difference < generated.size() && first_difference < checked_in.size() &&
         generated[first_difference] == checked_in[first_difference])
    ++first_difference;
  INFO("generated " << generated.size() << " bytes, checked in " << checked_in.size()
                    << ", first difference at byte " << first_difference);
  CHECK(generated.size() == checked_in.size());
  CHECK(first_difference == checked_in.size());
}

TEST_CASE("features and outputs hash to the expected values on this target") {
  const std::vector<uint8_t> model = ReadOrFail(kFixtures + "/models/parity_multibranch.tm2");
  const std::vector<uint8_t> expected =
      ReadOrFail(std::string(TM2_PARITY_DIR) + "/expected_hashes.txt");
  std::vector<std::vector<uint8_t>> clip_bytes;
  std::vector<tm2::test::ClipBytes> clips;
  for (const char* name : tm2::test::kParityClipNames)
    clip_bytes.push_back(ReadOrFail(kFixtures + "/audio/" + name));
  for (int i = 0; i < tm2::test::kNumParityClips; ++i)
    clips.push_back({tm2::test::kParityClipNames[i], clip_bytes[i].data(), clip_bytes[i].size()});
  std::vector<uint8_t> arena(4 << 20);
  const tm2::KernelTable* tables[] = {&tm2::ReferenceKernels(), &tm2::SelectKernels()};
  const int failures = tm2::test::RunAllParityCases(
      model.data(), model.size(), arena.data(), arena.size(), tables, 2, clips.data(),
      static_cast<int>(clips.size()), reinterpret_cast<const char*>(expected.data()),
      expected.size());
  CHECK(failures == 0);
}

TEST_CASE("the shipped models' pack hashes to the expected values on this target, switching in place") {
  const std::vector<uint8_t> pack = ReadOrFail(kFixtures + "/models/shipped.pack.tm2");
  const std::vector<uint8_t> expected =
      ReadOrFail(std::string(TM2_PARITY_DIR) + "/expected_hashes.txt");
  std::vector<std::vector<uint8_t>> clip_bytes;
  std::vector<tm2::test::ClipBytes> clips;
  for (const char* name : tm2::test::kPackClipNames)
    clip_bytes.push_back(ReadOrFail(kFixtures + "/audio/" + name));
  for (int i = 0; i < tm2::test::kNumPackClips; ++i)
    clips.push_back({tm2::test::kPackClipNames[i], clip_bytes[i].data(), clip_bytes[i].size()});
  std::vector<uint8_t> arena(1 << 20);
  const tm2::KernelTable* tables[] = {&tm2::ReferenceKernels(), &tm2::SelectKernels()};
  const int failures = tm2::test::RunPackParity(
      pack.data(), pack.size(), arena.data(), arena.size(), tables, 2, clips.data(),
      static_cast<int>(clips.size()), reinterpret_cast<const char*>(expected.data()),
      expected.size());
  CHECK(failures == 0);
}

TEST_CASE("the checked-in A4 models are what the generator writes") {
  for (const bool mixed : {false, true}) {
    std::vector<uint8_t> generated;
    const tm2::Status s = tm2::WriteModel(tm2::test::MakeA4ModelSpec(mixed), &generated);
    INFO(s.message());
    REQUIRE(s.ok());
    const std::vector<uint8_t> checked_in =
        ReadOrFail(kFixtures + (mixed ? "/models/a4_mixed_cough.tm2" : "/models/a4_cough.tm2"));
    CHECK(generated == checked_in);
  }
}

TEST_CASE("packed int4 activations: the A4 models hash to the expected values, packed or not") {
  const std::vector<uint8_t> expected =
      ReadOrFail(std::string(TM2_PARITY_DIR) + "/expected_hashes.txt");
  std::vector<std::vector<uint8_t>> clip_bytes;
  std::vector<tm2::test::ClipBytes> clips;
  for (const char* name : tm2::test::kA4ClipNames)
    clip_bytes.push_back(ReadOrFail(kFixtures + "/audio/" + name));
  for (int i = 0; i < tm2::test::kNumA4Clips; ++i)
    clips.push_back({tm2::test::kA4ClipNames[i], clip_bytes[i].data(), clip_bytes[i].size()});
  std::vector<uint8_t> arena(1 << 20);
  const tm2::KernelTable* tables[] = {&tm2::ReferenceKernels(), &tm2::SelectKernels()};
  for (const char* file : {"/models/a4_cough.tm2", "/models/a4_mixed_cough.tm2"}) {
    const std::vector<uint8_t> model = ReadOrFail(kFixtures + file);
    const int failures = tm2::test::RunA4Parity(
        model.data(), model.size(), arena.data(), arena.size(), tables, 2, clips.data(),
        static_cast<int>(clips.size()), reinterpret_cast<const char*>(expected.data()),
        expected.size());
    INFO(file);
    CHECK(failures == 0);
  }
}
