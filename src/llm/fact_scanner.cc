#include "llm/fact_scanner.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <utility>

#include "core/utf8.h"

namespace kefu::llm::detail {
bool IsDigit(char32_t c) {
  return c >= U'0' && c <= U'9';
}

namespace {
bool IsLetter(char32_t c) {
  return c >= U'a' && c <= U'z';
}
bool IsAlnum(char32_t c) {
  return IsDigit(c) || IsLetter(c);
}
bool IsMask(char32_t c) {
  return c == U'*' || c == U'x' || c == U'•';
}

char32_t Fold(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) {
    c -= 0xFEE0;
  }
  if (c >= U'A' && c <= U'Z') {
    return c - U'A' + U'a';
  }
  // Traditional forms of the characters the scanner reads, and odd spaces and the yen sign.
  static constexpr std::u32string_view kFrom = U"\uFFE5\u3000\u00A0塊號萬億圓兩點週個鐘時";
  static constexpr std::u32string_view kTo = U"¥  块号万亿圆两点周个钟时";
  size_t k = kFrom.find(c);
  return k == std::u32string_view::npos ? c : kTo[k];
}

int ChineseDigit(char32_t c) {
  static constexpr std::u32string_view kDigits = U"零一二三四五六七八九";
  if (c == U'〇') {
    return 0;
  }
  if (c == U'两') {
    return 2;
  }
  size_t k = kDigits.find(c);
  return k == std::u32string_view::npos ? -1 : static_cast<int>(k);
}

int64_t ChineseMultiplier(char32_t c) {
  static constexpr std::pair<char32_t, int64_t> kMultipliers[] = {
      {U'十', 10}, {U'百', 100}, {U'千', 1000}, {U'万', 10000}, {U'亿', 100000000}};
  for (const auto& [ch, m] : kMultipliers) {
    if (ch == c) {
      return m;
    }
  }
  return 0;
}

bool IsChineseNumeral(char32_t c) {
  return ChineseDigit(c) >= 0 || ChineseMultiplier(c) > 0;
}

struct Number {
  size_t start = 0;
  size_t end = 0;
  int64_t value = 0;  // hundredths
  int int_digits = 0;
  int frac_digits = 0;
  bool chinese = false;
  bool lone_one = false;  // the single character 一
};

constexpr std::array<std::string_view, 12> kMonths = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

int MonthFromWord(std::u32string_view w) {
  std::string a;
  for (char32_t c : w) {
    a.push_back(static_cast<char>(c));
  }
  if (a == "sept") {
    return 9;
  }
  for (size_t m = 0; m < kMonths.size(); ++m) {
    if (a == kMonths[m] || (a.size() == 3 && kMonths[m].substr(0, 3) == a)) {
      return static_cast<int>(m) + 1;
    }
  }
  return 0;
}

bool IsCarrierPrefix(std::u32string_view letters) {
  static const std::set<std::u32string_view> kCarriers = {
      U"sf",  U"jd",  U"jdv", U"jt",   U"yt",   U"zto",   U"sto", U"yd",
      U"ems", U"dpk", U"db",  U"htky", U"best", U"fedex", U"ups", U"dhl"};
  return kCarriers.count(letters) > 0;
}

class Scanner {
 public:
  Scanner(const std::u32string& folded, const std::u32string& original)
      : s_(folded), orig_(original) {}

  std::vector<Parsed> Run() {
    size_t i = 0;
    while (i < s_.size()) {
      i = Step(i);
    }
    return std::move(out_);
  }

 private:
  char32_t At(size_t j) const { return j < s_.size() ? s_[j] : U'\0'; }

  bool StartsWith(size_t j, std::u32string_view w) const {
    return s_.size() >= j + w.size() && std::u32string_view(s_).substr(j, w.size()) == w;
  }

  // True when the ASCII word w starts at j and is not followed by a letter.
  bool WordAt(size_t j, std::u32string_view w) const {
    return StartsWith(j, w) && !IsLetter(At(j + w.size()));
  }

  size_t SkipSpaces(size_t j) const {
    while (At(j) == U' ' || At(j) == U'\t') {
      ++j;
    }
    return j;
  }

  size_t DigitRunEnd(size_t j) const {
    while (IsDigit(At(j))) {
      ++j;
    }
    return j;
  }

  static int64_t DigitsValue(std::u32string_view d) {
    int64_t v = 0;
    for (char32_t c : d) {
      if (v > INT64_MAX / 100) {
        return INT64_MAX / 100;
      }
      v = v * 10 + (c - U'0');
    }
    return v;
  }

  // An Arabic number at j: digits, ASCII-comma thousands groups, a decimal part.
  std::optional<Number> ReadArabic(size_t j) const {
    if (!IsDigit(At(j))) {
      return std::nullopt;
    }
    Number n;
    n.start = j;
    size_t e = DigitRunEnd(j);
    std::u32string digits(s_.substr(j, e - j));
    // Thousands groups only with an ASCII comma as written (a folded '，' separates a list).
    while (At(e) == U',' && orig_[e] == U',' && DigitRunEnd(j) - j <= 3 &&
           DigitRunEnd(e + 1) == e + 4) {
      digits += s_.substr(e + 1, 3);
      e += 4;
    }
    n.int_digits = static_cast<int>(digits.size());
    int64_t value = DigitsValue(digits) * kScale;
    if (At(e) == U'.' && IsDigit(At(e + 1))) {
      size_t f = DigitRunEnd(e + 1);
      n.frac_digits = static_cast<int>(f - e - 1);
      int64_t frac = 0;
      int64_t scale = 10;
      for (size_t k = e + 1; k < f && scale >= 1; ++k, scale /= 10) {
        frac += (s_[k] - U'0') * scale;
      }
      value += frac;
      e = f;
    }
    n.value = value;
    n.end = e;
    return n;
  }

  std::optional<Number> ReadChinese(size_t j) const {
    size_t e = j;
    while (IsChineseNumeral(At(e))) {
      ++e;
    }
    if (e == j) {
      return std::nullopt;
    }
    Number n;
    n.start = j;
    n.end = e;
    n.chinese = true;
    n.lone_one = (e == j + 1 && s_[j] == U'一');
    bool has_multiplier = false;
    for (size_t k = j; k < e; ++k) {
      has_multiplier = has_multiplier || ChineseMultiplier(s_[k]) > 0;
    }
    int64_t v = 0;
    if (!has_multiplier) {  // 二零二六: digit by digit
      for (size_t k = j; k < e; ++k) {
        v = v * 10 + ChineseDigit(s_[k]);
      }
    } else {
      int64_t total = 0;
      int64_t section = 0;
      int64_t digit = 0;
      for (size_t k = j; k < e; ++k) {
        int d = ChineseDigit(s_[k]);
        if (d >= 0) {
          digit = d;
          continue;
        }
        int64_t m = ChineseMultiplier(s_[k]);
        if (m >= 10000) {
          total = (total + section + digit) * m;
          section = 0;
        } else {
          section += (digit == 0 ? 1 : digit) * m;
        }
        digit = 0;
      }
      v = total + section + digit;
    }
    n.value = v * kScale;
    n.int_digits = static_cast<int>(std::to_string(v).size());
    return n;
  }

  std::optional<Number> ReadNumber(size_t j, bool chinese) const {
    return chinese ? ReadChinese(j) : ReadArabic(j);
  }

  void Emit(Parsed p) { out_.push_back(std::move(p)); }

  void EmitNumber(const Number& n) {
    if (n.chinese) {
      return;  // a Chinese numeral without a unit is prose (一下, 一起), not a fact
    }
    Parsed p;
    p.start = n.start;
    p.end = n.end;
    p.value = n.value;
    if (n.frac_digits == 2 || MoneyWordBefore(n.start)) {
      p.kind = FactKind::kMoney;  // 399.00, 价格399
    } else {
      p.kind = FactKind::kNumber;
      p.digits = n.int_digits + n.frac_digits;
    }
    Emit(p);
  }

  static bool ValidMonthDay(int64_t m, int64_t d) { return m >= 1 && m <= 12 && d >= 1 && d <= 31; }

  void EmitDate(size_t start, size_t end, int year, int month, int day) {
    Parsed p;
    p.kind = FactKind::kDate;
    p.start = start;
    p.end = end;
    p.year = year;
    p.month = month;
    p.day = day;
    Emit(p);
  }

  void EmitTime(size_t start, size_t end, int hour, int minute, bool marked) {
    Parsed p;
    p.kind = FactKind::kTime;
    p.start = start;
    p.end = end;
    p.hour = hour;
    p.minute = minute;
    p.hour_marked = marked;
    Emit(p);
  }

  // hh:mm(:ss) with an optional am/pm at j; returns its end or 0.
  size_t TryClock(size_t j, size_t start, int64_t hour) {
    if (At(j) != U':' || !IsDigit(At(j + 1)) || DigitRunEnd(j + 1) != j + 3 || hour > 24) {
      return 0;
    }
    int minute = static_cast<int>((s_[j + 1] - U'0') * 10 + (s_[j + 2] - U'0'));
    if (minute >= 60) {
      return 0;
    }
    size_t e = j + 3;
    if (At(e) == U':' && DigitRunEnd(e + 1) == e + 3) {
      e += 3;
    }
    bool marked = false;
    int h = static_cast<int>(hour);
    size_t a = SkipSpaces(e);
    size_t ap = AmPm(a, h);
    if (ap != 0) {
      e = ap;
      marked = true;
    }
    EmitTime(start, e, h, minute, marked);
    return e;
  }

  // am/pm at j (am, a.m., pm, p.m.): adjusts hour and returns the end, or 0.
  size_t AmPm(size_t j, int& hour) const {
    for (std::u32string_view w : {U"a.m.", U"p.m.", U"am", U"pm"}) {
      if (StartsWith(j, w) && !IsLetter(At(j + w.size()))) {
        bool pm = w[0] == U'p';
        if (hour > 12) {
          return 0;
        }
        if (pm && hour < 12) {
          hour += 12;
        } else if (!pm && hour == 12) {
          hour = 0;
        }
        return j + w.size();
      }
    }
    return 0;
  }

  // A duration unit at j (Chinese right after, English after spaces or '-'); returns its end.
  std::optional<std::pair<Unit, size_t>> DurationUnit(size_t j, bool& may_be_date,
                                                      bool& day_of_month) const {
    may_be_date = false;
    day_of_month = false;
    struct Zh {
      std::u32string_view w;
      Unit unit;
    };
    static constexpr Zh kZh[] = {
        {U"个工作日", Unit::kWorkday}, {U"工作日", Unit::kWorkday}, {U"个小时", Unit::kHour},
        {U"小时", Unit::kHour},        {U"分钟", Unit::kMinute},    {U"个星期", Unit::kWeek},
        {U"星期", Unit::kWeek},        {U"个月", Unit::kMonth},     {U"天", Unit::kDay},
        {U"周", Unit::kWeek},          {U"年", Unit::kYear},
    };
    size_t k = SkipSpaces(j);
    for (const Zh& z : kZh) {
      if (StartsWith(k, z.w)) {
        return std::make_pair(z.unit, k + z.w.size());
      }
    }
    if (At(k) == U'日') {
      may_be_date = true;
      return std::make_pair(Unit::kDay, k + 1);
    }
    if (At(k) == U'号') {
      day_of_month = true;
      return std::make_pair(Unit::kDay, k + 1);
    }
    if (At(k) == U'-' && IsLetter(At(k + 1))) {
      ++k;  // 7-day
    }
    struct En {
      std::u32string_view w;
      Unit unit;
    };
    static constexpr En kEn[] = {
        {U"business days", Unit::kWorkday},
        {U"business day", Unit::kWorkday},
        {U"working days", Unit::kWorkday},
        {U"working day", Unit::kWorkday},
        {U"workdays", Unit::kWorkday},
        {U"days", Unit::kDay},
        {U"day", Unit::kDay},
        {U"hours", Unit::kHour},
        {U"hour", Unit::kHour},
        {U"hrs", Unit::kHour},
        {U"hr", Unit::kHour},
        {U"h", Unit::kHour},
        {U"minutes", Unit::kMinute},
        {U"minute", Unit::kMinute},
        {U"mins", Unit::kMinute},
        {U"min", Unit::kMinute},
        {U"weeks", Unit::kWeek},
        {U"week", Unit::kWeek},
        {U"months", Unit::kMonth},
        {U"month", Unit::kMonth},
        {U"years", Unit::kYear},
        {U"year", Unit::kYear},
    };
    for (const En& en : kEn) {
      if (WordAt(k, en.w)) {
        return std::make_pair(en.unit, k + en.w.size());
      }
    }
    return std::nullopt;
  }

  // A money unit after a number at j; sets currency and multiplier, returns its end.
  std::optional<size_t> MoneyUnit(size_t j, Currency& cur, int64_t& mult) const {
    mult = 1;
    size_t k = SkipSpaces(j);
    if (At(k) == U'万') {
      mult = 10000;
      ++k;
    }
    static constexpr std::pair<std::u32string_view, Currency> kZh[] = {
        {U"块钱", Currency::kCny}, {U"元", Currency::kCny},   {U"块", Currency::kCny},
        {U"圆", Currency::kCny},   {U"美元", Currency::kUsd}, {U"美金", Currency::kUsd},
    };
    for (const auto& [w, c] : kZh) {
      if (StartsWith(k, w)) {
        cur = c;
        return k + w.size();
      }
    }
    if (mult != 1) {
      return std::nullopt;
    }
    static constexpr std::pair<std::u32string_view, Currency> kEn[] = {
        {U"yuan", Currency::kCny},  {U"rmb", Currency::kCny},     {U"cny", Currency::kCny},
        {U"usd", Currency::kUsd},   {U"dollars", Currency::kUsd}, {U"dollar", Currency::kUsd},
        {U"bucks", Currency::kUsd},
    };
    for (const auto& [w, c] : kEn) {
      if (WordAt(k, w)) {
        cur = c;
        return k + w.size();
      }
    }
    return std::nullopt;
  }

  // An English month word at j followed by a day: "nov 20", "nov. 20th, 2026". Returns the end.
  size_t TryMonthFirst(size_t j) {
    size_t w = j;
    while (IsLetter(At(w))) {
      ++w;
    }
    int month = MonthFromWord(std::u32string_view(s_).substr(j, w - j));
    if (month == 0) {
      return 0;
    }
    size_t k = w;
    if (At(k) == U'.') {
      ++k;
    }
    k = SkipSpaces(k);
    size_t d_end = DigitRunEnd(k);
    if (d_end == k || d_end - k > 2) {
      return 0;
    }
    int day = static_cast<int>(DigitsValue(s_.substr(k, d_end - k)));
    if (!ValidMonthDay(month, day) || At(d_end) == U':') {
      return 0;
    }
    size_t e = SkipOrdinal(d_end);
    int year = 0;
    size_t y = At(e) == U',' ? SkipSpaces(e + 1) : SkipSpaces(e);
    if (DigitRunEnd(y) == y + 4) {
      year = static_cast<int>(DigitsValue(s_.substr(y, 4)));
      e = y + 4;
    }
    EmitDate(j, e, year, month, day);
    return e;
  }

  size_t SkipOrdinal(size_t j) const {
    for (std::u32string_view w : {U"st", U"nd", U"rd", U"th"}) {
      if (WordAt(j, w)) {
        return j + 2;
      }
    }
    return j;
  }

  // "20 november 2026", "20th of nov": returns the end, or 0.
  size_t TryDayFirst(const Number& n) {
    if (n.chinese || n.frac_digits > 0 || n.int_digits > 2) {
      return 0;
    }
    size_t k = SkipOrdinal(n.end);
    k = SkipSpaces(k);
    if (WordAt(k, U"of")) {
      k = SkipSpaces(k + 2);
    }
    size_t w = k;
    while (IsLetter(At(w))) {
      ++w;
    }
    if (w == k) {
      return 0;
    }
    int month = MonthFromWord(std::u32string_view(s_).substr(k, w - k));
    int day = static_cast<int>(n.value / kScale);
    if (month == 0 || !ValidMonthDay(month, day)) {
      return 0;
    }
    size_t e = w;
    size_t after = At(w) == U'.' ? w + 1 : w;  // "20 Nov. 2026"; a sentence's period stays out
    int year = 0;
    size_t y = At(after) == U',' ? SkipSpaces(after + 1) : SkipSpaces(after);
    if (DigitRunEnd(y) == y + 4) {
      year = static_cast<int>(DigitsValue(s_.substr(y, 4)));
      e = y + 4;
    }
    EmitDate(n.start, e, year, month, day);
    return e;
  }

  // 2026-11-20, 2026/11/20, 2026.11.20, optionally followed by T or ' ' and a clock time.
  size_t TryIsoDate(size_t j) {
    if (DigitRunEnd(j) != j + 4) {
      return 0;
    }
    char32_t sep = At(j + 4);
    if (sep != U'-' && sep != U'/' && sep != U'.') {
      return 0;
    }
    size_t m0 = j + 5;
    size_t m1 = DigitRunEnd(m0);
    if (m1 == m0 || m1 - m0 > 2 || At(m1) != sep) {
      return 0;
    }
    size_t d0 = m1 + 1;
    size_t d1 = DigitRunEnd(d0);
    if (d1 == d0 || d1 - d0 > 2) {
      return 0;
    }
    int64_t month = DigitsValue(s_.substr(m0, m1 - m0));
    int64_t day = DigitsValue(s_.substr(d0, d1 - d0));
    if (!ValidMonthDay(month, day)) {
      return 0;
    }
    EmitDate(j, d1, static_cast<int>(DigitsValue(s_.substr(j, 4))), static_cast<int>(month),
             static_cast<int>(day));
    size_t t = d1;
    if (At(t) == U't' || At(t) == U' ') {
      size_t h0 = t + 1;
      size_t h1 = DigitRunEnd(h0);
      if (h1 > h0 && h1 - h0 <= 2) {
        size_t e = TryClock(h1, h0, DigitsValue(s_.substr(h0, h1 - h0)));
        if (e != 0) {
          return e;
        }
      }
    }
    return d1;
  }

  // An id run at j: ASCII letters and digits, '-' between them; an id when it has a letter and
  // at least 5 digits. Returns its end, or 0.
  size_t TryIdRun(size_t j) {
    size_t e = j;
    int digits = 0;
    bool letter = false;
    while (true) {
      if (IsAlnum(At(e))) {
        digits += IsDigit(At(e)) ? 1 : 0;
        letter = letter || IsLetter(At(e));
        ++e;
      } else if (At(e) == U'-' && e > j && IsAlnum(At(e + 1))) {
        ++e;
      } else {
        break;
      }
    }
    if (!letter || digits < 5) {
      return 0;
    }
    Parsed p;
    p.start = j;
    p.end = e;
    p.id = Encode(j, e);
    size_t l = j;
    while (IsLetter(At(l))) {
      ++l;
    }
    p.kind = (digits >= 10 && IsCarrierPrefix(std::u32string_view(s_).substr(j, l - j)))
                 ? FactKind::kTracking
                 : FactKind::kOrderId;
    Emit(p);
    return e;
  }

  std::string Encode(size_t a, size_t b) const {
    return utf8::Encode(std::u32string_view(s_).substr(a, b - a));
  }

  static bool IsMobile(std::u32string_view d) {
    return d.size() == 11 && d[0] == U'1' && d[1] >= U'3' && d[1] <= U'9';
  }

  void EmitPhone(size_t start, size_t end, std::string pattern) {
    Parsed p;
    p.kind = FactKind::kPhone;
    p.start = start;
    p.end = end;
    p.id = std::move(pattern);
    Emit(p);
  }

  // Digit runs at j: long ids, mobiles (plain, 3-4-4, masked), '-' joined groups. Returns the
  // end, or 0.
  size_t TryDigitIds(size_t j) {
    size_t e = DigitRunEnd(j);
    std::u32string_view run = std::u32string_view(s_).substr(j, e - j);
    if (run.size() == 3 && run[0] == U'1') {
      // 138****5678
      size_t m = e;
      while (m < e + 4 && IsMask(At(m))) {
        ++m;
      }
      if (m == e + 4 && DigitRunEnd(m) == m + 4) {
        EmitPhone(j, m + 4, Encode(j, e) + "????" + Encode(m, m + 4));
        return m + 4;
      }
      // 138-1234-5678, 138 1234 5678
      char32_t sep = At(e);
      if ((sep == U'-' || sep == U' ') && DigitRunEnd(e + 1) == e + 5 && At(e + 5) == sep &&
          DigitRunEnd(e + 6) == e + 10) {
        std::string d = Encode(j, e) + Encode(e + 1, e + 5) + Encode(e + 6, e + 10);
        EmitPhone(j, e + 10, d);
        return e + 10;
      }
    }
    if (At(e) == U'-' && IsDigit(At(e + 1))) {
      // Groups joined by '-': a phone (0/1/4/8 first) or an id when 7+ digits.
      size_t k = e;
      std::string d = Encode(j, e);
      while (At(k) == U'-' && IsDigit(At(k + 1))) {
        size_t g = DigitRunEnd(k + 1);
        d += Encode(k + 1, g);
        k = g;
      }
      if (d.size() >= 7 && !IsLetter(At(k))) {
        if (d.size() <= 13 && (d[0] == '0' || d[0] == '1' || d[0] == '4' || d[0] == '8')) {
          EmitPhone(j, k, d);
        } else {
          Parsed p;
          p.kind = FactKind::kOrderId;
          p.start = j;
          p.end = k;
          p.id = Encode(j, k);
          Emit(p);
        }
        return k;
      }
    }
    if (IsLetter(At(e)) || (At(e) == U'.' && IsDigit(At(e + 1)))) {
      return 0;
    }
    if (IsMobile(run) && !(At(e) == U',' && orig_[e] == U',')) {
      EmitPhone(j, e, Encode(j, e));
      return e;
    }
    if (run.size() >= 10 && run.size() <= 20) {
      Parsed p;
      p.kind = FactKind::kOrderId;
      p.start = j;
      p.end = e;
      p.id = Encode(j, e);
      Emit(p);
      return e;
    }
    return 0;
  }

  // Money with a prefix at j (after the prefix, at k).
  size_t TryMoneyAfterPrefix(size_t j, size_t k, Currency cur) {
    k = SkipSpaces(k);
    std::optional<Number> n = ReadArabic(k);
    if (!n) {
      n = ReadChinese(k);
    }
    if (!n) {
      return 0;
    }
    size_t e = n->end;
    Currency suffix_cur = cur;
    int64_t mult = 1;
    std::optional<size_t> u = MoneyUnit(e, suffix_cur, mult);
    if (u) {
      e = *u;
    }
    Parsed p;
    p.kind = FactKind::kMoney;
    p.start = j;
    p.end = e;
    p.value = n->value * mult;
    p.currency = cur;
    Emit(p);
    return e;
  }

  // After a number: ranges and units. Returns the end of what was consumed.
  size_t Suffix(const Number& a) {
    size_t j = SkipSpaces(a.end);
    // A range: 1-3个工作日, 3~5天, 3到5天, 1 to 3 days.
    size_t r = 0;
    if (At(j) == U'-' || At(j) == U'~' || At(j) == U'至' || At(j) == U'到') {
      r = j + 1;
    } else if (WordAt(j, U"to")) {
      r = j + 2;
    }
    if (r != 0) {
      std::optional<Number> b = ReadNumber(SkipSpaces(r), a.chinese);
      if (b) {
        size_t before = out_.size();
        size_t e = Unit1(*b);
        if (out_.size() == before + 1 && out_.back().kind != FactKind::kNumber &&
            out_.back().kind != FactKind::kDate && out_.back().kind != FactKind::kTime) {
          Parsed first = out_.back();
          first.start = a.start;
          first.end = a.end;
          int64_t mult =
              (first.kind == FactKind::kMoney && b->value != 0) ? first.value / b->value : 1;
          first.value = a.value * mult;
          out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(before), first);
          return e;
        }
        out_.resize(before);
      }
    }
    return Unit1(a);
  }

  // A single number and its unit.
  size_t Unit1(const Number& n) {
    size_t j = SkipSpaces(n.end);
    size_t k = n.end;  // Chinese units follow directly or after spaces
    // Percent.
    if (At(j) == U'%') {
      return EmitValue(FactKind::kPercent, n, j + 1);
    }
    if (!n.chinese && (WordAt(j, U"percent") || StartsWith(j, U"per cent"))) {
      return EmitValue(FactKind::kPercent, n, j + (At(j + 3) == U' ' ? 8 : 7));
    }
    // Dates: 2026年11月20日, 11月20日, 11月20号.
    int64_t whole = n.value / kScale;
    if (n.frac_digits == 0) {
      size_t y = SkipSpaces(k);
      if (At(y) == U'年' && whole >= 1000) {
        size_t m0 = SkipSpaces(y + 1);
        std::optional<Number> m = ReadNumber(m0, n.chinese || IsChineseNumeral(At(m0)));
        if (m) {
          size_t e = TryMonthDay(*m, static_cast<int>(whole), n.start);
          if (e != 0) {
            return e;
          }
        }
        EmitNumber(n);
        return y + 1;
      }
      size_t e = TryMonthDay(n, 0, n.start);
      if (e != 0) {
        return e;
      }
    }
    // Money.
    Currency cur = Currency::kUnknown;
    int64_t mult = 1;
    if (std::optional<size_t> u = MoneyUnit(k, cur, mult)) {
      if (!(n.lone_one && mult == 1 && StartsWith(SkipSpaces(k), U"块"))) {  // 一块儿
        Parsed p;
        p.kind = FactKind::kMoney;
        p.start = n.start;
        p.end = *u;
        p.value = n.value * mult;
        p.currency = cur;
        Emit(p);
        return *u;
      }
    }
    if (n.frac_digits == 0) {
      if (size_t e = TryDianTime(n); e != 0) {
        return e;
      }
    }
    if (n.frac_digits == 0 && !n.chinese) {
      // Clock times: 15:00, 3pm.
      if (size_t e = TryClock(n.end, n.start, whole); e != 0) {
        return e;
      }
      int hour = static_cast<int>(whole);
      if (whole <= 12) {
        if (size_t e = AmPm(SkipSpaces(n.end), hour); e != 0) {
          EmitTime(n.start, e, hour, 0, true);
          return e;
        }
      }
      // m/d.
      if (At(n.end) == U'/' && n.int_digits <= 2) {
        size_t d1 = DigitRunEnd(n.end + 1);
        if (d1 > n.end + 1 && d1 - n.end - 1 <= 2 && At(d1) != U'/' && At(d1) != U'.') {
          int64_t day = DigitsValue(s_.substr(n.end + 1, d1 - n.end - 1));
          if (ValidMonthDay(whole, day)) {
            EmitDate(n.start, d1, 0, static_cast<int>(whole), static_cast<int>(day));
            return d1;
          }
        }
      }
      if (size_t e = TryDayFirst(n); e != 0) {
        return e;
      }
    }
    // Durations.
    bool may_be_date = false;
    bool day_of_month = false;
    if (auto u = DurationUnit(k, may_be_date, day_of_month)) {
      bool chinese_unit = u->second > k && !IsLetter(s_[u->second - 1]);
      if (n.chinese && !chinese_unit) {
        EmitNumber(n);
        return n.end;
      }
      if (n.lone_one) {
        return u->second;  // 一天, 一周: idiom
      }
      if (u->first == Unit::kYear && whole >= 1000) {
        EmitNumber(n);  // 2026年
        return u->second;
      }
      Parsed p;
      p.start = n.start;
      p.end = u->second;
      p.value = n.value;
      if (day_of_month) {
        p.kind = FactKind::kDate;
        p.day = static_cast<int>(whole);
      } else {
        p.kind = FactKind::kDuration;
        p.unit = u->first;
        p.day_may_be_date = may_be_date;
      }
      Emit(p);
      return u->second;
    }
    EmitNumber(n);
    return n.end;
  }

  // N点, N点半, N点15分; 下午/晚上 before it adds 12 hours. A Chinese numeral needs such a prefix
  // (两点 alone is "two points"). Returns the end, or 0.
  size_t TryDianTime(const Number& n) {
    size_t k = SkipSpaces(n.end);
    int64_t whole = n.value / kScale;
    if (At(k) != U'点' || whole > 24) {
      return 0;
    }
    int hour = static_cast<int>(whole);
    bool marked = false;
    size_t b = SkipBackSpaces(n.start);
    for (std::u32string_view w : {U"下午", U"晚上", U"傍晚", U"上午", U"早上", U"凌晨", U"中午"}) {
      if (b >= w.size() && std::u32string_view(s_).substr(b - w.size(), w.size()) == w) {
        marked = true;
        bool pm = w == U"下午" || w == U"晚上" || w == U"傍晚" || (w == U"中午" && hour < 3);
        if (pm && hour < 12) {
          hour += 12;
        }
      }
    }
    if (n.chinese && !marked) {
      return 0;
    }
    size_t e = k + 1;
    int minute = 0;
    if (At(e) == U'半') {
      minute = 30;
      ++e;
    } else if (size_t me = DigitRunEnd(e); me > e && me - e <= 2 && At(me) == U'分') {
      minute = static_cast<int>(DigitsValue(s_.substr(e, me - e)));
      e = me + 1;
    }
    EmitTime(n.start, e, hour, minute, marked);
    return e;
  }

  // True when a money word stands right before j ("价格：399", "total of 399").
  bool MoneyWordBefore(size_t j) const {
    size_t b = j;
    auto skip = [&] {
      while (b > 0 && (s_[b - 1] == U' ' || s_[b - 1] == U':' || s_[b - 1] == U'为' ||
                       s_[b - 1] == U'是' || s_[b - 1] == U'了')) {
        --b;
      }
    };
    auto ends_with = [&](std::u32string_view w) {
      return b >= w.size() && std::u32string_view(s_).substr(b - w.size(), w.size()) == w &&
             (!IsLetter(w[0]) || b == w.size() || !IsLetter(s_[b - w.size() - 1]));
    };
    skip();
    for (std::u32string_view w : {U"is", U"was", U"of", U"are", U"at"}) {
      if (ends_with(w)) {
        b -= w.size();
        skip();
        break;
      }
    }
    static constexpr std::u32string_view kWords[] = {
        U"价格",   U"价",   U"金额",  U"总额",   U"总计",   U"合计",   U"共计",
        U"运费",   U"费用", U"退款",  U"实付",   U"付款",   U"支付",   U"补偿",
        U"赔付",   U"退还", U"price", U"priced", U"total",  U"cost",   U"costs",
        U"refund", U"fee",  U"paid",  U"pay",    U"amount", U"charge", U"charged"};
    for (std::u32string_view w : kWords) {
      if (ends_with(w)) {
        return true;
      }
    }
    return false;
  }

  size_t SkipBackSpaces(size_t j) const {
    while (j > 0 && s_[j - 1] == U' ') {
      --j;
    }
    return j;
  }

  size_t EmitValue(FactKind kind, const Number& n, size_t end) {
    Parsed p;
    p.kind = kind;
    p.start = n.start;
    p.end = end;
    p.value = n.value;
    Emit(p);
    return end;
  }

  // m月d日 / m月d号 with m at n. Returns the end, or 0.
  size_t TryMonthDay(const Number& m, int year, size_t start) {
    size_t k = SkipSpaces(m.end);
    if (At(k) != U'月') {
      return 0;
    }
    size_t d0 = SkipSpaces(k + 1);
    std::optional<Number> d = ReadNumber(d0, IsChineseNumeral(At(d0)));
    if (!d) {
      return 0;
    }
    size_t e = SkipSpaces(d->end);
    int64_t month = m.value / kScale;
    int64_t day = d->value / kScale;
    if ((At(e) != U'日' && At(e) != U'号') || !ValidMonthDay(month, day)) {
      return 0;
    }
    EmitDate(start, e + 1, year, static_cast<int>(month), static_cast<int>(day));
    return e + 1;
  }

  size_t Step(size_t i) {
    char32_t c = s_[i];
    if (IsDigit(c)) {
      if (size_t e = TryIsoDate(i); e != 0) {
        return e;
      }
      if (size_t e = TryIdRun(i); e != 0) {
        return e;
      }
      if (size_t e = TryDigitIds(i); e != 0) {
        return e;
      }
      std::optional<Number> n = ReadArabic(i);
      return Suffix(*n);
    }
    if (IsLetter(c)) {
      if (size_t e = TryIdRun(i); e != 0) {
        return e;
      }
      if (size_t e = TryMonthFirst(i); e != 0) {
        return e;
      }
      if (StartsWith(i, U"us$")) {
        if (size_t e = TryMoneyAfterPrefix(i, i + 3, Currency::kUsd); e != 0) {
          return e;
        }
      }
      for (auto [w, cur] : {std::pair{std::u32string_view(U"rmb"), Currency::kCny},
                            std::pair{std::u32string_view(U"cny"), Currency::kCny},
                            std::pair{std::u32string_view(U"usd"), Currency::kUsd}}) {
        if (WordAt(i, w)) {
          if (size_t e = TryMoneyAfterPrefix(i, i + 3, cur); e != 0) {
            return e;
          }
        }
      }
      size_t e = i;
      while (IsLetter(At(e))) {
        ++e;
      }
      return e;
    }
    if (c == U'¥' || c == U'$') {
      if (size_t e = TryMoneyAfterPrefix(i, i + 1, c == U'$' ? Currency::kUsd : Currency::kCny);
          e != 0) {
        return e;
      }
      return i + 1;
    }
    if (StartsWith(i, U"人民币")) {
      if (size_t e = TryMoneyAfterPrefix(i, i + 3, Currency::kCny); e != 0) {
        return e;
      }
      return i + 3;
    }
    if (StartsWith(i, U"百分之")) {
      size_t k = i + 3;
      std::optional<Number> n = IsDigit(At(k)) ? ReadArabic(k) : ReadChinese(k);
      if (n) {
        n->start = i;
        return EmitValue(FactKind::kPercent, *n, n->end);
      }
      return i + 3;
    }
    if (IsChineseNumeral(c)) {
      std::optional<Number> n = ReadChinese(i);
      return Suffix(*n);
    }
    return i + 1;
  }

  const std::u32string& s_;
  const std::u32string& orig_;
  std::vector<Parsed> out_;
};

}  // namespace
Folded FoldText(std::string_view text) {
  Folded f;
  f.original = utf8::Decode(text);
  f.folded.reserve(f.original.size());
  for (char32_t c : f.original) {
    f.folded.push_back(Fold(c));
  }
  return f;
}

std::vector<Parsed> Parse(const Folded& f) {
  return Scanner(f.folded, f.original).Run();
}

std::string TextOf(const Folded& f, const Parsed& p) {
  return utf8::Encode(std::u32string_view(f.original).substr(p.start, p.end - p.start));
}

bool PhoneMatches(const std::string& reply, const std::string& evidence) {
  if (reply.size() != evidence.size()) {
    return false;
  }
  for (size_t k = 0; k < reply.size(); ++k) {
    if (reply[k] != '?' && reply[k] != evidence[k]) {
      return false;
    }
  }
  return true;
}

bool CurrencyAgrees(Currency a, Currency b) {
  return a == Currency::kUnknown || b == Currency::kUnknown || a == b;
}

}  // namespace kefu::llm::detail
