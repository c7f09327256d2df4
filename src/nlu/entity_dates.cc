// Dates, absolute and relative, resolved to a calendar day in the shop's time zone. Weeks start
// on Monday; see entities.h for what 上周五 and "last friday" mean.
#include <cstdio>
#include <cstdlib>

#include "nlu/entity_internal.h"

namespace kefu::nlu::internal {
namespace {

constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2100;
constexpr int64_t kMaxRelativeCount = 3650;
constexpr double kBareWeekdayConfidence = 0.7;
constexpr double kPeriodConfidence = 0.8;  // a week or month given by its first day
constexpr double kBareDayConfidence = 0.8;

// Payloads of the week and month lexicons: the offset in weeks or months, or kBare for a
// weekday word with no 上/这/下 before it.
constexpr int kBare = 100;
constexpr int kMonthUnit = -1;  // unit payload: months rather than days

struct Today {
  int64_t days = 0;
  int y = 0;
  int m = 0;
  int d = 0;
  int weekday = 0;  // 0 = Monday
  int64_t monday = 0;
};

int64_t FloorMod(int64_t a, int64_t b) {
  const int64_t r = a % b;
  return r < 0 ? r + b : r;
}

std::string FormatDay(int64_t days) {
  int y = 0;
  int m = 0;
  int d = 0;
  CivilFromDays(days, y, m, d);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
  return buf;
}

void Emit(std::vector<Candidate>& out, size_t start, size_t end, int64_t days, double conf) {
  out.push_back({kTypeDate, FormatDay(days), start, end, conf, Rank::kDate});
}

bool ValidDate(int y, int m, int d) {
  return y >= kMinYear && y <= kMaxYear && m >= 1 && m <= 12 && d >= 1 && d <= DaysInMonth(y, m);
}

// The month/day in whichever of last, this or next year lies closest to today (ties: the past).
std::optional<int64_t> ClosestYear(const Today& today, int m, int d) {
  std::optional<int64_t> best;
  for (int y = today.y - 1; y <= today.y + 1; ++y) {
    if (!ValidDate(y, m, d)) {
      continue;
    }
    const int64_t days = DaysFromCivil(y, m, d);
    if (!best || std::llabs(days - today.days) < std::llabs(*best - today.days)) {
      best = days;
    }
  }
  return best;
}

// The day of last, this or next month closest to today (ties: the past).
std::optional<int64_t> ClosestMonth(const Today& today, int d) {
  std::optional<int64_t> best;
  for (int delta = -1; delta <= 1; ++delta) {
    int y = today.y;
    int m = today.m + delta;
    if (m < 1) {
      m += 12;
      --y;
    } else if (m > 12) {
      m -= 12;
      ++y;
    }
    if (!ValidDate(y, m, d)) {
      continue;
    }
    const int64_t days = DaysFromCivil(y, m, d);
    if (!best || std::llabs(days - today.days) < std::llabs(*best - today.days)) {
      best = days;
    }
  }
  return best;
}

// First day of the month `delta` months from today's, or (first_day false) the same day of
// that month, clamped to its length.
int64_t ShiftMonths(const Today& today, int64_t delta, bool first_day) {
  const int64_t index = int64_t{today.y} * 12 + (today.m - 1) + delta;
  const int y = static_cast<int>(index / 12);
  const int m = static_cast<int>(index % 12) + 1;
  const int d = first_day ? 1 : std::min(today.d, DaysInMonth(y, m));
  return DaysFromCivil(y, m, d);
}

const Lexicon& RelativeDays() {
  static const Lexicon lexicon = {
      {"今天", 0},
      {"今日", 0},
      {"今早", 0},
      {"今晚", 0},
      {"今儿", 0},
      {"昨天", -1},
      {"昨日", -1},
      {"昨晚", -1},
      {"昨儿", -1},
      {"前天", -2},
      {"大前天", -3},
      {"明天", 1},
      {"明日", 1},
      {"明早", 1},
      {"明晚", 1},
      {"明儿", 1},
      {"后天", 2},
      {"大后天", 3},
      {"today", 0},
      {"tonight", 0},
      {"yesterday", -1},
      {"tomorrow", 1},
      {"day before yesterday", -2},
      {"the day before yesterday", -2},
      {"day after tomorrow", 2},
      {"the day after tomorrow", 2},
  };
  return lexicon;
}

const Lexicon& ChineseWeeks() {
  static const Lexicon lexicon = {
      {"上周", -1},    {"上星期", -1}, {"上个星期", -1}, {"上礼拜", -1},  {"上个礼拜", -1},
      {"这周", 0},     {"本周", 0},    {"这星期", 0},    {"这个星期", 0}, {"这礼拜", 0},
      {"这个礼拜", 0}, {"下周", 1},    {"下星期", 1},    {"下个星期", 1}, {"下礼拜", 1},
      {"下个礼拜", 1}, {"周", kBare},  {"星期", kBare},  {"礼拜", kBare},
  };
  return lexicon;
}

const Lexicon& ChineseMonths() {
  static const Lexicon lexicon = {
      {"上个月", -1}, {"上月", -1}, {"这个月", 0}, {"本月", 0}, {"下个月", 1}, {"下月", 1},
  };
  return lexicon;
}

int ChineseWeekday(char32_t c) {
  switch (c) {
    case U'一':
      return 0;
    case U'二':
      return 1;
    case U'三':
      return 2;
    case U'四':
      return 3;
    case U'五':
      return 4;
    case U'六':
    case U'末':
      return 5;
    case U'日':
    case U'天':
      return 6;
    default:
      return -1;
  }
}

const Lexicon& EnglishModifiers() {
  static const Lexicon lexicon = {{"last", -1}, {"this", 0}, {"next", 1}, {"coming", 1}};
  return lexicon;
}

// 0-6 weekdays; 7 week; 8 month. Abbreviations only after last/this/next.
constexpr int kWeekWord = 7;
constexpr int kMonthWord = 8;
constexpr int kAbbreviation = 16;

const Lexicon& EnglishWeekdays() {
  static const Lexicon lexicon = {
      {"monday", 0},
      {"tuesday", 1},
      {"wednesday", 2},
      {"thursday", 3},
      {"friday", 4},
      {"saturday", 5},
      {"sunday", 6},
      {"mon", kAbbreviation + 0},
      {"tue", kAbbreviation + 1},
      {"tues", kAbbreviation + 1},
      {"wed", kAbbreviation + 2},
      {"thu", kAbbreviation + 3},
      {"thur", kAbbreviation + 3},
      {"thurs", kAbbreviation + 3},
      {"fri", kAbbreviation + 4},
      {"sat", kAbbreviation + 5},
      {"sun", kAbbreviation + 6},
      {"week", kWeekWord},
      {"weekend", 5},
      {"month", kMonthWord},
  };
  return lexicon;
}

const Lexicon& EnglishMonths() {
  static const Lexicon lexicon = {
      {"january", 1},   {"jan", 1},   {"february", 2},  {"feb", 2},      {"march", 3},
      {"mar", 3},       {"april", 4}, {"apr", 4},       {"may", 5},      {"june", 6},
      {"jun", 6},       {"july", 7},  {"jul", 7},       {"august", 8},   {"aug", 8},
      {"september", 9}, {"sep", 9},   {"sept", 9},      {"october", 10}, {"oct", 10},
      {"november", 11}, {"nov", 11},  {"december", 12}, {"dec", 12},
  };
  return lexicon;
}

const Lexicon& EnglishCounts() {
  static const Lexicon lexicon = {
      {"a", 1},    {"an", 1},  {"one", 1},   {"two", 2},   {"three", 3}, {"four", 4},
      {"five", 5}, {"six", 6}, {"seven", 7}, {"eight", 8}, {"nine", 9},  {"ten", 10},
  };
  return lexicon;
}

// Units after a count: payload days per unit, or kMonthUnit.
const Lexicon& ChineseUnits() {
  static const Lexicon lexicon = {
      {"天", 1},     {"日", 1},   {"周", 7},     {"星期", 7},
      {"个星期", 7}, {"礼拜", 7}, {"个礼拜", 7}, {"个月", kMonthUnit},
  };
  return lexicon;
}

const Lexicon& ChineseDirections() {
  static const Lexicon lexicon = {
      {"前", -1}, {"以前", -1}, {"之前", -1}, {"后", 1}, {"以后", 1}, {"之后", 1},
  };
  return lexicon;
}

const Lexicon& EnglishUnits() {
  static const Lexicon lexicon = {
      {"day", 1},   {"days", 1},           {"week", 7},
      {"weeks", 7}, {"month", kMonthUnit}, {"months", kMonthUnit},
  };
  return lexicon;
}

// After 号 or 日 these name a building, a line or a seat, not a day.
bool IsNotADayAfterHao(char32_t c) {
  switch (c) {
    case U'码':
    case U'楼':
    case U'线':
    case U'店':
    case U'门':
    case U'房':
    case U'床':
    case U'机':
    case U'位':
    case U'车':
    case U'元':
    case U'院':
    case U'柜':
    case U'窗':
    case U'口':
    case U'厅':
    case U'馆':
    case U'台':
    case U'桌':
    case U'箱':
      return true;
    default:
      return false;
  }
}

// An arabic or Chinese integer at j, or nullopt. Fractions do not count.
std::optional<Number> IntegerAt(Text t, size_t j) {
  if (!IsDigit(At(t, j)) && !IsChineseNumeral(At(t, j))) {
    return std::nullopt;
  }
  std::optional<Number> num = ParseNumberAt(t, j);
  if (!num || num->fraction || num->end == j) {
    return std::nullopt;
  }
  return num;
}

int64_t ValueOf(const Number& num) {
  return num.hundredths / 100;
}

// "st", "nd", "rd", "th" after a day number.
size_t SkipOrdinal(Text t, size_t j) {
  const char32_t a = At(t, j);
  const char32_t b = At(t, j + 1);
  if (((a == 's' && b == 't') || (a == 'n' && b == 'd') || (a == 'r' && b == 'd') ||
       (a == 't' && b == 'h')) &&
      WordEndAt(t, j + 2)) {
    return j + 2;
  }
  return j;
}

// ", 2026" or " 2026" after an English month and day. Returns the year, or 0, and moves j.
int OptionalYear(Text t, size_t& j) {
  size_t k = j;
  if (At(t, k) == ',') {
    ++k;
  }
  if (At(t, k) == ' ') {
    ++k;
  }
  if (k == j || !IsDigit(At(t, k))) {
    return 0;
  }
  size_t e = k;
  int y = 0;
  while (IsDigit(At(t, e)) && e - k < 4) {
    y = y * 10 + (t[e] - '0');
    ++e;
  }
  if (e - k != 4 || !WordEndAt(t, e) || y < kMinYear || y > kMaxYear) {
    return 0;
  }
  j = e;
  return y;
}

class DateScanner {
 public:
  DateScanner(Text t, const Today& today, std::vector<Candidate>& out)
      : t_(t), today_(today), out_(out) {}

  void Run() {
    for (size_t i = 0; i < t_.size(); ++i) {
      Words(i);
      if (IsNumberStart(t_, i)) {
        Numeric(i);
      }
      if (IsLatin(t_[i]) && WordStartAt(t_, i)) {
        English(i);
      }
    }
  }

 private:
  // 今天, 上周五, 下周, 上个月, yesterday.
  void Words(size_t i) {
    Lexicon::Match m = RelativeDays().LongestAt(t_, i);
    if (m.length > 0) {
      Emit(out_, i, i + m.length, today_.days + m.payload, 1.0);
      return;
    }
    m = ChineseWeeks().LongestAt(t_, i);
    if (m.length > 0) {
      const int weekday = ChineseWeekday(At(t_, i + m.length));
      if (weekday >= 0) {
        const int weeks = m.payload == kBare ? 0 : m.payload;
        Emit(out_, i, i + m.length + 1, today_.monday + 7 * weeks + weekday,
             m.payload == kBare ? kBareWeekdayConfidence : 1.0);
      } else if (m.payload != kBare) {
        Emit(out_, i, i + m.length, today_.monday + 7 * m.payload, kPeriodConfidence);
      }
      return;
    }
    m = ChineseMonths().LongestAt(t_, i);
    if (m.length > 0) {
      Emit(out_, i, i + m.length, ShiftMonths(today_, m.payload, true), kPeriodConfidence);
    }
  }

  void Numeric(size_t i) {
    if (IsDigit(t_[i])) {
      // Before number parsing, which reads "2026.11.20" as the decimal 2026.11.
      size_t int_end = i;
      int year = 0;
      while (IsDigit(At(t_, int_end)) && int_end - i < 5) {
        year = year * 10 + (t_[int_end] - '0');
        ++int_end;
      }
      const char32_t sep = At(t_, int_end);
      if (int_end - i == 4 && (sep == '-' || sep == '/' || sep == '.')) {
        YearMonthDaySeparated(i, year, int_end);
        return;
      }
    }
    const std::optional<Number> num = IntegerAt(t_, i);
    if (!num) {
      return;
    }
    const int64_t v = ValueOf(*num);
    const size_t j = num->end;
    const char32_t next = At(t_, j);
    if (next == U'年' && v >= 0) {
      YearMonthDayChinese(i, v, j + 1);
      return;
    }
    if (next == U'月' && v >= 1 && v <= 12) {
      MonthDayChinese(i, static_cast<int>(v), j + 1, 0);
      return;
    }
    if ((next == U'号' || next == U'日') && v >= 1 && v <= 31 && At(t_, i - 1) != U'月' &&
        !IsNotADayAfterHao(At(t_, j + 1)) && !(next == U'号' && At(t_, j + 1) == U'码')) {
      if (const std::optional<int64_t> days = ClosestMonth(today_, static_cast<int>(v))) {
        Emit(out_, i, j + 1, *days, num->chinese ? kBareDayConfidence - 0.1 : kBareDayConfidence);
      }
    }
    RelativeCount(i, v, j);
    EnglishDayMonth(i, v, j, num->chinese);
  }

  // "2026-11-20", "2026/11/20", "2026.11.20".
  void YearMonthDaySeparated(size_t i, int y, size_t j) {
    const char32_t sep = t_[j];
    size_t k = j + 1;
    int parts[2] = {0, 0};
    for (int p = 0; p < 2; ++p) {
      const size_t s = k;
      while (IsDigit(At(t_, k)) && k - s < 2) {
        parts[p] = parts[p] * 10 + (t_[k] - '0');
        ++k;
      }
      if (k == s || (p == 0 && At(t_, k) != sep)) {
        return;
      }
      if (p == 0) {
        ++k;
      }
    }
    if (!WordEndAt(t_, k) || !ValidDate(y, parts[0], parts[1])) {
      return;
    }
    Emit(out_, i, k, DaysFromCivil(y, parts[0], parts[1]), 1.0);
  }

  // "2026年11月20日"; a two-digit year means 20xx.
  void YearMonthDayChinese(size_t i, int64_t year, size_t j) {
    if (year < 100) {
      year += 2000;
    }
    const std::optional<Number> month = IntegerAt(t_, j);
    if (!month || At(t_, month->end) != U'月') {
      return;
    }
    MonthDayChinese(i, static_cast<int>(ValueOf(*month)), month->end + 1, static_cast<int>(year));
  }

  // The day part of "11月20号" (j just past 月); year 0 means the closest year.
  void MonthDayChinese(size_t i, int month, size_t j, int year) {
    const std::optional<Number> day = IntegerAt(t_, j);
    if (!day) {
      return;
    }
    size_t end = day->end;
    if (At(t_, end) == U'日' || At(t_, end) == U'号') {
      ++end;
    } else if (IsDigit(At(t_, end))) {
      return;
    }
    const int d = static_cast<int>(ValueOf(*day));
    if (year != 0) {
      if (ValidDate(year, month, d)) {
        Emit(out_, i, end, DaysFromCivil(year, month, d), 1.0);
      }
    } else if (const std::optional<int64_t> days = ClosestYear(today_, month, d)) {
      Emit(out_, i, end, *days, 1.0);
    }
  }

  // "3天前", "三天前", "两周后", "一个月前", "3 days ago", "in 2 weeks".
  void RelativeCount(size_t i, int64_t count, size_t j) {
    if (count < 0 || count > kMaxRelativeCount) {
      return;
    }
    Lexicon::Match unit = ChineseUnits().LongestAt(t_, j);
    if (unit.length > 0) {
      const Lexicon::Match dir = ChineseDirections().LongestAt(t_, j + unit.length);
      if (dir.length > 0) {
        const int64_t signed_count = count * dir.payload;
        const int64_t days = unit.payload == kMonthUnit ? ShiftMonths(today_, signed_count, false)
                                                        : today_.days + signed_count * unit.payload;
        Emit(out_, i, j + unit.length + dir.length, days, 1.0);
      }
      return;
    }
    EnglishCount(i, count, j);
  }

  void EnglishCount(size_t i, int64_t count, size_t j) {
    if (At(t_, j) != ' ') {
      return;
    }
    const Lexicon::Match unit = EnglishUnits().LongestAt(t_, j + 1);
    if (unit.length == 0) {
      return;
    }
    const size_t after_unit = j + 1 + unit.length;
    const auto shift = [&](int64_t signed_count) {
      return unit.payload == kMonthUnit ? ShiftMonths(today_, signed_count, false)
                                        : today_.days + signed_count * unit.payload;
    };
    if (t_.compare(after_unit, 4, U" ago") == 0 && WordEndAt(t_, after_unit + 4)) {
      Emit(out_, i, after_unit + 4, shift(-count), 1.0);
    } else if (i >= 3 && t_.compare(i - 3, 3, U"in ") == 0 && WordStartAt(t_, i - 3)) {
      Emit(out_, i - 3, after_unit, shift(count), 1.0);
    }
  }

  // "20 november", "20th nov 2026", "20 of may".
  void EnglishDayMonth(size_t i, int64_t day, size_t j, bool chinese) {
    if (chinese || day < 1 || day > 31) {
      return;
    }
    size_t k = SkipOrdinal(t_, j);
    if (At(t_, k) != ' ') {
      return;
    }
    ++k;
    if (t_.compare(k, 3, U"of ") == 0) {
      k += 3;
    }
    const Lexicon::Match month = EnglishMonths().LongestAt(t_, k);
    if (month.length == 0) {
      return;
    }
    size_t end = k + month.length;
    const int year = OptionalYear(t_, end);
    EmitMonthDay(i, end, year, month.payload, static_cast<int>(day));
  }

  void EmitMonthDay(size_t start, size_t end, int year, int month, int day) {
    if (year != 0) {
      if (ValidDate(year, month, day)) {
        Emit(out_, start, end, DaysFromCivil(year, month, day), 1.0);
      }
    } else if (const std::optional<int64_t> days = ClosestYear(today_, month, day)) {
      Emit(out_, start, end, *days, 1.0);
    }
  }

  // "nov 20", "november 20th, 2026", "last tuesday", "next week", "three days ago".
  void English(size_t i) {
    const Lexicon::Match month = EnglishMonths().LongestAt(t_, i);
    if (month.length > 0) {
      size_t k = i + month.length;
      if (At(t_, k) == '.') {
        ++k;
      }
      if (At(t_, k) == ' ' && IsDigit(At(t_, k + 1))) {
        ++k;
        int day = 0;
        const size_t s = k;
        while (IsDigit(At(t_, k)) && k - s < 2) {
          day = day * 10 + (t_[k] - '0');
          ++k;
        }
        if (!IsDigit(At(t_, k))) {
          k = SkipOrdinal(t_, k);
          if (WordEndAt(t_, k)) {
            const int year = OptionalYear(t_, k);
            EmitMonthDay(i, k, year, month.payload, day);
          }
        }
      }
    }
    const Lexicon::Match mod = EnglishModifiers().LongestAt(t_, i);
    if (mod.length > 0 && At(t_, i + mod.length) == ' ') {
      const size_t k = i + mod.length + 1;
      const Lexicon::Match what = EnglishWeekdays().LongestAt(t_, k);
      if (what.length > 0) {
        const int64_t monday = today_.monday + 7 * int64_t{mod.payload};
        if (what.payload == kWeekWord) {
          Emit(out_, i, k + what.length, monday, kPeriodConfidence);
        } else if (what.payload == kMonthWord) {
          Emit(out_, i, k + what.length, ShiftMonths(today_, mod.payload, true), kPeriodConfidence);
        } else {
          Emit(out_, i, k + what.length, monday + what.payload % kAbbreviation, 1.0);
        }
      }
      return;
    }
    const Lexicon::Match weekday = EnglishWeekdays().LongestAt(t_, i);
    if (weekday.length > 0 && weekday.payload < kWeekWord) {
      Emit(out_, i, i + weekday.length, today_.monday + weekday.payload, kBareWeekdayConfidence);
      return;
    }
    const Lexicon::Match count = EnglishCounts().LongestAt(t_, i);
    if (count.length > 0) {
      RelativeCount(i, count.payload, i + count.length);
    }
  }

  Text t_;
  const Today& today_;
  std::vector<Candidate>& out_;
};

}  // namespace

int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t days, int& y, int& m, int& d) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
    return 29;
  }
  return kDays[(m - 1) % 12];
}

void ScanDates(Text t, int64_t today_days, std::vector<Candidate>& out) {
  Today today;
  today.days = today_days;
  CivilFromDays(today_days, today.y, today.m, today.d);
  today.weekday = static_cast<int>(FloorMod(today_days + 3, 7));  // 1970-01-01 was a Thursday
  today.monday = today_days - today.weekday;
  DateScanner(t, today, out).Run();
}

}  // namespace kefu::nlu::internal
