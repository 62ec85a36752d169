// det_math against <cmath> in double: the accuracy stated in det_math.h.
#include <cmath>
#include <cstring>

#include "catch2/catch.hpp"
#include "common/det_math.h"

namespace tm2 {
namespace {

float FromBits(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

}  // namespace

TEST_CASE("DetLog is within 1.2e-7 relative over the positive floats", "[det_math]") {
  double worst = 0;
  for (uint32_t u = 1; u < 0x7f800000u; u += 1237) {  // subnormals to FLT_MAX
    float x = FromBits(u);
    double ref = std::log(static_cast<double>(x));
    if (ref == 0.0) continue;
    worst = std::max(worst, std::fabs(DetLog(x) - ref) / std::fabs(ref));
  }
  CHECK(worst <= 1.2e-7);
  CHECK(DetLog(1.0f) == 0.0f);
  CHECK(std::isinf(DetLog(0.0f)));
  CHECK(DetLog(0.0f) < 0);
  CHECK(std::isnan(DetLog(-1.0f)));
  CHECK(std::isinf(DetLog(FromBits(0x7f800000u))));
}

TEST_CASE("DetExp is within 2.4e-7 relative on [-87, 88.7]", "[det_math]") {
  double worst = 0;
  for (float x = -87.0f; x < 88.7f; x += 0.00373f) {
    double ref = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::fabs(DetExp(x) - ref) / ref);
  }
  CHECK(worst <= 2.4e-7);
  CHECK(DetExp(0.0f) == 1.0f);
  CHECK(DetExp(-200.0f) == 0.0f);
  CHECK(std::isinf(DetExp(100.0f)));
  // Gradual underflow still close in absolute terms.
  CHECK(std::fabs(DetExp(-100.0f) - std::exp(-100.0)) < 1e-44);
}

TEST_CASE("DetSin/DetCos and DetSinCosTurns are within 2e-7 absolute", "[det_math]") {
  double worst = 0;
  for (float x = -8192.0f; x < 8192.0f; x += 0.0917f) {
    worst = std::max(worst, std::fabs(DetSin(x) - std::sin(static_cast<double>(x))));
    worst = std::max(worst, std::fabs(DetCos(x) - std::cos(static_cast<double>(x))));
  }
  CHECK(worst <= 2e-7);
  double worst_turns = 0;
  for (uint64_t den : {3ull, 400ull, 512ull, 6400ull, 160000ull}) {
    for (uint64_t k = 0; k < 2 * den + 5; k += 1 + den / 4000) {
      float s, c;
      DetSinCosTurns(k, den, &s, &c);
      double a = 2.0 * 3.14159265358979323846 * static_cast<double>(k) / static_cast<double>(den);
      worst_turns = std::max(worst_turns, std::fabs(s - std::sin(a)));
      worst_turns = std::max(worst_turns, std::fabs(c - std::cos(a)));
    }
  }
  CHECK(worst_turns <= 1.2e-7);
  float s, c;
  DetSinCosTurns(1, 4, &s, &c);  // quarter turn is exact
  CHECK(s == 1.0f);
  CHECK(c == 0.0f);
}

}  // namespace tm2
