#include "llm/resilience.h"

#include <string>
#include <utility>

#include "core/logging.h"
#include "llm/llm.h"

namespace kefu::llm {

bool CircuitBreaker::Allow() {
  std::scoped_lock lock(mutex_);
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (Clock::now() - opened_at_ < cooldown_) {
        return false;
      }
      state_ = State::kHalfOpen;
      trial_in_flight_ = true;
      return true;
    case State::kHalfOpen:
      if (trial_in_flight_) {
        return false;
      }
      trial_in_flight_ = true;
      return true;
  }
  return true;
}

void CircuitBreaker::RecordSuccess() {
  std::scoped_lock lock(mutex_);
  state_ = State::kClosed;
  failures_ = 0;
  trial_in_flight_ = false;
}

void CircuitBreaker::RecordFailure() {
  std::scoped_lock lock(mutex_);
  trial_in_flight_ = false;
  if (state_ == State::kHalfOpen) {
    state_ = State::kOpen;
    opened_at_ = Clock::now();
    return;
  }
  if (state_ == State::kClosed && ++failures_ >= failure_threshold_) {
    state_ = State::kOpen;
    opened_at_ = Clock::now();
  }
}

void CircuitBreaker::RecordIgnored() {
  std::scoped_lock lock(mutex_);
  // A half-open trial that proved nothing (cancelled by the caller) lets the next one try.
  trial_in_flight_ = false;
}

bool CircuitBreaker::WouldAllow() const {
  std::scoped_lock lock(mutex_);
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      return Clock::now() - opened_at_ >= cooldown_;
    case State::kHalfOpen:
      return !trial_in_flight_;
  }
  return true;
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::scoped_lock lock(mutex_);
  return state_;
}

bool ConcurrencyLimiter::AcquireUntil(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  if (!cv_.wait_until(lock, deadline, [this] { return free_ > 0; })) {
    return false;
  }
  --free_;
  return true;
}

void ConcurrencyLimiter::Release() {
  {
    std::scoped_lock lock(mutex_);
    ++free_;
  }
  cv_.notify_one();
}

namespace {

// Tries backends in priority order. Thread-safe when the backends are.
class FallbackBackend final : public LlmBackend {
 public:
  explicit FallbackBackend(std::vector<std::unique_ptr<LlmBackend>> backends)
      : backends_(std::move(backends)) {
    name_ = "fallback(";
    for (size_t i = 0; i < backends_.size(); ++i) {
      name_ += (i == 0 ? "" : ",") + backends_[i]->name();
    }
    name_ += ")";
  }

  Result<ChatResponse> Chat(const ChatRequest& request, RequestContext& ctx,
                            const StreamCallback& on_delta) override {
    Status last = UnavailableError("llm: no backend available (" + name_ + ")");
    bool tried = false;
    for (const std::unique_ptr<LlmBackend>& backend : backends_) {
      KEFU_RETURN_IF_ERROR(ctx.Check());
      if (!backend->available()) {
        continue;
      }
      bool streamed = false;
      StreamCallback wrapped;
      if (on_delta) {
        wrapped = [&streamed, &on_delta](std::string_view delta) {
          streamed = true;
          return on_delta(delta);
        };
      }
      tried = true;
      Result<ChatResponse> response = backend->Chat(request, ctx, wrapped);
      if (response.ok()) {
        return response;
      }
      last = response.status();
      // The caller has shown part of this answer: another backend would start a different one.
      if (streamed || last.code() == StatusCode::kCancelled) {
        return last;
      }
      KEFU_LOG_WARN("llm: backend {} failed, trying the next: {}", backend->name(),
                    last.ToString());
    }
    if (!tried) {
      return UnavailableError("llm: every backend's circuit breaker is open (" + name_ + ")");
    }
    return last;
  }

  std::string name() const override { return name_; }

  bool available() const override {
    for (const std::unique_ptr<LlmBackend>& backend : backends_) {
      if (backend->available()) {
        return true;
      }
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<LlmBackend>> backends_;
  std::string name_;
};

}  // namespace

std::unique_ptr<LlmBackend> NewFallbackBackend(std::vector<std::unique_ptr<LlmBackend>> backends) {
  return std::make_unique<FallbackBackend>(std::move(backends));
}

Result<std::unique_ptr<LlmBackend>> NewLlmFromConfig(const LlmConfig& config) {
  if (config.base_url.empty()) {
    return FailedPreconditionError(
        "no LLM configured: set llm.base_url and llm.model in kefu.toml or KEFU_LLM_BASE_URL and "
        "KEFU_LLM_MODEL (docs/llm.md)");
  }
  LlmBackendOptions options;
  options.name = "primary";
  options.base_url = config.base_url;
  options.model = config.model;
  options.api_key = config.api_key;
  options.connect_timeout_ms = config.connect_timeout_ms;
  options.first_token_timeout_ms = config.first_token_timeout_ms;
  options.total_timeout_ms = config.total_timeout_ms;
  options.max_retries = config.max_retries;
  options.max_concurrency = config.max_concurrency;
  KEFU_ASSIGN_OR_RETURN(std::unique_ptr<LlmBackend> primary, NewOpenAiBackend(options));
  if (config.fallbacks.empty()) {
    return primary;
  }
  std::vector<std::unique_ptr<LlmBackend>> backends;
  backends.push_back(std::move(primary));
  for (size_t i = 0; i < config.fallbacks.size(); ++i) {
    options.name = "fallback" + std::to_string(i + 1);
    options.base_url = config.fallbacks[i].base_url;
    options.model = config.fallbacks[i].model;
    options.api_key = config.fallbacks[i].api_key;
    KEFU_ASSIGN_OR_RETURN(std::unique_ptr<LlmBackend> backend, NewOpenAiBackend(options));
    backends.push_back(std::move(backend));
  }
  return NewFallbackBackend(std::move(backends));
}

}  // namespace kefu::llm
