// Money and quantities: a number (arabic or Chinese) with a currency or a measure word.
#include "core/utf8.h"
#include "nlu/entity_internal.h"

namespace kefu::nlu::internal {
namespace {

enum Currency { kCny = 1, kUsd = 2 };

constexpr int kMaxMoneyDigits = 9;  // integer digits before any 万/千 multiplier
constexpr int64_t kMaxQuantity = 99999;
constexpr int64_t kMaxTimesQuantity = 999;  // "x2", "×3"
constexpr double kBareWanConfidence = 0.7;  // "3.5万" with no currency word

const Lexicon& PrefixCurrencies() {
  static const Lexicon lexicon = {
      {"¥", kCny},      {"￥", kCny}, {"rmb", kCny}, {"cny", kCny},
      {"人民币", kCny}, {"$", kUsd},  {"us$", kUsd}, {"usd", kUsd},
  };
  return lexicon;
}

const Lexicon& SuffixCurrencies() {
  static const Lexicon lexicon = {
      {"元", kCny},       {"块", kCny},       {"块钱", kCny}, {"圆", kCny},  {"人民币", kCny},
      {"块人民币", kCny}, {"元人民币", kCny}, {"rmb", kCny},  {"cny", kCny}, {"yuan", kCny},
      {"美元", kUsd},     {"美金", kUsd},     {"刀", kUsd},   {"usd", kUsd}, {"dollars", kUsd},
      {"dollar", kUsd},   {"bucks", kUsd},    {"buck", kUsd},
  };
  return lexicon;
}

const Lexicon& ChineseMeasureWords() {
  static const Lexicon lexicon = {
      {"件", 1}, {"个", 1}, {"双", 1}, {"箱", 1}, {"盒", 1}, {"瓶", 1}, {"包", 1}, {"台", 1},
      {"部", 1}, {"条", 1}, {"支", 1}, {"只", 1}, {"套", 1}, {"份", 1}, {"本", 1}, {"张", 1},
      {"袋", 1}, {"对", 1}, {"副", 1}, {"顶", 1}, {"把", 1}, {"桶", 1}, {"罐", 1}, {"提", 1},
      {"片", 1}, {"颗", 1}, {"枚", 1}, {"根", 1}, {"卷", 1}, {"组", 1}, {"杯", 1}, {"听", 1},
  };
  return lexicon;
}

const Lexicon& EnglishMeasureWords() {
  static const Lexicon lexicon = {
      {"pcs", 1},   {"pc", 1},   {"pieces", 1}, {"piece", 1},   {"items", 1},  {"item", 1},
      {"units", 1}, {"unit", 1}, {"pairs", 1},  {"pair", 1},    {"boxes", 1},  {"box", 1},
      {"packs", 1}, {"pack", 1}, {"sets", 1},   {"bottles", 1}, {"bottle", 1},
  };
  return lexicon;
}

const Lexicon& QuantityCues() {
  static const Lexicon lexicon = {
      {"qty", 1},
      {"quantity", 1},
      {"数量", 1},
      {"件数", 1},
  };
  return lexicon;
}

// 万 / 千 / k / w after an arabic number: "3.5万", "2千", "3k", "1.5w".
void ApplyMultiplier(Text t, Number& num) {
  if (num.chinese) {
    return;
  }
  const char32_t c = At(t, num.end);
  const char32_t next = At(t, num.end + 1);
  int64_t factor = 0;
  if (c == U'万') {
    factor = 10000;
  } else if (c == U'千' && next != U'克' && next != U'米' && next != U'瓦') {
    factor = 1000;
  } else if ((c == 'k' || c == 'w') && !IsAlnum(next)) {
    factor = c == 'k' ? 1000 : 10000;
  }
  if (factor > 0) {
    num.hundredths *= factor;
    ++num.end;
  }
}

// The colloquial tenths after 块 or 元: "三块五" = 3.50, "5块5毛" = 5.50. Moves `end` past them
// and returns them in hundredths, or returns 0.
int64_t TrailingJiao(Text t, size_t& end) {
  const char32_t c = At(t, end);
  int digit = IsDigit(c) ? static_cast<int>(c - '0') : -1;
  if (digit < 0 && IsChineseNumeral(c)) {
    const std::optional<Number> n = ParseNumberAt(t, end);
    digit = n && n->end == end + 1 ? static_cast<int>(n->hundredths / 100) : -1;
  }
  if (digit < 1 || digit > 9) {
    return 0;
  }
  size_t k = end + 1;
  const char32_t after = At(t, k);
  if (after == U'毛' || after == U'角') {
    ++k;
  } else if (IsDigit(after) || IsChineseNumeral(after) || IsLatin(after) ||
             ChineseMeasureWords().LongestAt(t, k).length > 0) {
    return 0;  // "5块5个" or "3块50" is something else
  }
  end = k;
  return digit * 10;
}

std::string MoneyValue(int currency, int64_t hundredths) {
  return std::string(currency == kUsd ? "USD " : "CNY ") + FormatHundredths(hundredths);
}

// 块 is also a measure word ("一块蛋糕"), and 块儿 / 一块去 mean "together"; 元旦 is a holiday.
bool IsFalseCurrency(Text t, size_t unit_start, size_t unit_end) {
  const char32_t unit = t[unit_start];
  const char32_t after = At(t, unit_end);
  return (unit == U'块' && unit_end == unit_start + 1 && (after == U'儿' || after == U'去')) ||
         (unit == U'元' && after == U'旦');
}

// The currency word after a number: glued ("299元", "299rmb") or after one space ("45 dollars").
Lexicon::Match SuffixAt(Text t, size_t j) {
  Lexicon::Match m = SuffixCurrencies().LongestAt(t, j);
  if (m.length == 0 && At(t, j) == ' ' && IsLatin(At(t, j + 1))) {
    m = SuffixCurrencies().LongestAt(t, j + 1);
    if (m.length > 0) {
      ++m.length;
    }
  }
  return m;
}

}  // namespace

void ScanMoney(Text t, std::vector<Candidate>& out) {
  const size_t n = t.size();
  for (size_t i = 0; i < n; ++i) {
    // "¥299", "RMB 299", "$45", "人民币三百".
    const Lexicon::Match prefix = PrefixCurrencies().LongestAt(t, i);
    if (prefix.length > 0) {
      size_t j = i + prefix.length;
      if (At(t, j) == ' ') {
        ++j;
      }
      if (IsNumberStart(t, j) || (IsDigit(At(t, j)) && j == i + prefix.length)) {
        std::optional<Number> num = ParseNumberAt(t, j);
        if (num && num->int_digits <= kMaxMoneyDigits) {
          ApplyMultiplier(t, *num);
          size_t end = num->end;
          const Lexicon::Match suffix = SuffixAt(t, end);
          if (suffix.length > 0 && suffix.payload == prefix.payload) {
            end += suffix.length;  // "¥299元"
          }
          if (num->chinese || WordEndAt(t, end) || !IsAlnum(At(t, end - 1))) {
            out.push_back({kTypeMoney, MoneyValue(prefix.payload, num->hundredths), i, end, 1.0,
                           Rank::kMoney});
          }
        }
      }
    }
    // "299元", "三百五十块", "45 dollars", "3.5万".
    if (!IsNumberStart(t, i)) {
      continue;
    }
    std::optional<Number> num = ParseNumberAt(t, i);
    if (!num || num->int_digits > kMaxMoneyDigits) {
      continue;
    }
    const size_t number_end = num->end;
    ApplyMultiplier(t, *num);
    const Lexicon::Match suffix = SuffixAt(t, num->end);
    const size_t unit_start = At(t, num->end) == ' ' ? num->end + 1 : num->end;
    if (suffix.length > 0 && !IsFalseCurrency(t, unit_start, num->end + suffix.length)) {
      const bool loose = num->chinese && t[unit_start] == U'块';
      size_t end = num->end + suffix.length;
      if (suffix.length == 1 && !num->fraction &&
          (t[unit_start] == U'块' || t[unit_start] == U'元')) {
        num->hundredths += TrailingJiao(t, end);
      }
      out.push_back({kTypeMoney, MoneyValue(suffix.payload, num->hundredths), i, end,
                     loose ? 0.8 : 1.0, Rank::kMoney});
      continue;
    }
    // "3.5万" alone reads as money; "十万火急" and "两万" alone are too loose to.
    const bool wan = !num->chinese && num->end > number_end && t[number_end] == U'万';
    if (suffix.length == 0 && wan && ChineseMeasureWords().LongestAt(t, num->end).length == 0) {
      out.push_back({kTypeMoney, MoneyValue(kCny, num->hundredths), i, num->end, kBareWanConfidence,
                     Rank::kMoney});
    }
  }
}

void ScanQuantities(Text t, std::vector<Candidate>& out) {
  const size_t n = t.size();
  for (size_t i = 0; i < n; ++i) {
    const char32_t c = t[i];
    // "x2", "x 2", "×3", "*2".
    if ((c == 'x' && WordStartAt(t, i)) || c == 0xD7 || (c == '*' && !IsDigit(At(t, i - 1)))) {
      size_t j = i + 1;
      if (At(t, j) == ' ' && c == 'x') {
        ++j;
      }
      if (IsDigit(At(t, j))) {
        size_t k = j;
        int64_t v = 0;
        while (k < n && IsDigit(t[k]) && v <= kMaxTimesQuantity) {
          v = v * 10 + (t[k] - '0');
          ++k;
        }
        // "T恤 x2" but not the model name "星河x5智能手机": nothing may be glued after it.
        const char32_t after = At(t, k);
        const bool glued_after = IsAlnum(after) || after == '.' || utf8::IsHan(after) ||
                                 (after == ' ' && IsLatin(At(t, k + 1)));  // "x5 pro"
        const bool glued_before = i > 0 && utf8::IsHan(t[i - 1]);
        if (v > 0 && v <= kMaxTimesQuantity && !glued_after) {
          out.push_back({kTypeQuantity, std::to_string(v), i, k,
                         c != 'x'       ? 0.9
                         : glued_before ? 0.6
                                        : 0.8,
                         Rank::kQuantity});
        }
      }
      continue;
    }
    // "qty 3", "quantity: 3", "数量：3", "数量是3".
    const Lexicon::Match cue = QuantityCues().LongestAt(t, i);
    if (cue.length > 0) {
      size_t j = i + cue.length;
      for (int skip = 0; skip < 2 && (At(t, j) == ' ' || At(t, j) == ':' || At(t, j) == U'是' ||
                                      At(t, j) == U'为' || At(t, j) == '=');
           ++skip) {
        ++j;
      }
      if (IsNumberStart(t, j)) {
        const std::optional<Number> num = ParseNumberAt(t, j);
        if (num && !num->fraction && num->hundredths > 0 && num->hundredths / 100 <= kMaxQuantity &&
            WordEndAt(t, num->end)) {
          out.push_back({kTypeQuantity, std::to_string(num->hundredths / 100), i, num->end, 1.0,
                         Rank::kQuantity});
        }
      }
    }
    // "2件", "两双", "一箱", "3 pcs", "3 pieces".
    if (!IsNumberStart(t, i)) {
      continue;
    }
    const std::optional<Number> num = ParseNumberAt(t, i);
    if (!num || num->fraction || num->hundredths <= 0 || num->hundredths / 100 > kMaxQuantity) {
      continue;
    }
    const int64_t v = num->hundredths / 100;
    size_t j = num->end;
    Lexicon::Match m = ChineseMeasureWords().LongestAt(t, j);
    if (m.length == 0 && At(t, j) == ' ' && !num->chinese) {
      m = ChineseMeasureWords().LongestAt(t, j + 1);
      j += m.length > 0 ? 1 : 0;
    }
    if (m.length > 0) {
      // 个 before 月 / 星期 / 小时 / 工作日 is a duration, not a count of things.
      const char32_t after = At(t, j + m.length);
      if (t[j] == U'个' && (after == U'月' || after == U'星' || after == U'礼' || after == U'小' ||
                            after == U'工' || after == U'钟')) {
        continue;
      }
      const bool vague = num->chinese && v == 1 && t[j] == U'个';  // "一个问题"
      out.push_back(
          {kTypeQuantity, std::to_string(v), i, j + m.length, vague ? 0.5 : 1.0, Rank::kQuantity});
      continue;
    }
    if (num->chinese) {
      continue;
    }
    j = num->end;
    if (At(t, j) == ' ') {
      ++j;
    }
    m = EnglishMeasureWords().LongestAt(t, j);
    if (m.length > 0) {
      out.push_back({kTypeQuantity, std::to_string(v), i, j + m.length, 1.0, Rank::kQuantity});
    }
  }
}

}  // namespace kefu::nlu::internal
