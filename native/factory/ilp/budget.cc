#include "ilp/budget.h"

#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace tm2 {
namespace factory {

namespace {

int64_t ParseSize(const std::string& key, const std::string& v) {
  size_t i = 0;
  int64_t n = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) {
    if (n > (INT64_C(1) << 40)) throw std::invalid_argument("budget " + key + "=" + v + ": too large");
    n = n * 10 + (v[i++] - '0');
  }
  if (i == 0) throw std::invalid_argument("budget " + key + "=" + v + ": expected a size such as 32K or 20000");
  std::string unit = v.substr(i);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  int64_t scale = 1;
  if (unit == "K" || unit == "KB") scale = 1024;
  else if (unit == "M" || unit == "MB") scale = 1024 * 1024;
  else if (!unit.empty() && unit != "B")
    throw std::invalid_argument("budget " + key + "=" + v + ": unknown unit '" + v.substr(i) + "' (use K or M)");
  if (n == 0) throw std::invalid_argument("budget " + key + "=" + v + ": must be above 0");
  return n * scale;
}

}  // namespace

BitBudgets ParseBudgets(const std::string& text) {
  BitBudgets b;
  if (text.empty()) throw std::invalid_argument("budget: empty (use e.g. ram=32K,flash=16K)");
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw std::invalid_argument("budget '" + item + "': expected key=size, keys ram and flash");
    const std::string key = item.substr(0, eq);
    int64_t* slot = key == "ram" ? &b.ram : key == "flash" ? &b.flash : nullptr;
    if (!slot) throw std::invalid_argument("budget: unknown key '" + key + "' (keys: ram, flash)");
    if (*slot >= 0) throw std::invalid_argument("budget: " + key + " given twice");
    *slot = ParseSize(key, item.substr(eq + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return b;
}

std::string FormatBytes(int64_t bytes) {
  char buf[64];
  if (bytes >= 1024) std::snprintf(buf, sizeof(buf), "%.1f KB (%lld B)", bytes / 1024.0, static_cast<long long>(bytes));
  else std::snprintf(buf, sizeof(buf), "%lld B", static_cast<long long>(bytes));
  return buf;
}

std::string InfeasibleMessage(const BitBudgets& b, int64_t min_flash, int64_t min_ram) {
  std::string m = "no bit allocation fits the budget (";
  if (b.ram >= 0) m += "ram " + FormatBytes(b.ram);
  if (b.flash >= 0) m += std::string(b.ram >= 0 ? ", " : "") + "flash " + FormatBytes(b.flash);
  m += "): the least any 4/8-bit allocation reaches is";
  if (b.ram >= 0) m += " ram " + FormatBytes(min_ram) + " (every activation 4-bit but the logits, as the engine plans it)";
  if (b.flash >= 0)
    m += std::string(b.ram >= 0 ? " and" : "") + " flash " + FormatBytes(min_flash) + " of weights (every weight 4-bit" +
         " but pinned layers)";
  return m;
}

}  // namespace factory
}  // namespace tm2
