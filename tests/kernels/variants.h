// Every kernel table a test must hold against the reference: the selected
// one, natively every Highway target this CPU can run (SSE4, AVX2, AVX3,
// EMU128), forced one at a time through Highway's test hook, and in the
// relaxed WASM build both of its packing forms (SetRelaxedDotNative).
#ifndef TM2_TESTS_KERNELS_VARIANTS_H_
#define TM2_TESTS_KERNELS_VARIANTS_H_

#include <functional>
#include <string>

#include "kernels/kernels.h"

namespace tm2 {
namespace test {

void ForEachVariant(const std::function<void(const KernelTable&, const std::string&)>& fn);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_KERNELS_VARIANTS_H_
