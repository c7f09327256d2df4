// RequestContext: one request's deadline, cancellation flag, trace id and stage timings.
// Owned by whoever starts the request; borrowed (by reference) by every stage it runs.
// Not thread-safe, except Cancel(), which any thread may call.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace kefu {

struct StageTiming {
  std::string name;  // "nlu.understand", "store.persist"
  int64_t micros = 0;
  bool ok = true;
};

class RequestContext {
 public:
  using SteadyClock = std::chrono::steady_clock;

  RequestContext(std::string trace_id, SteadyClock::time_point deadline)
      : trace_id_(std::move(trace_id)), deadline_(deadline) {}
  RequestContext(const RequestContext&) = delete;
  RequestContext& operator=(const RequestContext&) = delete;

  // A context that never expires, for tools and tests.
  static RequestContext Unbounded(std::string trace_id) {
    return RequestContext(std::move(trace_id), SteadyClock::time_point::max());
  }
  static RequestContext WithTimeout(std::string trace_id, std::chrono::milliseconds timeout) {
    return RequestContext(std::move(trace_id), SteadyClock::now() + timeout);
  }

  const std::string& trace_id() const { return trace_id_; }
  SteadyClock::time_point deadline() const { return deadline_; }

  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

  // kCancelled when cancelled, kDeadlineExceeded when past the deadline, else ok.
  Status Check() const {
    if (cancelled()) {
      return CancelledError("request cancelled");
    }
    if (SteadyClock::now() > deadline_) {
      return DeadlineExceededError("request deadline exceeded");
    }
    return OkStatus();
  }

  void RecordStage(std::string name, int64_t micros, bool ok) {
    timings_.push_back({std::move(name), micros, ok});
  }
  const std::vector<StageTiming>& timings() const { return timings_; }

 private:
  std::string trace_id_;
  SteadyClock::time_point deadline_;
  std::atomic<bool> cancelled_{false};
  std::vector<StageTiming> timings_;
};

}  // namespace kefu
