// Tracking and the policy: rules over the understanding and the state. The dialogue issue turns
// this into flows with slots; the verification rule stays in the Actor either way.
#include "dialog/dialog.h"

namespace kefu::dialog {

std::string_view ActionName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kGreet:
      return "greet";
    case ActionKind::kGoodbye:
      return "goodbye";
    case ActionKind::kThanks:
      return "thanks";
    case ActionKind::kAskOrderId:
      return "ask_order_id";
    case ActionKind::kAskVerification:
      return "ask_verification";
    case ActionKind::kLookupOrder:
      return "lookup_order";
    case ActionKind::kCheckVerification:
      return "check_verification";
    case ActionKind::kHandoff:
      return "handoff";
    case ActionKind::kAnswerFromKb:
      return "answer_from_kb";
    case ActionKind::kFallback:
      return "fallback";
  }
  return "fallback";
}

void Track(const nlu::Understanding& u, const text::Language& lang, DialogState& state) {
  ++state.turns;
  if (lang != text::Language::kUnknown) {
    state.lang = std::string(text::LanguageCode(lang));
  }
  if (auto order = u.Find("order_id"); order && order->value != state.active_order) {
    state.active_order = order->value;
    if (state.awaiting == "verification") {
      state.awaiting.clear();  // a new order replaces the one we were verifying
    }
  }
}

Action Decide(const nlu::Understanding& u, const DialogState& state, std::string_view text) {
  if (u.intent == "human_agent") {
    return {ActionKind::kHandoff, state.active_order, ""};
  }
  const std::optional<nlu::Entity> order = u.Find("order_id");
  const std::optional<nlu::Entity> digits = u.Find("digits4");
  if (state.awaiting == "verification" && !order) {
    if (digits) {
      return {ActionKind::kCheckVerification, state.active_order, digits->value};
    }
    if (u.intent == "out_of_scope" || u.intent == "order_status") {
      return {ActionKind::kAskVerification, state.active_order, ""};
    }
  }
  if (order) {
    return {ActionKind::kLookupOrder, order->value, ""};
  }
  if (u.intent == "order_status") {
    if (!state.active_order.empty()) {
      return {ActionKind::kLookupOrder, state.active_order, ""};
    }
    return {ActionKind::kAskOrderId, "", ""};
  }
  if (u.intent == "greeting") {
    return {ActionKind::kGreet, "", ""};
  }
  if (u.intent == "goodbye") {
    return {ActionKind::kGoodbye, "", ""};
  }
  if (u.intent == "thanks") {
    return {ActionKind::kThanks, "", ""};
  }
  if (state.awaiting == "order_id") {
    return {ActionKind::kAskOrderId, "", ""};
  }
  // No flow handles it: a policy or product question for the knowledge base.
  if (!text.empty()) {
    return {ActionKind::kAnswerFromKb, "", "", std::string(text)};
  }
  return {ActionKind::kFallback, "", ""};
}

}  // namespace kefu::dialog
