// RequantizeOne and UnpackInt4 against straightforward formulations that
// share none of their tricks: 128-bit integers with floor division, and
// nibble arithmetic by cases.
#include <cstdint>

#include "catch2/catch.hpp"
#include "kernel_case.h"
#include "kernels/kernels.h"

namespace {

// floor(a / 2^n) for a 128-bit a, by division, not by shifting.
__int128 FloorDivPow2(__int128 a, int n) {
  const __int128 d = static_cast<__int128>(1) << n;
  __int128 q = a / d;  // truncates toward zero
  if ((a % d) != 0 && a < 0) q -= 1;
  return q;
}

int8_t BigRequantize(int32_t acc, int32_t m, int n, int32_t zp, int32_t lo, int32_t hi) {
  const __int128 prod = static_cast<__int128>(acc) * m + (static_cast<__int128>(1) << (n - 1));
  __int128 y = FloorDivPow2(prod, n) + zp;
  if (y < lo) y = lo;
  if (y > hi) y = hi;
  return static_cast<int8_t>(static_cast<int32_t>(y));
}

}  // namespace

TEST_CASE("RequantizeOne matches 128-bit floor division at every shift") {
  tm2::test::Rng rng(7);
  const int32_t special[] = {0, 1, -1, 2, -2, 127, -128, 1 << 20, -(1 << 20), INT32_MAX, INT32_MIN};
  for (int n = 1; n <= 62; ++n) {
    const int32_t shift = 31 - n;
    for (int i = 0; i < 400; ++i) {
      const int32_t acc = i < 11 ? special[i] : static_cast<int32_t>(rng.Next()) >> rng.Int(0, 31);
      const int32_t m = i % 11 < 4 ? special[(i / 11) % 11] : static_cast<int32_t>(rng.Next());
      const int32_t zp = rng.Int(-128, 127);
      const int32_t lo = rng.Chance(70) ? -128 : rng.Int(-128, 0);
      const int32_t hi = rng.Chance(70) ? 127 : rng.Int(0, 127);
      const int8_t want = BigRequantize(acc, m, n, zp, lo, hi);
      const int8_t got = tm2::RequantizeOne(acc, m, shift, zp, lo, hi);
      if (want != got) {
        INFO("acc " << acc << " multiplier " << m << " n " << n << " zp " << zp);
        REQUIRE(int(want) == int(got));
      }
    }
  }
}

TEST_CASE("RequantizeOne rounds half up (toward +infinity) at exact halves") {
  // acc * 2^30 / 2^31 = acc / 2: odd acc lands exactly on a half.
  CHECK(tm2::RequantizeOne(1, 1 << 30, 0, 0, -128, 127) == 1);
  CHECK(tm2::RequantizeOne(-1, 1 << 30, 0, 0, -128, 127) == 0);
  CHECK(tm2::RequantizeOne(3, 1 << 30, 0, 0, -128, 127) == 2);
  CHECK(tm2::RequantizeOne(-3, 1 << 30, 0, 0, -128, 127) == -1);
  CHECK(tm2::RequantizeOne(1000, 1 << 30, 0, 0, -128, 127) == 127);
  CHECK(tm2::RequantizeOne(-1000, 1 << 30, 0, 0, -128, 127) == -128);
  CHECK(tm2::RequantizeOne(10, 1 << 30, 0, 0, 0, 6) == 5);
}

TEST_CASE("UnpackInt4 sign-extends each nibble, low nibble first") {
  uint8_t row[256];
  for (int b = 0; b < 256; ++b) row[b] = static_cast<uint8_t>(b);
  for (int b = 0; b < 256; ++b) {
    const int lo = b % 16, hi = b / 16;
    const int want_lo = lo >= 8 ? lo - 16 : lo;
    const int want_hi = hi >= 8 ? hi - 16 : hi;
    REQUIRE(tm2::UnpackInt4(row, 2 * b) == want_lo);
    REQUIRE(tm2::UnpackInt4(row, 2 * b + 1) == want_hi);
  }
  CHECK(tm2::WeightRowBytes(7, 4) == 4);
  CHECK(tm2::WeightRowBytes(8, 4) == 4);
  CHECK(tm2::WeightRowBytes(7, 8) == 7);
}
