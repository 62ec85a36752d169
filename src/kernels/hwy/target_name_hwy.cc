// Which Highway target the hwy kernels run on, for KernelTable::name.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hwy/target_name_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <string>

#include "hwy/highway.h"
#include "kernels/hwy/hwy_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {
// Compiled once per target, so dispatch itself answers which one won.
const char* TargetName() { return hwy::TargetName(HWY_TARGET); }
// "hwy:" + TargetName(), built once per target (each has its own buffer).
const char* TableName() {
  static const std::string name = std::string("hwy:") + hwy::TargetName(HWY_TARGET);
  return name.c_str();
}
}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tm2 {
#if !defined(TM2_HWY_STATIC)
HWY_EXPORT(TargetName);
HWY_EXPORT(TableName);
#endif
const char* HwyTargetName() { return TM2_HWY_DISPATCH(TargetName)(); }
const char* HwyTableName() { return TM2_HWY_DISPATCH(TableName)(); }
}  // namespace tm2
#endif
