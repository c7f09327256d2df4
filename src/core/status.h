// Status: the result of an operation that returns no value. Expected failures (bad input, not
// found, backend down, timeout) are Status values, never exceptions.
//
//   Status s = store.SaveTurn(record);
//   if (!s.ok()) return s.WithContext("persist");
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace kefu {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kUnauthenticated,
  kPermissionDenied,
  kResourceExhausted,
  kOutOfRange,  // input past an explicit limit (audio too long): the caller must send less
  kDeadlineExceeded,
  kUnavailable,
  kCancelled,
  kUnimplemented,
  kInternal,
};

// Stable snake_case name of a code, as used in API error bodies ("invalid_argument").
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is prefixed with "context: ".
  Status WithContext(std::string_view context) const;
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() {
  return Status();
}
inline Status InvalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFoundError(std::string m) {
  return {StatusCode::kNotFound, std::move(m)};
}
inline Status AlreadyExistsError(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status FailedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status UnauthenticatedError(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}
inline Status PermissionDeniedError(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status ResourceExhaustedError(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status DeadlineExceededError(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status UnavailableError(std::string m) {
  return {StatusCode::kUnavailable, std::move(m)};
}
inline Status CancelledError(std::string m) {
  return {StatusCode::kCancelled, std::move(m)};
}
inline Status OutOfRangeError(std::string m) {
  return {StatusCode::kOutOfRange, std::move(m)};
}
inline Status UnimplementedError(std::string m) {
  return {StatusCode::kUnimplemented, std::move(m)};
}
inline Status InternalError(std::string m) {
  return {StatusCode::kInternal, std::move(m)};
}

std::ostream& operator<<(std::ostream& os, const Status& status);

}  // namespace kefu

// Programmer errors only; user input must never trip it.
#define KEFU_CHECK(cond)                                        \
  do {                                                          \
    if (!(cond)) {                                              \
      ::kefu::internal::CheckFailed(#cond, __FILE__, __LINE__); \
    }                                                           \
  } while (0)

namespace kefu::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
}  // namespace kefu::internal

#define KEFU_RETURN_IF_ERROR(expr)        \
  do {                                    \
    ::kefu::Status kefu_status_ = (expr); \
    if (!kefu_status_.ok())               \
      return kefu_status_;                \
  } while (0)
