// What the server needs of a research protocol (models/protocols/*.json,
// validated in full by web/research/protocol.js): its id, version and each
// task's modality, length limits and number of takes. A file the page
// would refuse for these fields is refused here too, naming the field.
#ifndef TM2_STUDY_SERVER_PROTOCOL_H_
#define TM2_STUDY_SERVER_PROTOCOL_H_

#include <map>
#include <stdexcept>
#include <string>

#include "take_check.h"

namespace tm2study {

struct ProtocolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ProtocolTask {
  TaskLimits limits;
  int takes = 1;
};

struct Protocol {
  std::string id, version;
  std::map<std::string, ProtocolTask> tasks;
};

// Throws ProtocolError("protocol.tasks[1].maxSeconds: ...").
Protocol ParseProtocol(const std::string& json);

// Identifiers of web/research/protocol.js: a-z 0-9 - _, starting with a
// letter or digit, at most 40 characters.
bool IsIdentifier(const std::string& s);

}  // namespace tm2study

#endif  // TM2_STUDY_SERVER_PROTOCOL_H_
