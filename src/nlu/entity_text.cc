// Shared helpers of the entity scanners: folding, the term lexicon and number parsing.
#include <algorithm>
#include <cstdio>

#include "core/utf8.h"
#include "nlu/entity_internal.h"

namespace kefu::nlu::internal {
namespace {

constexpr int kMaxArabicDigits = 18;  // keeps hundredths inside int64_t
constexpr size_t kMaxChineseDigits = 12;

int ChineseDigit(char32_t c) {
  switch (c) {
    case U'零':
    case U'〇':
      return 0;
    case U'一':
      return 1;
    case U'二':
    case U'两':
    case U'俩':
      return 2;
    case U'三':
      return 3;
    case U'四':
      return 4;
    case U'五':
      return 5;
    case U'六':
      return 6;
    case U'七':
      return 7;
    case U'八':
      return 8;
    case U'九':
      return 9;
    default:
      return -1;
  }
}

int64_t ChineseUnit(char32_t c) {
  switch (c) {
    case U'十':
      return 10;
    case U'百':
      return 100;
    case U'千':
      return 1000;
    case U'万':
      return 10000;
    case U'亿':
      return 100000000;
    default:
      return 0;
  }
}

bool IsColloquialTwo(char32_t c) {
  return c == U'两' || c == U'俩';
}

std::optional<Number> ParseArabicAt(Text t, size_t i) {
  const size_t n = t.size();
  Number num;
  int64_t int_part = 0;
  size_t j = i;
  while (j < n && IsDigit(t[j])) {
    if (num.int_digits < kMaxArabicDigits) {
      int_part = int_part * 10 + (t[j] - '0');
    }
    ++num.int_digits;
    ++j;
  }
  // Thousands separators: "1,299" but not "1,2" or "12,3456".
  if (num.int_digits <= 3) {
    while (At(t, j) == ',' && IsDigit(At(t, j + 1)) && IsDigit(At(t, j + 2)) &&
           IsDigit(At(t, j + 3)) && !IsDigit(At(t, j + 4))) {
      for (size_t k = j + 1; k <= j + 3; ++k) {
        int_part = int_part * 10 + (t[k] - '0');
      }
      num.int_digits += 3;
      j += 4;
    }
  }
  int64_t frac = 0;
  if (At(t, j) == '.' && IsDigit(At(t, j + 1))) {
    num.fraction = true;
    ++j;
    int frac_digits = 0;
    bool round_up = false;
    while (j < n && IsDigit(t[j])) {
      if (frac_digits < 2) {
        frac = frac * 10 + (t[j] - '0');
      } else if (frac_digits == 2) {
        round_up = t[j] >= '5';
      }
      ++frac_digits;
      ++j;
    }
    if (frac_digits == 1) {
      frac *= 10;
    }
    frac += round_up ? 1 : 0;
  }
  if (num.int_digits > kMaxArabicDigits - 2) {
    int_part = 0;  // callers reject by int_digits; avoid overflow below
  }
  num.hundredths = int_part * 100 + frac;
  num.end = j;
  return num;
}

// Standard reading with units (三百五十 = 350, 一千零五 = 1005, 十五 = 15) plus the colloquial
// trailing digit that stands for the next lower unit (两百五 = 250, 三万五 = 35000), and plain
// digit strings (二零二六 = 2026).
std::optional<Number> ParseChineseAt(Text t, size_t i) {
  const size_t n = t.size();
  const int first = ChineseDigit(t[i]);
  if (first < 0 && t[i] != U'十') {
    return std::nullopt;
  }
  Number num;
  num.chinese = true;
  if (first >= 0 && !IsColloquialTwo(t[i]) && ChineseDigit(At(t, i + 1)) >= 0 &&
      !IsColloquialTwo(At(t, i + 1))) {
    int64_t v = 0;
    size_t j = i;
    while (j < n && j - i < kMaxChineseDigits && ChineseDigit(t[j]) >= 0 &&
           !IsColloquialTwo(t[j])) {
      v = v * 10 + ChineseDigit(t[j]);
      ++j;
    }
    num.hundredths = v * 100;
    num.end = j;
    num.int_digits = static_cast<int>(j - i);
    return num;
  }
  int64_t total = 0;
  int64_t section = 0;
  int64_t number = 0;
  int64_t last_unit = 0;
  bool pending_digit = false;     // a digit not yet multiplied by a unit
  bool digit_after_unit = false;  // ...and it came straight after a unit, with no 零 between
  bool zero = false;
  size_t j = i;
  for (; j < n && j - i < kMaxChineseDigits; ++j) {
    const char32_t c = t[j];
    const int d = ChineseDigit(c);
    const int64_t unit = ChineseUnit(c);
    if (d == 0) {
      zero = true;
      pending_digit = false;
      number = 0;
      continue;
    }
    if (d > 0) {
      if (pending_digit) {
        break;  // "三四" is not one number
      }
      number = d;
      pending_digit = true;
      digit_after_unit = last_unit > 0 && !zero;
      continue;
    }
    if (unit == 10) {
      section += (pending_digit ? number : 1) * 10;
    } else if (unit == 100 || unit == 1000) {
      if (!pending_digit) {
        break;
      }
      section += number * unit;
    } else if (unit > 1000) {
      const int64_t v = section + (pending_digit ? number : 0);
      if (v == 0) {
        break;
      }
      total += v * unit;
      section = 0;
    } else {
      break;
    }
    number = 0;
    pending_digit = false;
    last_unit = unit;
    zero = false;
  }
  if (j == i) {
    return std::nullopt;
  }
  if (pending_digit && digit_after_unit && last_unit >= 100) {
    number *= last_unit / 10;
  }
  num.hundredths = (total + section + (pending_digit ? number : 0)) * 100;
  num.end = j;
  num.int_digits = static_cast<int>(j - i);
  return num;
}

}  // namespace

bool IsSentenceBreak(char32_t c) {
  switch (c) {
    case U'。':
    case U'！':
    case U'？':
    case U'；':
    case U'…':
    case '!':
    case '?':
    case ';':
    case '\n':
    case '\r':
      return true;
    default:
      return false;
  }
}

char32_t Fold(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) {
    c -= 0xFEE0;  // full-width ASCII block
  } else if (c == 0x3000 || c == '\t' || c == 0xA0) {
    c = ' ';
  }
  if (c >= 'A' && c <= 'Z') {
    c = c - 'A' + 'a';
  }
  return c;
}

Lexicon::Lexicon(std::initializer_list<std::pair<std::string_view, int>> terms) {
  for (const auto& [term, payload] : terms) {
    std::u32string cps = utf8::Decode(term);
    if (cps.empty()) {
      continue;
    }
    if (cps[0] < 0x10000) {
      first_bmp_.set(cps[0]);
    }
    std::vector<Term>& bucket = by_first_[cps[0]];
    bucket.push_back({std::move(cps), payload});
  }
  for (auto& [first, bucket] : by_first_) {
    std::stable_sort(bucket.begin(), bucket.end(),
                     [](const Term& a, const Term& b) { return a.text.size() > b.text.size(); });
  }
}

Lexicon::Match Lexicon::LongestFrom(Text t, size_t i) const {
  const auto it = by_first_.find(t[i]);
  if (it == by_first_.end()) {
    return {};
  }
  for (const Term& term : it->second) {
    const size_t len = term.text.size();
    if (t.size() - i < len || t.compare(i, len, term.text) != 0) {
      continue;
    }
    const char32_t before = i > 0 ? t[i - 1] : 0;
    const char32_t after = At(t, i + len);
    const char32_t head = term.text.front();
    const char32_t tail = term.text.back();
    if ((IsLatin(head) && IsLatin(before)) || (IsDigit(head) && IsDigit(before)) ||
        (IsLatin(tail) && IsLatin(after)) || (IsDigit(tail) && IsDigit(after))) {
      continue;
    }
    return {len, term.payload};
  }
  return {};
}

bool IsChineseNumeral(char32_t c) {
  return ChineseDigit(c) >= 0 || ChineseUnit(c) > 0;
}

bool IsNumberStart(Text t, size_t i) {
  if (i >= t.size()) {
    return false;
  }
  const char32_t c = t[i];
  const char32_t before = i > 0 ? t[i - 1] : 0;
  if (IsDigit(c)) {
    return !IsAlnum(before) && !(before == '.' && IsDigit(i >= 2 ? t[i - 2] : 0));
  }
  return (ChineseDigit(c) >= 0 || c == U'十') && !IsChineseNumeral(before);
}

std::optional<Number> ParseNumberAt(Text t, size_t i) {
  if (i >= t.size()) {
    return std::nullopt;
  }
  return IsDigit(t[i]) ? ParseArabicAt(t, i) : ParseChineseAt(t, i);
}

std::string FormatHundredths(int64_t hundredths) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld.%02lld", static_cast<long long>(hundredths / 100),
                static_cast<long long>(hundredths % 100));
  return buf;
}

std::string AsciiOf(Text t, size_t begin, size_t end) {
  std::string out;
  out.reserve(end - begin);
  for (size_t k = begin; k < end && k < t.size(); ++k) {
    if (t[k] < 0x80) {
      out.push_back(static_cast<char>(t[k]));
    }
  }
  return out;
}

}  // namespace kefu::nlu::internal
