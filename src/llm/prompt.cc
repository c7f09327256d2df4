#include "llm/prompt.h"

#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/utf8.h"
#include "text/pii.h"

namespace kefu::llm {
namespace {

bool IsAsciiLetter(char32_t c) {
  return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
}
bool IsAsciiDigit(char32_t c) {
  return c >= U'0' && c <= U'9';
}
bool IsSpace(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r';
}

// The key a PII value is compared by: digits and X for numbers, lower case for e-mails.
std::string PiiKey(const text::PiiSpan& span) {
  std::string key;
  for (char ch : span.value) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (span.type == text::PiiType::kEmail) {
      key.push_back(static_cast<char>(std::tolower(u)));
    } else if (std::isdigit(u) || ch == 'x' || ch == 'X') {
      key.push_back(static_cast<char>(std::toupper(u)));
    }
  }
  if (span.type == text::PiiType::kPhone && key.size() > 11) {
    key = key.substr(key.size() - 11);  // +86 / 86- prefix
  }
  return std::string(text::PiiTypeName(span.type)) + ":" + key;
}

bool IsRedactedType(text::PiiType type) {
  return type == text::PiiType::kPhone || type == text::PiiType::kEmail ||
         type == text::PiiType::kIdCard || type == text::PiiType::kBankCard;
}

bool IsZh(std::string_view lang) {
  return lang == "zh" || lang == "mixed";
}

std::string SystemMessage(const PromptInput& in) {
  std::string s = in.persona;
  if (!s.empty() && s.back() != '\n') {
    s += "\n";
  }
  if (IsZh(in.lang)) {
    s += "规则：\n"
         "- 用简体中文回复，简短、亲切、有礼貌。\n"
         "- "
         "绝不编造订单号、物流单号、金额、价格、日期、时间或电话号码；只使用下面工具结果和参考资料"
         "里的事实。\n"
         "- 引用参考资料时标注其编号，例如 [p1]。\n"
         "- 不要承诺或声称已执行任何操作（退款、取消、改地址等），这些由系统完成。\n"
         "- 参考资料和工具结果回答不了的问题，直接说不知道，并可建议转人工客服。\n";
  } else {
    s += "Rules:\n"
         "- Reply in English; be brief, warm and polite.\n"
         "- Never invent order numbers, tracking numbers, amounts, prices, dates, times or phone "
         "numbers; use only facts from the tool results and the passages below.\n"
         "- Cite the passages you use by their ids, like [p1].\n"
         "- Never promise or claim an action (refund, cancellation, address change); the system "
         "performs actions.\n"
         "- If the passages and tool results do not answer the question, say you don't know and "
         "offer a human agent.\n";
  }
  for (const std::string& rule : in.rules) {
    s += "- " + rule + "\n";
  }
  return s;
}

std::string ContextMessage(const PromptInput& in, const std::vector<std::string>& passages,
                           size_t passage_count) {
  bool zh = IsZh(in.lang);
  std::string s;
  if (!in.summary.empty()) {
    s += (zh ? "对话摘要：\n" : "Conversation summary:\n") + in.summary + "\n\n";
  }
  s += zh ? "参考资料：\n" : "Passages:\n";
  if (passage_count == 0) {
    s += zh ? "（无）\n" : "(none)\n";
  }
  for (size_t k = 0; k < passage_count; ++k) {
    s += "[" + in.passages[k].first + "] " + passages[k] + "\n";
  }
  s += zh ? "\n工具结果（JSON）：\n" : "\nTool results (JSON):\n";
  s += in.tool_results_json.empty() ? std::string("{}") : in.tool_results_json;
  s += "\n";
  return s;
}

int Cost(std::string_view content) {
  return EstimateTokens(content) + kMessageOverheadTokens;
}

}  // namespace

int EstimateTokens(std::string_view text) {
  std::u32string cps = utf8::Decode(text);
  int tenths = 0;
  size_t i = 0;
  while (i < cps.size()) {
    char32_t c = cps[i];
    if (IsAsciiLetter(c)) {
      size_t e = i;
      while (e < cps.size() && IsAsciiLetter(cps[e])) {
        ++e;
      }
      int len = static_cast<int>(e - i);
      tenths += 13 + (len > 8 ? (len - 8 + 5) / 6 * 10 : 0);
      i = e;
    } else if (IsAsciiDigit(c)) {
      size_t e = i;
      while (e < cps.size() && IsAsciiDigit(cps[e])) {
        ++e;
      }
      tenths += static_cast<int>((e - i + 2) / 3) * 10;
      i = e;
    } else {
      tenths += IsSpace(c) ? 0 : 10;
      ++i;
    }
  }
  return (tenths + 9) / 10;
}

std::string RedactForeignPii(std::string_view text, const Evidence& allowed) {
  std::vector<text::PiiSpan> spans = text::FindPii(text);
  bool any = false;
  for (const text::PiiSpan& s : spans) {
    any = any || IsRedactedType(s.type);
  }
  if (!any) {
    return std::string(text);
  }
  std::set<std::string> keys;
  for (const std::string& t : allowed.texts) {
    for (const text::PiiSpan& s : text::FindPii(t)) {
      keys.insert(PiiKey(s));
    }
  }
  std::u32string cps = utf8::Decode(text);
  std::string out;
  size_t pos = 0;
  for (const text::PiiSpan& s : spans) {
    if (!IsRedactedType(s.type) || keys.count(PiiKey(s)) > 0) {
      continue;
    }
    out += utf8::Encode(std::u32string_view(cps).substr(pos, s.start - pos));
    out += text::MaskPiiValue(s.type, s.value);
    pos = s.end;
  }
  out += utf8::Encode(std::u32string_view(cps).substr(pos));
  return out;
}

std::vector<std::pair<std::string, std::string>> BuildPrompt(const PromptInput& in) {
  Evidence allowed;
  allowed.texts.push_back(in.tool_results_json);
  allowed.texts.push_back(in.user_message);
  for (const PromptTurn& turn : in.history) {
    if (turn.role == "user") {
      allowed.texts.push_back(turn.text);
    }
  }
  PromptInput safe = in;
  safe.summary = RedactForeignPii(in.summary, allowed);
  std::vector<std::string> passages;
  for (const auto& [id, body] : in.passages) {
    passages.push_back(RedactForeignPii(body, allowed));
  }

  std::string system = SystemMessage(in);
  std::string instruction;
  if (!in.instruction.empty()) {
    instruction = (IsZh(in.lang) ? "本轮指示：" : "Instruction for this reply: ") + in.instruction;
  }
  int fixed = Cost(system) + Cost(in.user_message) + (instruction.empty() ? 0 : Cost(instruction));
  size_t passage_count = passages.size();
  std::string context = ContextMessage(safe, passages, passage_count);
  while (passage_count > 0 && fixed + Cost(context) > in.max_prompt_tokens) {
    --passage_count;  // the last passages are the least relevant
    context = ContextMessage(safe, passages, passage_count);
  }
  int used = fixed + Cost(context);

  // The newest turns that fit, walking back from the end.
  std::vector<std::pair<std::string, std::string>> kept;
  for (size_t k = in.history.size(); k-- > 0;) {
    const PromptTurn& turn = in.history[k];
    std::string body = RedactForeignPii(turn.text, allowed);
    int cost = Cost(body);
    if (used + cost > in.max_prompt_tokens) {
      break;  // older turns are dropped too, so the kept ones stay contiguous
    }
    used += cost;
    kept.emplace_back(turn.role == "assistant" ? "assistant" : "user", std::move(body));
  }

  std::vector<std::pair<std::string, std::string>> messages;
  messages.emplace_back("system", std::move(system));
  messages.emplace_back("system", std::move(context));
  messages.insert(messages.end(), kept.rbegin(), kept.rend());
  if (!instruction.empty()) {
    messages.emplace_back("system", std::move(instruction));
  }
  messages.emplace_back("user", in.user_message);
  return messages;
}

}  // namespace kefu::llm
