// dialog/: tracks a conversation's state and runs the flows in data/flows over it.
//
//   ToolRegistry tools = NewStoreTools(store, clock);
//   auto dialog = Dialog::Create({.data_dir = "data"}, tools, &kb, clock);
//   DialogState state = DecodeState(conversation.state_json).value_or({});
//   (*dialog)->Track(understanding, lang, state);
//   Result<TurnOutcome> out = (*dialog)->Step(understanding, normalized, state, ctx);
//
// Order details are released, and order actions taken, only for orders this conversation has
// verified (the last four digits of the order's phone number, or a customer id in a token signed
// by the shop's site): the dialogue enforces it in code, whatever the shopper types.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/request_context.h"
#include "core/result.h"
#include "kb/knowledge_base.h"
#include "nlu/understanding.h"
#include "store/store.h"
#include "text/normalize.h"
#include "tools/tools.h"

namespace kefu::dialog {

// One slot's value and where it came from.
struct SlotValue {
  std::string value;
  std::string source;  // entity, text, choice, token, tool, default
  double confidence = 1.0;
};

// A task the shopper started: a flow from data/flows with the slots filled so far.
struct Task {
  std::string flow;  // "return_refund"
  std::map<std::string, SlotValue> slots;
  std::string awaiting;      // the slot asked for, "verification", "confirm", or ""
  std::string order_status;  // the order's status when the flow last read it
  int reprompts = 0;         // answers to `awaiting` that did not fit, in a row
};

// How the shopper felt in one message: the engine's sentiment stage (sentiment/) measures it and
// TrackFeeling folds it into the state; the dialogue reads it for its tone and its escalation
// hooks, without knowing how it was measured.
struct MessageFeeling {
  std::string polarity = "neutral";  // negative, neutral, positive
  double score = 0;                  // in [-1, 1]; negative is unhappy
  std::string emotion = "neutral";   // anger, anxiety, disappointment, satisfaction, neutral
  double intensity = 0;              // the emotion's, in [0, 1]
  double anger = 0;                  // anger's intensity, in [0, 1], whatever the main emotion
  bool threat = false;               // 投诉, 12315, 差评, 曝光, chargeback ... (not negated)
};

// Everything the dialogue remembers about one conversation; stored as JSON with the
// conversation, so it survives a restart.
struct DialogState {
  std::string lang = "zh";        // the language of the shopper's latest message with words in it
  std::vector<Task> stack;        // back() is the active task; those below were interrupted
  std::optional<Task> last_task;  // the task that ended most recently
  std::string active_order;       // the order number under discussion
  std::string verified_customer;  // customer id proven by a signed token or a verified order
  int64_t verified_at = 0;        // when (ms)
  std::vector<std::string> verified_orders;
  int failed_verifications = 0;
  bool verification_locked = false;  // too many wrong answers: no more details, human offered
  std::vector<std::string> summary;  // one line per finished task, oldest first, at most 12
  int misunderstandings = 0;         // turns in a row the bot could not help with
  MessageFeeling feeling;            // the latest message's
  double mood = 0;                   // decaying aggregate of the messages' scores, in [-1, 1]
  double peak_anger = 0;             // the angriest message so far
  int negative_turns = 0;            // negative messages in a row
  int escalation_offered_turn = 0;   // when an escalation hook last offered a person; 0: never
  int turns = 0;
  bool handoff_requested = false;
  std::string offer;         // what the last reply offered: "human", or a flow a yes starts
  std::string offer_reason;  // for "human": the handoff reason a yes files, "" for "requested"
  int offer_priority = 0;    // ... and its priority
  std::map<std::string, std::string> facts;  // set by flows: return_created, rma, case_number

  bool IsVerified(const std::string& order_id) const;
  Task* active();
  const Task* active() const;
};

// Folds one message's feeling into the state: feeling, mood = decay * mood + (1 - decay) *
// score, peak_anger, and negative_turns (reset by any message that is not negative).
void TrackFeeling(const MessageFeeling& feeling, double decay, DialogState& state);

// Whether a reply to this state should open with an apology or, for anxiety, reassurance: the
// latest message is negative with an emotion at least `min_intensity` strong, or the mood is at
// most -`min_intensity`.
bool IsUpset(const DialogState& state, double min_intensity = 0.5);

std::string EncodeState(const DialogState& state);
// kInvalidArgument when `json` is not a state this version wrote.
Result<DialogState> DecodeState(const std::string& json);

struct ReplyOptions {
  int timezone_offset_minutes = 480;
};

// An order's template variables and card in one language, rendered once per order version.
struct RenderedOrder {
  int64_t etag = 0;  // store::OrderDetails::etag they were rendered from
  std::map<std::string, std::string> vars;
  std::string card;
};

// Template variables looked up in layers: the first layer that has a name gives its value.
// A turn lays its own few values over large shared ones (an order's rendered fields) without
// copying them. Null layers are skipped. Holds pointers: the maps must outlive it.
class VarLayers {
 public:
  using Map = std::map<std::string, std::string>;
  explicit VarLayers(const Map& vars) : layers_{&vars}, size_(1) {}
  // Two to four maps, the first the strongest.
  VarLayers(const Map* first, const Map* second, const Map* third = nullptr,
            const Map* fourth = nullptr);
  // The value of `name` in the first layer that has it; null when none has.
  const std::string* Find(const std::string& name) const;

 private:
  std::array<const Map*, 4> layers_{};
  size_t size_ = 0;
};

// Reply templates per language, loaded from data/templates/replies.toml. Immutable after
// loading, so thread-safe (the rendered-order cache has its own lock).
class ReplyTemplates {
 public:
  // kNotFound when the file is missing; kInvalidArgument when it does not parse or lacks a key
  // in either language.
  static Result<ReplyTemplates> Load(const std::string& path, ReplyOptions options);

  // Renders template `key` in `lang` ("zh" or "en"; anything else falls back to "zh") with
  // {name} replaced from `vars`; a missing key renders the fallback reply.
  std::string Render(const std::string& key, const std::string& lang, const VarLayers& vars) const;
  std::string Render(const std::string& key, const std::string& lang,
                     const std::map<std::string, std::string>& vars) const {
    return Render(key, lang, VarLayers(vars));
  }

  // The variables an order offers to a template (order_id, status, items, total, tracking,
  // refund_amount, ...), in `lang`.
  std::map<std::string, std::string> OrderVars(const store::OrderDetails& order,
                                               const std::string& lang) const;

  // The order as a card for a graphical channel (docs/web.md): status label, items, total and
  // the tracking timeline, in `lang`; a JSON object's text.
  std::string OrderCard(const store::OrderDetails& order, const std::string& lang) const;

  // OrderVars and OrderCard together. When the order carries an etag they are kept (up to 4,096
  // orders and languages) and served again while the etag is unchanged: an order-status turn
  // then formats nothing.
  std::shared_ptr<const RenderedOrder> Rendered(const store::OrderDetails& order,
                                                const std::string& lang) const;

  // The raw template, for tests. Empty when missing.
  std::string Get(const std::string& lang, const std::string& key) const;

 private:
  struct RenderCache;
  std::map<std::string, std::string> templates_;  // "zh.order.shipped" -> template
  ReplyOptions options_;
  std::shared_ptr<RenderCache> render_cache_;  // shared by copies: they render alike
};

// Required template keys (without the language prefix).
const std::vector<std::string>& RequiredTemplateKeys();

// {name} -> its value in vars; unknown names stay as they are.
std::string Substitute(const std::string& tmpl, const VarLayers& vars);
inline std::string Substitute(const std::string& tmpl,
                              const std::map<std::string, std::string>& vars) {
  return Substitute(tmpl, VarLayers(vars));
}

// "¥399.00".
std::string FormatMoney(int64_t cents);

// One tool call as the trace shows it.
struct ToolCallRecord {
  std::string tool;
  std::string args_json;  // phone numbers and addresses masked
  std::string code;       // the result's code, or "error"
  std::string error;      // the failure's message when code is "error"
  int64_t micros = 0;
};

struct HandoffRequest {
  // requested, bot_failed, flow, verification_locked, tool_failed; the sentiment escalations:
  // threat, anger, negative_turns.
  std::string reason;
  int priority = 0;  // 0 normal; higher is served first
  // From an escalation hook: only offer a person in this turn's reply (the turn still does its
  // work); a yes hands off with this reason and priority.
  bool offer_only = false;
};

// What the dialogue made of one turn.
// A button a graphical channel shows under the reply: pressing it sends `text`.
struct QuickReply {
  std::string label;
  std::string text;
};

struct TurnOutcome {
  std::string action;  // "greet", "answer_from_kb", "flow:return_refund/ask:reason", ...
  std::string reply;
  std::optional<kb::KbAnswer> kb_answer;  // the passages behind the reply, when it used the kb
  std::vector<ToolCallRecord> tool_calls;
  std::optional<HandoffRequest> handoff;  // the conversation goes to the agent queue
  bool offer_human = false;               // the reply offers a person (without queueing yet)
  std::vector<std::pair<std::string, std::string>> events;  // (type, payload json)
  // What a graphical channel draws beside the text (docs/web.md): cards for the order this turn
  // read for its verified owner and for the products a search found, and the answers the reply
  // invites. Each card is a JSON object's text.
  std::vector<std::string> cards;
  std::vector<QuickReply> quick_replies;
};

// Asks for a handoff (or only offers one) from what else is known about the turn, such as the
// shopper's feeling (NewSentimentEscalation). Called after tracking, before the flow runs; the
// first hook that answers wins. Thread-safe.
class EscalationHook {
 public:
  virtual ~EscalationHook() = default;
  virtual std::optional<HandoffRequest> Check(const nlu::Understanding& understanding,
                                              const text::NormalizedText& text,
                                              const DialogState& state) const = 0;
};

// When the shopper's feeling escalates (config [sentiment]; docs/sentiment.md). An action is
// "handoff" (queue the conversation with `priority`), "offer" (the reply offers a person; a yes
// hands off with `priority`) or "off".
struct EscalationRule {
  std::string threat_action = "handoff";  // an explicit threat: 投诉, 12315, 差评, 曝光, chargeback
  double anger_threshold = 0.8;           // a message at least this angry (0 < t <= 1)
  std::string anger_action = "handoff";
  int negative_turns = 3;  // this many negative messages in a row; 0: off
  std::string negative_turns_action = "offer";
  int priority = 2;  // requested handoffs are 0
};

// kInvalidArgument naming the field for an unknown action or a value out of range.
Status ValidateEscalationRule(const EscalationRule& rule);

// The hook that applies `rule` to DialogState::feeling and negative_turns. A threat comes first,
// then anger, then negative turns. An offer is not repeated within `negative_turns` turns (3 when
// that rule is off), nor made while the conversation is already queued for a person.
std::shared_ptr<const EscalationHook> NewSentimentEscalation(EscalationRule rule);

struct DialogOptions {
  std::string data_dir = "data";  // holds flows/*.toml and templates/replies.toml
  int max_verification_attempts = 3;
  int failures_before_handoff = 2;  // the bot failing this many turns in a row hands off
  int timezone_offset_minutes = 480;
};

struct FlowSpec;  // flows.h

// The dialogue manager: flows from data/flows, verification, interruptions, handoff.
// Thread-safe: Step keeps everything per conversation in `state`.
class Dialog {
 public:
  // `tools` and `kb` (which may be null) must outlive the dialogue. kInvalidArgument /
  // kNotFound when a flow file or the templates are bad.
  static Result<std::unique_ptr<Dialog>> Create(const DialogOptions& options,
                                                const tools::ToolRegistry& tools,
                                                const kb::KnowledgeBase* kb, const Clock& clock);
  ~Dialog();
  Dialog(const Dialog&) = delete;
  Dialog& operator=(const Dialog&) = delete;

  // Folds what was understood into the state (language, counters, order numbers).
  // `text` is the normalized message: a Latin identifier alone (a tax id, an e-mail) does not
  // switch a Chinese conversation to English.
  void Track(const nlu::Understanding& understanding, text::Language lang, DialogState& state,
             std::string_view text = {}) const;

  // Decides and acts: runs the active flow (or starts one), calls tools, renders the reply.
  // Tool failures are outcomes (an apology and a person offered), not errors; kDeadlineExceeded
  // / kCancelled come from the context.
  Result<TurnOutcome> Step(const nlu::Understanding& understanding,
                           const text::NormalizedText& text, DialogState& state,
                           RequestContext& ctx) const;

  // Judges a tool call a language model proposed (the model never runs one itself): OK only
  // when `tool` is the active flow's action, the flow has everything it needs and is waiting for
  // the shopper's confirmation, the call's order_id (if any) is the task's order, and that order
  // is verified when the flow needs an order. Even then the flow runs the tool, not the model,
  // and only once the shopper confirms. kNotFound for a tool no flow calls; kFailedPrecondition
  // naming what is missing; kPermissionDenied for another order or an unverified one;
  // kInvalidArgument when the arguments are not a JSON object.
  Status CheckProposedAction(const DialogState& state, std::string_view tool,
                             std::string_view arguments_json) const;

  // Adds a hook; call before the first Step.
  void AddEscalationHook(std::shared_ptr<const EscalationHook> hook);
  // Whether a reply opens with an apology (or reassurance) when the shopper is upset (IsUpset);
  // on by default. Call before the first Step.
  void SetApologyFirst(bool on);

  // The flows loaded, by name.
  std::vector<std::string> FlowNames() const;
  const ReplyTemplates& templates() const;

  // The customer id a signed token names, when the token is genuine and not expired:
  // "<customer_id>.<expires_unix_seconds>.<hex HMAC-SHA256(secret, customer_id + '.' +
  // expires)>". kPermissionDenied otherwise.
  static Result<std::string> VerifyCustomerToken(std::string_view token, std::string_view secret,
                                                 int64_t now_ms);

  struct Impl;  // dialog.cc's; public only so that its helpers can name it

 private:
  explicit Dialog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kefu::dialog
