// llm/prompt.h: builds the chat messages for one grounded reply.
//
//   PromptInput in;
//   in.lang = "zh";
//   in.persona = "你是「小铺」的客服小美。";
//   in.passages = {{"p1", "签收后7天内可无理由退货。"}};
//   in.tool_results_json = R"({"order":{"id":"20261103001","status":"shipped"}})";
//   in.history = {{"user", "你好"}, {"assistant", "您好，请问有什么可以帮您？"}};
//   in.instruction = "礼貌地询问订单号";
//   in.user_message = "我想退货";
//   for (const auto& [role, content] : BuildPrompt(in)) { /* ChatMessage{role, content} */ }
//
// The messages, in order:
//   1. system: the persona, then the rules in the conversation's language ("zh" and "mixed" get
//      Chinese, anything else English): reply in that language, brief and warm; never invent order
//      numbers, tracking numbers, amounts, prices, dates or phone numbers; use only facts from the
//      tool results and passages; cite passage ids like [p1]; never promise or perform actions
//      (the system does them); say you do not know when the passages do not answer. Then
//      PromptInput::rules, one per line.
//   2. system: the context: the dialogue summary, the passages as "[id] text" (or a line saying
//      there are none), the tool results as JSON.
//   3. the most recent history turns that fit the budget, oldest first, with their roles.
//   4. system: the flow's instruction for this turn, when there is one (a message of its own, so
//      that shopper text can never pass for an instruction).
//   5. user: the shopper's message.
// Budget: EstimateTokens over all contents, plus kMessageOverheadTokens per message, stays within
// max_prompt_tokens where it can. The system message, the instruction,
// the context (apart from its passages) and the user message are always kept; history turns are
// dropped oldest first; when even no history does not fit, passages are dropped last first.
//
// PII: passages, the summary and history turns pass through RedactForeignPii with the allowed set
// {tool_results_json, user_message, every history turn whose role is "user"}: a phone number,
// e-mail, ID-card or bank-card number that none of those contains is masked (text/pii.h), so data
// of another conversation that a passage or summary carries never reaches the model.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llm/guard.h"

namespace kefu::llm {

struct PromptTurn {
  std::string role;  // "user" or "assistant"
  std::string text;
};

struct PromptInput {
  std::string lang;  // "zh", "en" or "mixed"
  std::string persona;
  std::vector<std::string> rules;  // the shop's extra rules, one sentence each
  std::string summary;             // the dialogue state's summary
  std::vector<std::pair<std::string, std::string>> passages;  // id, text
  std::string tool_results_json;
  std::vector<PromptTurn> history;  // oldest first; excludes user_message
  std::string instruction;          // the flow's instruction for this turn
  std::string user_message;
  int max_prompt_tokens = 3000;
};

// Approximate token count, close to BPE tokenizers of Qwen/Llama class models:
//   a CJK character (Han, kana, hangul, CJK and full-width punctuation) = 1;
//   an ASCII word (a run of letters) = 1.3, plus 1 for every 6 letters past the 8th;
//   a run of digits = 1 per 3 digits (rounded up);
//   any other non-space character = 1; white space = 0.
// The sum is rounded up. Typical error is within 30% of a real tokenizer.
int EstimateTokens(std::string_view text);

// Tokens a chat template adds around each message (role markers).
constexpr int kMessageOverheadTokens = 4;

// `text` with every phone number, e-mail, ID-card and bank-card number masked (as text::MaskPii
// does) unless one of `allowed.texts` contains the same one (digits compared without separators,
// e-mails case-insensitively).
std::string RedactForeignPii(std::string_view text, const Evidence& allowed);

// (role, content) messages as described above. Roles are "system", "user" and "assistant".
std::vector<std::pair<std::string, std::string>> BuildPrompt(const PromptInput& input);

}  // namespace kefu::llm
