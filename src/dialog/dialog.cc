// The dialogue manager: one Step per shopper message. The order of decisions, first match wins:
//   1. escalation hooks and an explicit request for a person hand off;
//   2. a pending offer ("shall I start a return?", "shall I get a person?") takes a yes or a no;
//   3. an active task: abort words end it, another task's intent interrupts it (pushed on the
//      stack, resumed after), a policy question gets a kb answer and the pending prompt again,
//      anything else is the task's next answer;
//   4. an intent that starts a flow starts it; small talk; the knowledge base; the fallback.
// Two failures in a row hand the conversation to a person.
#include "dialog/dialog.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <regex>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/json_writer.h"
#include "core/logging.h"
#include "core/sha256.h"
#include "core/time_util.h"
#include "core/utf8.h"
#include "dialog/flows.h"

namespace kefu::dialog {
namespace {

using Vars = std::map<std::string, std::string>;
using nlohmann::json;

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr size_t kMaxSummaryLines = 12;
constexpr double kInterruptConfidence = 0.75;
// While a task waits for a slot, a message that is not a question leaves the task for the
// knowledge base only when the classifier is at least this sure of a knowledge-base intent:
// a malformed answer ("sam.lee at bluewave") is the task's to reject, not a policy question.
constexpr double kKbAsideConfidence = 0.5;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool ContainsAny(const std::string& text, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (text.find(w) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Whole-word match for ASCII words, substring for Chinese.
bool HasWord(const std::string& text, std::string_view word) {
  size_t pos = 0;
  const bool ascii =
      std::all_of(word.begin(), word.end(), [](unsigned char c) { return c < 0x80; });
  while ((pos = text.find(word, pos)) != std::string::npos) {
    if (!ascii) {
      return true;
    }
    const bool left = pos == 0 || !std::isalnum(static_cast<unsigned char>(text[pos - 1]));
    const size_t end = pos + word.size();
    const bool right = end >= text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
    if (left && right) {
      return true;
    }
    ++pos;
  }
  return false;
}

bool HasAnyWord(const std::string& text, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (HasWord(text, w)) {
      return true;
    }
  }
  return false;
}

std::string Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) {
    return "";
  }
  const size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// Flows that work on an order take their intents from these; the rest are answered.
bool IsKbIntent(const std::string& intent) {
  static const std::set<std::string> kKb = {"shipping_policy", "warranty", "promotion",
                                            "account",         "chitchat", "out_of_scope",
                                            "product_inquiry"};
  return kKb.count(intent) > 0;
}

std::string MaskArg(const std::string& key, const json& v) {
  const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (key == "phone" || key == "address" || key == "email" || key == "tax_id") {
    return s.empty() ? s : "***";
  }
  return s;
}

}  // namespace

struct Dialog::Impl {
  DialogOptions options;
  const tools::ToolRegistry& tools;
  const kb::KnowledgeBase* kb;
  const Clock& clock;
  ReplyTemplates templates;
  std::vector<FlowSpec> flows;
  std::map<std::string, size_t> by_name;
  std::map<std::string, size_t> by_intent;
  std::vector<std::shared_ptr<const EscalationHook>> hooks;
  bool apology_first = true;

  Impl(DialogOptions o, const tools::ToolRegistry& t, const kb::KnowledgeBase* k, const Clock& c,
       ReplyTemplates tmpl, std::vector<FlowSpec> f)
      : options(std::move(o)),
        tools(t),
        kb(k),
        clock(c),
        templates(std::move(tmpl)),
        flows(std::move(f)) {
    for (size_t i = 0; i < flows.size(); ++i) {
      by_name[flows[i].name] = i;
      for (const std::string& intent : flows[i].intents) {
        by_intent.emplace(intent, i);
      }
    }
  }

  const FlowSpec* Flow(const std::string& name) const {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : &flows[it->second];
  }
  const FlowSpec* FlowForIntent(const std::string& intent) const {
    auto it = by_intent.find(intent);
    return it == by_intent.end() ? nullptr : &flows[it->second];
  }
};

namespace {

enum class Next { kContinue, kStop };

// A product from search_products' JSON as a card (docs/web.md).
std::string ProductCard(const json& p, const std::string& lang) {
  const bool en = lang == "en";
  std::string name = p.value(en ? "name_en" : "name_zh", "");
  if (name.empty()) {
    name = p.value(en ? "name_zh" : "name_en", "");
  }
  json attributes =
      p.contains("attributes") && p["attributes"].is_object() ? p["attributes"] : json::object();
  return json{{"type", "product"},
              {"sku", p.value("sku", "")},
              {"name", std::move(name)},
              {"brand", p.value("brand", "")},
              {"category", p.value("category", "")},
              {"price", FormatMoney(p.value("price_cents", int64_t{0}))},
              {"stock", p.value("stock", int64_t{0})},
              {"attributes", std::move(attributes)}}
      .dump();
}

// One Step's working set.
class Turn {
 public:
  Turn(const Dialog::Impl& d, const nlu::Understanding& u, const text::NormalizedText& text,
       DialogState& s, RequestContext& ctx)
      : d_(d), u_(u), text_(text), lower_(Lower(text.text)), s_(s), ctx_(ctx) {}

  Result<TurnOutcome> Run();

 private:
  Result<TurnOutcome> Finish();
  // A failure of the request itself (its deadline, a cancel), as opposed to a tool's own
  // timeout, which the flow answers with an apology.
  bool RequestExpired() const { return !ctx_.Check().ok(); }

  // --- saying things
  void Say(const std::string& piece) {
    if (!piece.empty()) {
      replies_.push_back(piece);
    }
  }
  void SayKey(const std::string& key, const VarLayers& vars) {
    Say(d_.templates.Render(key, s_.lang, vars));
  }
  void SayKey(const std::string& key, const Vars& vars = {}) { SayKey(key, VarLayers(vars)); }
  std::string Text(const LocalText& t, const VarLayers& vars) const {
    return Substitute(t.In(s_.lang), vars);
  }
  void Event(const std::string& type, json payload = json::object()) {
    out_.events.emplace_back(type, payload.dump());
  }
  // A flow's start or end, on almost every turn: written without a JSON tree. A flow that
  // starts and ends in one turn (an order's status for a verified shopper) is one event, its end
  // with "started": true; flow_started is written for a flow still running when the turn ends
  // (Finish). So a funnel counts starts as flow_started plus the ends with "started".
  void FlowEvent(const std::string& type, const std::string& flow, const std::string* result,
                 bool started = false) {
    JsonWriter w;
    w.BeginObject().Key("flow").String(flow);
    if (result != nullptr) {
      w.Key("result").String(*result);
    }
    if (started) {
      w.Key("started").Bool(true);
    }
    w.EndObject();
    out_.events.emplace_back(type, std::move(w).Take());
  }

  // --- understanding the message
  bool IsYes() const;
  bool IsNo() const;
  bool IsAbort() const;
  bool IsQuestion() const;
  bool IsRequest() const;
  std::optional<std::string> MatchChoice(const SlotSpec& slot) const;
  std::optional<SlotValue> ParseAnswer(const SlotSpec& slot) const;
  std::optional<SlotValue> EntityFor(const SlotSpec& slot) const;
  bool FitsAwaited(const FlowSpec& flow, const Task& task);
  // The message gives a slot of the task that already has a value a different value (an
  // entity such as a colour or size): a correction, the task's own business.
  bool CorrectsASlot(const FlowSpec& flow, const Task& task) const;

  // --- acting
  Result<tools::ToolResult> CallTool(const std::string& name, const json& args);
  void Handoff(HandoffRequest request);
  void AnswerFromKb(bool count_failure);
  // The knowledge base's answer to this message, searched at most once per turn.
  const kb::KbAnswer& KbAnswer() {
    if (!kb_answer_) {
      kb_answer_ = d_.kb->Answer(text_.text, s_.lang);
    }
    return *kb_answer_;
  }
  void Failure();
  void Succeeded() { s_.misunderstandings = 0; }

  // --- flows
  Status StartFlow(const FlowSpec& flow, bool carry_order);
  Status RunFlow(const FlowSpec& flow);
  Result<bool> ResolveOrder(const FlowSpec& flow, Task& task);
  bool SlotNeeded(const SlotSpec& slot, const Task& task) const;
  void Ask(const FlowSpec& flow, Task& task, const SlotSpec& slot, bool invalid);
  void FillFromMessage(const FlowSpec& flow, Task& task);
  std::string CheckPolicy(const FlowSpec& flow, const Task& task);
  Result<Next> ApplyBranch(const FlowSpec& flow, const Branch& branch);
  void EndTask(const FlowSpec& flow, const std::string& result);
  void Resume();
  std::string PromptFor(const FlowSpec& flow, const Task& task);
  // A task's template variables: its own values over what the turn learned, over the order's
  // fields, over an empty value for each of the flow's slots (a slot not given reads as
  // nothing, not as "{slot}"). Only the task's own values are copied; the turn's are read as
  // they are when a template is filled, and the order's fields stay alive while it is held.
  struct TaskVarSet {
    Vars own;       // slots and their labels, the flow's title, verification attempts left
    Vars defaults;  // "" for each slot of the flow
    const Vars* turn = nullptr;
    std::shared_ptr<const RenderedOrder> order;
    operator VarLayers() const {  // NOLINT(google-explicit-constructor)
      return {&own, turn, order ? &order->vars : nullptr, &defaults};
    }
  };
  TaskVarSet TaskVars(const FlowSpec& flow, const Task& task) const;
  // What the turn learned over the order's fields, with no task's values.
  TaskVarSet TurnVars() const { return {{}, {}, &vars_, order_vars_}; }
  // The resolved order's fields become the turn's, over whatever the turn had under the same
  // names; an order resolved earlier in the turn leaves its other fields.
  void UseOrderVars(std::shared_ptr<const RenderedOrder> rendered);
  void AddToolVars(const tools::ToolResult& r);
  // The yes/no buttons for a question the reply ends with: a confirmation, or an offer of a
  // person or of another flow.
  void AddQuickReplies();

  const Dialog::Impl& d_;
  const nlu::Understanding& u_;
  const text::NormalizedText& text_;
  const std::string lower_;
  DialogState& s_;
  RequestContext& ctx_;
  TurnOutcome out_;
  std::vector<std::string> replies_;
  Vars vars_;                                        // what this turn learned: tool results, policy
  std::shared_ptr<const RenderedOrder> order_vars_;  // the order's fields, shared, not copied
  std::shared_ptr<const store::OrderDetails> order_;  // the store's snapshot, shared
  std::vector<std::string> actions_;
  int depth_ = 0;                     // flow transitions this turn (bounded)
  std::vector<std::string> started_;  // flows started this turn and not ended (see FlowEvent)
  bool corrected_ = false;            // this message changed a slot that already had a value
  std::optional<kb::KbAnswer> kb_answer_;
  std::optional<HandoffRequest> escalation_offer_;  // a hook wants a person offered
};

bool Turn::IsYes() const {
  if (u_.intent == "affirm") {
    return true;
  }
  if (utf8::CodePointCount(text_.text) > 16) {
    return false;
  }
  if (IsNo()) {
    return false;
  }
  return ContainsAny(lower_, {"确认", "是的", "对的", "好的", "可以", "没问题", "需要", "要的",
                              "确定", "行", "嗯", "好", "是", "對", "確認"}) ||
         HasAnyWord(lower_, {"yes", "yeah", "yep", "ok", "okay", "sure", "confirm", "confirmed",
                             "go ahead", "please do", "do it", "correct", "right"});
}

bool Turn::IsNo() const {
  if (u_.intent == "deny") {
    return true;
  }
  if (utf8::CodePointCount(text_.text) > 16) {
    return false;
  }
  if (ContainsAny(lower_, {"不错"})) {
    return false;
  }
  return ContainsAny(lower_, {"不", "算了", "取消", "否", "别", "没有", "不用"}) ||
         HasAnyWord(lower_, {"no", "nope", "cancel", "don't", "dont", "not now", "never mind",
                             "nevermind", "stop"});
}

bool Turn::IsAbort() const {
  return ContainsAny(lower_,
                     {"算了", "不退了", "不换了", "不要了", "不用了", "不取消了", "不改了",
                      "不开了", "先不", "取消吧", "不用退", "不想退了", "不买了", "算啦"}) ||
         HasAnyWord(lower_,
                    {"never mind", "nevermind", "forget it", "cancel that", "don't bother"});
}

bool Turn::IsRequest() const {
  return ContainsAny(lower_, {"我要", "我想", "帮我", "想要", "能不能", "可以帮", "查一下", "查下",
                              "请帮", "麻烦"}) ||
         HasAnyWord(lower_, {"i want", "i'd like", "i would like", "i need", "can you", "could you",
                             "please", "help me"});
}

bool Turn::IsQuestion() const {
  return ContainsAny(lower_, {"?", "？", "吗", "呢", "怎么", "多久", "多少", "哪些", "是否", "谁",
                              "哪里", "哪个", "什么时候", "几天"}) ||
         HasAnyWord(lower_, {"how", "what", "when", "why", "which", "can i", "do you", "is it"});
}

std::optional<std::string> Turn::MatchChoice(const SlotSpec& slot) const {
  for (const Choice& c : slot.choices) {
    if (lower_ == Lower(c.value)) {
      return c.value;
    }
    for (const std::string& w : c.zh) {
      if (lower_.find(Lower(w)) != std::string::npos) {
        return c.value;
      }
    }
    for (const std::string& w : c.en) {
      if (HasWord(lower_, w)) {
        return c.value;
      }
    }
  }
  return std::nullopt;
}

// A value for `slot` found by the entity extractor anywhere in the message.
std::optional<SlotValue> Turn::EntityFor(const SlotSpec& slot) const {
  static const std::map<std::string, std::string> kEntity = {
      {"order_id", "order_id"}, {"product", "product"}, {"colour", "colour"},
      {"size", "size"},         {"email", "email"},     {"phone", "phone"}};
  if (auto it = kEntity.find(slot.type); it != kEntity.end()) {
    if (auto e = u_.Find(it->second)) {
      return SlotValue{e->value, "entity", e->confidence};
    }
    return std::nullopt;
  }
  if (slot.type == "price_range") {
    std::vector<double> amounts;
    for (const nlu::Entity& e : u_.entities) {
      if (e.type == "money") {
        // "CNY 350.00"
        const size_t sp = e.value.find(' ');
        amounts.push_back(std::atof(e.value.c_str() + (sp == std::string::npos ? 0 : sp + 1)));
      }
    }
    if (amounts.empty()) {
      static const std::regex kNumber(R"((\d{2,6})\s*(以下|以内|之内|块|元|左右|以上))");
      static const std::regex kEnglish(
          R"((under|below|less than|within|up to|max|over|above|more than|around|about)\s*(rmb|cny|¥|\$)?\s*(\d{2,6}))");
      std::smatch m;
      if (std::regex_search(text_.text, m, kNumber)) {
        amounts.push_back(std::atof(m[1].str().c_str()));
      } else if (std::regex_search(lower_, m, kEnglish)) {
        amounts.push_back(std::atof(m[3].str().c_str()));
      }
    }
    if (amounts.empty()) {
      return std::nullopt;
    }
    std::string lo;
    std::string hi;
    auto fmt = [](double v) { return std::to_string(static_cast<int64_t>(std::llround(v))); };
    if (amounts.size() >= 2) {
      lo = fmt(std::min(amounts[0], amounts[1]));
      hi = fmt(std::max(amounts[0], amounts[1]));
    } else if (ContainsAny(lower_, {"以上", "多于", "超过"}) ||
               HasAnyWord(lower_, {"over", "above", "more than", "at least"})) {
      lo = fmt(amounts[0]);
    } else if (ContainsAny(lower_, {"左右"}) || HasAnyWord(lower_, {"around", "about"})) {
      lo = fmt(amounts[0] * 0.8);
      hi = fmt(amounts[0] * 1.2);
    } else {
      hi = fmt(amounts[0]);  // 300 以下, under 300, a budget of 300
    }
    return SlotValue{lo + ".." + hi, "entity", 0.9};
  }
  return std::nullopt;
}

// The message read as the answer to `slot`, or nullopt when it does not fit.
std::optional<SlotValue> Turn::ParseAnswer(const SlotSpec& slot) const {
  if (auto e = EntityFor(slot)) {
    return e;
  }
  const std::string t = Trim(text_.text);
  const std::string raw = Trim(text_.original);  // the shopper's own words and letter case
  if (slot.type == "choice") {
    if (auto c = MatchChoice(slot)) {
      return SlotValue{*c, "choice", 1.0};
    }
    return std::nullopt;
  }
  if (slot.type == "text") {
    const size_t n = utf8::CodePointCount(raw);
    if (n == 0 || n > static_cast<size_t>(slot.max_chars)) {
      return std::nullopt;
    }
    return SlotValue{raw, "text", 1.0};
  }
  if (slot.type == "address") {
    const size_t n = utf8::CodePointCount(t);
    const bool looks =
        ContainsAny(t, {"省", "市", "区", "县", "路", "街", "道", "号", "弄", "村", "镇"}) ||
        HasAnyWord(lower_, {"road", "rd", "street", "st", "avenue", "ave", "lane", "district",
                            "city", "apt", "room"});
    if (n >= 6 && n <= static_cast<size_t>(slot.max_chars) && looks) {
      return SlotValue{raw, "text", 0.9};
    }
    return std::nullopt;
  }
  if (slot.type == "tax_id") {
    static const std::regex kTaxId(R"(\b([0-9A-Za-z]{15,20})\b)");
    std::smatch m;
    if (std::regex_search(raw, m, kTaxId)) {
      std::string id = m[1].str();
      std::transform(id.begin(), id.end(), id.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      return SlotValue{id, "text", 1.0};
    }
    if (ContainsAny(lower_, {"个人", "无", "没有", "不需要"}) ||
        HasAnyWord(lower_, {"personal", "none", "no", "individual", "n/a"})) {
      return SlotValue{"", "text", 1.0};  // a personal invoice has no tax id
    }
    return std::nullopt;
  }
  return std::nullopt;
}

bool Turn::FitsAwaited(const FlowSpec& flow, const Task& task) {
  if (task.awaiting.empty()) {
    return false;
  }
  if (task.awaiting == "verification") {
    return u_.Find("digits4") != nullptr || u_.Find("order_id") != nullptr;
  }
  if (task.awaiting == "confirm") {
    // "actually make it the blue one" changes the colour before confirming, whatever the
    // classifier makes of "make it" (a change_order, say).
    return IsYes() || IsNo() || CorrectsASlot(flow, task);
  }
  const SlotSpec* slot = flow.Slot(task.awaiting);
  if (task.awaiting == "order_id") {
    return u_.Find("order_id") != nullptr;
  }
  if (slot == nullptr) {
    return false;
  }
  if (slot->type == "text") {
    // Free text fits anything ("尺码不合适" reads like an exchange, but it is the reason asked
    // for), except a question or an explicit request for something else.
    const FlowSpec* other = d_.FlowForIntent(u_.intent);
    const bool asks = IsQuestion() || IsRequest();
    if (other != nullptr && other != &flow && u_.confidence >= kInterruptConfidence && asks) {
      return false;
    }
    if (IsQuestion() && d_.kb != nullptr) {
      return !KbAnswer().found;  // "退货运费谁出？" is not a reason
    }
    return true;
  }
  return ParseAnswer(*slot).has_value();
}

bool Turn::CorrectsASlot(const FlowSpec& flow, const Task& task) const {
  for (const SlotSpec& slot : flow.slots) {
    auto filled = task.slots.find(slot.name);
    if (filled == task.slots.end() || slot.type == "text" || slot.type == "order_id") {
      continue;
    }
    if (std::optional<SlotValue> v = EntityFor(slot); v && v->value != filled->second.value) {
      return true;
    }
  }
  return false;
}

Result<tools::ToolResult> Turn::CallTool(const std::string& name, const json& args) {
  const auto start = std::chrono::steady_clock::now();
  Result<tools::ToolResult> r = d_.tools.Call(name, args, ctx_);
  ToolCallRecord rec;
  rec.tool = name;
  JsonWriter masked;  // the same bytes as a dumped JSON object, without building one
  masked.BeginObject();
  for (const auto& [k, v] : args.items()) {
    masked.Key(k).String(MaskArg(k, v));
  }
  masked.EndObject();
  rec.args_json = std::move(masked).Take();
  rec.micros = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count();
  if (r.ok()) {
    rec.code = r->code;
  } else {
    rec.code = "error";
    rec.error = r.status().ToString();
    Event("tool_failed", {{"tool", name}, {"error", r.status().ToString()}});
  }
  out_.tool_calls.push_back(std::move(rec));
  return r;
}

void Turn::Handoff(HandoffRequest request) {
  actions_.push_back("handoff");
  if (s_.handoff_requested) {
    SayKey("handoff_waiting");
  } else {
    SayKey(request.reason == "bot_failed" ? "handoff_bot_failed" : "handoff");
  }
  s_.handoff_requested = true;
  s_.offer.clear();
  Event("handoff_requested", {{"reason", request.reason}, {"priority", request.priority}});
  out_.handoff = std::move(request);
}

void Turn::Failure() {
  ++s_.misunderstandings;
}

void Turn::AnswerFromKb(bool count_failure) {
  actions_.push_back("answer_from_kb");
  if (d_.kb == nullptr) {
    SayKey("fallback");
    if (count_failure) {
      Failure();
    }
    return;
  }
  kb::KbAnswer answer = KbAnswer();
  json payload = {{"found", answer.found},
                  {"doc_id", answer.doc_id},
                  {"confidence", answer.confidence},
                  {"from_faq", answer.from_faq}};
  if (answer.found) {
    std::string source;
    if (answer.heading_path.empty()) {
      source = answer.title;
    } else if (answer.title.empty() || answer.heading_path.rfind(answer.title, 0) == 0) {
      source = answer.heading_path;
    } else {
      source = answer.title + " > " + answer.heading_path;
    }
    SayKey("kb.answer", {{"answer", answer.text}, {"source", source}});
    Event("kb_answered", payload);
    Succeeded();
  } else {
    // Below the threshold kefu does not guess: it says so and offers a person.
    SayKey("kb.unknown");
    out_.offer_human = true;
    s_.offer = "human";
    Event("kb_unanswered", payload);
    if (count_failure) {
      Failure();
    }
  }
  out_.kb_answer = std::move(answer);
}

void Turn::UseOrderVars(std::shared_ptr<const RenderedOrder> rendered) {
  if (order_vars_ != nullptr) {
    for (const auto& [k, v] : order_vars_->vars) {
      vars_.emplace(k, v);  // set since: the turn's value stays
    }
  }
  // The order's fields win over this turn's values of the same names. The turn has a few, the
  // order dozens: the turn's are walked (walking the order's cost 2% of the store worker).
  for (auto it = vars_.begin(); it != vars_.end();) {
    it = rendered->vars.contains(it->first) ? vars_.erase(it) : std::next(it);
  }
  order_vars_ = std::move(rendered);
}

Turn::TaskVarSet Turn::TaskVars(const FlowSpec& flow, const Task& task) const {
  TaskVarSet set = TurnVars();
  for (const SlotSpec& slot : flow.slots) {
    set.defaults.emplace(slot.name, "");
    if (slot.type == "price_range") {
      set.defaults.emplace(slot.name + "_min", "");
      set.defaults.emplace(slot.name + "_max", "");
    }
  }
  Vars& v = set.own;
  v["flow_title"] = flow.title.In(s_.lang);
  v["attempts_left"] =
      std::to_string(std::max(0, d_.options.max_verification_attempts - s_.failed_verifications));
  for (const auto& [name, value] : task.slots) {
    v[name] = value.value;
    if (const SlotSpec* spec = flow.Slot(name)) {
      for (const Choice& c : spec->choices) {
        if (c.value == value.value) {
          v[name + "_label"] = c.value;
          v[name + "_label"] = c.label.empty() ? c.value : c.label.In(s_.lang);
          for (const auto& [k, x] : c.vars) {
            // "hint_zh" / "hint_en" become {hint} in their language.
            const bool zh = k.size() > 3 && k.compare(k.size() - 3, 3, "_zh") == 0;
            const bool en = k.size() > 3 && k.compare(k.size() - 3, 3, "_en") == 0;
            if (!zh && !en) {
              v[k] = x;
            } else if ((zh && s_.lang != "en") || (en && s_.lang == "en")) {
              v[k.substr(0, k.size() - 3)] = x;
            }
          }
        }
      }
      if (spec->type == "colour" && s_.lang != "en") {
        static const std::map<std::string, std::string> kColourZh = {
            {"black", "黑色"},     {"white", "白色"},   {"red", "红色"},    {"blue", "蓝色"},
            {"navy", "藏青色"},    {"pink", "粉色"},    {"grey", "灰色"},   {"green", "绿色"},
            {"yellow", "黄色"},    {"purple", "紫色"},  {"gold", "金色"},   {"silver", "银色"},
            {"beige", "米色"},     {"khaki", "卡其色"}, {"orange", "橙色"}, {"brown", "棕色"},
            {"burgundy", "酒红色"}};
        if (auto it = kColourZh.find(value.value); it != kColourZh.end()) {
          v[name] = it->second;
        }
      }
      if (spec->type == "price_range") {
        const size_t dots = value.value.find("..");
        v[name + "_min"] = value.value.substr(0, dots);
        v[name + "_max"] = dots == std::string::npos ? "" : value.value.substr(dots + 2);
      }
    }
  }
  return set;
}

void Turn::AddQuickReplies() {
  if (!out_.quick_replies.empty()) {
    return;
  }
  const bool en = s_.lang == "en";
  const Task* task = s_.active();
  if (task != nullptr && task->awaiting == "confirm") {
    out_.quick_replies = {{en ? "Confirm" : "确认", en ? "yes, confirm" : "确认"},
                          {en ? "Cancel" : "取消", en ? "no, cancel" : "取消"}};
  } else if (s_.offer == "human" && !out_.handoff) {
    out_.quick_replies = {
        {en ? "Talk to a person" : "转人工", en ? "yes, a person please" : "好的，转人工"},
        {en ? "No thanks" : "不用了", en ? "no thanks" : "不用了"}};
  } else if (!s_.offer.empty() && s_.offer != "human") {  // another flow, e.g. a return
    out_.quick_replies = {{en ? "Yes" : "好的", en ? "yes" : "好的"},
                          {en ? "No thanks" : "不用了", en ? "no thanks" : "不用了"}};
  }
}

void Turn::AddToolVars(const tools::ToolResult& r) {
  for (const auto& [k, v] : r.data.items()) {
    if (v.is_string()) {
      vars_[k] = v.get<std::string>();
    } else if (v.is_number_integer()) {
      vars_[k] = std::to_string(v.get<int64_t>());
    } else if (v.is_number()) {
      vars_[k] = std::to_string(v.get<double>());
    }
  }
  const bool en = s_.lang == "en";
  if (auto it = r.data.find("refund_cents"); it != r.data.end() && it->is_number_integer()) {
    vars_["refund_amount"] = FormatMoney(it->get<int64_t>());
  }
  if (auto it = r.data.find("products"); it != r.data.end() && it->is_array()) {
    for (const json& p : *it) {
      out_.cards.push_back(ProductCard(p, s_.lang));
    }
    std::string lines;
    int i = 0;
    for (const json& p : *it) {
      Vars pv = {{"index", std::to_string(++i)},
                 {"name", p.value(en ? "name_en" : "name_zh", "")},
                 {"price", FormatMoney(p.value("price_cents", int64_t{0}))},
                 {"stock", std::to_string(p.value("stock", int64_t{0}))},
                 {"sku", p.value("sku", "")}};
      lines += (lines.empty() ? "" : "\n") + d_.templates.Render("product_line", s_.lang, pv);
    }
    vars_["products"] = lines;
    vars_["product_count"] = std::to_string(i);
  }
  if (auto it = r.data.find("product"); it != r.data.end() && it->is_object()) {
    const json& p = *it;
    vars_["product_name"] = p.value(en ? "name_en" : "name_zh", "");
    vars_["price"] = FormatMoney(p.value("price_cents", int64_t{0}));
    const int64_t stock = p.value("stock", int64_t{0});
    vars_["stock"] = std::to_string(stock);
    vars_["stock_line"] = d_.templates.Render(stock > 0 ? "stock_in" : "stock_out", s_.lang,
                                              {{"stock", std::to_string(stock)}});
    std::string specs;
    if (auto a = p.find("attributes"); a != p.end() && a->is_object()) {
      for (const auto& [k, v] : a->items()) {
        // Chinese attribute values in zh replies, the *_en variants in English ones.
        const bool is_en = k.size() > 3 && k.compare(k.size() - 3, 3, "_en") == 0;
        if (is_en != en && a->contains(en ? k + "_en" : k.substr(0, k.size() - 3))) {
          continue;
        }
        const std::string value = v.is_string() ? v.get<std::string>() : v.dump();
        specs += (specs.empty() ? ""
                  : en          ? "; "
                                : "；") +
                 (is_en ? k.substr(0, k.size() - 3) : k) + ": " + value;
      }
    }
    vars_["specs"] = specs;
  }
  if (auto it = r.data.find("orders"); it != r.data.end() && it->is_array()) {
    std::string lines;
    for (const json& o : *it) {
      Vars ov = {{"order_id", o.value("order_id", "")},
                 {"status", d_.templates.Get(s_.lang, "status." + o.value("status", ""))},
                 {"created_at", FormatLocalMinute(o.value("created_at", int64_t{0}),
                                                  d_.options.timezone_offset_minutes)},
                 {"total", FormatMoney(o.value("total_cents", int64_t{0}))}};
      lines += (lines.empty() ? "" : "\n") + d_.templates.Render("order_line", s_.lang, ov);
    }
    vars_["orders"] = lines;
  }
}

bool Turn::SlotNeeded(const SlotSpec& slot, const Task& task) const {
  if (!slot.when.empty()) {
    const size_t eq = slot.when.find('=');
    auto it = task.slots.find(slot.when.substr(0, eq));
    if (it == task.slots.end() ||
        (eq != std::string::npos && it->second.value != slot.when.substr(eq + 1))) {
      return false;
    }
  }
  // required_unless: "colour,size" - any of them given makes this slot unnecessary.
  size_t start = 0;
  while (!slot.required_unless.empty() && start <= slot.required_unless.size()) {
    size_t comma = slot.required_unless.find(',', start);
    if (comma == std::string::npos) {
      comma = slot.required_unless.size();
    }
    if (task.slots.count(Trim(slot.required_unless.substr(start, comma - start))) > 0) {
      return false;
    }
    start = comma + 1;
  }
  return slot.required;
}

std::string Turn::PromptFor(const FlowSpec& flow, const Task& task) {
  const TaskVarSet v = TaskVars(flow, task);
  if (task.awaiting == "confirm") {
    return Text(flow.confirm, v);
  }
  if (task.awaiting == "verification") {
    return d_.templates.Render("ask_verification_again", s_.lang, v);
  }
  if (const SlotSpec* slot = flow.Slot(task.awaiting)) {
    return Text(slot->prompt, v);
  }
  if (task.awaiting == "order_id") {
    return d_.templates.Render("ask_order_id", s_.lang, v);
  }
  return "";
}

void Turn::Ask(const FlowSpec& flow, Task& task, const SlotSpec& slot, bool invalid) {
  task.awaiting = slot.name;
  actions_.push_back("flow:" + flow.name + "/ask:" + slot.name);
  const TaskVarSet v = TaskVars(flow, task);
  if (invalid && !slot.invalid.empty()) {
    Say(Text(slot.invalid, v));
    return;
  }
  Say(Text(slot.prompt, v));
}

void Turn::FillFromMessage(const FlowSpec& flow, Task& task) {
  auto set = [&](const std::string& name, SlotValue v) {
    auto it = task.slots.find(name);
    if (it != task.slots.end() && it->second.value != v.value) {
      corrected_ = true;  // a value given again replaces the old one: a correction
    }
    task.slots[name] = std::move(v);
  };
  for (const SlotSpec& slot : flow.slots) {
    if (slot.name == task.awaiting) {
      continue;  // the awaited slot reads the whole message below
    }
    if (auto e = EntityFor(slot)) {
      set(slot.name, *e);
    } else if (slot.type == "choice" && task.slots.count(slot.name) == 0) {
      if (auto c = MatchChoice(slot)) {
        set(slot.name, {*c, "choice", 0.9});
      }
    }
  }
  if (auto e = u_.Find("order_id")) {
    auto it = task.slots.find("order_id");
    if (it == task.slots.end() || it->second.value != e->value) {
      if (it != task.slots.end()) {
        corrected_ = true;
      }
      task.slots["order_id"] = {e->value, "entity", e->confidence};
      if (task.awaiting == "verification") {
        task.awaiting.clear();  // a new order replaces the one being verified
      }
    }
  }
  const SlotSpec* awaited = flow.Slot(task.awaiting);
  // A correction ("不对，是另一个订单 ...") is not also the answer to a free-text question.
  if (awaited != nullptr && !(corrected_ && awaited->type == "text")) {
    if (auto v = ParseAnswer(*awaited)) {
      task.slots[awaited->name] = *v;
      task.awaiting.clear();
      task.reprompts = 0;
    }
  }
}

// Finds and verifies the task's order. False: a reply asking for something was given.
Result<bool> Turn::ResolveOrder(const FlowSpec& flow, Task& task) {
  auto slot = task.slots.find("order_id");
  if (slot == task.slots.end()) {
    if (!s_.active_order.empty()) {
      task.slots["order_id"] = {s_.active_order, "context", 0.9};
    } else if (!s_.verified_customer.empty()) {
      Result<tools::ToolResult> r =
          CallTool("list_customer_orders", {{"customer_id", s_.verified_customer}, {"limit", 5}});
      if (r.ok() && r->code == "ok" && r->data.value("orders", json::array()).size() == 1) {
        task.slots["order_id"] = {r->data["orders"][0].value("order_id", ""), "tool", 1.0};
      } else {
        task.awaiting = "order_id";
        actions_.push_back("flow:" + flow.name + "/ask:order_id");
        if (r.ok() && r->code == "ok" && !r->data.value("orders", json::array()).empty()) {
          AddToolVars(*r);
          SayKey("choose_order", TurnVars());
          for (const json& o : r->data["orders"]) {
            const std::string id = o.value("order_id", "");
            out_.quick_replies.push_back({id + " · " + o.value("total", ""), id});
          }
        } else {
          SayKey("ask_order_id");
        }
        return false;
      }
    } else {
      task.awaiting = "order_id";
      actions_.push_back("flow:" + flow.name + "/ask:order_id");
      SayKey("ask_order_id");
      return false;
    }
    slot = task.slots.find("order_id");
  }
  const std::string order_id = slot->second.value;
  Result<tools::ToolResult> r = CallTool("get_order", {{"order_id", order_id}});
  if (!r.ok()) {
    if (RequestExpired()) {
      return ctx_.Check();
    }
    SayKey("tool_failed");
    out_.offer_human = true;
    s_.offer = "human";
    EndTask(flow, "tool_failed");
    return false;
  }
  if (r->code != "ok") {
    SayKey("order_not_found", {{"order_id", order_id}});
    task.slots.erase("order_id");
    if (s_.active_order == order_id) {
      s_.active_order.clear();
    }
    task.awaiting = "order_id";
    actions_.push_back("flow:" + flow.name + "/order_not_found");
    Event("order_not_found");
    Failure();
    return false;
  }
  Result<std::shared_ptr<const store::OrderDetails>> fetched = tools::OrderOf(*r);
  if (!fetched.ok()) {
    SayKey("tool_failed");
    out_.offer_human = true;
    s_.offer = "human";
    EndTask(flow, "tool_failed");
    return false;
  }
  std::shared_ptr<const store::OrderDetails> details = std::move(*fetched);
  s_.active_order = order_id;
  const bool owner = !s_.verified_customer.empty() &&
                     s_.verified_customer == std::to_string(details->order.customer_id);
  if (!owner && !s_.IsVerified(order_id)) {
    if (s_.verification_locked) {
      actions_.push_back("flow:" + flow.name + "/locked");
      SayKey("verification_locked", {{"order_id", order_id}});
      out_.offer_human = true;
      s_.offer = "human";
      EndTask(flow, "verification_locked");
      return false;
    }
    auto digits = u_.Find("digits4");
    if (task.awaiting == "verification" && digits) {
      const std::string& phone = details->order.phone;
      const bool match = phone.size() >= 4 && digits->value.size() == 4 &&
                         phone.compare(phone.size() - 4, 4, digits->value) == 0;
      if (!match) {
        ++s_.failed_verifications;
        const int left = d_.options.max_verification_attempts - s_.failed_verifications;
        Event("verification_failed", {{"attempt", s_.failed_verifications}});
        if (left <= 0) {
          actions_.push_back("flow:" + flow.name + "/locked");
          s_.verification_locked = true;
          Event("verification_locked");
          SayKey("verification_locked", {{"order_id", order_id}});
          out_.offer_human = true;
          s_.offer = "human";
          EndTask(flow, "verification_locked");
          return false;
        }
        actions_.push_back("flow:" + flow.name + "/verification_failed");
        SayKey("verification_failed",
               {{"order_id", order_id}, {"attempts_left", std::to_string(left)}});
        return false;
      }
      s_.verified_orders.push_back(order_id);
      s_.verified_at = d_.clock.NowMillis();
      Event("verification_succeeded");
      task.awaiting.clear();
    } else {
      const bool again = task.awaiting == "verification";
      task.awaiting = "verification";
      actions_.push_back("flow:" + flow.name + "/verify");
      const int left = d_.options.max_verification_attempts - s_.failed_verifications;
      SayKey(again ? "ask_verification_again" : "ask_verification",
             {{"order_id", order_id}, {"attempts_left", std::to_string(left)}});
      return false;
    }
  }
  task.order_status = details->order.status;
  UseOrderVars(d_.templates.Rendered(*details, s_.lang));
  order_ = std::move(details);
  Succeeded();
  return true;
}

std::string Turn::CheckPolicy(const FlowSpec& flow, const Task& task) {
  const PolicySpec& p = flow.policy;
  if (p.check != "return_window" || !order_) {
    return "eligible";
  }
  std::string reason;
  if (auto it = task.slots.find(p.reason_slot); it != task.slots.end()) {
    reason = Lower(it->second.value);
  }
  bool quality = false;
  for (const std::string& w : p.quality_words) {
    if (reason.find(Lower(w)) != std::string::npos) {
      quality = true;
    }
  }
  const bool exchange =
      flow.action.args.count("type") > 0 && flow.action.args.at("type") == "exchange";
  const std::string type = exchange ? "exchange" : quality ? "quality" : "no_reason";
  const int days_allowed = exchange ? p.exchange_days : quality ? p.quality_days : p.no_reason_days;
  vars_["return_type"] = type;
  vars_["return_type_label"] = d_.templates.Get(s_.lang, "return_type." + type);
  vars_["days_allowed"] = std::to_string(days_allowed);
  if (!order_->order.delivered_at) {
    return "not_delivered";
  }
  const int64_t now = d_.clock.NowMillis();
  const int64_t days = (now - *order_->order.delivered_at) / kDayMs;
  vars_["days_since_delivery"] = std::to_string(days);
  vars_["deadline"] = FormatLocalMinute(*order_->order.delivered_at + days_allowed * kDayMs,
                                        d_.options.timezone_offset_minutes)
                          .substr(0, 10);
  if (now - *order_->order.delivered_at > days_allowed * kDayMs) {
    return quality || exchange || days > p.quality_days ? "expired" : "expired_no_reason";
  }
  return "eligible";
}

Result<Next> Turn::ApplyBranch(const FlowSpec& flow, const Branch& branch) {
  Task* task = s_.active();
  const TaskVarSet v = task != nullptr ? TaskVars(flow, *task) : TurnVars();
  for (const auto& [k, x] : branch.set) {
    s_.facts[k] = Substitute(x, v);
  }
  Say(Text(branch.reply, v));
  const std::string then = Substitute(branch.then, v);
  if (then.empty()) {
    return Next::kContinue;
  }
  if (then == "end") {
    EndTask(flow, "done");
    return Next::kStop;
  }
  if (then == "handoff") {
    EndTask(flow, "handoff");
    Handoff({"flow", branch.priority});
    return Next::kStop;
  }
  if (then.rfind("offer:", 0) == 0) {
    EndTask(flow, "offered");
    s_.offer = then.substr(6);
    out_.offer_human = s_.offer == "human";
    return Next::kStop;
  }
  if (then.rfind("flow:", 0) == 0) {
    EndTask(flow, "switched");
    if (const FlowSpec* next = d_.Flow(then.substr(5))) {
      KEFU_RETURN_IF_ERROR(StartFlow(*next, true));
    }
    return Next::kStop;
  }
  if (then.rfind("ask:", 0) == 0 && task != nullptr) {
    const std::string name = then.substr(4);
    task->slots.erase(name);
    if (const SlotSpec* slot = flow.Slot(name)) {
      Ask(flow, *task, *slot, false);
    }
    return Next::kStop;
  }
  return Next::kContinue;
}

void Turn::EndTask(const FlowSpec& flow, const std::string& result) {
  if (s_.stack.empty()) {
    return;
  }
  Task done = std::move(s_.stack.back());
  s_.stack.pop_back();
  std::string line = flow.name;
  if (auto it = done.slots.find("order_id"); it != done.slots.end()) {
    line += " " + it->second.value;
  }
  line += ": " + result;
  if (auto it = s_.facts.find("rma"); it != s_.facts.end() && flow.name == "return_refund") {
    line += " (" + it->second + ")";
  }
  s_.summary.push_back(line);
  if (s_.summary.size() > kMaxSummaryLines) {
    s_.summary.erase(s_.summary.begin());
  }
  auto started = std::find(started_.rbegin(), started_.rend(), flow.name);
  const bool started_now = started != started_.rend();
  if (started_now) {
    started_.erase(std::next(started).base());
  }
  FlowEvent(result == "aborted" ? "flow_aborted" : "flow_completed", flow.name, &result,
            started_now);
  done.awaiting.clear();
  s_.last_task = std::move(done);
}

// After a task ends, the one it interrupted (if any) asks its question again.
void Turn::Resume() {
  Task* task = s_.active();
  if (task == nullptr) {
    return;
  }
  const FlowSpec* flow = d_.Flow(task->flow);
  if (flow == nullptr) {
    s_.stack.pop_back();
    return;
  }
  const std::string prompt = PromptFor(*flow, *task);
  if (!prompt.empty()) {
    SayKey("flow.resume", {{"flow_title", flow->title.In(s_.lang)}, {"prompt", prompt}});
  }
}

Status Turn::StartFlow(const FlowSpec& flow, bool carry_order) {
  if (++depth_ > 4) {
    return OkStatus();  // a loop in the flow files: stop rather than spin
  }
  Task task;
  task.flow = flow.name;
  if (carry_order && !s_.active_order.empty() && flow.order == "required") {
    task.slots["order_id"] = {s_.active_order, "context", 0.9};
  }
  s_.stack.push_back(std::move(task));
  started_.push_back(flow.name);
  Say(Text(flow.start.reply, TurnVars()));
  return RunFlow(flow);
}

Status Turn::RunFlow(const FlowSpec& flow) {
  Task* task = s_.active();
  FillFromMessage(flow, *task);
  const std::string awaited_before = task->awaiting;
  if (flow.answer_from_kb) {
    AnswerFromKb(false);
    const bool found = out_.kb_answer && out_.kb_answer->found;
    if (!found && (!flow.kb_unknown.reply.empty() || !flow.kb_unknown.then.empty())) {
      replies_.clear();  // the flow's own words replace the generic "I don't know"
      s_.offer.clear();
      out_.offer_human = false;
      KEFU_ASSIGN_OR_RETURN(Next n, ApplyBranch(flow, flow.kb_unknown));
      if (n == Next::kStop) {
        return OkStatus();
      }
    }
    if (s_.active() != nullptr) {
      EndTask(flow, found ? "answered" : "unanswered");
    }
    return OkStatus();
  }
  if (flow.order == "required") {
    KEFU_ASSIGN_OR_RETURN(bool ready, ResolveOrder(flow, *task));
    if (!ready) {
      return OkStatus();
    }
    task = s_.active();
    if (!flow.allowed_status.empty() &&
        std::find(flow.allowed_status.begin(), flow.allowed_status.end(), task->order_status) ==
            flow.allowed_status.end()) {
      auto it = flow.on_status.find(task->order_status);
      if (it == flow.on_status.end()) {
        it = flow.on_status.find("other");
      }
      actions_.push_back("flow:" + flow.name + "/status:" + task->order_status);
      if (it != flow.on_status.end()) {
        KEFU_ASSIGN_OR_RETURN(Next n, ApplyBranch(flow, it->second));
        if (n == Next::kStop) {
          return OkStatus();
        }
      }
      SayKey("flow.not_allowed", TaskVars(flow, *task));
      EndTask(flow, "not_allowed");
      return OkStatus();
    }
  }
  // The awaited answer did not fit: say so, and after two misses offer a person.
  if (!awaited_before.empty() && awaited_before != "verification" && awaited_before != "order_id" &&
      awaited_before != "confirm" && task->awaiting == awaited_before) {
    if (const SlotSpec* slot = flow.Slot(awaited_before)) {
      ++task->reprompts;
      Failure();
      if (s_.misunderstandings >= d_.options.failures_before_handoff) {
        EndTask(flow, "failed");
        Handoff({"bot_failed", 0});
        return OkStatus();
      }
      Ask(flow, *task, *slot, true);
      return OkStatus();
    }
  }
  for (const SlotSpec& slot : flow.slots) {
    if (SlotNeeded(slot, *task) && task->slots.count(slot.name) == 0) {
      Ask(flow, *task, slot, false);
      return OkStatus();
    }
  }
  std::string code = CheckPolicy(flow, *task);
  if (code != "eligible") {
    actions_.push_back("flow:" + flow.name + "/policy:" + code);
    auto it = flow.policy.on.find(code);
    if (it == flow.policy.on.end()) {
      it = flow.policy.on.find("expired");
    }
    if (it != flow.policy.on.end()) {
      KEFU_ASSIGN_OR_RETURN(Next n, ApplyBranch(flow, it->second));
      if (n == Next::kStop) {
        return OkStatus();
      }
    }
    if (s_.active() != nullptr) {
      EndTask(flow, code);
    }
    return OkStatus();
  }
  if (!flow.confirm.empty()) {
    if (task->awaiting != "confirm" || awaited_before != "confirm" || corrected_) {
      task->awaiting = "confirm";
      actions_.push_back("flow:" + flow.name + "/confirm");
      Say(Text(flow.confirm, TaskVars(flow, *task)));
      return OkStatus();
    }
    if (IsNo()) {
      actions_.push_back("flow:" + flow.name + "/declined");
      if (!flow.declined.reply.empty() || !flow.declined.then.empty()) {
        KEFU_ASSIGN_OR_RETURN(Next n, ApplyBranch(flow, flow.declined));
        if (n == Next::kStop) {
          return OkStatus();
        }
      } else {
        SayKey("flow.aborted", TaskVars(flow, *task));
      }
      EndTask(flow, "declined");
      return OkStatus();
    }
    if (!IsYes()) {
      actions_.push_back("flow:" + flow.name + "/confirm");
      SayKey("flow.confirm_again");
      Say(Text(flow.confirm, TaskVars(flow, *task)));
      return OkStatus();
    }
    task->awaiting.clear();
    Event("action_confirmed", {{"flow", flow.name}});
  }
  if (!flow.action.tool.empty()) {
    const TaskVarSet v = TaskVars(flow, *task);
    json args = json::object();
    for (const auto& [k, tmpl] : flow.action.args) {
      std::string value = Substitute(tmpl, v);
      if (!value.empty() && value.find('{') == std::string::npos) {
        args[k] = value;
      }
    }
    if (flow.action.tool == "open_case") {
      args["conversation_id"] = "";  // the engine's trace links the case to the conversation
    }
    actions_.push_back("flow:" + flow.name + "/tool:" + flow.action.tool);
    Result<tools::ToolResult> r = CallTool(flow.action.tool, args);
    const Branch* branch = nullptr;
    if (!r.ok()) {
      if (RequestExpired()) {
        return ctx_.Check();
      }
      branch = &flow.action.on.at("error");
    } else {
      AddToolVars(*r);
      auto it = flow.action.on.find(r->code);
      if (it == flow.action.on.end()) {
        it = flow.action.on.find("default");
      }
      if (it != flow.action.on.end()) {
        branch = &it->second;
      } else if (r->code != "ok") {
        branch = &flow.action.on.at("error");
      }
    }
    if (branch != nullptr) {
      KEFU_ASSIGN_OR_RETURN(Next n, ApplyBranch(flow, *branch));
      if (n == Next::kStop) {
        return OkStatus();
      }
    }
  }
  actions_.push_back("flow:" + flow.name + "/done");
  KEFU_ASSIGN_OR_RETURN(Next n, ApplyBranch(flow, flow.done));
  if (n == Next::kContinue && s_.active() != nullptr) {
    EndTask(flow, "done");
  }
  Succeeded();
  return OkStatus();
}

Result<TurnOutcome> Turn::Run() {
  // 1. A person, when asked for or when a hook wants one (an offer only rides on the reply).
  for (const auto& hook : d_.hooks) {
    if (auto request = hook->Check(u_, text_, s_)) {
      if (request->offer_only) {
        escalation_offer_ = std::move(request);
        break;
      }
      Handoff(std::move(*request));
      return Finish();
    }
  }
  if (u_.intent == "human_agent") {
    // "个人" answers "personal or company invoice?"; only explicit words override an awaited
    // answer.
    const Task* task = s_.active();
    const FlowSpec* flow = task != nullptr ? d_.Flow(task->flow) : nullptr;
    const bool explicit_ask =
        ContainsAny(lower_, {"人工", "真人", "客服", "转接", "經理", "经理"}) ||
        HasAnyWord(lower_, {"human", "agent", "person", "representative", "operator", "manager"});
    if (flow == nullptr || explicit_ask || !FitsAwaited(*flow, *task)) {
      Handoff({"requested", 0});
      return Finish();
    }
  }
  // 2. A yes or a no to what the last reply offered.
  if (!s_.offer.empty()) {
    const std::string offer = std::exchange(s_.offer, "");
    std::string offer_reason = std::exchange(s_.offer_reason, "");
    const int offer_priority = std::exchange(s_.offer_priority, 0);
    const bool task_intent = d_.FlowForIntent(u_.intent) != nullptr && u_.confidence >= 0.6;
    // Four digits after a lock are another guess, not a yes to the offer of a person.
    const bool digits_only = u_.Find("digits4") != nullptr || u_.Find("order_id") != nullptr;
    if (!task_intent && !digits_only && IsYes()) {
      if (offer == "human") {
        Handoff({offer_reason.empty() ? "requested" : std::move(offer_reason), offer_priority});
        return Finish();
      }
      if (const FlowSpec* flow = d_.Flow(offer)) {
        KEFU_RETURN_IF_ERROR(StartFlow(*flow, true));
        return Finish();
      }
    }
    if (!task_intent && IsNo() && s_.stack.empty()) {
      actions_.push_back("offer_declined");
      SayKey("offer_declined");
      return Finish();
    }
  }
  // 3. The active task.
  if (Task* task = s_.active()) {
    const FlowSpec* flow = d_.Flow(task->flow);
    if (flow == nullptr) {
      s_.stack.clear();  // a flow removed from data/flows since this state was saved
    } else if (IsAbort() && task->awaiting != "confirm") {
      actions_.push_back("flow:" + flow->name + "/aborted");
      SayKey("flow.aborted", TaskVars(*flow, *task));
      EndTask(*flow, "aborted");
      Resume();
      return Finish();
    } else if (!FitsAwaited(*flow, *task)) {
      const FlowSpec* other = d_.FlowForIntent(u_.intent);
      const bool has_product = u_.Find("product") != nullptr;
      if (other != nullptr && other != flow && u_.confidence >= 0.5 &&
          !(other->name == "product_inquiry" && !has_product)) {
        const size_t depth = s_.stack.size();
        actions_.push_back("interrupt:" + flow->name);
        KEFU_RETURN_IF_ERROR(StartFlow(*other, true));
        if (s_.stack.size() == depth) {
          Resume();  // the new task ended within this turn: back to the one it interrupted
        }
        return Finish();
      }
      if (((IsKbIntent(u_.intent) && u_.confidence >= kKbAsideConfidence) || IsQuestion()) &&
          task->awaiting != "order_id" && task->awaiting != "verification" &&
          task->awaiting != "confirm") {
        AnswerFromKb(false);
        s_.offer.clear();
        out_.offer_human = false;
        Resume();
        return Finish();
      }
    }
    if (s_.active() != nullptr) {
      const size_t depth = s_.stack.size();
      KEFU_RETURN_IF_ERROR(RunFlow(*flow));
      if (s_.stack.size() + 1 == depth && !s_.stack.empty() && !out_.handoff) {
        Resume();  // the task ended: back to the one it interrupted
      }
      return Finish();
    }
  }
  // 4. A new task, small talk, the knowledge base. A policy question about a task ("退货运费谁
  // 出？") is answered when the knowledge base knows the answer; a request starts the task.
  const bool has_product = u_.Find("product") != nullptr;
  const FlowSpec* start = d_.FlowForIntent(u_.intent);
  const bool asks_about_rules =
      IsQuestion() || utf8::CodePointCount(text_.text) >= 8;  // "以旧换新的旧手机回收规则"
  if (start != nullptr && start->order == "required" && start->name != "order_status" &&
      start->name != "refund_status" && asks_about_rules && !IsRequest() && !u_.Find("order_id") &&
      d_.kb != nullptr) {
    if (KbAnswer().found) {
      AnswerFromKb(false);
      return Finish();
    }
  }
  if (const FlowSpec* flow = start;
      flow != nullptr && !(flow->name == "product_inquiry" && !has_product) &&
      !(u_.Find("order_id") && utf8::CodePointCount(text_.text) <=
                                   u_.Find("order_id")->end - u_.Find("order_id")->start + 4)) {
    KEFU_RETURN_IF_ERROR(StartFlow(*flow, true));
    return Finish();
  }
  // A bare order number asks about that order, whatever the classifier makes of the digits.
  if (auto id = u_.Find("order_id");
      id && (utf8::CodePointCount(text_.text) <= id->end - id->start + 4 || start == nullptr) &&
      u_.intent != "chitchat") {
    if (const FlowSpec* flow = d_.Flow("order_status")) {
      KEFU_RETURN_IF_ERROR(StartFlow(*flow, false));
      return Finish();
    }
  }
  static const std::map<std::string, std::string> kSmallTalk = {
      {"greeting", "greeting"},  {"goodbye", "goodbye"},     {"thanks", "thanks"},
      {"affirm", "affirm_idle"}, {"deny", "offer_declined"}, {"complaint", "complaint"}};
  if (auto it = kSmallTalk.find(u_.intent); it != kSmallTalk.end()) {
    actions_.push_back(it->first == "complaint" ? "complaint" : "small_talk");
    SayKey(it->second);
    if (it->first == "complaint") {
      out_.offer_human = true;
      s_.offer = "human";
    }
    Succeeded();
    return Finish();
  }
  // Small talk the knowledge base has nothing for gets a friendly word, not "I don't know".
  if (u_.intent == "chitchat" && (d_.kb == nullptr || !KbAnswer().found)) {
    actions_.push_back("small_talk");
    SayKey("chitchat");
    Succeeded();
    return Finish();
  }
  AnswerFromKb(true);
  if (s_.misunderstandings >= d_.options.failures_before_handoff) {
    replies_.clear();
    Handoff({"bot_failed", 0});
  }
  return Finish();
}

Result<TurnOutcome> Turn::Finish() {
  for (const std::string& flow : started_) {
    FlowEvent("flow_started", flow, nullptr);  // still running: it ends in a later turn
  }
  started_.clear();
  // An escalation hook asked to offer a person: the offer closes the reply, unless the turn
  // already handed off or offered something else. When the reply offers a person already (a
  // complaint), that offer takes the escalation's reason and priority.
  if (escalation_offer_ && !out_.handoff && !s_.handoff_requested &&
      (s_.offer.empty() || (s_.offer == "human" && s_.offer_reason.empty()))) {
    if (s_.offer.empty()) {
      SayKey("escalation_offer");
    }
    s_.offer = "human";
    s_.offer_reason = escalation_offer_->reason;
    s_.offer_priority = escalation_offer_->priority;
    s_.escalation_offered_turn = s_.turns;
    out_.offer_human = true;
    actions_.push_back("offer_human:" + escalation_offer_->reason);
    Event("handoff_offered",
          {{"reason", escalation_offer_->reason}, {"priority", escalation_offer_->priority}});
  }
  // An upset shopper hears an apology (anxiety: reassurance) first, unless the reply opens with
  // one already.
  if (d_.apology_first && IsUpset(s_) && !replies_.empty()) {
    const std::string& first = replies_.front();
    const std::string opening = Lower(first.substr(0, std::min<size_t>(first.size(), 60)));
    if (!ContainsAny(opening, {"抱歉", "对不起", "不好意思", "sorry", "apolog"})) {
      const std::string key = s_.feeling.emotion == "anxiety" ? "tone.reassure" : "tone.apology";
      const std::string lead = d_.templates.Render(key, s_.lang, {});
      replies_.front() = lead + (s_.lang == "en" ? " " : "") + first;
      actions_.insert(actions_.begin(), key);
    }
  }
  std::string reply;
  for (const std::string& r : replies_) {
    if (!reply.empty()) {
      reply += "\n\n";
    }
    reply += r;
  }
  if (reply.empty()) {
    reply = d_.templates.Render("fallback", s_.lang, {});
  }
  out_.reply = std::move(reply);
  if (order_) {
    out_.cards.insert(out_.cards.begin(), d_.templates.Rendered(*order_, s_.lang)->card);
  }
  AddQuickReplies();
  for (const std::string& a : actions_) {
    out_.action += (out_.action.empty() ? "" : " > ") + a;
  }
  if (out_.action.empty()) {
    out_.action = "fallback";
  }
  return std::move(out_);
}

}  // namespace

Dialog::Dialog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Dialog::~Dialog() = default;

Result<std::unique_ptr<Dialog>> Dialog::Create(const DialogOptions& options,
                                               const tools::ToolRegistry& tools,
                                               const kb::KnowledgeBase* kb, const Clock& clock) {
  const std::filesystem::path dir(options.data_dir);
  KEFU_ASSIGN_OR_RETURN(
      ReplyTemplates templates,
      ReplyTemplates::Load((dir / "templates" / "replies.toml").string(),
                           {.timezone_offset_minutes = options.timezone_offset_minutes}));
  KEFU_ASSIGN_OR_RETURN(std::vector<FlowSpec> flows, LoadFlows((dir / "flows").string()));
  for (const FlowSpec& f : flows) {
    if (!f.action.tool.empty() && tools.Find(f.action.tool) == nullptr) {
      return InvalidArgumentError("flow '" + f.name + "' calls unknown tool '" + f.action.tool +
                                  "'");
    }
  }
  for (const char* needed : {"get_order"}) {
    if (tools.Find(needed) == nullptr) {
      return InvalidArgumentError(std::string("the dialogue needs the tool '") + needed + "'");
    }
  }
  auto impl =
      std::make_unique<Impl>(options, tools, kb, clock, std::move(templates), std::move(flows));
  return std::unique_ptr<Dialog>(new Dialog(std::move(impl)));
}

void Dialog::Track(const nlu::Understanding& u, text::Language lang, DialogState& state,
                   std::string_view text) const {
  ++state.turns;
  if (lang == text::Language::kEn && state.turns > 1 && state.lang != "en") {
    // A tax id, an e-mail or "ok" is not a switch to English: that takes two English words.
    int words = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      const size_t end = std::min(text.find(' ', pos), text.size());
      std::string_view token = text.substr(pos, end - pos);
      while (!token.empty() &&
             std::string_view(",.?!'").find(token.back()) != std::string_view::npos) {
        token.remove_suffix(1);
      }
      if (token.size() >= 2 && std::all_of(token.begin(), token.end(), [](char c) {
            return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '\'';
          })) {
        ++words;
      }
      pos = end + 1;
    }
    if (words < 2) {
      lang = text::Language::kUnknown;
    }
  }
  if (lang != text::Language::kUnknown) {
    state.lang = std::string(text::LanguageCode(lang));
  }
  if (auto order = u.Find("order_id")) {
    state.active_order = order->value;
  }
}

Result<TurnOutcome> Dialog::Step(const nlu::Understanding& u, const text::NormalizedText& text,
                                 DialogState& state, RequestContext& ctx) const {
  KEFU_RETURN_IF_ERROR(ctx.Check());
  Turn turn(*impl_, u, text, state, ctx);
  return turn.Run();
}

void Dialog::AddEscalationHook(std::shared_ptr<const EscalationHook> hook) {
  impl_->hooks.push_back(std::move(hook));
}

void Dialog::SetApologyFirst(bool on) {
  impl_->apology_first = on;
}

Status Dialog::CheckProposedAction(const DialogState& state, std::string_view tool,
                                   std::string_view arguments_json) const {
  const bool known = std::any_of(impl_->flows.begin(), impl_->flows.end(),
                                 [&](const FlowSpec& f) { return f.action.tool == tool; });
  if (!known) {
    return NotFoundError("no flow calls a tool named '" + std::string(tool) + "'");
  }
  const json args = json::parse(arguments_json, nullptr, /*allow_exceptions=*/false);
  if (args.is_discarded() || !args.is_object()) {
    return InvalidArgumentError("the arguments are not a JSON object");
  }
  const Task* task = state.active();
  if (task == nullptr) {
    return FailedPreconditionError("no flow is running");
  }
  const FlowSpec* flow = impl_->Flow(task->flow);
  if (flow == nullptr || flow->action.tool != tool) {
    return FailedPreconditionError("the running flow '" + task->flow + "' does not call '" +
                                   std::string(tool) + "'");
  }
  std::string order = state.active_order;
  if (auto it = task->slots.find("order_id"); it != task->slots.end()) {
    order = it->second.value;
  }
  if (args.contains("order_id")) {
    const std::string proposed = args["order_id"].is_string() ? args["order_id"].get<std::string>()
                                                              : args["order_id"].dump();
    if (proposed != order) {
      return PermissionDeniedError("the call names another order than the task's");
    }
  }
  if (flow->order == "required" && (order.empty() || !state.IsVerified(order))) {
    return PermissionDeniedError("the order is not verified");
  }
  if (task->awaiting != "confirm") {
    return FailedPreconditionError(task->awaiting.empty()
                                       ? std::string("the flow is not waiting for a confirmation")
                                       : "the flow still needs '" + task->awaiting + "'");
  }
  return OkStatus();
}

std::vector<std::string> Dialog::FlowNames() const {
  std::vector<std::string> names;
  for (const FlowSpec& f : impl_->flows) {
    names.push_back(f.name);
  }
  return names;
}

const ReplyTemplates& Dialog::templates() const {
  return impl_->templates;
}

Result<std::string> Dialog::VerifyCustomerToken(std::string_view token, std::string_view secret,
                                                int64_t now_ms) {
  if (secret.empty()) {
    return PermissionDeniedError("customer tokens are not accepted: no secret is configured");
  }
  const size_t a = token.find('.');
  const size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos || a == 0 || token.size() > 512) {
    return PermissionDeniedError("malformed customer token");
  }
  const std::string_view customer = token.substr(0, a);
  const std::string_view expires = token.substr(a + 1, b - a - 1);
  const std::string_view mac = token.substr(b + 1);
  const std::string expected =
      HmacSha256Hex(secret, std::string(customer) + "." + std::string(expires));
  if (!ConstantTimeEquals(expected, mac)) {
    return PermissionDeniedError("customer token signature does not match");
  }
  if (expires.empty() || expires.size() > 12 ||
      !std::all_of(expires.begin(), expires.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoll(std::string(expires)) * 1000 < now_ms) {
    return PermissionDeniedError("customer token has expired");
  }
  return std::string(customer);
}

}  // namespace kefu::dialog
