// engine/: the composition of one turn, and the only place that names concrete stages.
//
//   auto engine = Engine::Create(store, SystemClock(), {.data_dir = "data"});
//   Result<NewConversation> c = (*engine)->CreateConversation("web");
//   RequestContext ctx = RequestContext::WithTimeout(NewTraceId(), 5s);
//   Result<TurnResult> r = (*engine)->HandleTurn({c->id, "我的订单 2026... 到哪了", c->token},
//   ctx);
//
// A turn runs as stages: text.normalize, sentiment.analyze, nlu.understand (which need only the
// message, and may run ahead on another thread: Engine::Read), store.load, nlu.assist,
// dialog.track, dialog.step, reply.phrase, store.persist. The stored state is re-read
// and the turn re-run when a concurrent turn on the same conversation saved first. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/request_context.h"
#include "core/result.h"
#include "dialog/dialog.h"
#include "engine/live_feed.h"
#include "engine/responder.h"
#include "kb/knowledge_base.h"
#include "nlu/understanding.h"
#include "sentiment/sentiment.h"
#include "store/store.h"
#include "tools/tools.h"

namespace kefu::engine {

struct EngineOptions {
  std::string data_dir = "data";  // holds templates/replies.toml and sentiment/lexicon_*.tsv
  int max_message_chars = 2'000;
  int timezone_offset_minutes = 480;
  int max_verification_attempts = 3;
  // A model from `kefu train intent`; empty uses the keyword rules (tests, tools).
  std::string intent_model{};
  // A model from `kefu train sentiment`, read together with the lexicon in data_dir/sentiment;
  // empty: the lexicon alone (tests, tools).
  std::string sentiment_model{};
  double mood_decay = 0.5;          // DialogState::mood; see dialog::TrackFeeling
  double min_asr_confidence = 0.3;  // a voice turn less sure than this asks the shopper to repeat
  bool apology_first = true;
  // When the shopper's feeling hands off or offers a person (every action "off": never).
  dialog::EscalationRule escalation{};
  // Answers questions no flow handles; null: they get the fallback reply. Not owned; it must
  // outlive the engine.
  const kb::KnowledgeBase* knowledge_base = nullptr;
  // The tools flows call; null: the built-in tools on `store`. Not owned.
  const tools::ToolRegistry* tools = nullptr;
  // Verifies the shop site's signed customer tokens; empty: such tokens are refused.
  std::string customer_token_secret{};
  int failures_before_handoff = 2;
  // Rewrites each reply through a language model, guarded (see responder.h); null: the
  // dialogue's template replies are the replies. Not owned.
  llm::LlmBackend* llm = nullptr;
  ResponderOptions responder{};
  // With a model: a message the classifier is less sure of than this, outside a running task,
  // is also put to the model (llm/intent_assist.h); its validated answer wins when it is at
  // least `intent_assist_min_confidence` sure. 0 turns the assist off.
  double intent_assist_below = 0.5;
  double intent_assist_min_confidence = 0.6;
  int intent_assist_timeout_ms = 1'500;
};

struct NewConversation {
  std::string id;
  std::string token;  // shown once; only its hash is stored
};

// What speech recognition made of a voice turn's audio; the turn's text is its transcript.
struct VoiceInput {
  std::string engine;   // "pocketsphinx", "openai:whisper-1"
  std::string grammar;  // "" (free speech), "digits", "yes_no"
  std::string lang;     // what the shopper speaks ("zh", "en"): a request to repeat is in it
  double confidence = 0;
  double audio_seconds = 0;
  double decode_seconds = 0;
};

// What a message says on its own, before its conversation is read: the turn's first three
// stages. They need no store, so the server runs them on the thread that read the request and the
// store's worker goes straight to store.load.
struct ReadMessage {
  std::string text;  // the message this was read from
  text::NormalizedText normalized;
  sentiment::SentimentResult sentiment;
  nlu::Understanding understanding;
};

struct TurnInput {
  std::string conversation_id;
  std::string text;  // may be empty for a voice turn in which nothing was recognised
  // The shopper's conversation token, checked against the stored hash in the same read as the
  // state. nullopt only for trusted in-process callers (the CLI), never for network input.
  std::optional<std::string> token;
  // Receives the reply while the model writes it (each sentence after the grounding guard); null:
  // the reply only comes back in TurnResult. Not owned; used on the turn's thread only.
  ReplySink* sink = nullptr;
  // Set for a voice turn: below EngineOptions::min_asr_confidence the reply asks the shopper to
  // say it again instead of acting on a guess.
  std::optional<VoiceInput> voice{};
  // The message already read (Engine::Read); used when its text is this input's text, else the
  // turn reads the message itself.
  std::shared_ptr<const ReadMessage> read{};
  // Sha256Hex(*token), when the caller hashed it ahead (Api::ReadAhead does, on the I/O thread,
  // off the store worker); empty: the turn hashes the token itself.
  std::string token_sha256{};
};

struct TurnResult {
  std::string conversation_id;
  std::string reply;
  std::string lang;
  std::string intent;
  double confidence = 0;
  std::string action;
  bool handoff = false;
  std::string trace_json;  // what was understood, decided and timed; stored with the reply
  int64_t created_at = 0;
  bool silent = false;     // an agent holds the conversation: the message was stored and passed on,
                           // and the bot said nothing (reply is empty)
  bool queued = false;     // this turn put the conversation in the agent queue
  std::string state_json;  // the dialogue state after the turn (dialog::DecodeState reads it)
  // What a graphical channel draws beside the text, as JSON (docs/web.md): quick_replies, cards
  // (order, product) and citations. "{}" for a silent turn.
  std::string ui_json = "{}";
  // The sink got the reply as the model wrote it and holds exactly `reply`; false: the sink got
  // nothing that stands, and the caller sends `reply` itself.
  bool streamed = false;
};

class Engine {
 public:
  // kNotFound / kInvalidArgument when the reply templates cannot be loaded.
  static Result<std::unique_ptr<Engine>> Create(store::Store& store, const Clock& clock,
                                                EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // `customer_token`, when not empty, is a token signed by the shop's site naming the logged-in
  // customer (dialog::Dialog::VerifyCustomerToken): their orders need no further proof.
  // kPermissionDenied for a bad or expired token.
  Result<NewConversation> CreateConversation(const std::string& channel,
                                             const std::string& customer_token = {});

  // kNotFound for an unknown conversation, kPermissionDenied for a wrong token.
  Status Authorize(const std::string& conversation_id, const std::string& token);

  // Runs one turn. kInvalidArgument for text that is not UTF-8, empty, or longer than
  // max_message_chars; kNotFound for an unknown conversation; kPermissionDenied for a wrong
  // token; kDeadlineExceeded / kCancelled from the context; store errors pass through.
  // Nothing is stored unless the turn succeeds.
  Result<TurnResult> HandleTurn(const TurnInput& input, RequestContext& ctx);

  // The turn's first stages for `text` (normalize, sentiment, understanding), timed into `ctx`.
  // Null when the text is not a valid message (the turn then reports why) or `ctx` ran out.
  // Thread-safe and touches no store.
  std::shared_ptr<const ReadMessage> Read(const std::string& text, RequestContext& ctx) const;

  // Runs several turns together: each turn's stages as in HandleTurn, then one store
  // transaction for all of them (group commit), so a busy server writes each page once per
  // batch instead of once per turn. results[i] answers inputs[i] with the same errors as
  // HandleTurn. REQUIRES: inputs.size() == contexts.size().
  std::vector<Result<TurnResult>> HandleTurns(std::span<const TurnInput> inputs,
                                              std::span<RequestContext* const> contexts);

  // Human agents. Claim/Release/Close as in store::Store (kFailedPrecondition when another agent
  // holds the conversation, kNotFound when it has no open ticket); each stores an event, a system
  // message the shopper sees, and publishes to the live feed.
  Result<std::vector<store::HandoffTicket>> HandoffQueue();
  Result<store::HandoffTicket> GetHandoff(const std::string& conversation_id);
  Status ClaimHandoff(const std::string& conversation_id, const std::string& agent);
  Status ReleaseHandoff(const std::string& conversation_id, const std::string& agent);
  Status CloseHandoff(const std::string& conversation_id, const std::string& agent);
  // Stores the agent's message (role agent) and publishes it. kFailedPrecondition unless `agent`
  // holds the conversation; kInvalidArgument for bad text (as HandleTurn).
  Result<store::Message> SendAgentMessage(const std::string& conversation_id,
                                          const std::string& agent, const std::string& text);
  // The stored dialogue state as JSON (what an agent sees next to the queue entry).
  Result<std::string> StateJson(const std::string& conversation_id);
  // What an agent sees beside a conversation (docs/web.md): {"customer": {...} | null,
  // "order": card | null} for the order the conversation is about (the state's active order),
  // with the customer's phone masked. kNotFound for an unknown conversation.
  Result<std::string> AgentContextJson(const std::string& conversation_id);
  // Replies an agent may send next, as a JSON array of {source, title, text}: the knowledge
  // base's best passages for the shopper's last message and the templates that fit the
  // conversation. kNotFound for an unknown conversation.
  Result<std::string> SuggestionsJson(const std::string& conversation_id);
  // The short answer the conversation waits for, for a recogniser's grammar: "digits" (the
  // verification step's last four digits, an order number), "yes_no" (a confirmation), or ""
  // (free speech).
  // kNotFound for an unknown conversation.
  Result<std::string> ExpectedAnswer(const std::string& conversation_id);
  // The engine's clock, in epoch milliseconds.
  int64_t NowMillis() const;
  // The operator dashboard's figures (store::Store::GetAnalytics).
  Result<store::Analytics> Analytics(const store::AnalyticsQuery& query);

  // Every message stored for a conversation (the shopper's, the bot's, an agent's, system
  // notices) is published here as it is stored, as {"type": "message", "message": {...}};
  // handoff changes as {"type": "handoff", "status": ..., "agent": ...}; the queue channel "*"
  // gets {"type": "queue", "conversation_id": ..., "status": ...}.
  LiveFeed& live();

  Result<std::vector<store::Message>> History(const std::string& conversation_id, int64_t after_id,
                                              int limit);

  // What the turn's understanding stage makes of a normalized message (kefu nlu shows it).
  nlu::Understanding Understand(const text::NormalizedText& text) const;
  // What the turn's sentiment stage makes of it: {polarity, score, emotion, intensity, aspects,
  // threat, matched} as the trace shows it.
  std::string SentimentJson(const text::NormalizedText& text) const;

  const EngineOptions& options() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A fresh random trace id ("t-" and 16 hex digits).
std::string NewTraceId();

}  // namespace kefu::engine
