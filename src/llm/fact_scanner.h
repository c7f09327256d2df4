// The fact scanner behind GroundingGuard (internal to llm/): finds order and tracking ids,
// phones, money, dates, times, percentages, durations and other numbers in text, folded for
// width and traditional characters, with the values they are compared by.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llm/guard.h"

namespace kefu::llm::detail {

enum class Currency { kUnknown, kCny, kUsd };
enum class Unit { kDay, kWorkday, kHour, kMinute, kWeek, kMonth, kYear };

constexpr int64_t kScale = 100;  // numbers are kept in hundredths (cents for money)
constexpr int kMaxFreeDigits = 3;

// One fact as parsed, with the values it is compared by.
struct Parsed {
  FactKind kind = FactKind::kNumber;
  size_t start = 0;  // code points of the folded text == code points of the original
  size_t end = 0;
  int64_t value = 0;  // hundredths: money, percent, duration, number
  int digits = 0;     // kNumber: digits written (integer and fraction)
  Currency currency = Currency::kUnknown;
  Unit unit = Unit::kDay;
  bool day_may_be_date = false;  // N日: a day count or a day of the month
  int year = 0;                  // kDate: 0 when not written
  int month = 0;                 // kDate: 0 for a day of the month alone (20号)
  int day = 0;
  int hour = 0;  // kTime
  int minute = 0;
  bool hour_marked = false;  // am/pm/下午 written
  std::string id;            // kOrderId, kTracking: folded; kPhone: digits and '?' for masks
};

// The text as decoded (for quoting) and folded (for matching); same length in code points.
struct Folded {
  std::u32string original;
  std::u32string folded;
};

bool IsDigit(char32_t c);
Folded FoldText(std::string_view text);
std::vector<Parsed> Parse(const Folded& f);
std::string TextOf(const Folded& f, const Parsed& p);
// A reply phone (digits, '?' for masked ones) matches evidence that shows the same digits.
bool PhoneMatches(const std::string& reply, const std::string& evidence);
bool CurrencyAgrees(Currency a, Currency b);

}  // namespace kefu::llm::detail
