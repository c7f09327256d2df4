// Result<T>: a value or a non-ok Status, with absl::StatusOr's API.
//
//   Result<Order> order = store.FindOrder(number);
//   if (!order.ok()) return order.status();
//   Use(*order);
#pragma once

#include <cassert>
#include <optional>
#include <utility>

#include "core/status.h"

namespace kefu {

template <typename T>
class [[nodiscard]] Result {
 public:
  // REQUIRES: !status.ok()
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok());
    if (status_.ok()) {
      status_ = InternalError("Result constructed from an ok Status without a value");
    }
  }
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok()
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T&& operator*() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

  T value_or(T fallback) const& { return ok() ? *value_ : std::move(fallback); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace kefu

#define KEFU_CONCAT_INNER_(a, b) a##b
#define KEFU_CONCAT_(a, b) KEFU_CONCAT_INNER_(a, b)
#define KEFU_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok())                                    \
    return tmp.status();                            \
  lhs = std::move(tmp).value()
#define KEFU_ASSIGN_OR_RETURN(lhs, expr) \
  KEFU_ASSIGN_OR_RETURN_IMPL_(KEFU_CONCAT_(kefu_result_, __LINE__), lhs, expr)
