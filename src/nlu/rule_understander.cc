#include <array>
#include <string_view>

#include "nlu/understanding.h"

namespace kefu::nlu {
namespace {

struct IntentRule {
  std::string_view intent;
  double confidence;
  std::vector<std::string_view> zh;  // substrings
  std::vector<std::string_view> en;  // whole words or phrases, lower case
};

// Order matters: the first rule that matches wins, so the most specific requests come first.
const std::vector<IntentRule>& Rules() {
  static const std::vector<IntentRule> rules = {
      {"human_agent",
       0.9,
       {"人工", "真人", "转客服", "客服人员", "找客服", "接线员"},
       {"human", "agent", "real person", "representative", "operator", "talk to someone"}},
      {"order_status",
       0.9,
       {"订单", "到哪", "物流", "快递", "发货", "查单", "单号", "包裹", "配送", "送到", "签收",
        "什么时候到", "到了没", "进度"},
       {"order", "orders", "track", "tracking", "package", "parcel", "shipment", "shipping",
        "delivery", "delivered", "where is my", "where's my", "arrive"}},
      {"goodbye", 0.9, {"再见", "拜拜", "回头见", "没事了"}, {"bye", "goodbye", "see you"}},
      {"thanks", 0.9, {"谢谢", "多谢", "感谢", "谢啦"}, {"thanks", "thank you", "thx", "ty"}},
      {"greeting",
       0.9,
       {"你好", "您好", "在吗", "在不在", "哈喽", "嗨", "早上好", "晚上好"},
       {"hi", "hello", "hey", "good morning", "good afternoon", "good evening", "hiya"}},
  };
  return rules;
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'';
}

// True when `phrase` occurs in `s` with no word character on either side.
bool ContainsWord(std::string_view s, std::string_view phrase) {
  size_t pos = 0;
  while ((pos = s.find(phrase, pos)) != std::string_view::npos) {
    const bool left_ok = pos == 0 || !IsWordChar(s[pos - 1]);
    const size_t end = pos + phrase.size();
    const bool right_ok = end >= s.size() || !IsWordChar(s[end]);
    if (left_ok && right_ok) {
      return true;
    }
    pos += 1;
  }
  return false;
}

bool HasOrderWordBefore(std::string_view s, size_t pos) {
  const std::string_view before = s.substr(0, pos);
  return before.find("订单") != std::string_view::npos ||
         before.find("单号") != std::string_view::npos ||
         before.find("order") != std::string_view::npos;
}

bool LooksLikeMobile(std::string_view digits) {
  return digits.size() == 11 && digits[0] == '1' && digits[1] >= '3' && digits[1] <= '9';
}

class RuleUnderstander final : public Understander {
 public:
  Understanding Understand(const text::NormalizedText& text) const override {
    Understanding u;
    u.entities = ExtractEntities(text.text);
    for (const IntentRule& rule : Rules()) {
      bool hit = false;
      for (std::string_view k : rule.zh) {
        hit = hit || text.text.find(k) != std::string::npos;
      }
      for (std::string_view k : rule.en) {
        hit = hit || ContainsWord(text.text, k);
      }
      if (hit) {
        u.intent = std::string(rule.intent);
        u.confidence = rule.confidence;
        return u;
      }
    }
    if (u.Find("order_id")) {
      u.intent = "order_status";  // a bare order number is a request to look it up
      u.confidence = 0.7;
      return u;
    }
    u.intent = "out_of_scope";
    u.confidence = 0.3;
    return u;
  }
};

}  // namespace

const Entity* Understanding::Find(std::string_view type) const {
  for (const Entity& e : entities) {
    if (e.type == type) {
      return &e;
    }
  }
  return nullptr;
}

std::vector<Entity> ExtractEntities(const std::string& s) {
  std::vector<Entity> out;
  // Byte offset -> code-point offset, counted as the scan advances.
  size_t cp_at = 0;
  size_t counted_to = 0;
  auto cp_of = [&](size_t byte) {
    for (; counted_to < byte; ++counted_to) {
      if ((static_cast<unsigned char>(s[counted_to]) & 0xC0) != 0x80) {
        ++cp_at;
      }
    }
    return cp_at;
  };
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] < '0' || s[i] > '9') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
      ++j;
    }
    // A digit run glued to Latin letters is some other code (a tracking or SKU number).
    const bool glued = (i > 0 && IsWordChar(s[i - 1])) || (j < s.size() && IsWordChar(s[j]));
    const std::string_view digits(s.data() + i, j - i);
    if (!glued) {
      const size_t start = cp_of(i);
      const size_t end = start + (j - i);  // digits are one byte each
      const std::string d(digits);
      if (digits.size() >= 10 && digits.size() <= 20) {
        if (LooksLikeMobile(digits) && !HasOrderWordBefore(s, i)) {
          out.push_back({"phone", d, start, end, d, 1.0});
        } else {
          out.push_back({"order_id", d, start, end, d, 1.0});
        }
      } else if (digits.size() == 4) {
        out.push_back({"digits4", d, start, end, d, 1.0});
      }
    }
    i = j;
  }
  return out;
}

std::unique_ptr<Understander> NewRuleUnderstander() {
  return std::make_unique<RuleUnderstander>();
}

}  // namespace kefu::nlu
