// The parity test model: a small, real three-branch TinyM2Net-shaped model
// (cough log-mel, speech MFCC, breath 8 kHz log-mel; fused by concat into a
// dense head) with weights drawn from a fixed seed. It exercises every layer
// type, int8 and packed int4 weights, 4-bit activations, every crop policy,
// both windows, both normalisations and three model sample rates.
//
// tests/fixtures/models/parity_multibranch.tm2 is this spec written by
// make_parity_model; a test checks that regenerating gives the same bytes.
#ifndef TM2_TESTS_PARITY_PARITY_MODEL_H_
#define TM2_TESTS_PARITY_PARITY_MODEL_H_

#include "format/writer.h"

namespace tm2 {
namespace test {

ModelSpec MakeParityModelSpec(uint64_t seed = 20221);

// The packed int4 activation model (tests/fixtures/models/a4_cough.tm2, and
// a4_mixed_cough.tm2 with `mixed`): one COVID-cough-shaped branch whose
// layer outputs are declared 4-bit (all, or about half).
ModelSpec MakeA4ModelSpec(bool mixed, uint64_t seed = 20264);

}  // namespace test
}  // namespace tm2

#endif  // TM2_TESTS_PARITY_PARITY_MODEL_H_
