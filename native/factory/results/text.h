// Number formatting shared by the results tables, cards and plots.
#ifndef TM2_FACTORY_RESULTS_TEXT_H_
#define TM2_FACTORY_RESULTS_TEXT_H_

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace tm2 {
namespace factory {

// "0.873": three decimals, the precision every results table uses.
inline std::string F3(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", v);
  return b;
}

// "0.873 [0.816, 0.919]": a value and its 95 % interval.
inline std::string WithInterval(double value, double lo, double hi) {
  return F3(value) + " [" + F3(lo) + ", " + F3(hi) + "]";
}

// printf of up to three numbers: Fmt("%.1f %%", 100 * share).
inline std::string Fmt(const char* format, double a, double b = 0, double c = 0) {
  char buf[96];
  std::snprintf(buf, sizeof buf, format, a, b, c);
  return buf;
}

// "87.3 [77.9, 90.0]": a value and its 95 % interval as points (x 100), as
// the pack and frontier sections give them.
inline std::string PointsWithInterval(double value, double lo, double hi) {
  return Fmt("%.1f [%.1f, %.1f]", 100 * value, 100 * lo, 100 * hi);
}

// The same from a results entry {"value": v, "ci95": [lo, hi]}.
inline std::string PointsWithInterval(const nlohmann::json& v) {
  return PointsWithInterval(v.at("value").get<double>(), v.at("ci95").at(0).get<double>(),
                            v.at("ci95").at(1).get<double>());
}

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RESULTS_TEXT_H_
