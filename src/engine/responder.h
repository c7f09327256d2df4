// Responder: turns the dialogue's reply (a template filled from tool results and passages: the
// draft) into the shopper's reply. With a language model configured, the model rewrites the draft
// for the conversation (natural, brief, in the shopper's language); the grounding guard checks
// that every id, phone, amount, date and number it wrote comes from the draft, the passages or
// the shopper's own message; an ungrounded reply is regenerated once, then the draft is used.
// Without a model, or when it fails or misses its deadline, the draft is the reply and the trace
// says why.
//
//   Responder responder(backend, {.first_token_timeout_ms = 3000});
//   Responded r = responder.Respond({.lang = "zh", .draft = outcome.reply, ...}, ctx);
//
// Thread-safe when the backend is (LlmBackend implementations are).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/request_context.h"
#include "llm/llm.h"

namespace kefu::engine {

struct ResponderOptions {
  int first_token_timeout_ms = 3'000;  // the model's whole answer must come within this too
  int max_tokens = 512;
  double temperature = 0.3;
  std::string persona_zh = "你是网店的客服小客，语气亲切、专业、简洁。";
  std::string persona_en =
      "You are Kefu, the shop's customer-service assistant: warm, "
      "professional and brief.";
};

struct RespondInput {
  std::string lang;   // "zh" or "en"
  std::string draft;  // the dialogue's reply: every fact in it is grounded
  std::string user_message;
  std::vector<std::pair<std::string, std::string>> passages;  // (id, text) the reply may use
  std::vector<std::string> summary;                           // the dialogue's rolling summary
  std::string action;  // what the dialogue did ("flow:return_refund/ask:reason")
};

struct Responded {
  std::string reply;
  bool used_model = false;
  nlohmann::json trace = nlohmann::json::object();  // {"used", "backend", "ms", "reason", ...}
};

class Responder {
 public:
  // `backend` may be null: every reply is the draft. Not owned.
  Responder(llm::LlmBackend* backend, ResponderOptions options)
      : backend_(backend), options_(std::move(options)) {}

  Responded Respond(const RespondInput& input, RequestContext& ctx) const;
  bool enabled() const { return backend_ != nullptr; }

 private:
  llm::LlmBackend* backend_;
  ResponderOptions options_;
};

}  // namespace kefu::engine
