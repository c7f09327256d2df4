// llm/guard.h: the grounding guard. Every order number, tracking number, phone number, amount,
// date, time, percentage and day count in a model reply must come from this turn's evidence (tool
// results, retrieved passages, the shopper's own messages of this conversation); a reply that
// states anything else is regenerated once, then replaced by the template reply.
//
//   Evidence evidence{{tool_results_json, passage_text, shopper_message}};
//   GroundingGuard guard(evidence);           // extracts the evidence's facts once
//   SentenceStream stream;
//   for (const std::string& delta : model_deltas) {
//     for (const std::string& sentence : stream.Append(delta)) {
//       GroundingGuard::Result r = guard.Check(sentence);
//       if (!r.ok) { /* stop streaming; regenerate once, then use the template reply */ }
//       Show(sentence);
//     }
//   }
//   Check(stream.Flush()) and show it the same way.
//
// What counts as a fact (text is read after folding full-width ASCII, ￥ and a few traditional
// characters such as 塊 號 萬 to their usual forms, and ASCII letters to lower case):
//   kOrderId     a run of 10-20 digits (not a mobile number), or a run of ASCII letters and digits
//                (optionally joined by '-') with at least one letter and at least 5 digits.
//   kTracking    such an id whose letters start with a carrier prefix (SF, JD, JDV, JT, YT, ZTO,
//                STO, YD, EMS, DPK, DB, HTKY, BEST, UPS, FEDEX, DHL) and that has at least 10
//                digits.
//   kPhone       an 11-digit mobile 1[3-9]XXXXXXXXX (also 3-4-4 groups split by '-' or ' '), a
//                masked mobile 138****5678 (the mask is four of * x X • ＊), or digit groups
//                joined by '-' with 7-13 digits in all (400-820-1234).
//   kMoney       ¥ $ RMB CNY USD US$ 人民币 before a number, or 元 块 块钱 圆 yuan rmb cny 美元
//   dollars
//                usd after it (万 multiplies: 1.5万元), Chinese numerals with 元/块 (三百九十九元),
//                a bare number with exactly two decimals (399.00), and a bare number right after a
//                money word (价格 价 金额 总额 总计 合计 共计 运费 费用 退款 实付 付款 支付 补偿
//                赔付 退还, price priced total cost costs refund fee paid pay amount charge
//                charged; a ':', 为/是/了 or one of is/was/of/are/at may stand between). Value in
//                cents; currency CNY, USD or unknown.
//   kDate        2026-11-20, 2026/11/20, 2026.11.20, 2026年11月20日, 11月20日/号 (Arabic or Chinese
//                numerals), 11/20, Nov 20, Nov. 20th, November 20, 2026, 20 Nov, 20th of November.
//                Value: month-day, plus the year when written.
//   kTime        15:00, 15:00:00, 3pm, 3:30 pm, N点 / N点半 / N点15分 (下午/晚上/傍晚 before it add
//                12 hours; with Chinese numerals only after such a word: 下午三点, but not 两点).
//   kPercent     30%, 30 percent, 百分之三十.
//   kDuration    a number before 天 日 号(*) 个工作日/工作日 小时 分钟 周 星期 个月 年 (and their
//   English
//                words days, business/working days, hours, minutes, weeks, months, years); a range
//                "1-3个工作日" gives both ends the unit. (*) N日 / N号 without a month may also be
//                a day of the month, see below. A lone 一 before a unit is idiom, not a fact (一天,
//                一下); other Chinese numerals with a unit are facts (两天, 十五天).
//   kNumber      any other Arabic number (Chinese numerals without a unit are ignored). So
//                "第 2 件", "1-3", "iPhone 15" are numbers; "价格399" is money.
//
// When a reply's fact is grounded (E = the evidence's facts of every text):
//   kOrderId, kTracking  the same id is in E (case-insensitive, '-' kept).
//   kPhone       some phone of E has the same length and, at every position where the reply shows a
//                digit, the same digit: "138****5678" in a reply matches 13812345678 in E, but
//                13812345678 in a reply does not match 138****5678 in E (the hidden digits would
//                be invented).
//   kMoney       a money value of E equals it, or E has a bare number (a kNumber) of that value;
//                and the currencies agree: unknown agrees with anything, and E's bare numbers and
//                amounts without a currency take E's currency when E's explicit amounts use
//                exactly one currency (so "$399" does not match "¥399.00" nor a bare 399 next to
//                it).
//   kDate        a date of E with the same month and day and, when both give one, the same year.
//   kTime        a time of E with the same hour and minute, or 12 hours apart when the reply gives
//                no am/pm/下午 marker (3点 matches 15:00).
//   kPercent     a percentage of E with the same value, or a bare number of that value.
//   kDuration    a duration of E with the same value and unit, or a bare number of that value; a
//                N日/N号 also matches a date of E whose day is N.
//   kNumber      always grounded when it has at most 3 digits (a count, "第 2 件", "1-3"); a longer
//                one must equal some number written anywhere in E (in an id, a date, a phone's
//                visible digits: "尾号5678" matches 138****5678).
// English number words ("seven days") are not read as facts.
//
// Thread-safety: a GroundingGuard is immutable after construction; Check may be called from any
// thread. SentenceStream is a per-reply object and is not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kefu::llm {

// What a reply may draw facts from: this turn's tool results (JSON text), retrieved passages and
// the shopper's own messages of THIS conversation. Never another conversation's text.
struct Evidence {
  std::vector<std::string> texts;
};

enum class FactKind {
  kOrderId,
  kTracking,
  kPhone,
  kMoney,
  kDate,
  kTime,
  kPercent,
  kDuration,
  kNumber
};

// "order_id", "tracking", "phone", "money", "date", "time", "percent", "duration", "number".
std::string_view FactKindName(FactKind kind);

struct Fact {
  FactKind kind = FactKind::kNumber;
  std::string text;  // as written in the checked text
  bool operator==(const Fact&) const = default;
};

// The facts of `text` as the guard reads them, in text order (for tests and debugging).
std::vector<Fact> ExtractFacts(std::string_view text);

class GroundingGuard {
 public:
  struct Result {
    bool ok = true;
    std::vector<Fact> ungrounded;  // in text order
  };

  explicit GroundingGuard(const Evidence& evidence);
  ~GroundingGuard();
  GroundingGuard(const GroundingGuard&) = delete;
  GroundingGuard& operator=(const GroundingGuard&) = delete;

  // Checks a sentence or a whole reply against the evidence. REQUIRES: valid UTF-8.
  Result Check(std::string_view sentence_or_reply) const;

  struct Facts;  // the evidence's parsed facts; defined in guard.cc

 private:
  std::unique_ptr<const Facts> facts_;
};

// Releases streamed model output one complete sentence at a time so that each sentence can be
// checked before it is shown. A sentence ends after 。！？；!? or a newline (a run of them, and any
// closing quote or bracket that follows, stays with the sentence), or after '.' followed by white
// space, except after a decimal's digits with no space (3.5), a single-letter initial, a number
// alone (a list marker "1. "), or an abbreviation (No. Mr. Mrs. Ms. Dr. St. vs. e.g. i.e. approx.
// and month abbreviations like Nov.). A terminator at the very end of the buffered text waits for
// the next delta, since what follows decides where the sentence ends. Deltas may split a UTF-8
// character. Concatenating every returned piece and Flush() gives back the input exactly (white
// space after a terminator starts the next piece).
class SentenceStream {
 public:
  // Adds a delta and returns the sentences it completed, in order.
  std::vector<std::string> Append(std::string_view delta);
  // Returns what is left (possibly empty) and resets the stream.
  std::string Flush();

 private:
  std::string buffer_;
};

}  // namespace kefu::llm
