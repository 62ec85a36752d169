// Memory budgets as people write them: "ram=32K,flash=16K" (tm2-factory
// train --budget). Sizes are bytes, with an optional K (1024) or M
// (1048576) suffix, KB/MB and lower case accepted; "ram" is the peak arena
// as the engine plans it on a small part (ilp/ram_plan.h), "flash" the
// weight bytes. Throws std::invalid_argument naming what is wrong.
//
//   BitBudgets b = ParseBudgets("ram=32K,flash=16K");   // b.ram == 32768
#ifndef TM2_FACTORY_ILP_BUDGET_H_
#define TM2_FACTORY_ILP_BUDGET_H_

#include <string>

#include "ilp/bit_allocation.h"

namespace tm2 {
namespace factory {

BitBudgets ParseBudgets(const std::string& text);
// "32 KB (32768 B)"-style text for messages and cards.
std::string FormatBytes(int64_t bytes);
// The message for a budget no allocation meets, with the least RAM and
// flash any allocation reaches.
std::string InfeasibleMessage(const BitBudgets& b, int64_t min_flash, int64_t min_ram);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_ILP_BUDGET_H_
