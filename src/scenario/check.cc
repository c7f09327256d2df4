// Compares what a turn produced with what the scenario expects.
#include <algorithm>
#include <cctype>

#include "scenario/scenario.h"

namespace kefu::scenario {
namespace {

using nlohmann::json;

// A JSON value as the scenario compares it: strings as they are, null as "", others dumped.
std::string AsString(const json& v) {
  if (v.is_string()) {
    return v.get<std::string>();
  }
  if (v.is_null()) {
    return "";
  }
  return v.dump();
}

const json* Field(const json& obj, const char* key) {
  if (!obj.is_object()) {
    return nullptr;
  }
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string StringField(const json& obj, const char* key) {
  const json* v = Field(obj, key);
  return v == nullptr ? "" : AsString(*v);
}

// task.slots.<name>.value for every slot of a task ({flow, slots: {name: {value, ...}}}).
void ReadSlots(const json* task, std::map<std::string, std::string>& out) {
  if (task == nullptr) {
    return;
  }
  const json* slots = Field(*task, "slots");
  if (slots == nullptr || !slots->is_object()) {
    return;
  }
  for (const auto& [name, slot] : slots->items()) {
    // A slot is {value, source, confidence}; a bare value is accepted too.
    out.emplace(name, slot.is_object() ? StringField(slot, "value") : AsString(slot));
  }
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// ASCII letters match either case ("RMA" finds "rma"); other text must match exactly.
bool Contains(const std::string& haystack, const std::string& needle) {
  return Lower(haystack).find(Lower(needle)) != std::string::npos;
}

std::string ListText(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i > 0 ? ", " : "") + items[i];
  }
  return out + "]";
}

std::string BoolText(bool b) {
  return b ? "true" : "false";
}

std::string Quoted(const std::string& s) {
  return "'" + s + "'";
}

std::string Want(const std::string& what, const std::string& want, const std::string& got) {
  return what + ": want " + want + ", got " + got;
}

}  // namespace

// The one place that knows the dialogue state's JSON (dialog::EncodeState in
// src/dialog/state.cc). Missing or oddly typed fields read as empty, so a scenario fails on the
// expectation rather than crashing when the state's shape changes.
//   verified       = active_order is in verified_orders, or verified_customer is not empty
//   active_flow    = stack.back().flow ("" when the stack is empty: the last task is active)
//   slots.X        = stack.back().slots.X.value, else last_task.slots.X.value
//   return_created = facts.return_created == "true"
//   facts.X        = facts[X]
StateFacts ReadState(const json& state) {
  StateFacts f;
  const std::string active_order = StringField(state, "active_order");
  if (const json* v = Field(state, "verified_orders"); v != nullptr && v->is_array()) {
    for (const json& o : *v) {
      if (!active_order.empty() && AsString(o) == active_order) {
        f.verified = true;
      }
    }
  }
  if (!StringField(state, "verified_customer").empty()) {
    f.verified = true;
  }
  const json* active_task = nullptr;
  if (const json* stack = Field(state, "stack");
      stack != nullptr && stack->is_array() && !stack->empty()) {
    active_task = &stack->back();
    f.active_flow = StringField(*active_task, "flow");
  }
  ReadSlots(active_task, f.slots);  // emplace: the active task's slots win
  if (const json* last = Field(state, "last_task"); last != nullptr && last->is_object()) {
    ReadSlots(last, f.slots);
  }
  if (const json* facts = Field(state, "facts"); facts != nullptr && facts->is_object()) {
    for (const auto& [name, value] : facts->items()) {
      f.facts[name] = AsString(value);
    }
  }
  auto rc = f.facts.find("return_created");
  f.return_created = rc != f.facts.end() && rc->second == "true";
  return f;
}

std::vector<std::string> CheckTurn(const TurnExpect& e, const Observed& o) {
  std::vector<std::string> failures;
  const std::string reply = "reply was " + Quoted(o.reply);
  if (e.intent && *e.intent != o.intent) {
    failures.push_back(Want("intent", *e.intent, o.intent.empty() ? "none" : o.intent));
  }
  std::vector<std::string> missing;
  for (const std::string& s : e.reply_contains) {
    if (!Contains(o.reply, s)) {
      missing.push_back(s);
    }
  }
  if (!missing.empty()) {
    failures.push_back("reply_contains " + ListText(e.reply_contains) + ": missing " +
                       ListText(missing) + "; " + reply);
  }
  if (!e.reply_contains_any.empty() &&
      std::none_of(e.reply_contains_any.begin(), e.reply_contains_any.end(),
                   [&](const std::string& s) { return Contains(o.reply, s); })) {
    failures.push_back("reply_contains_any " + ListText(e.reply_contains_any) + ": " + reply);
  }
  std::vector<std::string> found;
  for (const std::string& s : e.reply_not_contains) {
    if (Contains(o.reply, s)) {
      found.push_back(s);
    }
  }
  if (!found.empty()) {
    failures.push_back("reply_not_contains " + ListText(e.reply_not_contains) + ": found " +
                       ListText(found) + "; " + reply);
  }
  if (e.handoff && *e.handoff != o.handoff) {
    failures.push_back(Want("handoff", BoolText(*e.handoff), BoolText(o.handoff)));
  }
  if (e.sentiment && *e.sentiment != o.sentiment) {
    failures.push_back(
        Want("sentiment", *e.sentiment, o.sentiment.empty() ? "unknown" : o.sentiment));
  }
  if (e.emotion && *e.emotion != o.emotion) {
    failures.push_back(Want("emotion", *e.emotion, o.emotion.empty() ? "unknown" : o.emotion));
  }
  if (e.handoff_reason && *e.handoff_reason != o.handoff_reason) {
    failures.push_back(Want("handoff_reason", Quoted(*e.handoff_reason), Quoted(o.handoff_reason)));
  }
  if (e.priority && e.priority != o.priority) {
    failures.push_back(Want("priority", std::to_string(*e.priority),
                            o.priority ? std::to_string(*o.priority) : "no open ticket"));
  }
  if (e.action && o.action.rfind(*e.action, 0) != 0) {
    failures.push_back(Want("action", "a prefix " + Quoted(*e.action), Quoted(o.action)));
  }
  if (e.silent && *e.silent != o.silent) {
    failures.push_back(Want("silent", BoolText(*e.silent), BoolText(o.silent)));
  }
  if (e.queued && *e.queued != o.queued) {
    failures.push_back(Want("queued", BoolText(*e.queued), BoolText(o.queued)));
  }

  const StateExpect& want = e.state;
  const StateFacts got = ReadState(o.state);
  if (want.verified && *want.verified != got.verified) {
    failures.push_back(Want("state.verified", BoolText(*want.verified), BoolText(got.verified)));
  }
  if (want.active_flow && *want.active_flow != got.active_flow) {
    failures.push_back(Want("state.active_flow",
                            want.active_flow->empty() ? "none" : *want.active_flow,
                            got.active_flow.empty() ? "none" : got.active_flow));
  }
  for (const auto& [name, value] : want.slots) {
    auto it = got.slots.find(name);
    const std::string actual = it == got.slots.end() ? "" : it->second;
    if (actual != value) {
      failures.push_back(Want("state.slots." + name, value.empty() ? "unset" : Quoted(value),
                              actual.empty() ? "unset" : Quoted(actual)));
    }
  }
  if (want.return_created && *want.return_created != got.return_created) {
    failures.push_back(
        Want("state.return_created", BoolText(*want.return_created), BoolText(got.return_created)));
  }
  if (want.order_status && *want.order_status != o.order_status) {
    failures.push_back(Want("state.order_status",
                            want.order_status->empty() ? "none" : *want.order_status,
                            o.order_status.empty() ? "none" : o.order_status));
  }
  for (const auto& [name, value] : want.facts) {
    auto it = got.facts.find(name);
    const std::string actual = it == got.facts.end() ? "" : it->second;
    if (actual != value) {
      failures.push_back(Want("state.facts." + name, value.empty() ? "unset" : Quoted(value),
                              actual.empty() ? "unset" : Quoted(actual)));
    }
  }
  return failures;
}

}  // namespace kefu::scenario
