// Responder: turns the dialogue's reply (a template filled from tool results and passages: the
// draft) into the shopper's reply. With a language model configured, the model writes the reply
// in one of three modes, chosen from what the dialogue did:
//   kPhrase     a flow step or any other reply: the model rewrites the draft (natural, brief, in
//               the shopper's language); the flow decided what to say.
//   kKnowledge  a knowledge-base answer: the model answers the question from the retrieved
//               passages, citing them as [p1]; a citation of a passage that was not given is
//               refused like an ungrounded fact.
//   kSmallTalk  small talk: one or two short sentences (max_tokens_small_talk, at most
//               max_chars_small_talk characters), no facts, back to how the shop can help.
// The model's text streams in; SentenceStream cuts it into sentences and the grounding guard
// checks each one (every id, phone, amount, date and number must come from the draft, the
// passages or the shopper's own message) before it goes to the ReplySink. An ungrounded sentence
// stops the generation: what was sent is withdrawn (ReplySink::Reset) and the reply is generated
// once more, then the draft is used. Without a model, or when it fails, misses its deadline or
// the shopper leaves (ReplySink::Gone, which cancels the generation), the draft is the reply and
// the trace says why.
//
//   Responder responder(backend, {.first_token_timeout_ms = 3000});
//   Responded r = responder.Respond({.lang = "zh", .draft = outcome.reply, ...}, ctx, &sink);
//
// Thread-safe when the backend is (LlmBackend implementations are).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/request_context.h"
#include "llm/llm.h"
#include "llm/prompt.h"

namespace kefu::engine {

// Receives a reply while it is written. Called on the turn's thread.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  // Text the shopper may see now: a sentence the guard passed, or (when the template answers)
  // the whole reply.
  virtual void Delta(std::string_view text) = 0;
  // Everything sent so far is withdrawn; the reply starts again from nothing.
  virtual void Reset() = 0;
  // True once the shopper has gone: generation stops and the template reply is stored.
  virtual bool Gone() const = 0;
};

enum class ReplyMode { kPhrase, kKnowledge, kSmallTalk };

struct ResponderOptions {
  // The model's first sentence must come within this of the turn's start (RespondInput::
  // first_token_deadline), whatever else used the model in the turn; else the template answers.
  int first_token_timeout_ms = 3'000;
  // The whole answer, streamed, within this; the turn's own deadline (less a margin to store the
  // turn) caps it.
  int total_timeout_ms = 20'000;
  int max_tokens = 512;
  int max_tokens_small_talk = 96;
  int max_chars_small_talk = 160;  // longer small talk is refused: the draft answers
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
  std::vector<llm::PromptTurn> history;  // this conversation's earlier messages, oldest first
  std::string action;                    // what the dialogue did ("flow:return_refund/ask:reason")
  ReplyMode mode = ReplyMode::kPhrase;
  // How the shopper feels (dialog::IsUpset): "upset" asks for a sincere apology first and a calm
  // tone, "anxious" for reassurance first; "" leaves the tone to the persona.
  std::string tone;
  // The turn's first-token budget ends here (the intent assist may have spent some of it);
  // unset: first_token_timeout_ms from the call.
  std::optional<RequestContext::SteadyClock::time_point> first_token_deadline{};
};

struct Responded {
  std::string reply;
  bool used_model = false;
  // The model's reply went to the sink as it was written (the sink holds exactly `reply`); false:
  // the sink got nothing that stands (anything sent was withdrawn) and the caller sends `reply`.
  bool streamed = false;
  std::vector<std::string> citations;  // passage ids the reply cites, in order, no repeats
  int prompt_tokens = 0;               // every attempt's, estimated where the server sent none
  int completion_tokens = 0;
  std::string backend;  // the backend that wrote the reply; "" for the template
  // Tool calls the model proposed (it is offered none): never run; the caller judges them.
  std::vector<llm::ToolCall> proposed_calls;
  nlohmann::json trace = nlohmann::json::object();  // {"used", "backend", "ms", "reason", ...}
};

class Responder {
 public:
  // `backend` may be null: every reply is the draft. Not owned.
  Responder(llm::LlmBackend* backend, ResponderOptions options)
      : backend_(backend), options_(std::move(options)) {}

  // `sink` may be null (the reply is only returned).
  Responded Respond(const RespondInput& input, RequestContext& ctx,
                    ReplySink* sink = nullptr) const;
  bool enabled() const { return backend_ != nullptr; }

 private:
  llm::LlmBackend* backend_;
  ResponderOptions options_;
};

}  // namespace kefu::engine
