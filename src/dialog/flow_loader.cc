// LoadFlows: data/flows/*.toml -> FlowSpec, strictly (an unknown key is a typo, not a no-op).
#include <algorithm>
#include <filesystem>
#include <set>

#include <toml++/toml.h>

#include "dialog/flows.h"

namespace kefu::dialog {
namespace {

const std::set<std::string> kSlotTypes = {"text",    "choice", "email",      "phone",
                                          "address", "tax_id", "order_id",   "product",
                                          "colour",  "size",   "price_range"};
const std::set<std::string> kStatuses = {"pending_payment", "paid",      "shipped",
                                         "delivered",       "cancelled", "return_requested",
                                         "returned",        "refunded"};

// Reads one table, remembering which keys were used so the rest can be reported.
class Reader {
 public:
  Reader(const toml::table& t, std::string where) : t_(t), where_(std::move(where)) {}

  Status Error(const std::string& key, const std::string& what) const {
    return InvalidArgumentError(where_ + (key.empty() ? "" : "." + key) + ": " + what);
  }
  std::string Where(const std::string& key) const { return where_ + "." + key; }

  Result<std::string> String(const std::string& key, bool required = false) {
    used_.insert(key);
    const toml::node* n = t_.get(key);
    if (n == nullptr) {
      if (required) {
        return Error(key, "is required");
      }
      return std::string();
    }
    if (auto s = n->value<std::string>()) {
      return *s;
    }
    return Error(key, "must be a string");
  }
  Result<int> Int(const std::string& key, int def) {
    used_.insert(key);
    const toml::node* n = t_.get(key);
    if (n == nullptr) {
      return def;
    }
    if (auto v = n->value<int64_t>()) {
      return static_cast<int>(*v);
    }
    return Error(key, "must be an integer");
  }
  Result<bool> Bool(const std::string& key, bool def) {
    used_.insert(key);
    const toml::node* n = t_.get(key);
    if (n == nullptr) {
      return def;
    }
    if (auto v = n->value<bool>()) {
      return *v;
    }
    return Error(key, "must be true or false");
  }
  Result<std::vector<std::string>> Strings(const std::string& key) {
    used_.insert(key);
    std::vector<std::string> out;
    const toml::node* n = t_.get(key);
    if (n == nullptr) {
      return out;
    }
    const toml::array* a = n->as_array();
    if (a == nullptr) {
      return Error(key, "must be an array of strings");
    }
    for (const toml::node& e : *a) {
      auto s = e.value<std::string>();
      if (!s) {
        return Error(key, "must be an array of strings");
      }
      out.push_back(*s);
    }
    return out;
  }
  Result<std::map<std::string, std::string>> StringMap(const std::string& key) {
    used_.insert(key);
    std::map<std::string, std::string> out;
    const toml::node* n = t_.get(key);
    if (n == nullptr) {
      return out;
    }
    const toml::table* t = n->as_table();
    if (t == nullptr) {
      return Error(key, "must be a table of strings");
    }
    for (const auto& [k, v] : *t) {
      auto s = v.value<std::string>();
      if (!s) {
        return Error(key + "." + std::string(k.str()), "must be a string");
      }
      out[std::string(k.str())] = *s;
    }
    return out;
  }
  const toml::table* Table(const std::string& key) {
    used_.insert(key);
    const toml::node* n = t_.get(key);
    return n == nullptr ? nullptr : n->as_table();
  }
  const toml::array* Array(const std::string& key) {
    used_.insert(key);
    const toml::node* n = t_.get(key);
    return n == nullptr ? nullptr : n->as_array();
  }
  bool Has(const std::string& key) const { return t_.get(key) != nullptr; }

  Status Finish() const {
    for (const auto& [k, v] : t_) {
      if (used_.count(std::string(k.str())) == 0) {
        return Error(std::string(k.str()), "unknown key");
      }
    }
    return OkStatus();
  }

 private:
  const toml::table& t_;
  std::string where_;
  std::set<std::string> used_;
};

Result<LocalText> ReadText(const toml::table* t, const std::string& where, bool required) {
  LocalText out;
  if (t == nullptr) {
    if (required) {
      return InvalidArgumentError(where + ": is required (a table with zh and en)");
    }
    return out;
  }
  Reader r(*t, where);
  KEFU_ASSIGN_OR_RETURN(out.zh, r.String("zh", true));
  KEFU_ASSIGN_OR_RETURN(out.en, r.String("en", true));
  KEFU_RETURN_IF_ERROR(r.Finish());
  return out;
}

Status CheckThen(const std::string& then, const std::string& where) {
  if (then.empty() || then == "end" || then == "handoff" || then.find('{') != std::string::npos) {
    return OkStatus();
  }
  for (const char* prefix : {"offer:", "flow:", "ask:"}) {
    if (then.rfind(prefix, 0) == 0 && then.size() > std::string_view(prefix).size()) {
      return OkStatus();
    }
  }
  return InvalidArgumentError(where + ".then: '" + then +
                              "' is not end, handoff, offer:X, flow:X or ask:X");
}

Result<Branch> ReadBranch(const toml::table& t, const std::string& where) {
  Reader r(t, where);
  Branch b;
  KEFU_ASSIGN_OR_RETURN(b.reply, ReadText(r.Table("reply"), r.Where("reply"), false));
  KEFU_ASSIGN_OR_RETURN(b.then, r.String("then"));
  KEFU_RETURN_IF_ERROR(CheckThen(b.then, where));
  KEFU_ASSIGN_OR_RETURN(b.set, r.StringMap("set"));
  KEFU_ASSIGN_OR_RETURN(b.priority, r.Int("priority", 0));
  KEFU_RETURN_IF_ERROR(r.Finish());
  return b;
}

Result<std::map<std::string, Branch>> ReadBranches(const toml::table* t, const std::string& where) {
  std::map<std::string, Branch> out;
  if (t == nullptr) {
    return out;
  }
  for (const auto& [k, v] : *t) {
    const std::string key(k.str());
    const toml::table* bt = v.as_table();
    if (bt == nullptr) {
      return InvalidArgumentError(where + "." + key + ": must be a table");
    }
    KEFU_ASSIGN_OR_RETURN(out[key], ReadBranch(*bt, where + "." + key));
  }
  return out;
}

Result<Choice> ReadChoice(const toml::table& t, const std::string& where) {
  Reader r(t, where);
  Choice c;
  KEFU_ASSIGN_OR_RETURN(c.value, r.String("value", true));
  KEFU_ASSIGN_OR_RETURN(c.zh, r.Strings("zh"));
  KEFU_ASSIGN_OR_RETURN(c.en, r.Strings("en"));
  for (std::string& w : c.en) {
    std::transform(w.begin(), w.end(), w.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  }
  KEFU_ASSIGN_OR_RETURN(c.label, ReadText(r.Table("label"), r.Where("label"), false));
  KEFU_ASSIGN_OR_RETURN(c.vars, r.StringMap("vars"));
  KEFU_RETURN_IF_ERROR(r.Finish());
  return c;
}

Result<SlotSpec> ReadSlot(const toml::table& t, const std::string& where) {
  Reader r(t, where);
  SlotSpec s;
  KEFU_ASSIGN_OR_RETURN(s.name, r.String("name", true));
  KEFU_ASSIGN_OR_RETURN(s.type, r.String("type", true));
  if (kSlotTypes.count(s.type) == 0) {
    return r.Error("type", "unknown slot type '" + s.type + "'");
  }
  KEFU_ASSIGN_OR_RETURN(s.required, r.Bool("required", true));
  KEFU_ASSIGN_OR_RETURN(s.when, r.String("when"));
  KEFU_ASSIGN_OR_RETURN(s.required_unless, r.String("required_unless"));
  KEFU_ASSIGN_OR_RETURN(s.max_chars, r.Int("max_chars", 200));
  KEFU_ASSIGN_OR_RETURN(s.prompt, ReadText(r.Table("prompt"), r.Where("prompt"), true));
  KEFU_ASSIGN_OR_RETURN(s.invalid, ReadText(r.Table("invalid"), r.Where("invalid"), false));
  if (const toml::array* a = r.Array("choices")) {
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::table* ct = (*a)[i].as_table();
      if (ct == nullptr) {
        return r.Error("choices", "must be an array of tables");
      }
      KEFU_ASSIGN_OR_RETURN(Choice c,
                            ReadChoice(*ct, r.Where("choices[" + std::to_string(i) + "]")));
      s.choices.push_back(std::move(c));
    }
  }
  if (s.type == "choice" && s.choices.empty()) {
    return r.Error("choices", "a choice slot needs choices");
  }
  KEFU_RETURN_IF_ERROR(r.Finish());
  return s;
}

Result<FlowSpec> ReadFlow(const toml::table& t, const std::string& file) {
  Reader r(t, file);
  FlowSpec f;
  KEFU_ASSIGN_OR_RETURN(f.name, r.String("name", true));
  KEFU_ASSIGN_OR_RETURN(std::string description, r.String("description"));
  KEFU_ASSIGN_OR_RETURN(f.intents, r.Strings("intents"));
  KEFU_ASSIGN_OR_RETURN(f.title, ReadText(r.Table("title"), r.Where("title"), true));
  KEFU_ASSIGN_OR_RETURN(std::string kind, r.String("kind"));
  if (!kind.empty() && kind != "task" && kind != "answer") {
    return r.Error("kind", "must be task or answer");
  }
  f.answer_from_kb = kind == "answer";
  KEFU_ASSIGN_OR_RETURN(f.order, r.String("order"));
  if (f.order.empty()) {
    f.order = "none";
  }
  if (f.order != "none" && f.order != "required") {
    return r.Error("order", "must be required or none");
  }
  KEFU_ASSIGN_OR_RETURN(f.allowed_status, r.Strings("allowed_status"));
  for (const std::string& s : f.allowed_status) {
    if (kStatuses.count(s) == 0) {
      return r.Error("allowed_status", "unknown order status '" + s + "'");
    }
  }
  KEFU_ASSIGN_OR_RETURN(f.on_status, ReadBranches(r.Table("status"), r.Where("status")));
  for (const auto& [s, b] : f.on_status) {
    if (s != "other" && kStatuses.count(s) == 0) {
      return r.Error("status." + s, "unknown order status");
    }
  }
  if (const toml::table* st = r.Table("start")) {
    KEFU_ASSIGN_OR_RETURN(f.start, ReadBranch(*st, r.Where("start")));
  }
  if (const toml::array* a = r.Array("slots")) {
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::table* st = (*a)[i].as_table();
      if (st == nullptr) {
        return r.Error("slots", "must be an array of tables");
      }
      KEFU_ASSIGN_OR_RETURN(SlotSpec s, ReadSlot(*st, r.Where("slots[" + std::to_string(i) + "]")));
      f.slots.push_back(std::move(s));
    }
  }
  if (const toml::table* pt = r.Table("policy")) {
    Reader p(*pt, r.Where("policy"));
    KEFU_ASSIGN_OR_RETURN(f.policy.check, p.String("check", true));
    if (f.policy.check != "return_window") {
      return p.Error("check", "unknown check '" + f.policy.check + "'");
    }
    KEFU_ASSIGN_OR_RETURN(f.policy.no_reason_days, p.Int("no_reason_days", 7));
    KEFU_ASSIGN_OR_RETURN(f.policy.quality_days, p.Int("quality_days", 15));
    KEFU_ASSIGN_OR_RETURN(f.policy.exchange_days, p.Int("exchange_days", 15));
    KEFU_ASSIGN_OR_RETURN(f.policy.reason_slot, p.String("reason_slot"));
    if (f.policy.reason_slot.empty()) {
      f.policy.reason_slot = "reason";
    }
    KEFU_ASSIGN_OR_RETURN(f.policy.quality_words, p.Strings("quality_words"));
    KEFU_ASSIGN_OR_RETURN(f.policy.on, ReadBranches(p.Table("on"), p.Where("on")));
    KEFU_RETURN_IF_ERROR(p.Finish());
  }
  KEFU_ASSIGN_OR_RETURN(f.confirm, ReadText(r.Table("confirm"), r.Where("confirm"), false));
  if (const toml::table* dt = r.Table("declined")) {
    KEFU_ASSIGN_OR_RETURN(f.declined, ReadBranch(*dt, r.Where("declined")));
  }
  if (const toml::table* at = r.Table("action")) {
    Reader a(*at, r.Where("action"));
    KEFU_ASSIGN_OR_RETURN(f.action.tool, a.String("tool", true));
    KEFU_ASSIGN_OR_RETURN(f.action.args, a.StringMap("args"));
    KEFU_ASSIGN_OR_RETURN(f.action.on, ReadBranches(a.Table("on"), a.Where("on")));
    if (f.action.on.count("error") == 0) {
      return a.Error("on.error", "every action needs an error branch (the tool may fail)");
    }
    KEFU_RETURN_IF_ERROR(a.Finish());
  }
  if (const toml::table* dt = r.Table("done")) {
    KEFU_ASSIGN_OR_RETURN(f.done, ReadBranch(*dt, r.Where("done")));
  }
  if (const toml::table* kt = r.Table("kb_unknown")) {
    KEFU_ASSIGN_OR_RETURN(f.kb_unknown, ReadBranch(*kt, r.Where("kb_unknown")));
  }
  KEFU_RETURN_IF_ERROR(r.Finish());
  for (const SlotSpec& s : f.slots) {
    std::vector<std::string> refs = {s.when.substr(0, s.when.find('='))};
    for (size_t start = 0; start < s.required_unless.size();) {
      size_t comma = s.required_unless.find(',', start);
      if (comma == std::string::npos) {
        comma = s.required_unless.size();
      }
      std::string ref = s.required_unless.substr(start, comma - start);
      ref.erase(0, ref.find_first_not_of(' '));
      ref.erase(ref.find_last_not_of(' ') + 1);
      refs.push_back(ref);
      start = comma + 1;
    }
    for (const std::string& ref : refs) {
      if (!ref.empty() && f.Slot(ref) == nullptr) {
        return InvalidArgumentError(file + ": slot '" + s.name + "' refers to unknown slot '" +
                                    ref + "'");
      }
    }
  }
  return f;
}

}  // namespace

const SlotSpec* FlowSpec::Slot(const std::string& slot_name) const {
  for (const SlotSpec& s : slots) {
    if (s.name == slot_name) {
      return &s;
    }
  }
  return nullptr;
}

Result<std::vector<FlowSpec>> LoadFlows(const std::string& dir) {
  if (!std::filesystem::is_directory(dir)) {
    return NotFoundError("flow directory '" + dir + "' does not exist");
  }
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".toml") {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<FlowSpec> flows;
  std::set<std::string> names;
  for (const std::string& file : files) {
    toml::table t;
    try {
      t = toml::parse_file(file);
    } catch (const toml::parse_error& e) {
      return InvalidArgumentError(file + ": " + std::string(e.description()));
    }
    KEFU_ASSIGN_OR_RETURN(FlowSpec f, ReadFlow(t, file));
    if (!names.insert(f.name).second) {
      return InvalidArgumentError(file + ": a flow named '" + f.name + "' already exists");
    }
    flows.push_back(std::move(f));
  }
  // Branch targets must name loaded flows.
  auto check = [&](const Branch& b, const std::string& where) -> Status {
    for (const char* prefix : {"offer:", "flow:"}) {
      if (b.then.rfind(prefix, 0) == 0) {
        const std::string target = b.then.substr(std::string_view(prefix).size());
        if (target != "human" && names.count(target) == 0 &&
            target.find('{') == std::string::npos) {
          return InvalidArgumentError(where + ": then names unknown flow '" + target + "'");
        }
      }
    }
    return OkStatus();
  };
  for (const FlowSpec& f : flows) {
    std::vector<std::pair<const Branch*, std::string>> all = {{&f.start, "start"},
                                                              {&f.declined, "declined"},
                                                              {&f.done, "done"},
                                                              {&f.kb_unknown, "kb_unknown"}};
    for (const auto& [k, b] : f.on_status) {
      all.push_back({&b, "status." + k});
    }
    for (const auto& [k, b] : f.policy.on) {
      all.push_back({&b, "policy.on." + k});
    }
    for (const auto& [k, b] : f.action.on) {
      all.push_back({&b, "action.on." + k});
    }
    for (const auto& [b, where] : all) {
      KEFU_RETURN_IF_ERROR(check(*b, f.name + "." + where));
    }
  }
  return flows;
}

}  // namespace kefu::dialog
