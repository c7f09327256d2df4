// `kefu llm check`: one streamed request to the configured LLM, timed.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "llm/llm.h"

namespace kefu::app {

int RunLlmCheck(const CommonFlags& common) {
  Result<Config> config = ResolveConfig(common);
  if (!config.ok()) {
    return Fail(config.status());
  }
  Result<std::unique_ptr<llm::LlmBackend>> backend = llm::NewLlmFromConfig(config->llm);
  if (!backend.ok()) {
    return Fail(backend.status());
  }
  llm::ChatRequest request;
  llm::ChatMessage message;
  message.role = "user";
  message.content = "用一句话介绍你自己 / Introduce yourself in one sentence";
  request.messages.push_back(message);
  request.max_tokens = config->llm.max_tokens;
  request.temperature = config->llm.temperature;
  RequestContext ctx = RequestContext::WithTimeout(
      "llm-check",
      std::chrono::milliseconds(config->llm.total_timeout_ms + config->llm.connect_timeout_ms));
  std::cout << "backend:  " << config->llm.base_url << "\nmodel:    " << config->llm.model
            << "\nreply:    " << std::flush;
  Result<llm::ChatResponse> reply = (*backend)->Chat(request, ctx, [](std::string_view delta) {
    std::cout << delta << std::flush;
    return true;
  });
  std::cout << "\n";
  if (!reply.ok()) {
    return Fail(reply.status().WithContext("llm check"));
  }
  const double seconds = static_cast<double>(reply->total_ms - reply->first_token_ms) / 1000.0;
  const double tokens_per_s =
      seconds > 0 ? static_cast<double>(reply->completion_tokens) / seconds : 0.0;
  std::printf(
      "answered by:       %s\n"
      "time to 1st token: %lld ms\n"
      "total time:        %lld ms\n"
      "completion tokens: %d%s\n"
      "tokens/s:          %.1f (after the first token)\n",
      reply->backend.c_str(), static_cast<long long>(reply->first_token_ms),
      static_cast<long long>(reply->total_ms), reply->completion_tokens,
      reply->usage_estimated ? " (estimated: the server sent no usage)" : "", tokens_per_s);
  return 0;
}

}  // namespace kefu::app
