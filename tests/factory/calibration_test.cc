// Expected calibration error and reliability bins on hand-made
// probabilities, against values worked out by hand.
#include <catch2/catch.hpp>

#include "results/calibration.h"

using namespace tm2::factory;

TEST_CASE("ECE over 15 bins matches a hand computation") {
  // Top-label confidence and whether the top label is right:
  // 0.9 right (bin 13), 0.8 wrong (bin 12), 0.7 right (bin 10),
  // 0.55 wrong (bin 8), 0.95 right and 0.96 wrong (both bin 14).
  const std::vector<std::vector<double>> prob = {{0.9, 0.1},   {0.8, 0.2},   {0.3, 0.7},
                                                 {0.45, 0.55}, {0.95, 0.05}, {0.96, 0.04}};
  const std::vector<int> label = {0, 1, 1, 0, 0, 1};
  const Calibration c = CalibrationOf(prob, label, 15);
  REQUIRE(c.bins.size() == 15);
  CHECK(c.bins[14].n == 2);
  CHECK(c.bins[14].confidence == Approx(0.955));
  CHECK(c.bins[14].accuracy == Approx(0.5));
  CHECK(c.bins[12].accuracy == 0);
  // (|1-0.9| + |0-0.8| + |1-0.7| + |0-0.55| + 2 |0.5-0.955|) / 6
  CHECK(c.ece == Approx((0.1 + 0.8 + 0.3 + 0.55 + 2 * 0.455) / 6));
  const std::string table = ReliabilityMarkdown(c);
  CHECK(table.find("| 0.933-1.000 | 2 | 0.955 | 0.500 | -0.455 |") != std::string::npos);
  CHECK(table.find("ECE (15 bins): 0.443; a perfectly calibrated model") != std::string::npos);
}

TEST_CASE("a confidence of exactly 1 falls in the last bin; perfect calibration gives 0") {
  const Calibration c = CalibrationOf({{1.0, 0.0}, {0.0, 1.0}}, {0, 1}, 15);
  CHECK(c.bins[14].n == 2);
  CHECK(c.ece == 0);
}

TEST_CASE("the consistency band holds a calibrated model's ECE and not an overconfident one's") {
  // 200 units at confidence 0.8: 160 right is calibrated, 100 right is not.
  std::vector<std::vector<double>> prob(200, {0.8, 0.2});
  std::vector<int> calibrated(200, 0), overconfident(200, 0);
  for (int i = 0; i < 40; ++i) calibrated[i] = 1;
  for (int i = 0; i < 100; ++i) overconfident[i] = 1;
  const Calibration a = CalibrationOf(prob, calibrated, 15), b = CalibrationOf(prob, overconfident, 15);
  CHECK(a.ece == Approx(0).margin(1e-12));
  CHECK(b.ece == Approx(0.3));
  // One bin of 200 Bernoulli(0.8) draws: mean |hits/200 - 0.8| = sqrt(0.16/200) sqrt(2/pi) = 0.0226.
  CHECK(a.calibrated_mean == Approx(0.0226).margin(0.004));
  CHECK(a.calibrated_lo >= 0);
  CHECK(a.calibrated_hi < 0.07);
  CHECK(b.ece > b.calibrated_hi);
  // The band depends on the confidences only, not on the labels.
  CHECK(a.calibrated_mean == b.calibrated_mean);
}
