// dialog/: tracks a conversation's state, decides the next action and carries it out.
//
//   DialogState state = DecodeState(conversation.state_json).value_or({});
//   Track(understanding, state);
//   Action action = Decide(understanding, state);
//   Result<Outcome> outcome = actor.Act(action, state, ctx);    // reads the store
//   Result<std::string> reply = replies.Render(*outcome, state.lang);
//
// Order details are released only for orders this conversation has verified (the last four
// digits of the order's phone number): tools enforce it, not prompts.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/request_context.h"
#include "core/result.h"
#include "kb/knowledge_base.h"
#include "nlu/understanding.h"
#include "store/store.h"

namespace kefu::dialog {

struct DialogState {
  std::string lang = "zh";   // the language of the shopper's latest message with words in it
  std::string active_order;  // the order number under discussion
  std::string awaiting;      // "", "order_id" or "verification"
  std::vector<std::string> verified_orders;
  int failed_verifications = 0;
  bool verification_locked = false;  // too many wrong answers: no more details, human offered
  bool handoff_requested = false;
  int turns = 0;

  bool IsVerified(const std::string& order_id) const;
};

std::string EncodeState(const DialogState& state);
// kInvalidArgument when `json` is not a state this version wrote.
Result<DialogState> DecodeState(const std::string& json);

enum class ActionKind {
  kGreet,
  kGoodbye,
  kThanks,
  kAskOrderId,
  kAskVerification,  // re-ask: the answer was not four digits
  kLookupOrder,
  kCheckVerification,
  kHandoff,
  kAnswerFromKb,  // a question no flow handles: the knowledge base answers or says it cannot
  kFallback,
};
std::string_view ActionName(ActionKind kind);

struct Action {
  ActionKind kind = ActionKind::kFallback;
  std::string order_id;
  std::string digits;   // the verification answer
  std::string query{};  // kAnswerFromKb: the shopper's normalized message
};

// Folds what was understood into the state (language, active order, awaited slot).
void Track(const nlu::Understanding& understanding, const text::Language& lang, DialogState& state);

// Picks the next action from the understanding and the tracked state. `text` is the normalized
// message (the knowledge base's query).
Action Decide(const nlu::Understanding& understanding, const DialogState& state,
              std::string_view text = {});

// What acting produced: the reply to give (a template key) and the facts it may use.
struct Outcome {
  std::string reply_key;                     // "greeting", "ask_verification", "order.shipped", ...
  std::optional<store::OrderDetails> order;  // set only for verified orders
  std::string order_id;
  int attempts_left = 0;
  bool offer_human = false;
  std::optional<kb::KbAnswer> kb_answer;  // kAnswerFromKb: what the knowledge base found
  std::vector<std::pair<std::string, std::string>> events;  // (type, payload json)
};

struct ActorOptions {
  int max_verification_attempts = 3;
};

// Carries out actions against the store. Thread-safe (stateless apart from the store).
class Actor {
 public:
  // `kb` may be null: questions for the knowledge base then get the fallback reply.
  Actor(store::Store& store, ActorOptions options, const kb::KnowledgeBase* kb = nullptr)
      : store_(store), options_(options), kb_(kb) {}
  Actor(const Actor&) = delete;
  Actor& operator=(const Actor&) = delete;

  // Updates `state` (awaited slot, verification) and returns the outcome.
  // Store errors pass through; a missing order is an outcome, not an error.
  Result<Outcome> Act(const Action& action, DialogState& state, RequestContext& ctx);

 private:
  Result<Outcome> LookupOrder(const std::string& order_id, DialogState& state);
  Result<Outcome> CheckVerification(const Action& action, DialogState& state);
  Outcome Locked(const std::string& order_id) const;
  Outcome AnswerFromKb(const Action& action, const DialogState& state) const;

  store::Store& store_;
  ActorOptions options_;
  const kb::KnowledgeBase* kb_;
};

struct ReplyOptions {
  int timezone_offset_minutes = 480;
};

// Reply templates per language, loaded from data/templates/replies.toml. Immutable after
// loading, so thread-safe.
class ReplyTemplates {
 public:
  // kNotFound when the file is missing; kInvalidArgument when it does not parse or lacks a key
  // in either language.
  static Result<ReplyTemplates> Load(const std::string& path, ReplyOptions options);

  // Renders the outcome in `lang` ("zh" or "en"; anything else falls back to "zh").
  std::string Render(const Outcome& outcome, const std::string& lang) const;

  // The raw template, for tests. Empty when missing.
  std::string Get(const std::string& lang, const std::string& key) const;

 private:
  std::map<std::string, std::string> templates_;  // "zh.order.shipped" -> template
  ReplyOptions options_;
};

// Required template keys (without the language prefix).
const std::vector<std::string>& RequiredTemplateKeys();

}  // namespace kefu::dialog
