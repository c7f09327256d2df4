// Order numbers, tracking numbers, phones and e-mail addresses. One pass over ASCII alphanumeric
// tokens; a token is classified by its shape and, when the shape is ambiguous (a 10-20 digit
// number), by the nearest cue word before it.
#include <algorithm>
#include <array>

#include "nlu/entity_internal.h"

namespace kefu::nlu::internal {
namespace {

enum Cue { kNoCue = 0, kOrderCue, kPhoneCue, kTrackingCue };

constexpr size_t kCueLookback = 16;  // code points searched before a number
constexpr size_t kCueLookahead = 8;  // ...and after it, when nothing was found before
constexpr size_t kMaxIdDigits = 20;
constexpr size_t kMinIdDigits = 10;
constexpr size_t kMaxEmailLocal = 64;
constexpr size_t kMaxEmailDomain = 253;

const Lexicon& Cues() {
  static const Lexicon lexicon = {
      {"订单号", kOrderCue},
      {"订单号码", kOrderCue},
      {"订单编号", kOrderCue},
      {"订单", kOrderCue},
      {"单号", kOrderCue},
      {"下单", kOrderCue},
      {"order", kOrderCue},
      {"order number", kOrderCue},
      {"order no", kOrderCue},
      {"order id", kOrderCue},
      {"orders", kOrderCue},
      {"手机号码", kPhoneCue},
      {"手机号", kPhoneCue},
      {"手机", kPhoneCue},
      {"电话号码", kPhoneCue},
      {"电话", kPhoneCue},
      {"联系方式", kPhoneCue},
      {"联系", kPhoneCue},
      {"号码", kPhoneCue},
      {"致电", kPhoneCue},
      {"打给", kPhoneCue},
      {"phone", kPhoneCue},
      {"phone number", kPhoneCue},
      {"call", kPhoneCue},
      {"mobile", kPhoneCue},
      {"tel", kPhoneCue},
      {"cell", kPhoneCue},
      {"contact", kPhoneCue},
      {"快递单号", kTrackingCue},
      {"快递单", kTrackingCue},
      {"快递号", kTrackingCue},
      {"运单号", kTrackingCue},
      {"运单", kTrackingCue},
      {"物流单号", kTrackingCue},
      {"物流号", kTrackingCue},
      {"tracking", kTrackingCue},
      {"tracking number", kTrackingCue},
      {"tracking no", kTrackingCue},
      {"waybill", kTrackingCue},
      {"顺丰", kTrackingCue},
      {"京东快递", kTrackingCue},
      {"京东", kTrackingCue},
      {"中通", kTrackingCue},
      {"圆通", kTrackingCue},
      {"申通", kTrackingCue},
      {"韵达", kTrackingCue},
      {"极兔", kTrackingCue},
      {"邮政", kTrackingCue},
      {"ems", kTrackingCue},
      {"sf", kTrackingCue},
      {"sf express", kTrackingCue},
      {"jd", kTrackingCue},
      {"zto", kTrackingCue},
      {"yto", kTrackingCue},
      {"sto", kTrackingCue},
      {"yunda", kTrackingCue},
  };
  return lexicon;
}

// The cue that decides what a number at t[start, end) is: the nearest one before it in the same
// sentence (the longest when several end at the same place), else the first one just after it.
// A number in between stops the search: its own cue was meant for it.
Cue FindCue(Text t, size_t start, size_t end) {
  const Lexicon& cues = Cues();
  const size_t lo = start > kCueLookback ? start - kCueLookback : 0;
  size_t best_end = 0;
  size_t best_len = 0;
  Cue best = kNoCue;
  size_t digit_run = 0;
  for (size_t j = start; j-- > lo;) {
    if (IsSentenceBreak(t[j])) {
      break;
    }
    digit_run = IsDigit(t[j]) ? digit_run + 1 : 0;
    if (digit_run >= 5) {
      break;
    }
    const Lexicon::Match m = cues.LongestAt(t, j);
    if (m.length == 0 || j + m.length > start) {
      continue;
    }
    const size_t e = j + m.length;
    if (best == kNoCue || e > best_end || (e == best_end && m.length > best_len)) {
      best = static_cast<Cue>(m.payload);
      best_end = e;
      best_len = m.length;
    }
  }
  if (best != kNoCue) {
    return best;
  }
  const size_t hi = std::min(t.size(), end + kCueLookahead);
  for (size_t j = end; j < hi; ++j) {
    if (IsSentenceBreak(t[j]) || IsDigit(t[j])) {
      break;
    }
    const Lexicon::Match m = cues.LongestAt(t, j);
    if (m.length > 0) {
      return static_cast<Cue>(m.payload);
    }
  }
  return kNoCue;
}

bool IsMobile(std::string_view d) {
  return d.size() == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9';
}

std::string Upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return s;
}

void Emit(std::vector<Candidate>& out, std::string_view type, Rank rank, std::string value,
          size_t start, size_t end, double confidence) {
  out.push_back({type, std::move(value), start, end, confidence, rank});
}

// "138-1234-5678", "138 1234 5678", "+86 138 1234 5678", "86-13812345678". REQUIRES: t[i] is a
// digit at a word start. Returns the end of the phone, or 0.
size_t TryGroupedPhone(Text t, size_t i, std::vector<Candidate>& out) {
  constexpr size_t kMaxGroups = 5;
  std::array<std::pair<size_t, size_t>, kMaxGroups> groups{};
  size_t count = 0;
  size_t j = i;
  while (count < kMaxGroups) {
    const size_t s = j;
    while (j < t.size() && IsDigit(t[j]) && j - s <= 13) {
      ++j;
    }
    groups[count++] = {s, j};
    const char32_t sep = At(t, j);
    if ((sep == ' ' || sep == '-') && IsDigit(At(t, j + 1))) {
      ++j;
      continue;
    }
    break;
  }
  if (count < 2 || !WordEndAt(t, j)) {
    return 0;
  }
  const std::string g0 = AsciiOf(t, groups[0].first, groups[0].second);
  const bool plus = i > 0 && t[i - 1] == '+';
  const size_t first = (g0 == "86" || g0 == "0086") ? 1 : 0;
  std::string digits;
  size_t last = 0;
  if (count - first == 1 && first == 1) {
    digits = AsciiOf(t, groups[1].first, groups[1].second);
    last = 1;
  } else if (count - first >= 3) {
    const auto len = [&](size_t g) { return groups[g].second - groups[g].first; };
    if (len(first) == 3 && len(first + 1) == 4 && len(first + 2) == 4) {
      digits = AsciiOf(t, groups[first].first, groups[first + 2].second);
      digits.erase(
          std::remove_if(digits.begin(), digits.end(), [](char c) { return c == ' ' || c == '-'; }),
          digits.end());
      last = first + 2;
      if (count > first + 3) {
        return 0;  // more groups follow: some other number
      }
    }
  }
  if (!IsMobile(digits)) {
    return 0;
  }
  const size_t start = (plus && first == 1) ? i - 1 : i;
  const size_t end = groups[last].second;
  Emit(out, kTypePhone, Rank::kPhone, digits, start, end, 1.0);
  return end;
}

void ClassifyDigits(Text t, size_t i, size_t j, Cue cue, std::vector<Candidate>& out) {
  const std::string d = AsciiOf(t, i, j);
  const bool plus = i > 0 && t[i - 1] == '+';
  if (d.size() == 13 && d.compare(0, 2, "86") == 0 && IsMobile(d.substr(2)) &&
      (plus || cue == kNoCue || cue == kPhoneCue)) {
    Emit(out, kTypePhone, Rank::kPhone, d.substr(2), plus ? i - 1 : i, j, plus ? 1.0 : 0.9);
    return;
  }
  if (IsMobile(d)) {
    switch (cue) {
      case kOrderCue:
        Emit(out, kTypeOrderId, Rank::kOrderId, d, i, j, 0.9);
        return;
      case kTrackingCue:
        Emit(out, kTypeTrackingNo, Rank::kTrackingNo, d, i, j, 0.9);
        return;
      case kPhoneCue:
      case kNoCue:
        Emit(out, kTypePhone, Rank::kPhone, d, i, j, cue == kPhoneCue ? 1.0 : 0.9);
        return;
    }
  }
  if (d.size() < kMinIdDigits || d.size() > kMaxIdDigits) {
    return;
  }
  switch (cue) {
    case kTrackingCue:
      Emit(out, kTypeTrackingNo, Rank::kTrackingNo, d, i, j, 1.0);
      return;
    case kOrderCue:
      Emit(out, kTypeOrderId, Rank::kOrderId, d, i, j, 1.0);
      return;
    case kPhoneCue:  // not a mobile number, whatever the wording says
      Emit(out, kTypeOrderId, Rank::kOrderId, d, i, j, 0.5);
      return;
    case kNoCue:
      Emit(out, kTypeOrderId, Rank::kOrderId, d, i, j, d.size() == 16 ? 0.9 : 0.6);
      return;
  }
}

struct TrackingFormat {
  std::string_view prefix;
  size_t min_digits;
  size_t max_digits;
};

constexpr std::array<TrackingFormat, 5> kTrackingFormats = {{
    {"sf", 12, 13},
    {"jdv", 12, 12},
    {"jdva", 11, 12},
    {"jdx", 12, 12},
    {"yt", 13, 13},
}};

// A token of letters, then digits, then maybe letters: tracking formats first, then the
// configured order patterns. Returns true when it emitted something.
bool ClassifyPrefixed(Text t, size_t i, size_t j, const std::vector<std::regex>& patterns,
                      std::vector<Candidate>& out) {
  size_t k = i;
  while (k < j && IsLatin(t[k])) {
    ++k;
  }
  const size_t letters = k - i;
  const size_t digits_start = k;
  while (k < j && IsDigit(t[k])) {
    ++k;
  }
  const size_t digits = k - digits_start;
  const size_t tail = j - k;
  if (letters == 0 || digits == 0) {
    return false;
  }
  for (size_t q = k; q < j; ++q) {
    if (!IsLatin(t[q])) {
      return false;  // letters, digits, letters, digits...: not an id we know
    }
  }
  const std::string token = AsciiOf(t, i, j);
  const std::string_view prefix(token.data(), letters);
  if (tail == 0) {
    for (const TrackingFormat& f : kTrackingFormats) {
      if (prefix == f.prefix && digits >= f.min_digits && digits <= f.max_digits) {
        Emit(out, kTypeTrackingNo, Rank::kTrackingNo, Upper(token), i, j, 1.0);
        return true;
      }
    }
  }
  // EMS and other UPU S10 numbers: "e123456789cn", "ea123456789cn".
  if (token[0] == 'e' && letters <= 2 && digits == 9 && tail == 2 &&
      token.compare(token.size() - 2, 2, "cn") == 0) {
    Emit(out, kTypeTrackingNo, Rank::kTrackingNo, Upper(token), i, j, 1.0);
    return true;
  }
  for (const std::regex& re : patterns) {
    bool matched = false;
    try {
      matched = std::regex_match(token, re);
    } catch (const std::regex_error&) {
      matched = false;  // a configured pattern too complex for this token: treat as no match
    }
    if (matched) {
      Emit(out, kTypeOrderId, Rank::kOrderId, Upper(token), i, j, 1.0);
      return true;
    }
  }
  return false;
}

bool IsEmailLocal(char32_t c) {
  return IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool IsEmailDomain(char32_t c) {
  return IsAlnum(c) || c == '.' || c == '-';
}

}  // namespace

void ScanIds(Text t, const std::vector<std::regex>& order_patterns, std::vector<Candidate>& out) {
  const size_t n = t.size();
  Cue prev_cue = kNoCue;  // lists share one cue: "运单号 1234567890123 和 1234567890124"
  size_t prev_len = 0;
  size_t i = 0;
  while (i < n) {
    if (!IsAlnum(t[i]) || !WordStartAt(t, i)) {
      if (IsSentenceBreak(t[i])) {
        prev_cue = kNoCue;
      }
      ++i;
      continue;
    }
    if (IsDigit(t[i])) {
      const size_t phone_end = TryGroupedPhone(t, i, out);
      if (phone_end > 0) {
        i = phone_end;
        continue;
      }
    }
    size_t j = i;
    bool all_digits = true;
    while (j < n && IsAlnum(t[j])) {
      all_digits = all_digits && IsDigit(t[j]);
      ++j;
    }
    const size_t len = j - i;
    const bool decimal = (i >= 2 && t[i - 1] == '.' && IsDigit(t[i - 2])) ||
                         (At(t, j) == '.' && IsDigit(At(t, j + 1)));
    if (all_digits && !decimal && len >= kMinIdDigits && len <= kMaxIdDigits) {
      Cue cue = FindCue(t, i, j);
      if (cue == kNoCue && prev_len == len) {
        cue = prev_cue;
      }
      ClassifyDigits(t, i, j, cue, out);
      prev_cue = cue;
      prev_len = len;
    } else if (!all_digits && IsLatin(t[i]) && len <= kMaxIdDigits + 8) {
      ClassifyPrefixed(t, i, j, order_patterns, out);
    }
    i = j;
  }
}

void ScanEmails(Text t, std::vector<Candidate>& out) {
  const size_t n = t.size();
  for (size_t at = 0; at < n; ++at) {
    if (t[at] != '@') {
      continue;
    }
    size_t l = at;
    while (l > 0 && IsEmailLocal(t[l - 1]) && at - l < kMaxEmailLocal) {
      --l;
    }
    while (l < at && (t[l] == '.' || t[l] == '-')) {
      ++l;
    }
    if (l == at) {
      continue;
    }
    size_t r = at + 1;
    while (r < n && IsEmailDomain(t[r]) && r - at <= kMaxEmailDomain) {
      ++r;
    }
    while (r > at + 1 && (t[r - 1] == '.' || t[r - 1] == '-')) {
      --r;
    }
    // The domain needs a dot with a label before it and a top-level part of two letters or more.
    size_t dot = r;
    while (dot > at + 1 && t[dot - 1] != '.') {
      --dot;
    }
    if (dot <= at + 2 || r - dot < 2) {
      continue;
    }
    bool tld_letters = true;
    for (size_t k = dot; k < r; ++k) {
      tld_letters = tld_letters && IsLatin(t[k]);
    }
    if (!tld_letters) {
      continue;
    }
    out.push_back({kTypeEmail, AsciiOf(t, l, r), l, r, 1.0, Rank::kEmail});
    at = r;
  }
}

}  // namespace kefu::nlu::internal
