// Random damage to valid files must never crash the loader or let it hand
// out a model that reads outside the file. Half of the mutants get a
// repaired header (size and CRC), so they get past the checksum and reach the
// FlatBuffers verifier and the semantic checks. Run it under ASan + UBSan
// (build/*-asan) to catch out-of-bounds reads the assertions cannot see.
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "file_edit.h"
#include "format/writer.h"
#include "sample_model.h"

namespace {

using tm2::test::Rng;

enum Mutation { kFlipBits, kOverwrite, kInsert, kDelete, kSizeField, kNumMutations };

void Mutate(std::vector<uint8_t>* f, Mutation kind, Rng& rng) {
  const size_t n = f->size();
  const size_t at = n ? rng.Next() % n : 0;
  switch (kind) {
    case kFlipBits:
      for (int k = rng.Uniform(1, 4); k > 0; --k)
        (*f)[rng.Next() % n] ^= static_cast<uint8_t>(1u << rng.Uniform(0, 7));
      break;
    case kOverwrite: {
      // Small integers and 0xFF runs hit counts, offsets and enums hardest.
      const int len = rng.Uniform(1, 8);
      for (int i = 0; i < len && at + i < n; ++i) {
        const int style = rng.Uniform(0, 2);
        (*f)[at + i] = static_cast<uint8_t>(style == 0   ? rng.Next()
                                            : style == 1 ? rng.Uniform(0, 4)
                                                         : 0xFF);
      }
      break;
    }
    case kInsert:
      f->insert(f->begin() + static_cast<long>(at), static_cast<size_t>(rng.Uniform(1, 16)),
                static_cast<uint8_t>(rng.Next()));
      break;
    case kDelete:
      f->erase(f->begin() + static_cast<long>(at),
               f->begin() + static_cast<long>(std::min(n, at + rng.Uniform(1, 16))));
      break;
    default:
      if (n >= tm2::kHeaderBytes) {
        const uint32_t v =
            rng.Uniform(0, 1) ? rng.Next() : static_cast<uint32_t>(n - 16 + rng.Uniform(-8, 8));
        tm2::test::PutU32(f, 8, v);
      }
      break;
  }
}

// Which stage of the loader stopped a mutant.
std::string Stage(const char* message) {
  const std::string s(message);
  if (s.find("checksum") != std::string::npos) return "checksum";
  if (s.find("FlatBuffers verifier") != std::string::npos) return "verifier";
  if (s.rfind("branch", 0) == 0 || s.rfind("head", 0) == 0 || s.rfind("fusion", 0) == 0 ||
      s.find("labels") != std::string::npos || s.find("branches") != std::string::npos ||
      s.find("metadata") != std::string::npos || s.find("temperature") != std::string::npos) {
    return "semantic";
  }
  return "container";  // size, magic, version, identifier, alignment
}

}  // namespace

TEST_CASE("10,000+ random mutations never crash the loader", "[format][mutation]") {
  std::vector<std::vector<uint8_t>> seeds(2);
  REQUIRE(tm2::WriteModel(tm2::test::SmallSpec(), &seeds[0]).ok());
  REQUIRE(tm2::WriteModel(tm2::test::MultiBranchSpec(), &seeds[1]).ok());

  Rng rng(12345);
  std::map<std::string, int> stages;
  int loaded = 0;
  const int kRuns = 12000;
  std::vector<uint32_t> storage;
  for (int run = 0; run < kRuns; ++run) {
    std::vector<uint8_t> f = seeds[run % 2 == 0 ? 0 : (rng.Next() % 4 == 0 ? 1 : 0)];
    const bool repair = (run / 2) % 2 == 0;  // half of all runs, across both seeds
    const int rounds = rng.Uniform(1, 3);
    Mutation last = kFlipBits;
    for (int r = 0; r < rounds; ++r) {
      last = static_cast<Mutation>(rng.Uniform(0, kNumMutations - 1));
      Mutate(&f, last, rng);
    }
    if (repair && f.size() >= tm2::kHeaderBytes) {
      const uint32_t size_field = f[8] | (f[9] << 8) | (f[10] << 16) | (uint32_t{f[11]} << 24);
      tm2::test::FixHeader(&f);
      if (last == kSizeField) tm2::test::PutU32(&f, 8, size_field);  // keep the edited size
    }
    tm2::Model model;
    const tm2::Status st = tm2::test::LoadCopy(f, &storage, &model);
    if (st.ok()) {
      ++loaded;
      (void)tm2::test::WalkModel(model);  // reads every weight; ASan checks the bounds
      stages["loaded"]++;
    } else {
      CHECK(std::strlen(st.message()) > 0);
      CHECK(model.root() == nullptr);
      stages[Stage(st.message())]++;
    }
  }
  for (const auto& kv : stages) WARN(kv.first << ": " << kv.second);
  // The repaired half must get past the checksum into the deeper checks.
  CHECK(stages["checksum"] > 100);
  CHECK(stages["verifier"] > 100);
  CHECK(stages["semantic"] > 50);
  CHECK(loaded > 0);  // e.g. a changed weight byte with a repaired CRC is a valid model
  CHECK(loaded < kRuns);
}

TEST_CASE("Random mutations of a pack never crash LoadPack", "[format][mutation][pack]") {
  // Format 1.2: both PQ code widths and Narrow per-channel parameters (a
  // mutated header or length must be refused, never read past).
  std::vector<uint8_t> seed;
  REQUIRE(tm2::WritePack(tm2::test::SamplePackSpec(), &seed).ok());
  REQUIRE(seed[6] == tm2::kFormatMinorNarrow);
  Rng rng(777);
  std::map<std::string, int> stages;
  int loaded = 0;
  const int kRuns = 4000;
  std::vector<uint32_t> storage;
  for (int run = 0; run < kRuns; ++run) {
    std::vector<uint8_t> f = seed;
    const int rounds = rng.Uniform(1, 3);
    Mutation last = kFlipBits;
    for (int r = 0; r < rounds; ++r) {
      last = static_cast<Mutation>(rng.Uniform(0, kNumMutations - 1));
      Mutate(&f, last, rng);
    }
    if (run % 4 != 0 && f.size() >= tm2::kHeaderBytes) {  // most reach the deeper checks
      const uint32_t size_field = f[8] | (f[9] << 8) | (f[10] << 16) | (uint32_t{f[11]} << 24);
      tm2::test::FixHeader(&f);
      if (last == kSizeField) tm2::test::PutU32(&f, 8, size_field);
    }
    tm2::Pack pack;
    const tm2::Status st = tm2::test::LoadPackCopy(f, &storage, &pack);
    if (st.ok()) {
      ++loaded;
      for (int i = 0; i < pack.num_models(); ++i) (void)tm2::test::WalkModel(pack.model(i));
    } else {
      CHECK(std::strlen(st.message()) > 0);
      CHECK(pack.num_models() == 0);
      const std::string m = st.message();
      stages[m.find("checksum") != std::string::npos        ? "checksum"
             : m.find("FlatBuffers verifier") != std::string::npos ? "verifier"
             : m.rfind("pack: ", 0) == 0                     ? "pack semantics"
                                                             : "container"]++;
    }
  }
  for (const auto& kv : stages) WARN(kv.first << ": " << kv.second);
  CHECK(stages["verifier"] > 100);
  CHECK(stages["pack semantics"] > 20);
  CHECK(loaded > 0);
}
