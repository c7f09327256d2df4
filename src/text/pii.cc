#include "text/pii.h"

#include <algorithm>

#include "core/utf8.h"
#include "text/char_class.h"
#include "text/pii_internal.h"

namespace kefu::text {
namespace {

using internal::DigitValue;
using internal::IsDigitLike;
using internal::PiiCandidate;

constexpr size_t kPhoneDigits = 11;
constexpr size_t kIdCardChars = 18;
constexpr size_t kMinCardDigits = 16;
constexpr size_t kMaxCardDigits = 19;
constexpr size_t kCardGroup = 4;

bool IsSep(char32_t cp) {
  return cp == '-' || cp == ' ';
}

bool IsCheckX(char32_t cp) {
  return cp == 'X' || cp == 'x' || cp == 0xFF38 || cp == 0xFF58;
}

// End of the digit run starting at i.
size_t DigitRunEnd(const std::u32string& cps, size_t i) {
  while (i < cps.size() && IsDigitLike(cps[i])) {
    ++i;
  }
  return i;
}

// True when the digits [start, end) continue into more digits on the left: a digit right
// before, or a '-' with a digit before it ("12-13812345678"). With `spaces`, a space counts too.
bool GluedLeft(const std::u32string& cps, size_t start, bool spaces) {
  if (start == 0) {
    return false;
  }
  const char32_t prev = cps[start - 1];
  if (IsDigitLike(prev)) {
    return true;
  }
  return (prev == '-' || (spaces && prev == ' ')) && start >= 2 && IsDigitLike(cps[start - 2]);
}

bool GluedRight(const std::u32string& cps, size_t end, bool spaces) {
  if (end >= cps.size()) {
    return false;
  }
  if (IsDigitLike(cps[end])) {
    return true;
  }
  return (cps[end] == '-' || (spaces && cps[end] == ' ')) && end + 1 < cps.size() &&
         IsDigitLike(cps[end + 1]);
}

// --- ID cards ------------------------------------------------------------------------------

bool IsLeapYear(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool ValidDate(int y, int m, int d) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  constexpr int kMinYear = 1900;
  constexpr int kMaxYear = 2099;
  if (y < kMinYear || y > kMaxYear || m < 1 || m > 12 || d < 1) {
    return false;
  }
  return d <= kDays[m - 1] + ((m == 2 && IsLeapYear(y)) ? 1 : 0);
}

// 18 characters at cps[i..]: region, birth date and ISO 7064 MOD 11-2 check character.
bool ValidIdCard(const std::u32string& cps, size_t i) {
  constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  constexpr char kCheck[] = "10X98765432";
  int d[17];
  for (size_t k = 0; k < 17; ++k) {
    d[k] = DigitValue(cps[i + k]);
  }
  const int province = d[0] * 10 + d[1];
  if (province < 11 || province > 82) {
    return false;
  }
  const int year = d[6] * 1000 + d[7] * 100 + d[8] * 10 + d[9];
  if (!ValidDate(year, d[10] * 10 + d[11], d[12] * 10 + d[13])) {
    return false;
  }
  int sum = 0;
  for (size_t k = 0; k < 17; ++k) {
    sum += d[k] * kWeights[k];
  }
  const char expected = kCheck[sum % 11];
  const char32_t last = cps[i + 17];
  return expected == 'X' ? IsCheckX(last) : DigitValue(last) == expected - '0';
}

void FindIdCards(const std::u32string& cps, std::vector<PiiCandidate>& out) {
  size_t i = 0;
  while (i < cps.size()) {
    if (!IsDigitLike(cps[i])) {
      ++i;
      continue;
    }
    const size_t j = DigitRunEnd(cps, i);
    size_t end = 0;
    if (j - i == kIdCardChars) {
      end = j;
    } else if (j - i == kIdCardChars - 1 && j < cps.size() && IsCheckX(cps[j]) &&
               !(j + 1 < cps.size() && internal::IsAsciiAlpha(cps[j + 1]))) {
      end = j + 1;
    }
    if (end != 0 && !GluedLeft(cps, i, false) && !GluedRight(cps, end, false) &&
        ValidIdCard(cps, i)) {
      out.push_back({PiiType::kIdCard, i, end});
    }
    i = j;
  }
}

// --- bank cards ----------------------------------------------------------------------------

bool LuhnValid(const std::vector<int>& digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int v = *it;
    if (twice) {
      v *= 2;
      if (v > 9) {
        v -= 9;
      }
    }
    sum += v;
    twice = !twice;
  }
  return sum % 10 == 0;
}

void FindBankCards(const std::u32string& cps, std::vector<PiiCandidate>& out) {
  size_t i = 0;
  while (i < cps.size()) {
    if (!IsDigitLike(cps[i])) {
      ++i;
      continue;
    }
    size_t j = DigitRunEnd(cps, i);
    std::vector<int> digits;
    size_t end = i;
    if (j - i >= kMinCardDigits && j - i <= kMaxCardDigits) {
      end = j;  // contiguous
    } else if (j - i == kCardGroup && j + 1 < cps.size() && IsSep(cps[j]) &&
               IsDigitLike(cps[j + 1])) {
      // Groups of four split by one separator, the last group 1-4 digits.
      const char32_t sep = cps[j];
      size_t total = kCardGroup;
      end = j;
      while (end + 1 < cps.size() && cps[end] == sep && IsDigitLike(cps[end + 1])) {
        const size_t group_end = DigitRunEnd(cps, end + 1);
        const size_t len = group_end - end - 1;
        if (len > kCardGroup || total + len > kMaxCardDigits) {
          end = i;  // not a card layout
          break;
        }
        total += len;
        end = group_end;
        if (len < kCardGroup) {
          break;
        }
      }
      if (end != i && (total < kMinCardDigits || GluedRight(cps, end, true))) {
        end = i;
      }
    }
    if (end != i && !GluedLeft(cps, i, true) && !GluedRight(cps, end, false)) {
      for (size_t k = i; k < end; ++k) {
        if (IsDigitLike(cps[k])) {
          digits.push_back(DigitValue(cps[k]));
        }
      }
      if (LuhnValid(digits)) {
        out.push_back({PiiType::kBankCard, i, end});
        j = end;
      }
    }
    i = j;
  }
}

// --- phones --------------------------------------------------------------------------------

// Length of a mainland mobile number at i: 11 digits, or 3-4-4 split by one kind of '-'/' '.
// Returns 0 when there is none. `spaced` tells which form matched.
size_t MatchMobile(const std::u32string& cps, size_t i, bool& spaced) {
  auto digits_at = [&](size_t at, size_t count) {
    if (at + count > cps.size()) {
      return false;
    }
    for (size_t k = at; k < at + count; ++k) {
      if (!IsDigitLike(cps[k])) {
        return false;
      }
    }
    return true;
  };
  if (i + 1 >= cps.size() || DigitValue(cps[i]) != 1 || DigitValue(cps[i + 1]) < 3) {
    return 0;
  }
  if (digits_at(i, kPhoneDigits)) {
    spaced = false;
    return kPhoneDigits;
  }
  constexpr size_t kGroupedLength = 13;  // 3 + 1 + 4 + 1 + 4
  if (digits_at(i, 3) && i + 3 < cps.size() && IsSep(cps[i + 3]) && digits_at(i + 4, 4) &&
      i + 8 < cps.size() && cps[i + 8] == cps[i + 3] && digits_at(i + 9, 4)) {
    spaced = true;
    return kGroupedLength;
  }
  return 0;
}

// Start of a "+86" / "+86 " / "86-" / "86 " prefix ending right before `i`, or `i` if none.
size_t CountryPrefixStart(const std::u32string& cps, size_t i) {
  size_t p = i;
  if (p > 0 && IsSep(cps[p - 1])) {
    --p;
  }
  if (p < 2 || DigitValue(cps[p - 2]) != 8 || DigitValue(cps[p - 1]) != 6) {
    return i;
  }
  const size_t digits_start = p - 2;
  if (digits_start > 0 && (cps[digits_start - 1] == '+' || cps[digits_start - 1] == 0xFF0B)) {
    return digits_start - 1;  // "+86", with or without a separator
  }
  if (p == i) {
    return i;  // "8613812345678": too ambiguous without '+' or a separator
  }
  return GluedLeft(cps, digits_start, false) ? i : digits_start;
}

void FindPhones(const std::u32string& cps, std::vector<PiiCandidate>& out) {
  size_t i = 0;
  while (i < cps.size()) {
    bool spaced = false;
    const size_t len = DigitValue(cps[i]) == 1 ? MatchMobile(cps, i, spaced) : 0;
    if (len == 0) {
      ++i;
      continue;
    }
    const size_t start = CountryPrefixStart(cps, i);
    const size_t end = i + len;
    const bool glued_left = start == i && GluedLeft(cps, i, spaced);
    if (!glued_left && !GluedRight(cps, end, spaced)) {
      out.push_back({PiiType::kPhone, start, end});
      i = end;
    } else {
      ++i;
    }
  }
}

// --- e-mail --------------------------------------------------------------------------------

bool IsLocalChar(char32_t cp) {
  return internal::IsAsciiAlpha(cp) || internal::IsAsciiDigit(cp) || cp == '.' || cp == '_' ||
         cp == '%' || cp == '+' || cp == '-';
}

bool IsDomainChar(char32_t cp) {
  return internal::IsAsciiAlpha(cp) || internal::IsAsciiDigit(cp) || cp == '-' || cp == '.';
}

void FindEmails(const std::u32string& cps, std::vector<PiiCandidate>& out) {
  size_t resume = 0;  // keeps the scan linear: never look left of the previous match
  for (size_t at = 0; at < cps.size(); ++at) {
    if (cps[at] != '@') {
      continue;
    }
    size_t start = at;
    while (start > resume && IsLocalChar(cps[start - 1])) {
      --start;
    }
    while (start < at && cps[start] == '.') {
      ++start;
    }
    size_t end = at + 1;
    while (end < cps.size() && IsDomainChar(cps[end])) {
      ++end;
    }
    while (end > at + 1 && (cps[end - 1] == '.' || cps[end - 1] == '-')) {
      --end;
    }
    if (start == at || end == at + 1) {
      continue;
    }
    // The domain needs a dot, no empty label, and an alphabetic top-level label of 2+ letters.
    std::u32string_view domain(cps.data() + at + 1, end - at - 1);
    const size_t last_dot = domain.rfind(U'.');
    if (last_dot == std::u32string_view::npos || domain.front() == '.' ||
        domain.find(U"..") != std::u32string_view::npos || domain.size() - last_dot - 1 < 2) {
      continue;
    }
    bool alpha_tld = true;
    for (char32_t c : domain.substr(last_dot + 1)) {
      alpha_tld = alpha_tld && internal::IsAsciiAlpha(c);
    }
    if (alpha_tld) {
      out.push_back({PiiType::kEmail, start, end});
      resume = end;
      at = end - 1;
    }
  }
}

int Priority(PiiType type) {
  switch (type) {
    case PiiType::kIdCard:
      return 0;
    case PiiType::kBankCard:
      return 1;
    case PiiType::kPhone:
      return 2;
    case PiiType::kEmail:
      return 3;
    case PiiType::kAddress:
      return 4;
  }
  return 5;
}

// Keeps the first `keep_first` and last `keep_last` digits (an ID card's X counts as a digit)
// and replaces the others with '*'; everything else is copied.
std::string MaskDigitsKeeping(const std::u32string& cps, size_t keep_first, size_t keep_last) {
  auto maskable = [](char32_t c) { return IsDigitLike(c) || IsCheckX(c); };
  const auto total = static_cast<size_t>(std::count_if(cps.begin(), cps.end(), maskable));
  std::string out;
  size_t seen = 0;
  for (char32_t c : cps) {
    if (maskable(c)) {
      const bool keep = seen < keep_first || seen + keep_last >= total;
      ++seen;
      if (!keep) {
        out.push_back('*');
        continue;
      }
    }
    utf8::AppendCodePoint(c, out);
  }
  return out;
}

}  // namespace

std::string_view PiiTypeName(PiiType type) {
  switch (type) {
    case PiiType::kPhone:
      return "phone";
    case PiiType::kEmail:
      return "email";
    case PiiType::kIdCard:
      return "id_card";
    case PiiType::kBankCard:
      return "bank_card";
    case PiiType::kAddress:
      return "address";
  }
  return "phone";
}

std::vector<PiiSpan> FindPii(std::string_view text) {
  const std::u32string cps = utf8::Decode(text);
  std::vector<PiiCandidate> candidates;
  FindIdCards(cps, candidates);
  FindBankCards(cps, candidates);
  FindPhones(cps, candidates);
  FindEmails(cps, candidates);
  internal::FindAddresses(cps, candidates);

  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const PiiCandidate& a, const PiiCandidate& b) {
                     if (Priority(a.type) != Priority(b.type)) {
                       return Priority(a.type) < Priority(b.type);
                     }
                     return a.end - a.start > b.end - b.start;
                   });
  std::vector<PiiCandidate> kept;
  for (const PiiCandidate& c : candidates) {
    const bool overlaps = std::any_of(kept.begin(), kept.end(), [&](const PiiCandidate& k) {
      return c.start < k.end && k.start < c.end;
    });
    if (!overlaps) {
      kept.push_back(c);
    }
  }
  std::sort(kept.begin(), kept.end(),
            [](const PiiCandidate& a, const PiiCandidate& b) { return a.start < b.start; });
  std::vector<PiiSpan> spans;
  spans.reserve(kept.size());
  for (const PiiCandidate& c : kept) {
    PiiSpan s;
    s.type = c.type;
    s.start = static_cast<uint32_t>(c.start);
    s.end = static_cast<uint32_t>(c.end);
    s.value = utf8::Encode(std::u32string_view(cps.data() + c.start, c.end - c.start));
    spans.push_back(std::move(s));
  }
  return spans;
}

std::string MaskPiiValue(PiiType type, std::string_view value) {
  const std::u32string cps = utf8::Decode(value);
  switch (type) {
    case PiiType::kPhone: {
      // Keep the country code, the first 3 and the last 4 digits of the 11-digit number.
      size_t digits = 0;
      for (char32_t c : cps) {
        digits += IsDigitLike(c) ? 1 : 0;
      }
      constexpr size_t kKeepHead = 3;
      constexpr size_t kKeepTail = 4;
      const size_t prefix = digits > kPhoneDigits ? digits - kPhoneDigits : 0;
      return MaskDigitsKeeping(cps, prefix + kKeepHead, kKeepTail);
    }
    case PiiType::kIdCard:
      return MaskDigitsKeeping(cps, 6, 4);
    case PiiType::kBankCard:
      return MaskDigitsKeeping(cps, 4, 4);
    case PiiType::kEmail: {
      const size_t at = cps.find(U'@');
      if (at == std::u32string::npos || at == 0) {
        return std::string(value);
      }
      std::string out;
      utf8::AppendCodePoint(cps[0], out);
      out += "***";
      out += utf8::Encode(std::u32string_view(cps).substr(at));
      return out;
    }
    case PiiType::kAddress: {
      const size_t keep = internal::AddressKeepPrefix(cps);
      const bool english = keep == 0 && !cps.empty() && cps[0] < 0x80;
      std::string out;
      for (size_t k = 0; k < cps.size(); ++k) {
        const char32_t c = cps[k];
        const bool mask = english ? IsDigitLike(c) : (k >= keep && c != ' ');
        if (mask) {
          out.push_back('*');
        } else {
          utf8::AppendCodePoint(c, out);
        }
      }
      return out;
    }
  }
  return std::string(value);
}

std::string MaskPii(std::string_view text) {
  const std::vector<PiiSpan> spans = FindPii(text);
  if (spans.empty()) {
    return std::string(text);
  }
  const std::u32string cps = utf8::Decode(text);
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (const PiiSpan& s : spans) {
    out += utf8::Encode(std::u32string_view(cps.data() + pos, s.start - pos));
    out += MaskPiiValue(s.type, s.value);
    pos = s.end;
  }
  out += utf8::Encode(std::u32string_view(cps.data() + pos, cps.size() - pos));
  return out;
}

}  // namespace kefu::text
