#include <algorithm>

#include <nlohmann/json.hpp>

#include "dialog/dialog.h"

namespace kefu::dialog {
namespace {

nlohmann::json TaskJson(const Task& t) {
  nlohmann::json slots = nlohmann::json::object();
  for (const auto& [name, v] : t.slots) {
    slots[name] = {{"value", v.value}, {"source", v.source}, {"confidence", v.confidence}};
  }
  return {{"flow", t.flow},
          {"slots", slots},
          {"awaiting", t.awaiting},
          {"order_status", t.order_status},
          {"reprompts", t.reprompts}};
}

Task TaskFromJson(const nlohmann::json& j) {
  Task t;
  t.flow = j.value("flow", "");
  t.awaiting = j.value("awaiting", "");
  t.order_status = j.value("order_status", "");
  t.reprompts = j.value("reprompts", 0);
  if (auto it = j.find("slots"); it != j.end() && it->is_object()) {
    for (const auto& [name, v] : it->items()) {
      t.slots[name] = {v.value("value", ""), v.value("source", ""), v.value("confidence", 1.0)};
    }
  }
  return t;
}

}  // namespace

bool DialogState::IsVerified(const std::string& order_id) const {
  for (const std::string& v : verified_orders) {
    if (v == order_id) {
      return true;
    }
  }
  return false;
}

Task* DialogState::active() {
  return stack.empty() ? nullptr : &stack.back();
}

const Task* DialogState::active() const {
  return stack.empty() ? nullptr : &stack.back();
}

void TrackFeeling(const MessageFeeling& feeling, double decay, DialogState& state) {
  state.feeling = feeling;
  state.mood = std::clamp(decay * state.mood + (1.0 - decay) * feeling.score, -1.0, 1.0);
  state.peak_anger = std::max(state.peak_anger, feeling.anger);
  state.negative_turns = feeling.polarity == "negative" ? state.negative_turns + 1 : 0;
}

bool IsUpset(const DialogState& state, double min_intensity) {
  const MessageFeeling& f = state.feeling;
  if (f.polarity == "positive") {
    return false;
  }
  return (f.polarity == "negative" && (f.intensity >= min_intensity || f.threat)) ||
         state.mood <= -min_intensity;
}

std::string EncodeState(const DialogState& s) {
  nlohmann::json stack = nlohmann::json::array();
  for (const Task& t : s.stack) {
    stack.push_back(TaskJson(t));
  }
  nlohmann::json j = {
      {"version", 2},
      {"lang", s.lang},
      {"stack", stack},
      {"last_task", s.last_task ? TaskJson(*s.last_task) : nlohmann::json(nullptr)},
      {"active_order", s.active_order},
      {"verified_customer", s.verified_customer},
      {"verified_at", s.verified_at},
      {"verified_orders", s.verified_orders},
      {"failed_verifications", s.failed_verifications},
      {"verification_locked", s.verification_locked},
      {"summary", s.summary},
      {"misunderstandings", s.misunderstandings},
      {"feeling",
       {{"polarity", s.feeling.polarity},
        {"score", s.feeling.score},
        {"emotion", s.feeling.emotion},
        {"intensity", s.feeling.intensity},
        {"anger", s.feeling.anger},
        {"threat", s.feeling.threat}}},
      {"mood", s.mood},
      {"peak_anger", s.peak_anger},
      {"negative_turns", s.negative_turns},
      {"escalation_offered_turn", s.escalation_offered_turn},
      {"turns", s.turns},
      {"handoff_requested", s.handoff_requested},
      {"offer", s.offer},
      {"offer_reason", s.offer_reason},
      {"offer_priority", s.offer_priority},
      {"facts", s.facts},
  };
  return j.dump();
}

Result<DialogState> DecodeState(const std::string& json) {
  try {
    const nlohmann::json j = nlohmann::json::parse(json);
    if (!j.is_object()) {
      return InvalidArgumentError("dialog state is not an object");
    }
    DialogState s;
    s.lang = j.value("lang", s.lang);
    if (auto it = j.find("stack"); it != j.end() && it->is_array()) {
      for (const nlohmann::json& t : *it) {
        s.stack.push_back(TaskFromJson(t));
      }
    }
    if (auto it = j.find("last_task"); it != j.end() && it->is_object()) {
      s.last_task = TaskFromJson(*it);
    }
    s.active_order = j.value("active_order", "");
    s.verified_customer = j.value("verified_customer", "");
    s.verified_at = j.value("verified_at", int64_t{0});
    s.verified_orders = j.value("verified_orders", std::vector<std::string>{});
    s.failed_verifications = j.value("failed_verifications", 0);
    s.verification_locked = j.value("verification_locked", false);
    s.summary = j.value("summary", std::vector<std::string>{});
    s.misunderstandings = j.value("misunderstandings", 0);
    if (auto it = j.find("feeling"); it != j.end() && it->is_object()) {
      s.feeling.polarity = it->value("polarity", s.feeling.polarity);
      s.feeling.score = it->value("score", 0.0);
      s.feeling.emotion = it->value("emotion", s.feeling.emotion);
      s.feeling.intensity = it->value("intensity", 0.0);
      s.feeling.anger = it->value("anger", 0.0);
      s.feeling.threat = it->value("threat", false);
    }
    s.mood = j.value("mood", 0.0);
    s.peak_anger = j.value("peak_anger", 0.0);
    s.negative_turns = j.value("negative_turns", 0);
    s.escalation_offered_turn = j.value("escalation_offered_turn", 0);
    s.turns = j.value("turns", 0);
    s.handoff_requested = j.value("handoff_requested", false);
    s.offer = j.value("offer", "");
    s.offer_reason = j.value("offer_reason", "");
    s.offer_priority = j.value("offer_priority", 0);
    s.facts = j.value("facts", std::map<std::string, std::string>{});
    return s;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("dialog state: ") + e.what());
  }
}

}  // namespace kefu::dialog
