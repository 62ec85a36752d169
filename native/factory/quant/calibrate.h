// Sets a net's fake-quantization observers (the ranges its outputs are
// quantized to) from one pass over the training set, as QAT starts and as
// the bit allocation and the frontier measure a quantized net.
//
//   CalibrateObservers(qnet, d.train);   // fake quantization on, train mode
//   qnet->FreezeObservers(true);         // keep these ranges, then
//   qnet->eval();                        // evaluate (or fine-tune with QAT)
#ifndef TM2_FACTORY_QUANT_CALIBRATE_H_
#define TM2_FACTORY_QUANT_CALIBRATE_H_

#include "train/trainer.h"

namespace tm2 {
namespace factory {

// One no-gradient pass in batches of 64 with fake quantization on and the
// net in train mode (observers update only there); the net is left so.
void CalibrateObservers(TinyNet& net, const TensorSet& train);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_QUANT_CALIBRATE_H_
