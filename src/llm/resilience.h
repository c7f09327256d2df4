// Private to llm/: the circuit breaker and concurrency limit each OpenAI-compatible backend uses.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace kefu::llm {

// Closed: requests pass and consecutive failures are counted. After `failure_threshold` of them
// it opens: requests fail fast for `cooldown`. Then it is half-open: one trial request passes
// (others still fail fast); its success closes the breaker, its failure opens it again.
// Thread-safe.
class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  CircuitBreaker(int failure_threshold, std::chrono::milliseconds cooldown)
      : failure_threshold_(failure_threshold < 1 ? 1 : failure_threshold), cooldown_(cooldown) {}
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // True when a request may go ahead; the caller then reports it with RecordSuccess(),
  // RecordFailure() or RecordIgnored() (an outcome that says nothing about the server's health).
  bool Allow();
  void RecordSuccess();
  void RecordFailure();
  void RecordIgnored();

  // Whether Allow() would pass now (it does not take the half-open trial slot).
  bool WouldAllow() const;
  State state() const;

 private:
  using Clock = std::chrono::steady_clock;

  const int failure_threshold_;
  const std::chrono::milliseconds cooldown_;
  mutable std::mutex mutex_;
  State state_ = State::kClosed;
  int failures_ = 0;
  Clock::time_point opened_at_;
  bool trial_in_flight_ = false;
};

// A counting semaphore with a timed acquire. Thread-safe.
class ConcurrencyLimiter {
 public:
  explicit ConcurrencyLimiter(int slots) : free_(slots < 1 ? 1 : slots) {}
  ConcurrencyLimiter(const ConcurrencyLimiter&) = delete;
  ConcurrencyLimiter& operator=(const ConcurrencyLimiter&) = delete;

  // False when no slot freed up before `deadline`.
  bool AcquireUntil(std::chrono::steady_clock::time_point deadline);
  void Release();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int free_;
};

// Holds one slot of a ConcurrencyLimiter until destroyed.
class ConcurrencySlot {
 public:
  explicit ConcurrencySlot(ConcurrencyLimiter& limiter) : limiter_(limiter) {}
  ~ConcurrencySlot() { limiter_.Release(); }
  ConcurrencySlot(const ConcurrencySlot&) = delete;
  ConcurrencySlot& operator=(const ConcurrencySlot&) = delete;

 private:
  ConcurrencyLimiter& limiter_;
};

}  // namespace kefu::llm
