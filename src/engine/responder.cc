#include "engine/responder.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "core/utf8.h"
#include "llm/guard.h"
#include "llm/prompt.h"

namespace kefu::engine {
namespace {

// What the shopper's mood asks of the reply, as a sentence for the instruction; "" when calm.
std::string ToneLine(const RespondInput& in) {
  const bool en = in.lang == "en";
  if (in.tone == "upset") {
    return en ? "The shopper is upset: open with one brief, sincere apology and stay calm and "
                "respectful; do not argue or blame.\n"
              : "顾客现在很不满：开头先真诚地道歉一句，语气平和、尊重，不要争辩或推卸。\n";
  }
  if (in.tone == "anxious") {
    return en ? "The shopper is worried and in a hurry: reassure them first, then be concrete.\n"
              : "顾客很着急：先安抚一句，再说具体的处理。\n";
  }
  return "";
}

// What the model is to write in this mode.
std::string TaskLine(const RespondInput& in) {
  const bool en = in.lang == "en";
  switch (in.mode) {
    case ReplyMode::kKnowledge:
      if (en) {
        return "Answer the shopper's question from the passages in the context only, in English, "
               "briefly. After each statement taken from a passage, cite it by its id in square "
               "brackets, like [p1]. If the passages do not answer the question, say so and offer "
               "a human agent; never fill gaps from general knowledge. The best passage's answer, "
               "for reference:\n" +
               in.draft;
      }
      return "只根据上下文中的资料片段回答顾客的问题，用中文，简洁。每句取自资料的话后面用方括号标"
             "注"
             "片段编号，如[p1]。资料没有答案时直接说明并提出转人工，不要用常识补充。最相关片段的答"
             "案供参考：\n" +
             in.draft;
    case ReplyMode::kSmallTalk:
      if (en) {
        return "The shopper is making small talk. Reply in one or two short sentences, friendly, "
               "in English, then offer help with orders, returns or products. State no facts, "
               "numbers, prices, dates or promises. A suitable reply, which you may vary:\n" +
               in.draft;
      }
      return "顾客在闲聊。用一两句简短、友好的中文回应，然后表示可以帮忙查订单、退换货或咨询商品。"
             "不要说任何事实、数字、价格、日期或承诺。可参考的回复（可以换个说法）：\n" +
             in.draft;
    case ReplyMode::kPhrase:
      break;
  }
  if (en) {
    return "Rewrite the draft reply below for the shopper: natural, warm and brief, in English. "
           "Keep every order number, tracking number, amount, date, phone digit, product name "
           "and the source in brackets exactly as written; add no facts, steps or promises that "
           "the draft does not contain; keep any question the draft asks. Reply with the "
           "rewritten text only.\nDraft:\n" +
           in.draft;
  }
  return "请把下面的草稿改写成给顾客的回复：自然、亲切、简洁，用中文。订单号、运单号、金额、日期、"
         "手机号数字、商品名称和括号里的来源必须与草稿完全一致；不要添加草稿里没有的事实、步骤或承"
         "诺；"
         "草稿里提出的问题要保留。只输出改写后的回复。\n草稿：\n" +
         in.draft;
}

std::string Instruction(const RespondInput& in) {
  return ToneLine(in) + TaskLine(in);
}

std::string_view ModeName(ReplyMode mode) {
  switch (mode) {
    case ReplyMode::kKnowledge:
      return "knowledge";
    case ReplyMode::kSmallTalk:
      return "small_talk";
    case ReplyMode::kPhrase:
      break;
  }
  return "phrase";
}

// The passage ids cited as [p1] / [p1][p2] / [p1, p2] in `text`, in order, without repeats.
std::vector<std::string> Citations(std::string_view text) {
  std::vector<std::string> out;
  for (size_t open = text.find('['); open != std::string_view::npos;
       open = text.find('[', open + 1)) {
    const size_t close = text.find(']', open);
    if (close == std::string_view::npos || close - open > 40) {
      continue;
    }
    std::string_view inside = text.substr(open + 1, close - open - 1);
    while (!inside.empty()) {
      const size_t comma = inside.find(',');
      std::string_view id = inside.substr(0, comma);
      while (!id.empty() && id.front() == ' ') {
        id.remove_prefix(1);
      }
      while (!id.empty() && id.back() == ' ') {
        id.remove_suffix(1);
      }
      const bool looks_like_id =
          id.size() >= 2 && (id[0] == 'p' || id[0] == 'P') &&
          std::all_of(id.begin() + 1, id.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (looks_like_id) {
        std::string norm = "p" + std::string(id.substr(1));
        if (std::find(out.begin(), out.end(), norm) == out.end()) {
          out.push_back(std::move(norm));
        }
      }
      if (comma == std::string_view::npos) {
        break;
      }
      inside.remove_prefix(comma + 1);
    }
  }
  return out;
}

// Time kept back from the turn's deadline for storing the turn after the model.
constexpr std::chrono::milliseconds kStoreMargin{250};

void TrimRight(std::string& text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
}

// One attempt's streamed output: sentences pass the checks before they reach the sink.
class Attempt {
 public:
  Attempt(const llm::GroundingGuard& guard, const std::set<std::string>& passage_ids,
          size_t max_chars, ReplySink* sink)
      : guard_(guard), passage_ids_(passage_ids), max_chars_(max_chars), sink_(sink) {}

  // The stream callback: false stops the generation.
  bool OnDelta(std::string_view delta) {
    received_ += delta;
    if (sink_ != nullptr && sink_->Gone()) {
      gone_ = true;
      return false;
    }
    for (std::string& sentence : stream_.Append(delta)) {
      if (!Release(std::move(sentence))) {
        return false;
      }
    }
    return true;
  }

  // After the model finished: the last, unterminated sentence. False when it is refused.
  bool Finish() { return Release(stream_.Flush()); }

  // Withdraws what was sent (a later sentence failed, or the model failed mid-way).
  void Withdraw() {
    if (sink_ != nullptr && !released_.empty()) {
      sink_->Reset();
    }
    released_.clear();
  }

  const std::string& released() const { return released_; }
  const std::string& received() const { return received_; }
  bool gone() const { return gone_; }
  bool refused() const { return !refusal_.empty(); }
  const nlohmann::json& refusal() const { return refusal_; }

 private:
  bool Release(std::string sentence) {
    if (sentence.empty()) {
      return true;
    }
    const llm::GroundingGuard::Result check = guard_.Check(sentence);
    if (!check.ok) {
      nlohmann::json bad = nlohmann::json::array();
      for (const llm::Fact& f : check.ungrounded) {
        bad.push_back({{"kind", llm::FactKindName(f.kind)}, {"text", f.text}});
      }
      refusal_ = {{"reason", "ungrounded facts"}, {"ungrounded", std::move(bad)}};
      return false;
    }
    for (const std::string& id : Citations(sentence)) {
      if (!passage_ids_.contains(id)) {
        refusal_ = {{"reason", "cites a passage that was not given"}, {"citation", id}};
        return false;
      }
    }
    if (max_chars_ > 0 && utf8::CodePointCount(released_ + sentence) > max_chars_) {
      refusal_ = {{"reason", "too long"}, {"limit_chars", max_chars_}};
      return false;
    }
    released_ += sentence;
    if (sink_ != nullptr) {
      sink_->Delta(sentence);
    }
    return true;
  }

  const llm::GroundingGuard& guard_;
  const std::set<std::string>& passage_ids_;
  size_t max_chars_;
  ReplySink* sink_;
  llm::SentenceStream stream_;
  std::string received_;
  std::string released_;
  bool gone_ = false;
  nlohmann::json refusal_;
};

}  // namespace

Responded Responder::Respond(const RespondInput& in, RequestContext& ctx, ReplySink* sink) const {
  Responded out;
  out.reply = in.draft;
  out.trace = {{"used", false}, {"mode", ModeName(in.mode)}};
  if (backend_ == nullptr) {
    out.trace["reason"] = "no model configured";
    return out;
  }
  if (!backend_->available()) {
    out.trace["reason"] = "model unavailable (circuit open)";
    return out;
  }
  llm::PromptInput prompt;
  prompt.lang = in.lang;
  prompt.persona = in.lang == "en" ? options_.persona_en : options_.persona_zh;
  for (const std::string& line : in.summary) {
    prompt.summary += (prompt.summary.empty() ? "" : "\n") + line;
  }
  prompt.passages = in.passages;
  prompt.history = in.history;
  prompt.instruction = Instruction(in);
  prompt.user_message = in.user_message;
  llm::ChatRequest request;
  int prompt_estimate = 0;
  for (auto& [role, content] : llm::BuildPrompt(prompt)) {
    prompt_estimate += llm::EstimateTokens(content) + llm::kMessageOverheadTokens;
    request.messages.push_back({std::move(role), std::move(content), std::nullopt, {}});
  }
  const bool small_talk = in.mode == ReplyMode::kSmallTalk;
  request.max_tokens = small_talk ? options_.max_tokens_small_talk : options_.max_tokens;
  request.temperature = options_.temperature;
  request.stream = true;
  // The evidence: the draft (grounded by construction), the passages, the shopper's words in
  // this conversation.
  llm::Evidence evidence{{in.draft, in.user_message}};
  for (const llm::PromptTurn& turn : in.history) {
    if (turn.role == "user") {
      evidence.texts.push_back(turn.text);  // the shopper's own earlier words
    }
  }
  std::set<std::string> passage_ids;
  for (const auto& [id, text] : in.passages) {
    evidence.texts.push_back(text);
    passage_ids.insert(id);
  }
  const llm::GroundingGuard guard(evidence);
  const size_t max_chars = small_talk ? static_cast<size_t>(options_.max_chars_small_talk) : 0;
  const auto start = std::chrono::steady_clock::now();
  // A slow model costs at most the first-token budget; a streaming one at most the total, and
  // always leaves the turn time to be stored.
  request.first_token_deadline = in.first_token_deadline.value_or(
      start + std::chrono::milliseconds(options_.first_token_timeout_ms));
  const auto answer_deadline = std::min(
      ctx.deadline() - kStoreMargin, start + std::chrono::milliseconds(options_.total_timeout_ms));
  nlohmann::json attempts = nlohmann::json::array();
  for (int attempt = 1; attempt <= 2; ++attempt) {
    if (ctx.Check().code() != StatusCode::kOk) {
      out.trace["reason"] = "turn deadline";
      break;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= *request.first_token_deadline || now >= answer_deadline) {
      out.trace["reason"] = "model budget spent";
      break;
    }
    RequestContext model_ctx(ctx.trace_id(), answer_deadline);
    Attempt a(guard, passage_ids, max_chars, sink);
    Result<llm::ChatResponse> r = backend_->Chat(
        request, model_ctx, [&a](std::string_view delta) { return a.OnDelta(delta); });
    if (r.ok() && a.received().empty() && !r->content.empty()) {
      a.OnDelta(r->content);  // a backend that answered without streaming
    }
    const bool finished = r.ok() && !a.refused() && !a.gone() && a.Finish();
    nlohmann::json record;
    if (r.ok()) {
      out.proposed_calls.insert(out.proposed_calls.end(), r->tool_calls.begin(),
                                r->tool_calls.end());
      out.prompt_tokens += r->prompt_tokens;
      out.completion_tokens += r->completion_tokens;
      record = {{"backend", r->backend},
                {"first_token_ms", r->first_token_ms},
                {"total_ms", r->total_ms},
                {"prompt_tokens", r->prompt_tokens},
                {"completion_tokens", r->completion_tokens},
                {"usage_estimated", r->usage_estimated}};
    } else {
      // A stopped or failed call reports no usage: count what was sent and received.
      const int received = llm::EstimateTokens(a.received());
      out.prompt_tokens += prompt_estimate;
      out.completion_tokens += received;
      record = {{"prompt_tokens", prompt_estimate},
                {"completion_tokens", received},
                {"usage_estimated", true}};
      if (!a.refused() && !a.gone()) {
        record["error"] = r.status().ToString();
      }
    }
    record["grounded"] = !a.refused();
    if (a.refused()) {
      record.update(a.refusal());
    }
    attempts.push_back(std::move(record));
    if (a.gone()) {
      a.Withdraw();
      out.trace["reason"] = "shopper disconnected";
      break;
    }
    if (a.refused()) {
      a.Withdraw();
      out.trace["reason"] = a.refusal()["reason"];  // regenerate once, then keep the draft
      continue;
    }
    if (!finished) {
      a.Withdraw();
      out.trace["reason"] = "model failed: " + std::string(StatusCodeName(r.status().code()));
      break;  // the backend already retried what is worth retrying
    }
    std::string text = a.released();
    TrimRight(text);
    if (text.empty()) {
      a.Withdraw();
      out.trace["reason"] = "model returned nothing";
      continue;
    }
    out.reply = std::move(text);
    out.used_model = true;
    out.streamed = sink != nullptr;
    out.backend = r->backend;
    out.citations = Citations(out.reply);
    out.trace["used"] = true;
    out.trace["backend"] = r->backend;
    out.trace.erase("reason");
    break;
  }
  out.trace["attempts"] = std::move(attempts);
  out.trace["prompt_tokens"] = out.prompt_tokens;
  out.trace["completion_tokens"] = out.completion_tokens;
  if (!out.citations.empty()) {
    out.trace["citations"] = out.citations;
  }
  out.trace["ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  return out;
}

}  // namespace kefu::engine
