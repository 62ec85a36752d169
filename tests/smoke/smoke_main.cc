// Smoke test that runs on all four targets (a firmware image on the MCU):
// tm2_core links and works, printf-style Status messages format as on a
// host, and the float and int64 arithmetic the kernels and preprocessing
// rely on gives the same bits everywhere. Exits non-zero on any mismatch.
//
// Expected values were derived off-target with exact arithmetic, rounded
// once to float32 / wrapped to 64 bits (IEEE-754 round-to-nearest-even;
// C++ integer division truncates toward zero). Inputs are volatile so the
// compiler cannot fold the operations at build time: the target computes.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "common/status.h"

namespace {

int g_checks = 0;
int g_failures = 0;

void Check(bool ok, const char* what) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
    std::printf("FAIL: %s\n", what);
  }
}

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

void CheckBits(float got, uint32_t want, const char* what) {
  if (Bits(got) != want)
    std::printf("  %s: got 0x%08lx, want 0x%08lx\n", what, static_cast<unsigned long>(Bits(got)),
                static_cast<unsigned long>(want));
  Check(Bits(got) == want, what);
}

void CheckI64(int64_t got, int64_t want, const char* what) {
  // %lld rather than PRId64: newlib's <cinttypes> hides the PRI macros from C++.
  if (got != want)
    std::printf("  %s: got %lld, want %lld\n", what, static_cast<long long>(got),
                static_cast<long long>(want));
  Check(got == want, what);
}

tm2::Status FailingStep(int layer) {
  return tm2::Status::Error(tm2::StatusCode::kBadModel, "layer %d rejected", layer);
}

tm2::Status TwoSteps() {
  TM2_RETURN_IF_ERROR(tm2::Status::Ok());
  TM2_RETURN_IF_ERROR(FailingStep(7));
  return tm2::Status::Ok();
}

void StatusChecks() {
  volatile int layer = 3;
  volatile long long found = -5;
  volatile double scale = 0.1;
  tm2::Status s = tm2::Status::Error(tm2::StatusCode::kArenaTooSmall,
                                     "layer %d (%s): expected %u bytes, found %lld; scale %.3f",
                                     layer, "conv2d", 1024u, found, scale);
  std::printf("  status: [%s] %s\n", tm2::Status::CodeName(s.code()), s.message());
  Check(!s.ok(), "an error status is not ok");
  Check(s.code() == tm2::StatusCode::kArenaTooSmall, "status keeps its code");
  Check(std::strcmp(s.message(), "layer 3 (conv2d): expected 1024 bytes, found -5; scale 0.100") == 0,
        "status message formats %d %s %u %lld %.3f");
  Check(std::strcmp(tm2::Status::CodeName(s.code()), "arena too small") == 0, "code name");
  Check(std::strcmp(tm2::Status().message(), "ok") == 0, "ok status says ok");

  char longer[400];
  std::memset(longer, 'x', sizeof(longer) - 1);
  longer[sizeof(longer) - 1] = '\0';
  tm2::Status t = tm2::Status::Error(tm2::StatusCode::kInvalidArgument, "%s", longer);
  Check(std::strlen(t.message()) == tm2::Status::kMaxMessage - 1, "long message truncated");

  tm2::Status r = TwoSteps();
  Check(r.code() == tm2::StatusCode::kBadModel && std::strcmp(r.message(), "layer 7 rejected") == 0,
        "TM2_RETURN_IF_ERROR returns the first error");
}

void FloatChecks() {
  volatile float one = 1.0f, three = 3.0f, two = 2.0f, tenth = 0.1f, fifth = 0.2f;
  CheckBits(one / three, 0x3EAAAAABu, "1/3");
  CheckBits(std::sqrt(two), 0x3FB504F3u, "sqrt(2)");
  CheckBits(tenth + fifth, 0x3E99999Au, "0.1 + 0.2");

  // a*a = 1 + 2^-11 + 2^-24 rounds (tie, to even) to 1 + 2^-11, so a*a - b
  // is 0 when the product is rounded; a fused multiply-add would give
  // 2^-24. Proves -ffp-contract=off holds on this target.
  volatile float a = 1.0f + 0x1p-12f, b = 1.0f + 0x1p-11f;
  CheckBits(a * a - b, 0x00000000u, "no FMA contraction");

  // A fixed-order float32 sum, as preprocessing does.
  volatile int n = 1000;
  float sum = 0.0f;
  for (int k = 1; k <= n; ++k) sum += one / static_cast<float>(k);
  CheckBits(sum, 0x40EF890Au, "harmonic sum 1..1000");

  // Subnormals are kept (no flush-to-zero on any target).
  volatile float tiny = 1e-38f, milli = 1e-3f;
  CheckBits(tiny * milli, 0x00001BE0u, "subnormal product");

  volatile float neg = -2.75f;
  volatile int32_t big = 123456789;
  CheckI64(static_cast<int32_t>(neg), -2, "float -> int truncates");
  CheckBits(static_cast<float>(big), 0x4CEB79A3u, "int -> float rounds to nearest");
}

void IntegerChecks() {
  // The kernels' requantization: (acc * multiplier + 2^(n-1)) >> n, n = 34,
  // with an arithmetic shift of a negative product.
  volatile int32_t acc = -123456789, multiplier = 1518500250;
  volatile int n = 34;
  const int64_t prod = static_cast<int64_t>(acc) * multiplier;
  CheckI64((prod + (int64_t{1} << (n - 1))) >> n, -10912142, "requantize");

  volatile int64_t max = INT64_MAX, neg = -9000000000000000007LL, d = 1000003;
  CheckI64(max / d, 9223344366821LL, "int64 divide");
  CheckI64(max % d, 675344, "int64 remainder");
  CheckI64(neg / d, -8999973000080LL, "negative int64 divide truncates");
  CheckI64(neg % d, -999767, "negative int64 remainder");

  volatile uint64_t x = 0x9E3779B97F4A7C15ull, y = 0xBF58476D1CE4E5B9ull;
  Check(x * y == 0xD67411C46C86742Dull, "uint64 multiply wraps");
  volatile int32_t i = INT32_MAX, j = INT32_MIN;
  CheckI64(static_cast<int64_t>(i) * j, -4611686016279904256LL, "int32 x int32 -> int64");

  // FNV-1a 64, the hash the parity tests compare across targets.
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char* p = "tinym2"; *p; ++p) {
    h ^= static_cast<uint8_t>(*p);
    h *= 0x100000001b3ull;
  }
  Check(h == 0x7354BCC83C49C660ull, "FNV-1a 64 of \"tinym2\"");
}

}  // namespace

int main() {
  StatusChecks();
  FloatChecks();
  IntegerChecks();
  std::printf("smoke: %d checks, %d failed\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
