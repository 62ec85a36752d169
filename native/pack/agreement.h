// How closely a model follows another on the same inputs: both run on the
// engine (selected kernels), fed the same audio (each file to every
// branch) and the same seeded random int8 features. tm2-pack uses it to
// choose which layers to code and to report the result.
//
//   tm2::pack::Agreement a;
//   TM2_RETURN_IF_ERROR(tm2::pack::Compare(source, packed, audio, 200, 7, &a));
//   printf("top-1 %d/%d\n", a.same_top, a.total);
#ifndef TM2_NATIVE_PACK_AGREEMENT_H_
#define TM2_NATIVE_PACK_AGREEMENT_H_

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "format/model.h"

namespace tm2 {
namespace pack {

struct AudioInput {
  std::vector<float> samples;  // interleaved
  uint32_t rate = 0;
  uint16_t channels = 0;
};

struct Agreement {
  int total = 0;
  int same_top = 0;     // same top class
  int same_logits = 0;  // identical int8 logits
  double max_dp = 0;    // largest probability difference
  double top_share() const { return total ? static_cast<double>(same_top) / total : 1.0; }
};

// `a` and `b` must take the same inputs (branches and shapes). Audio too
// short for a model is skipped.
Status Compare(const Model& a, const Model& b, const std::vector<AudioInput>& audio,
               int random_inputs, uint32_t seed, Agreement* out);

}  // namespace pack
}  // namespace tm2

#endif  // TM2_NATIVE_PACK_AGREEMENT_H_
