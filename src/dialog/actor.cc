#include <nlohmann/json.hpp>

#include "dialog/dialog.h"

namespace kefu::dialog {

Result<Outcome> Actor::Act(const Action& action, DialogState& state, RequestContext& ctx) {
  KEFU_RETURN_IF_ERROR(ctx.Check());
  Outcome out;
  switch (action.kind) {
    case ActionKind::kGreet:
      out.reply_key = "greeting";
      return out;
    case ActionKind::kGoodbye:
      out.reply_key = "goodbye";
      return out;
    case ActionKind::kThanks:
      out.reply_key = "thanks";
      return out;
    case ActionKind::kFallback:
      out.reply_key = "fallback";
      return out;
    case ActionKind::kAnswerFromKb:
      return AnswerFromKb(action, state);
    case ActionKind::kAskOrderId:
      state.awaiting = "order_id";
      out.reply_key = "ask_order_id";
      return out;
    case ActionKind::kAskVerification:
      out.order_id = action.order_id;
      out.attempts_left = options_.max_verification_attempts - state.failed_verifications;
      out.reply_key = "ask_verification_again";
      return out;
    case ActionKind::kHandoff:
      state.handoff_requested = true;
      out.reply_key = "handoff";
      out.offer_human = true;
      out.events.push_back({"handoff_requested", "{}"});
      return out;
    case ActionKind::kLookupOrder:
      return LookupOrder(action.order_id, state);
    case ActionKind::kCheckVerification:
      return CheckVerification(action, state);
  }
  return InternalError("unknown action");
}

Outcome Actor::Locked(const std::string& order_id) const {
  Outcome out;
  out.reply_key = "verification_locked";
  out.order_id = order_id;
  out.offer_human = true;
  return out;
}

Result<Outcome> Actor::LookupOrder(const std::string& order_id, DialogState& state) {
  if (state.IsVerified(order_id)) {
    Result<store::OrderDetails> details = store_.GetOrderDetails(order_id);
    if (!details.ok()) {
      return details.status().WithContext("lookup order");
    }
    Outcome out;
    out.order_id = order_id;
    out.reply_key = "order." + details->order.status;
    out.order = std::move(*details);
    state.awaiting.clear();
    return out;
  }
  if (state.verification_locked) {
    state.awaiting.clear();
    return Locked(order_id);
  }
  Result<store::OrderDetails> details = store_.GetOrderDetails(order_id);
  if (details.status().code() == StatusCode::kNotFound) {
    Outcome out;
    out.order_id = order_id;
    out.reply_key = "order_not_found";
    state.active_order.clear();
    state.awaiting = "order_id";
    out.events.push_back({"order_not_found", "{}"});
    return out;
  }
  if (!details.ok()) {
    return details.status().WithContext("lookup order");
  }
  Outcome out;
  out.order_id = order_id;
  out.reply_key = "ask_verification";
  out.attempts_left = options_.max_verification_attempts - state.failed_verifications;
  state.active_order = order_id;
  state.awaiting = "verification";
  return out;
}

Result<Outcome> Actor::CheckVerification(const Action& action, DialogState& state) {
  if (state.verification_locked) {
    state.awaiting.clear();
    return Locked(action.order_id);
  }
  Result<store::OrderDetails> details = store_.GetOrderDetails(action.order_id);
  if (details.status().code() == StatusCode::kNotFound) {
    Outcome out;
    out.order_id = action.order_id;
    out.reply_key = "order_not_found";
    state.active_order.clear();
    state.awaiting = "order_id";
    return out;
  }
  if (!details.ok()) {
    return details.status().WithContext("verify order");
  }
  const std::string& phone = details->order.phone;
  const bool match = phone.size() >= 4 && action.digits.size() == 4 &&
                     phone.compare(phone.size() - 4, 4, action.digits) == 0;
  if (match) {
    state.verified_orders.push_back(action.order_id);
    state.awaiting.clear();
    Outcome out;
    out.order_id = action.order_id;
    out.reply_key = "order." + details->order.status;
    out.order = std::move(*details);
    out.events.push_back({"verification_succeeded", "{}"});
    return out;
  }
  ++state.failed_verifications;
  const int left = options_.max_verification_attempts - state.failed_verifications;
  const std::string payload = nlohmann::json{{"attempt", state.failed_verifications}}.dump();
  if (left <= 0) {
    state.verification_locked = true;
    state.awaiting.clear();
    Outcome out = Locked(action.order_id);
    out.events.push_back({"verification_failed", payload});
    out.events.push_back({"verification_locked", "{}"});
    out.events.push_back({"handoff_offered", "{}"});
    return out;
  }
  Outcome out;
  out.order_id = action.order_id;
  out.reply_key = "verification_failed";
  out.attempts_left = left;
  out.events.push_back({"verification_failed", payload});
  return out;
}

Outcome Actor::AnswerFromKb(const Action& action, const DialogState& state) const {
  Outcome out;
  if (kb_ == nullptr) {
    out.reply_key = "fallback";
    return out;
  }
  kb::KbAnswer answer = kb_->Answer(action.query, state.lang);
  nlohmann::json payload = {{"found", answer.found},
                            {"doc_id", answer.doc_id},
                            {"confidence", answer.confidence},
                            {"from_faq", answer.from_faq}};
  if (answer.found) {
    out.reply_key = "kb.answer";
    out.events.emplace_back("kb_answered", payload.dump());
  } else {
    // Below the threshold kefu does not guess: it says so and offers a person.
    out.reply_key = "kb.unknown";
    out.offer_human = true;
    out.events.emplace_back("kb_unanswered", payload.dump());
  }
  out.kb_answer = std::move(answer);
  return out;
}

}  // namespace kefu::dialog
