// The model card written beside every exported .tm2: <name>.card.json and
// <name>.card.md (data and licence, splits, metrics with intervals, size,
// arena, bit allocation, intended use and limits).
#ifndef TM2_FACTORY_RESULTS_CARD_H_
#define TM2_FACTORY_RESULTS_CARD_H_

#include <string>

#include "factory.h"

namespace tm2 {
namespace factory {

void WriteCard(const Recipe& recipe, const FactoryResult& result, const std::string& dir);

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RESULTS_CARD_H_
