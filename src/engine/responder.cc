#include "engine/responder.h"

#include <algorithm>
#include <chrono>

#include "llm/guard.h"
#include "llm/prompt.h"

namespace kefu::engine {
namespace {

std::string Instruction(const RespondInput& in) {
  if (in.lang == "en") {
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

}  // namespace

Responded Responder::Respond(const RespondInput& in, RequestContext& ctx) const {
  Responded out;
  out.reply = in.draft;
  out.trace = {{"used", false}};
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
  prompt.instruction = Instruction(in);
  prompt.user_message = in.user_message;
  llm::ChatRequest request;
  for (auto& [role, content] : llm::BuildPrompt(prompt)) {
    request.messages.push_back({std::move(role), std::move(content), std::nullopt, {}});
  }
  request.max_tokens = options_.max_tokens;
  request.temperature = options_.temperature;
  request.stream = true;
  // The evidence: the draft (grounded by construction), the passages, the shopper's words.
  llm::Evidence evidence{{in.draft, in.user_message}};
  for (const auto& [id, text] : in.passages) {
    evidence.texts.push_back(text);
  }
  const llm::GroundingGuard guard(evidence);
  const auto start = std::chrono::steady_clock::now();
  nlohmann::json attempts = nlohmann::json::array();
  for (int attempt = 1; attempt <= 2; ++attempt) {
    // The model gets its own deadline inside the turn's: a slow model costs at most this.
    RequestContext model_ctx(
        ctx.trace_id(),
        std::min(ctx.deadline(), RequestContext::SteadyClock::now() +
                                     std::chrono::milliseconds(options_.first_token_timeout_ms)));
    if (ctx.Check().code() != StatusCode::kOk) {
      out.trace["reason"] = "turn deadline";
      break;
    }
    Result<llm::ChatResponse> r = backend_->Chat(request, model_ctx);
    if (!r.ok()) {
      attempts.push_back({{"error", r.status().ToString()}});
      out.trace["reason"] = "model failed: " + std::string(StatusCodeName(r.status().code()));
      break;  // the backend already retried what is worth retrying
    }
    std::string text = r->content;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
      text.pop_back();
    }
    const llm::GroundingGuard::Result check = guard.Check(text);
    nlohmann::json a = {{"backend", r->backend},
                        {"first_token_ms", r->first_token_ms},
                        {"total_ms", r->total_ms},
                        {"completion_tokens", r->completion_tokens},
                        {"grounded", check.ok}};
    if (!check.ok) {
      nlohmann::json bad = nlohmann::json::array();
      for (const llm::Fact& f : check.ungrounded) {
        bad.push_back({{"kind", llm::FactKindName(f.kind)}, {"text", f.text}});
      }
      a["ungrounded"] = bad;
    }
    attempts.push_back(std::move(a));
    if (text.empty()) {
      out.trace["reason"] = "model returned nothing";
      continue;
    }
    if (check.ok) {
      out.reply = std::move(text);
      out.used_model = true;
      out.trace["used"] = true;
      out.trace["backend"] = r->backend;
      out.trace.erase("reason");
      break;
    }
    out.trace["reason"] = "ungrounded facts";  // regenerate once, then keep the draft
  }
  out.trace["attempts"] = std::move(attempts);
  out.trace["ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  return out;
}

}  // namespace kefu::engine
