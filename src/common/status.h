// tinym2 status: how every core function reports failure.
//
// The core is built without exceptions (the MCU target forbids them), so
// every fallible call returns a Status. A failed Status carries a code a
// program can branch on and a human-readable message that names the
// problem (which layer, which field, expected vs. found).
//
//   tm2::Status s = tm2::LoadModel(bytes, size, &model);
//   if (!s.ok()) { printf("cannot load model: %s\n", s.message()); }
#ifndef TM2_COMMON_STATUS_H_
#define TM2_COMMON_STATUS_H_

#include <cstdint>

namespace tm2 {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,  // a caller-supplied value is out of range
  kBadModel,         // the model file is corrupt or inconsistent
  kUnsupported,      // valid, but needs a feature this build lacks
  kArenaTooSmall,    // the caller's arena cannot hold the plan
  kNotReady,         // call order violated (e.g. Invoke before inputs)
};

class Status {
 public:
  Status() = default;  // ok
  static Status Ok() { return Status(); }
  // printf-style message; truncated to kMaxMessage-1 characters.
  static Status Error(StatusCode code, const char* format, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 2, 3)))
#endif
      ;

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const char* message() const { return ok() ? "ok" : message_; }
  static const char* CodeName(StatusCode code);

  static constexpr int kMaxMessage = 192;

 private:
  StatusCode code_ = StatusCode::kOk;
  char message_[kMaxMessage] = {0};
};

}  // namespace tm2

// Return early from the enclosing function if `expr` failed.
#define TM2_RETURN_IF_ERROR(expr)        \
  do {                                   \
    ::tm2::Status tm2_status_ = (expr);  \
    if (!tm2_status_.ok()) return tm2_status_; \
  } while (0)

#endif  // TM2_COMMON_STATUS_H_
