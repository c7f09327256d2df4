#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/json_writer.h"
#include "dialog/dialog.h"

namespace kefu::dialog {
namespace {

void WriteTask(const Task& t, JsonWriter& w) {
  w.BeginObject();
  w.Key("flow").String(t.flow);
  w.Key("slots").BeginObject();
  for (const auto& [name, v] : t.slots) {
    w.Key(name).BeginObject();
    w.Key("value").String(v.value);
    w.Key("source").String(v.source);
    w.Key("confidence").Double(v.confidence);
    w.EndObject();
  }
  w.EndObject();
  w.Key("awaiting").String(t.awaiting);
  w.Key("order_status").String(t.order_status);
  w.Key("reprompts").Int(t.reprompts);
  w.EndObject();
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

// Written directly rather than through a nlohmann::json tree: every turn stores it.
std::string EncodeState(const DialogState& s) {
  JsonWriter w;
  w.BeginObject();
  w.Key("version").Int(2);
  w.Key("lang").String(s.lang);
  w.Key("stack").BeginArray();
  for (const Task& t : s.stack) {
    WriteTask(t, w);
  }
  w.EndArray();
  w.Key("last_task");
  if (s.last_task) {
    WriteTask(*s.last_task, w);
  } else {
    w.Null();
  }
  w.Key("active_order").String(s.active_order);
  w.Key("verified_customer").String(s.verified_customer);
  w.Key("verified_at").Int(s.verified_at);
  w.Key("verified_orders").StringArray(s.verified_orders);
  w.Key("failed_verifications").Int(s.failed_verifications);
  w.Key("verification_locked").Bool(s.verification_locked);
  w.Key("summary").StringArray(s.summary);
  w.Key("misunderstandings").Int(s.misunderstandings);
  w.Key("feeling").BeginObject();
  w.Key("polarity").String(s.feeling.polarity);
  w.Key("score").Double(s.feeling.score);
  w.Key("emotion").String(s.feeling.emotion);
  w.Key("intensity").Double(s.feeling.intensity);
  w.Key("anger").Double(s.feeling.anger);
  w.Key("threat").Bool(s.feeling.threat);
  w.EndObject();
  w.Key("mood").Double(s.mood);
  w.Key("peak_anger").Double(s.peak_anger);
  w.Key("negative_turns").Int(s.negative_turns);
  w.Key("escalation_offered_turn").Int(s.escalation_offered_turn);
  w.Key("turns").Int(s.turns);
  w.Key("handoff_requested").Bool(s.handoff_requested);
  w.Key("offer").String(s.offer);
  w.Key("offer_reason").String(s.offer_reason);
  w.Key("offer_priority").Int(s.offer_priority);
  w.Key("facts").BeginObject();
  for (const auto& [k, v] : s.facts) {
    w.Key(k).String(v);
  }
  w.EndObject();
  w.EndObject();
  return std::move(w).Take();
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
