// The container: header fields, checksum, truncation, alignment, versions.
#include <algorithm>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "file_edit.h"
#include "format/writer.h"
#include "sample_model.h"

namespace {

using tm2::StatusCode;

std::vector<uint8_t> Small() {
  std::vector<uint8_t> f;
  const tm2::Status st = tm2::WriteModel(tm2::test::SmallSpec(), &f);
  INFO(st.message());
  REQUIRE(st.ok());
  return f;
}

void ExpectError(const std::vector<uint8_t>& file, StatusCode code, const std::string& text) {
  const tm2::Status st = tm2::test::LoadCopy(file);
  INFO("got: " << st.message());
  CHECK(st.code() == code);
  CHECK_THAT(st.message(), Catch::Contains(text));
}

}  // namespace

TEST_CASE("Header fields are checked in order with clear messages", "[format][header]") {
  const std::vector<uint8_t> good = Small();
  REQUIRE(tm2::test::LoadCopy(good).ok());
  const size_t payload = good.size() - tm2::kHeaderBytes;

  ExpectError(std::vector<uint8_t>(good.begin(), good.begin() + 15), StatusCode::kBadModel,
              "model: 15 bytes, smaller than the 16-byte header");
  auto f = good;
  f[2] = '3';
  ExpectError(f, StatusCode::kBadModel, "model: bad magic");
  f = good;
  tm2::test::PutU16(&f, 4, 2);
  ExpectError(f, StatusCode::kUnsupported, "model: format 2.0 is newer than this reader (1.x)");
  f = good;
  tm2::test::PutU16(&f, 4, 0);
  ExpectError(f, StatusCode::kUnsupported, "model: format 0.0 is not read by this reader (1.x)");
  f = good;
  tm2::test::PutU32(&f, 8, static_cast<uint32_t>(payload + 100));
  ExpectError(f, StatusCode::kBadModel,
              "model: truncated: header says " + std::to_string(payload + 100) +
                  " payload bytes, file has " + std::to_string(payload));
  f = good;
  f.push_back(0);
  ExpectError(f, StatusCode::kBadModel, "model: 1 bytes after the " + std::to_string(payload));
  f = good;
  f[f.size() - 5] ^= 0x10;
  ExpectError(f, StatusCode::kBadModel, "model: checksum mismatch (payload corrupt)");
  f = good;
  f[tm2::kHeaderBytes + 4] = 'X';
  tm2::test::FixHeader(&f);
  ExpectError(f, StatusCode::kBadModel, "model: payload identifier is not TM2P");
  f = good;
  tm2::test::PutU32(&f, tm2::kHeaderBytes, 0x7FFFFFF0u);  // root offset far outside
  tm2::test::FixHeader(&f);
  ExpectError(f, StatusCode::kBadModel, "model: payload fails the FlatBuffers verifier");
  f = std::vector<uint8_t>(good.begin(), good.begin() + tm2::kHeaderBytes + 4);
  tm2::test::FixHeader(&f);
  ExpectError(f, StatusCode::kBadModel, "model: payload of 4 bytes is not a FlatBuffer");
}

TEST_CASE("A buffer that is not 4-byte aligned is refused", "[format][header]") {
  const std::vector<uint8_t> good = Small();
  std::vector<uint32_t> storage(good.size() / 4 + 2);
  uint8_t* odd = reinterpret_cast<uint8_t*>(storage.data()) + 1;
  std::copy(good.begin(), good.end(), odd);
  tm2::Model model;
  const tm2::Status st = tm2::LoadModel(odd, good.size(), &model);
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(st.message(), Catch::Contains("not 4-byte aligned"));
  CHECK(model.root() == nullptr);
  CHECK(tm2::LoadModel(nullptr, 100, &model).code() == StatusCode::kBadModel);
}

TEST_CASE("Truncation at every length is rejected", "[format][header]") {
  const std::vector<uint8_t> good = Small();
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + n);
    INFO("length " << n);
    CHECK(!tm2::test::LoadCopy(cut).ok());
    // With the header rewritten to match, the cut reaches the FlatBuffers
    // verifier and the semantic checks.
    // Only the builder's alignment padding (the last < 4 zero bytes) may
    // go unnoticed there: nothing points into it.
    if (n >= tm2::kHeaderBytes) {
      tm2::test::FixHeader(&cut);
      const bool padding_only =
          good.size() - n < 4 &&
          std::all_of(good.begin() + n, good.end(), [](uint8_t b) { return b == 0; });
      if (!padding_only) CHECK(!tm2::test::LoadCopy(cut).ok());
    }
  }
}

TEST_CASE("Every single-bit flip of the header and of sampled payload bytes is caught",
          "[format][header]") {
  const std::vector<uint8_t> good = Small();
  for (size_t byte = 0; byte < tm2::kHeaderBytes; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      auto f = good;
      f[byte] ^= static_cast<uint8_t>(1u << bit);
      std::vector<uint32_t> storage;
      tm2::Model model;
      const tm2::Status st = tm2::test::LoadCopy(f, &storage, &model);
      INFO("byte " << byte << " bit " << bit << ": " << st.message());
      if (byte == 6 || byte == 7) {
        // The minor version is additive: a 1.x reader reads any 1.x file and
        // reports the minor it found.
        REQUIRE(st.ok());
        CHECK(model.format_minor() == (f[6] | (f[7] << 8)));
      } else {
        CHECK(!st.ok());
      }
    }
  }
  for (size_t byte = tm2::kHeaderBytes; byte < good.size(); byte += 3) {
    for (int bit = 0; bit < 8; ++bit) {
      auto f = good;
      f[byte] ^= static_cast<uint8_t>(1u << bit);
      const tm2::Status st = tm2::test::LoadCopy(f);
      INFO("byte " << byte << " bit " << bit);
      CHECK(st.code() == StatusCode::kBadModel);
      CHECK_THAT(st.message(), Catch::Equals("model: checksum mismatch (payload corrupt)"));
    }
  }
}

TEST_CASE("Versioning: newer minors load, unknown fields are ignored, new encodings are refused",
          "[format][header]") {
  const std::vector<uint8_t> good = Small();
  auto m = tm2::test::Unpack(good);
  // A 1.1 file that uses 1.1 additions only where a 1.0 reader may skip them.
  m->codebooks = {0.5f, -0.25f, 1.0f};
  std::vector<uint32_t> storage;
  tm2::Model model;
  const std::vector<uint8_t> v11 = tm2::test::Pack(*m, 1, 1);
  const tm2::Status st = tm2::test::LoadCopy(v11, &storage, &model);
  INFO(st.message());
  REQUIRE(st.ok());
  CHECK(model.format_minor() == 1);
  CHECK(model.num_labels() == 2);
  // A 1.1 model (not a pack) with a ProductQuantized layer has no codebooks.
  m->head[0]->weight_encoding = tm2::fbt::WeightEncoding::ProductQuantized;
  ExpectError(tm2::test::Pack(*m, 1, 1), StatusCode::kBadModel,
              "head layer 0 (FullyConnected): ProductQuantized weights outside a model pack");
  // A later file whose layer needs an encoding this reader does not know.
  m->head[0]->weight_encoding = tm2::fbt::WeightEncoding::Future;
  ExpectError(tm2::test::Pack(*m, 1, 2), StatusCode::kUnsupported,
              "head layer 0 (FullyConnected): weight encoding 2 needs a newer reader");
  // A failed load leaves the Model empty.
  CHECK(!tm2::test::LoadCopy(tm2::test::Pack(*m, 1, 1), &storage, &model).ok());
  CHECK(model.root() == nullptr);
  CHECK(model.num_branches() == 0);
}
