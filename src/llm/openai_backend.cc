// The OpenAI-compatible backend: `POST {base_url}/chat/completions` with cpp-httplib's client.
//
// Streaming reads Server-Sent Events incrementally in the client's content receiver, so each
// delta reaches the caller as soon as its line does. cpp-httplib's reads block, so a small
// watchdog thread per request enforces what a read timeout cannot: the first-token timeout (a
// server that sends keep-alive comments but no token), the total timeout, and the caller's
// cancellation; it stops the request by shutting the client's socket down (Client::stop(), the
// one call cpp-httplib allows from another thread).
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <httplib.h>

#include "core/logging.h"
#include "core/thread_name.h"
#include "core/url.h"
#include "llm/llm.h"
#include "llm/resilience.h"

namespace kefu::llm {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using std::chrono::milliseconds;

constexpr int kMaxRetryAfterMs = 5'000;       // a server asking for longer is treated as down
constexpr size_t kMaxErrorBodyBytes = 4'096;  // of a non-2xx answer, kept for the message
constexpr size_t kMaxErrorMessageBytes = 300;
constexpr milliseconds kWatchdogTick{10};
constexpr milliseconds kSocketTimeoutSlack{1'000};

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

// Roughly what tokenizers of Chinese-first models produce: one token per CJK character, one per
// four other bytes. Used only when the server reports no usage.
int EstimateTokens(std::string_view text) {
  int cjk = 0;
  size_t other_bytes = 0;
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
    if (len >= 3) {
      ++cjk;
    } else {
      other_bytes += len;
    }
    i += len;
  }
  return cjk + static_cast<int>((other_bytes + 3) / 4);
}

std::string DumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json MessageToJson(const ChatMessage& m) {
  json out = {{"role", m.role}};
  if (m.content.empty() && !m.tool_calls.empty()) {
    out["content"] = nullptr;
  } else {
    out["content"] = m.content;
  }
  if (m.tool_call_id) {
    out["tool_call_id"] = *m.tool_call_id;
  }
  if (!m.tool_calls.empty()) {
    json calls = json::array();
    for (const ToolCall& call : m.tool_calls) {
      calls.push_back({{"id", call.id},
                       {"type", "function"},
                       {"function", {{"name", call.name}, {"arguments", call.arguments_json}}}});
    }
    out["tool_calls"] = std::move(calls);
  }
  return out;
}

json BuildBody(const ChatRequest& request, const std::string& model) {
  json messages = json::array();
  for (const ChatMessage& m : request.messages) {
    messages.push_back(MessageToJson(m));
  }
  json body = {{"model", model}, {"messages", std::move(messages)}, {"stream", request.stream}};
  if (request.stream) {
    body["stream_options"] = {{"include_usage", true}};
  }
  if (request.max_tokens) {
    body["max_tokens"] = *request.max_tokens;
  }
  if (request.temperature) {
    body["temperature"] = *request.temperature;
  }
  if (!request.stop.empty()) {
    body["stop"] = request.stop;
  }
  if (request.seed) {
    body["seed"] = *request.seed;
  }
  if (!request.tools.empty()) {
    json tools = json::array();
    for (const ToolSpec& tool : request.tools) {
      tools.push_back({{"type", "function"},
                       {"function",
                        {{"name", tool.name},
                         {"description", tool.description},
                         {"parameters", tool.parameters}}}});
    }
    body["tools"] = std::move(tools);
  }
  const std::string& choice = request.tool_choice;
  if (choice == "auto" || choice == "none" || choice == "required") {
    body["tool_choice"] = choice;
  } else if (!choice.empty()) {
    body["tool_choice"] = {{"type", "function"}, {"function", {{"name", choice}}}};
  }
  return body;
}

std::string StringField(const json& obj, const char* key) {
  if (!obj.is_object()) {
    return {};
  }
  auto it = obj.find(key);
  if (it == obj.end()) {
    return {};
  }
  if (it->is_string()) {
    return it->get<std::string>();
  }
  if (it->is_null()) {
    return {};
  }
  return DumpJson(*it);  // Some servers send tool arguments as an object.
}

void ReadUsage(const json& chunk, ChatResponse& out, bool& has_usage) {
  auto it = chunk.find("usage");
  if (it == chunk.end() || !it->is_object()) {
    return;
  }
  auto read = [&](const char* key, int& field) {
    auto v = it->find(key);
    if (v != it->end() && v->is_number_integer()) {
      field = v->get<int>();
      has_usage = true;
    }
  };
  read("prompt_tokens", out.prompt_tokens);
  read("completion_tokens", out.completion_tokens);
}

std::string ErrorMessageFromBody(const std::string& body) {
  json parsed = json::parse(body, nullptr, false);
  std::string message;
  if (parsed.is_object()) {
    auto err = parsed.find("error");
    if (err != parsed.end()) {
      message = err->is_string() ? err->get<std::string>() : StringField(*err, "message");
    }
    if (message.empty()) {
      message = StringField(parsed, "message");
    }
  }
  if (message.empty()) {
    message = body;
  }
  if (message.size() > kMaxErrorMessageBytes) {
    size_t cut = kMaxErrorMessageBytes;
    while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) {
      --cut;  // not inside a UTF-8 sequence
    }
    message = message.substr(0, cut) + "...";
  }
  return message;
}

Status StatusForHttp(int code, const std::string& body) {
  std::string message = "HTTP " + std::to_string(code);
  std::string detail = ErrorMessageFromBody(body);
  if (!detail.empty()) {
    message += ": " + detail;
  }
  switch (code) {
    case 400:
    case 422:
      return InvalidArgumentError(message);
    case 401:
      return UnauthenticatedError(message);
    case 403:
      return PermissionDeniedError(message);
    case 404:
      return NotFoundError(message);
    case 408:
      return DeadlineExceededError(message);
    case 429:
      return ResourceExhaustedError(message);
    default:
      break;
  }
  if (code >= 500) {
    return UnavailableError(message);
  }
  return InternalError(message);
}

// Folds one chat completion (streamed chunks or a whole answer) into a ChatResponse.
class Accumulator {
 public:
  // Merges one streamed chunk. Returns false when on_delta asked to stop.
  bool AddChunk(const json& chunk) {
    ReadUsage(chunk, response_, has_usage_);
    auto choices = chunk.find("choices");
    if (choices == chunk.end() || !choices->is_array()) {
      return true;
    }
    for (const json& choice : *choices) {
      if (!choice.is_object()) {
        continue;
      }
      std::string finish = StringField(choice, "finish_reason");
      if (!finish.empty()) {
        response_.finish_reason = finish;
      }
      auto delta = choice.find("delta");
      if (delta == choice.end()) {
        delta = choice.find("message");  // a server that streams whole messages
      }
      if (delta == choice.end() || !delta->is_object()) {
        continue;
      }
      auto calls = delta->find("tool_calls");
      if (calls != delta->end() && calls->is_array()) {
        for (const json& call : *calls) {
          MergeToolCall(call);
        }
      }
      std::string text = StringField(*delta, "content");
      if (!text.empty()) {
        OnFirstDelta();
        response_.content += text;
        if (on_delta_ && !on_delta_(text)) {
          stopped_by_caller_ = true;
          return false;
        }
      }
    }
    return true;
  }

  // Reads a whole (non-streamed) answer.
  void SetMessage(const json& answer) {
    ReadUsage(answer, response_, has_usage_);
    auto choices = answer.find("choices");
    if (choices == answer.end() || !choices->is_array() || choices->empty()) {
      return;
    }
    const json& choice = (*choices)[0];
    response_.finish_reason = StringField(choice, "finish_reason");
    auto message = choice.find("message");
    if (message == choice.end() || !message->is_object()) {
      return;
    }
    response_.content = StringField(*message, "content");
    auto calls = message->find("tool_calls");
    if (calls != message->end() && calls->is_array()) {
      int index = 0;
      for (json call : *calls) {
        if (call.is_object() && !call.contains("index")) {
          call["index"] = index;
        }
        MergeToolCall(call);
        ++index;
      }
    }
    if (!response_.content.empty() || !tool_calls_.empty()) {
      OnFirstDelta();
    }
  }

  ChatResponse Finish(const ChatRequest& request) && {
    for (auto& [index, call] : tool_calls_) {
      if (call.id.empty()) {
        call.id = "call_" + std::to_string(index);
      }
      response_.tool_calls.push_back(std::move(call));
    }
    if (!has_usage_) {
      response_.usage_estimated = true;
      int completion = EstimateTokens(response_.content);
      for (const ToolCall& call : response_.tool_calls) {
        completion += EstimateTokens(call.name) + EstimateTokens(call.arguments_json);
      }
      response_.completion_tokens = completion;
      int prompt = 0;
      for (const ChatMessage& m : request.messages) {
        prompt += 4 + EstimateTokens(m.content);
      }
      response_.prompt_tokens = prompt;
    }
    return std::move(response_);
  }

  void set_on_delta(const StreamCallback* on_delta) { on_delta_ = on_delta ? *on_delta : nullptr; }
  void set_on_first_delta(std::function<void()> f) { on_first_delta_ = std::move(f); }
  bool any_delta() const { return any_delta_; }
  bool stopped_by_caller() const { return stopped_by_caller_; }
  const std::string& finish_reason() const { return response_.finish_reason; }
  size_t content_bytes() const { return response_.content.size(); }
  const std::string& content() const { return response_.content; }
  void set_skipped_chunks(int n) { response_.skipped_chunks = n; }

 private:
  void OnFirstDelta() {
    if (!any_delta_) {
      any_delta_ = true;
      if (on_first_delta_) {
        on_first_delta_();
      }
    }
  }

  // Tool-call deltas arrive in pieces keyed by index: the id and name once, the arguments in
  // fragments to concatenate.
  void MergeToolCall(const json& delta) {
    if (!delta.is_object()) {
      return;
    }
    int index = static_cast<int>(tool_calls_.size());
    auto idx = delta.find("index");
    if (idx != delta.end() && idx->is_number_integer()) {
      index = idx->get<int>();
    }
    ToolCall& call = tool_calls_[index];
    std::string id = StringField(delta, "id");
    if (!id.empty()) {
      call.id = id;
    }
    auto function = delta.find("function");
    if (function != delta.end() && function->is_object()) {
      std::string name = StringField(*function, "name");
      if (!name.empty() && call.name.empty()) {
        call.name = name;
      }
      call.arguments_json += StringField(*function, "arguments");
    }
    OnFirstDelta();
  }

  ChatResponse response_;
  std::map<int, ToolCall> tool_calls_;
  StreamCallback on_delta_;
  std::function<void()> on_first_delta_;
  bool has_usage_ = false;
  bool any_delta_ = false;
  bool stopped_by_caller_ = false;
};

// Splits a byte stream into Server-Sent Events and hands each event's data to the accumulator.
class SseParser {
 public:
  explicit SseParser(Accumulator& acc) : acc_(acc) {}

  // Returns false when the stream should stop (the caller cancelled).
  bool Feed(const char* data, size_t n) {
    buffer_.append(data, n);
    size_t start = 0;
    for (size_t nl = buffer_.find('\n', start); nl != std::string::npos;
         nl = buffer_.find('\n', start)) {
      std::string_view line(buffer_.data() + start, nl - start);
      start = nl + 1;
      if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
      }
      if (!HandleLine(line)) {
        buffer_.erase(0, start);
        return false;
      }
    }
    buffer_.erase(0, start);
    return true;
  }

  // The connection ended: an event without its blank line still counts.
  void Finish() {
    if (!buffer_.empty()) {
      std::string rest = std::move(buffer_);
      buffer_.clear();
      HandleLine(rest);
    }
    Dispatch();
  }

  bool done() const { return done_; }
  int valid_chunks() const { return valid_; }
  int malformed_chunks() const { return malformed_; }
  const Status& error() const { return error_; }

 private:
  bool HandleLine(std::string_view line) {
    if (line.empty()) {
      return Dispatch();
    }
    if (line.front() == ':') {
      return true;  // a comment: servers send them as keep-alives
    }
    std::string_view field = line.substr(0, line.find(':'));
    std::string_view value = field.size() < line.size() ? line.substr(field.size() + 1) : "";
    if (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    if (field == "data") {
      if (has_data_) {
        data_ += '\n';
      }
      data_ += value;
      has_data_ = true;
    } else if (field == "event") {
      event_ = value;
    }
    return true;
  }

  bool Dispatch() {
    if (!has_data_) {
      event_.clear();
      return true;
    }
    std::string data = std::move(data_);
    std::string event = std::move(event_);
    data_.clear();
    event_.clear();
    has_data_ = false;
    if (data == "[DONE]") {
      done_ = true;
      return true;
    }
    json chunk = json::parse(data, nullptr, false);
    if (chunk.is_discarded() || !chunk.is_object()) {
      ++malformed_;
      return true;
    }
    if (event == "error" || chunk.contains("error")) {
      auto err = chunk.find("error");
      std::string message =
          err == chunk.end() ? DumpJson(chunk) : ErrorMessageFromBody(DumpJson(chunk));
      error_ = UnavailableError("server error in the stream: " + message);
      return false;
    }
    ++valid_;
    return acc_.AddChunk(chunk);
  }

  Accumulator& acc_;
  std::string buffer_;
  std::string data_;
  std::string event_;
  bool has_data_ = false;
  bool done_ = false;
  int valid_ = 0;
  int malformed_ = 0;
  Status error_;
};

// Stops a request from another thread when the caller cancels or a timeout passes.
class Watchdog {
 public:
  Watchdog(httplib::Client& client, RequestContext& ctx, Clock::time_point first_token_deadline,
           Clock::time_point total_deadline, int first_token_timeout_ms, int total_timeout_ms)
      : client_(client),
        ctx_(ctx),
        first_token_deadline_(first_token_deadline),
        total_deadline_(total_deadline),
        first_token_timeout_ms_(first_token_timeout_ms),
        total_timeout_ms_(total_timeout_ms),
        thread_([this] { Run(); }) {}
  ~Watchdog() {
    {
      std::scoped_lock lock(mutex_);
      finished_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void MarkFirstToken() { first_token_.store(true, std::memory_order_relaxed); }
  bool fired() const { return fired_.load(std::memory_order_acquire); }
  // REQUIRES: fired()
  const Status& reason() const { return reason_; }

 private:
  void Run() {
    SetThreadName("kefu-llm-watch");
    std::unique_lock lock(mutex_);
    while (!finished_) {
      const Clock::time_point now = Clock::now();
      if (!fired()) {
        if (ctx_.cancelled()) {
          Fire(CancelledError("request cancelled"));
        } else if (now >= total_deadline_) {
          Fire(now >= ctx_.deadline()
                   ? DeadlineExceededError("request deadline exceeded")
                   : DeadlineExceededError("no complete answer within " +
                                           std::to_string(total_timeout_ms_) + " ms"));
        } else if (!first_token_.load(std::memory_order_relaxed) && now >= first_token_deadline_) {
          Fire(DeadlineExceededError("no first token within " +
                                     std::to_string(first_token_timeout_ms_) + " ms"));
        }
      }
      if (fired()) {
        // Until the request thread returns: a stop() that lands while it is still connecting
        // has no socket to shut down yet.
        client_.stop();
      }
      Clock::time_point wake = now + kWatchdogTick;
      if (!fired() && !first_token_.load(std::memory_order_relaxed)) {
        wake = std::min(wake, first_token_deadline_);
      }
      cv_.wait_until(lock, wake);
    }
  }

  void Fire(Status reason) {
    reason_ = std::move(reason);
    fired_.store(true, std::memory_order_release);
  }

  httplib::Client& client_;
  RequestContext& ctx_;
  const Clock::time_point first_token_deadline_;
  const Clock::time_point total_deadline_;
  const int first_token_timeout_ms_;
  const int total_timeout_ms_;
  std::atomic<bool> first_token_{false};
  std::atomic<bool> fired_{false};
  Status reason_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool finished_ = false;
  std::thread thread_;  // last: starts after every member it reads
};

// The outcome of one HTTP attempt.
struct Attempt {
  Status status;
  bool retryable = false;   // 429, 5xx, connection errors
  int retry_after_ms = -1;  // from a Retry-After header
  bool any_delta = false;   // the model began answering: never retried
  int64_t first_token_ms = 0;
};

template <typename Duration>
void SetTimeout(httplib::Client& client, Duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  us = std::max<int64_t>(us, 1'000);
  client.set_read_timeout(static_cast<time_t>(us / 1'000'000), static_cast<time_t>(us % 1'000'000));
  client.set_write_timeout(static_cast<time_t>(us / 1'000'000),
                           static_cast<time_t>(us % 1'000'000));
}

// One OpenAI-compatible server. Thread-safe: each request uses its own HTTP client.
class OpenAiBackend final : public LlmBackend {
 public:
  OpenAiBackend(LlmBackendOptions options, BaseUrl url)
      : options_(std::move(options)),
        url_(std::move(url)),
        path_(url_.path_prefix + "/chat/completions"),
        breaker_(options_.breaker_failures, milliseconds(options_.breaker_cooldown_ms)),
        limiter_(options_.max_concurrency) {}

  Result<ChatResponse> Chat(const ChatRequest& request, RequestContext& ctx,
                            const StreamCallback& on_delta) override {
    Result<ChatResponse> result = ChatOnce(request, ctx, on_delta);
    if (!result.ok()) {
      return result.status().WithContext("llm " + options_.name);
    }
    return result;
  }

  std::string name() const override { return options_.name; }
  bool available() const override { return breaker_.WouldAllow(); }

 private:
  Result<ChatResponse> ChatOnce(const ChatRequest& request, RequestContext& ctx,
                                const StreamCallback& on_delta) {
    const Clock::time_point start = Clock::now();
    const Clock::time_point total_deadline =
        std::min(start + milliseconds(options_.total_timeout_ms), ctx.deadline());
    KEFU_RETURN_IF_ERROR(ctx.Check());
    if (!breaker_.Allow()) {
      return UnavailableError("circuit breaker open after repeated failures");
    }
    Clock::time_point slot_deadline =
        std::min(start + milliseconds(options_.first_token_timeout_ms), total_deadline);
    if (request.first_token_deadline) {
      slot_deadline = std::min(slot_deadline, *request.first_token_deadline);
    }
    if (!limiter_.AcquireUntil(slot_deadline)) {
      breaker_.RecordIgnored();
      return ResourceExhaustedError("all " + std::to_string(options_.max_concurrency) +
                                    " concurrent request slots stayed busy");
    }
    ConcurrencySlot slot(limiter_);

    const std::string body = DumpJson(BuildBody(request, options_.model));
    Attempt attempt;
    for (int attempt_idx = 0;; ++attempt_idx) {
      Accumulator acc;
      attempt = Send(body, request, ctx, on_delta, start, total_deadline, acc);
      if (attempt.status.ok()) {
        breaker_.RecordSuccess();
        ChatResponse response = std::move(acc).Finish(request);
        response.first_token_ms = attempt.first_token_ms;
        response.total_ms = MillisSince(start);
        response.backend = options_.name;
        return response;
      }
      if (!attempt.retryable || attempt.any_delta || attempt_idx >= options_.max_retries) {
        break;
      }
      int64_t backoff_ms = static_cast<int64_t>(options_.retry_backoff_ms) << attempt_idx;
      if (attempt.retry_after_ms >= 0) {
        backoff_ms = std::min(attempt.retry_after_ms, kMaxRetryAfterMs);
      }
      if (Clock::now() + milliseconds(backoff_ms) >= total_deadline) {
        break;
      }
      KEFU_LOG_DEBUG("llm {}: retry {} in {} ms after: {}", options_.name, attempt_idx + 1,
                     backoff_ms, attempt.status.ToString());
      Status slept = SleepFor(milliseconds(backoff_ms), ctx);
      if (!slept.ok()) {
        breaker_.RecordIgnored();
        return slept;
      }
    }
    const StatusCode code = attempt.status.code();
    if (code == StatusCode::kCancelled || code == StatusCode::kInvalidArgument) {
      breaker_.RecordIgnored();  // the caller's doing, not the server's health
    } else {
      breaker_.RecordFailure();
    }
    return attempt.status;
  }

  static Status SleepFor(milliseconds duration, RequestContext& ctx) {
    const Clock::time_point until = Clock::now() + duration;
    while (Clock::now() < until) {
      KEFU_RETURN_IF_ERROR(ctx.Check());
      std::this_thread::sleep_for(std::min<Clock::duration>(kWatchdogTick, until - Clock::now()));
    }
    return ctx.Check();
  }

  Attempt Send(const std::string& body, const ChatRequest& request, RequestContext& ctx,
               const StreamCallback& on_delta, Clock::time_point start,
               Clock::time_point total_deadline, Accumulator& acc) {
    Attempt out;
    const Clock::time_point attempt_start = Clock::now();
    if (attempt_start >= total_deadline) {
      out.status = DeadlineExceededError("no time left for the request");
      return out;
    }
    httplib::Client client(url_.scheme_host_port);
    client.set_connection_timeout(milliseconds(options_.connect_timeout_ms));
    // The watchdog enforces the deadlines; the socket timeouts, a little later, only back it up.
    SetTimeout(client, total_deadline - attempt_start + kSocketTimeoutSlack);
    client.set_keep_alive(false);

    // Streamed: the first delta must come within the first-token timeout of this attempt.
    // Not streamed: the whole answer is the first token, and only the total timeout applies.
    Clock::time_point first_token_deadline =
        request.stream ? std::min(attempt_start + milliseconds(options_.first_token_timeout_ms),
                                  total_deadline)
                       : total_deadline;
    if (request.stream && request.first_token_deadline) {
      first_token_deadline = std::min(first_token_deadline, *request.first_token_deadline);
    }
    Watchdog watchdog(client, ctx, first_token_deadline, total_deadline,
                      options_.first_token_timeout_ms, options_.total_timeout_ms);
    acc.set_on_first_delta([&] {
      watchdog.MarkFirstToken();
      out.first_token_ms = MillisSince(start);
    });
    acc.set_on_delta(request.stream && on_delta ? &on_delta : nullptr);
    SseParser sse(acc);

    int http_status = 0;
    bool is_sse = false;
    std::string retry_after;
    std::string raw;  // a non-2xx body, or a whole JSON answer

    httplib::Request req;
    req.method = "POST";
    req.path = path_;
    req.body = body;
    req.set_header("Content-Type", "application/json");
    req.set_header("Accept", request.stream ? "text/event-stream" : "application/json");
    if (!options_.api_key.empty()) {
      req.set_header("Authorization", "Bearer " + options_.api_key);
    }
    req.response_handler = [&](const httplib::Response& res) {
      http_status = res.status;
      is_sse = request.stream &&
               res.get_header_value("Content-Type").find("text/event-stream") != std::string::npos;
      retry_after = res.get_header_value("Retry-After");
      return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (watchdog.fired()) {
        return false;
      }
      if (http_status < 200 || http_status >= 300) {
        if (raw.size() < kMaxErrorBodyBytes) {
          raw.append(data, std::min(n, kMaxErrorBodyBytes - raw.size()));
        }
        return true;
      }
      if (is_sse) {
        return sse.Feed(data, n);
      }
      raw.append(data, n);
      return true;
    };

    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    const bool sent = client.send(req, res, error);
    if (is_sse && sent) {
      sse.Finish();
    }
    acc.set_skipped_chunks(sse.malformed_chunks());
    out.any_delta = acc.any_delta();
    auto cut = [&](const std::string& what) {
      out.status = UnavailableError(what + " after " + std::to_string(acc.content_bytes()) +
                                    " bytes of content");
      out.retryable = !out.any_delta;
    };

    if (acc.stopped_by_caller()) {
      out.status = CancelledError("the caller stopped the stream");
      return out;
    }
    if (watchdog.fired()) {
      out.status = watchdog.reason();
      return out;
    }
    if (!sent && Clock::now() >= total_deadline) {
      out.status = DeadlineExceededError("no complete answer before the deadline");
      return out;
    }
    if (!sse.error().ok()) {
      out.status = sse.error();
      out.retryable = !out.any_delta;
      return out;
    }
    if (http_status == 0) {
      out.status = UnavailableError("cannot reach " + url_.scheme_host_port + ": " +
                                    httplib::to_string(error));
      out.retryable = true;
      return out;
    }
    if (http_status < 200 || http_status >= 300) {
      out.status = StatusForHttp(http_status, raw);
      out.retryable = http_status == 429 || http_status >= 500;
      int seconds = 0;
      auto [ptr, ec] =
          std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
      if (!retry_after.empty() && ec == std::errc() && seconds >= 0) {
        out.retry_after_ms =
            seconds > kMaxRetryAfterMs / 1'000 ? kMaxRetryAfterMs : seconds * 1'000;
      }
      return out;
    }
    if (is_sse) {
      if (sse.valid_chunks() == 0 && sse.malformed_chunks() > 0) {
        out.status = InternalError("no valid chunk in the stream (" +
                                   std::to_string(sse.malformed_chunks()) + " malformed)");
        return out;
      }
      if (!sse.done() && acc.finish_reason().empty()) {
        cut(sent ? "stream ended without [DONE]"
                 : "stream cut (" + httplib::to_string(error) + ")");
        return out;
      }
    } else {
      if (!sent) {
        cut("answer cut (" + httplib::to_string(error) + ")");
        return out;
      }
      json answer = json::parse(raw, nullptr, false);
      if (answer.is_discarded() || !answer.is_object()) {
        out.status = InternalError("the answer is not JSON");
        return out;
      }
      if (answer.contains("error")) {
        out.status = UnavailableError("server error: " + ErrorMessageFromBody(raw));
        out.retryable = true;
        return out;
      }
      acc.SetMessage(answer);
      // A server that ignored "stream": the whole answer is one delta.
      if (request.stream && on_delta && !acc.content().empty() && !on_delta(acc.content())) {
        out.status = CancelledError("the caller stopped the stream");
        return out;
      }
    }
    return out;
  }

  const LlmBackendOptions options_;
  const BaseUrl url_;
  const std::string path_;
  CircuitBreaker breaker_;
  ConcurrencyLimiter limiter_;
};

}  // namespace

Result<std::unique_ptr<LlmBackend>> NewOpenAiBackend(const LlmBackendOptions& options) {
  if (options.base_url.empty()) {
    return InvalidArgumentError("llm " + options.name + ": base_url is required");
  }
  if (options.model.empty()) {
    return InvalidArgumentError("llm " + options.name + ": model is required");
  }
  Result<BaseUrl> url = ParseBaseUrl(options.base_url);
  if (!url.ok()) {
    return url.status().WithContext("llm " + options.name);
  }
  for (auto [value, key] : {std::pair{options.connect_timeout_ms, "connect_timeout_ms"},
                            std::pair{options.first_token_timeout_ms, "first_token_timeout_ms"},
                            std::pair{options.total_timeout_ms, "total_timeout_ms"},
                            std::pair{options.max_concurrency, "max_concurrency"}}) {
    if (value <= 0) {
      return InvalidArgumentError("llm " + options.name + ": " + key + " must be positive");
    }
  }
  if (options.max_retries < 0 || options.retry_backoff_ms < 0) {
    return InvalidArgumentError("llm " + options.name +
                                ": max_retries and retry_backoff_ms must not be negative");
  }
  return std::unique_ptr<LlmBackend>(std::make_unique<OpenAiBackend>(options, *std::move(url)));
}

}  // namespace kefu::llm
