#include <cstring>
#include <vector>

#include "catch2/catch.hpp"
#include "format/model.h"

namespace {

// Bit-at-a-time CRC-32 straight from the polynomial: the slow definition
// the table-driven one must match.
uint32_t SlowCrc32(const uint8_t* d, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= d[i];
    for (int b = 0; b < 8; ++b) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

}  // namespace

TEST_CASE("Crc32 gives the IEEE check value and matches the bitwise definition", "[format][crc]") {
  const char* check = "123456789";
  // The CRC-32/ISO-HDLC catalogue check value (the same as zlib's crc32).
  CHECK(tm2::Crc32(reinterpret_cast<const uint8_t*>(check), std::strlen(check)) == 0xCBF43926u);
  CHECK(tm2::Crc32(nullptr, 0) == 0u);
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + (i >> 3));
  for (size_t n : {1, 2, 3, 7, 64, 999, 1000}) {
    CHECK(tm2::Crc32(data.data(), n) == SlowCrc32(data.data(), n));
  }
}
