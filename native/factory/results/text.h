// Number formatting shared by the report and the study table.
#ifndef TM2_FACTORY_RESULTS_TEXT_H_
#define TM2_FACTORY_RESULTS_TEXT_H_

#include <cstdio>
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

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RESULTS_TEXT_H_
