// Clock: the source of wall time, injectable so tests and evaluations are deterministic.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace kefu {

// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch, UTC.
  virtual int64_t NowMillis() const = 0;
};

// The real system clock; a process-wide instance that is never destroyed.
Clock& SystemClock();

// A clock that stays where it is set. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_millis) : now_(now_millis) {}
  int64_t NowMillis() const override { return now_.load(); }
  void Set(int64_t now_millis) { now_.store(now_millis); }
  void Advance(std::chrono::milliseconds d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace kefu
