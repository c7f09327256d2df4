// llm/: large language models behind one interface, reached over the OpenAI-compatible
// `POST {base_url}/chat/completions` API (llama.cpp's llama-server, vLLM, Ollama, SGLang,
// DeepSeek, Qwen/DashScope, OpenAI). The model only writes text or proposes tool calls; it is
// never in charge of actions (dialog/ decides and tools/ enforce).
//
//   LlmBackendOptions options;
//   options.name = "local";
//   options.base_url = "http://127.0.0.1:8081/v1";
//   options.model = "qwen2.5-7b-instruct";
//   KEFU_ASSIGN_OR_RETURN(std::unique_ptr<LlmBackend> llm, NewOpenAiBackend(options));
//
//   ChatRequest request;
//   request.messages = {{"system", "你是店铺客服。"}, {"user", "发货要多久？"}};
//   RequestContext ctx = RequestContext::WithTimeout("t1", std::chrono::seconds(10));
//   Result<ChatResponse> reply = llm->Chat(request, ctx, [&](std::string_view delta) {
//     return sink.Write(delta);  // false (the shopper left) cancels the generation
//   });
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/request_context.h"
#include "core/result.h"

namespace kefu::llm {

// One tool call the model proposes. `arguments_json` is the raw JSON text the model wrote; it
// may be invalid JSON, and the caller validates it before acting on it.
struct ToolCall {
  std::string id;  // "call_0"; servers that send none get "call_<index>"
  std::string name;
  std::string arguments_json;
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", "tool"
  std::string content;
  std::optional<std::string> tool_call_id;  // role "tool": the call this result answers
  std::vector<ToolCall> tool_calls;         // role "assistant": calls it made (empty: none)
};

// A function the model may call.
struct ToolSpec {
  std::string name;
  std::string description;
  nlohmann::json parameters = nlohmann::json::object();  // a JSON schema
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  std::vector<ToolSpec> tools;
  // "" (not sent), "auto", "none", "required", or the name of one tool to force.
  std::string tool_choice;
  std::optional<int> max_tokens;
  std::optional<double> temperature;
  std::vector<std::string> stop;
  std::optional<int64_t> seed;
  bool stream = true;
  // When set, the first delta must come by then (a caller's budget shared by several calls);
  // the backend's own first-token timeout still applies.
  std::optional<std::chrono::steady_clock::time_point> first_token_deadline;
};

struct ChatResponse {
  std::string content;
  std::vector<ToolCall> tool_calls;
  std::string finish_reason;  // "stop", "length", "tool_calls", ...; "" when none was sent
  int prompt_tokens = 0;
  int completion_tokens = 0;
  bool usage_estimated = false;  // the server sent no usage; the counts are estimates
  int skipped_chunks = 0;        // malformed stream chunks that were ignored
  int64_t first_token_ms = 0;    // from the call to the first delta (whole answer if not streamed)
  int64_t total_ms = 0;
  std::string backend;  // the name of the backend that answered
};

// Receives each content delta as it streams in; returns false to cancel the generation.
using StreamCallback = std::function<bool(std::string_view delta)>;

// Generates assistant replies. Implementations are thread-safe: one instance serves all sessions.
class LlmBackend {
 public:
  virtual ~LlmBackend() = default;

  // Sends `request`; with request.stream, content deltas go to `on_delta` as they arrive. Returns
  // kCancelled when on_delta returns false or ctx is cancelled, kDeadlineExceeded when the first
  // token or the whole answer is late (ctx's deadline caps every timeout), kUnavailable when the
  // server cannot be reached, fails with 5xx, cuts the stream or its circuit breaker is open,
  // kResourceExhausted when it keeps answering 429 or no concurrency slot frees up in time,
  // kUnauthenticated/kPermissionDenied/kInvalidArgument/kNotFound for 401/403/400/404.
  // An error after deltas were streamed is never retried.
  virtual Result<ChatResponse> Chat(const ChatRequest& request, RequestContext& ctx,
                                    const StreamCallback& on_delta = {}) = 0;

  virtual std::string name() const = 0;

  // False while the backend refuses requests without trying (its circuit breaker is open).
  virtual bool available() const { return true; }
};

struct LlmBackendOptions {
  std::string name = "llm";  // shown in logs and ChatResponse::backend
  std::string base_url;      // "http://127.0.0.1:8081/v1"; http or https
  std::string model;
  std::string api_key;  // sent as "Authorization: Bearer <key>" when set; never logged
  int connect_timeout_ms = 2'000;
  int first_token_timeout_ms = 3'000;  // streamed: no delta within this cancels the request
  int total_timeout_ms = 20'000;
  int max_retries = 2;         // on 429, 5xx and connection errors, before the first delta only
  int retry_backoff_ms = 200;  // doubles each retry; a Retry-After header (seconds) wins, capped
  int max_concurrency = 8;     // requests in flight; a waiter gives up after its first-token budget
  int breaker_failures = 5;    // consecutive failures that open the circuit breaker
  int breaker_cooldown_ms = 30'000;  // open this long, then one trial request (half-open)
};

// An OpenAI-compatible backend. kInvalidArgument when base_url or model is missing or base_url
// is not an http(s) URL.
Result<std::unique_ptr<LlmBackend>> NewOpenAiBackend(const LlmBackendOptions& options);

// Tries `backends` in order (priority first), skipping those that are not available(), and moves
// to the next one on failure only while nothing has been streamed to the caller; cancellation and
// ctx's deadline stop it. Returns the last error, or kUnavailable when every backend was skipped.
std::unique_ptr<LlmBackend> NewFallbackBackend(std::vector<std::unique_ptr<LlmBackend>> backends);

// The backends `[llm]` in kefu.toml describes: the primary, then each [[llm.fallbacks]] (with the
// primary's timeouts and limits) behind NewFallbackBackend. kFailedPrecondition when no base_url
// is configured; kInvalidArgument for a bad URL.
Result<std::unique_ptr<LlmBackend>> NewLlmFromConfig(const LlmConfig& config);

}  // namespace kefu::llm
