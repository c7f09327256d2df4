// Private to nlu/: the pieces of EntityExtractor that the entity_*.cc files share. Scanners read
// folded text (one code point per input code point, so offsets carry over unchanged) and append
// candidates, which entities.cc then resolves into non-overlapping entities.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nlu/entities.h"

namespace kefu::nlu::internal {

using Text = std::u32string_view;

inline constexpr std::string_view kTypeOrderId = "order_id";
inline constexpr std::string_view kTypeTrackingNo = "tracking_no";
inline constexpr std::string_view kTypePhone = "phone";
inline constexpr std::string_view kTypeEmail = "email";
inline constexpr std::string_view kTypeMoney = "money";
inline constexpr std::string_view kTypeDate = "date";
inline constexpr std::string_view kTypeQuantity = "quantity";
inline constexpr std::string_view kTypeProduct = "product";
inline constexpr std::string_view kTypeSize = "size";
inline constexpr std::string_view kTypeColour = "colour";

// On equal length the higher rank wins an overlap.
enum class Rank {
  kColour = 1,
  kProduct,
  kQuantity,
  kSize,
  kDate,
  kMoney,
  kPhone,
  kOrderId,
  kTrackingNo,
  kEmail,
};

struct Candidate {
  std::string_view type;  // one of the k* names above (static storage)
  std::string value;
  size_t start = 0;  // code points into the folded text
  size_t end = 0;
  double confidence = 1.0;
  Rank rank = Rank::kColour;
};

inline bool IsDigit(char32_t c) {
  return c >= '0' && c <= '9';
}
inline bool IsLatin(char32_t c) {
  return c >= 'a' && c <= 'z';
}
inline bool IsAlnum(char32_t c) {
  return IsDigit(c) || IsLatin(c);
}
inline char32_t At(Text t, size_t i) {
  return i < t.size() ? t[i] : 0;
}
// True when t[i] does not continue an ASCII word (letters and digits) that runs before it.
inline bool WordStartAt(Text t, size_t i) {
  return i == 0 || i > t.size() || !IsAlnum(t[i - 1]);
}
// True when no ASCII word character sits at t[i].
inline bool WordEndAt(Text t, size_t i) {
  return i >= t.size() || !IsAlnum(t[i]);
}
// 。！？!?;；… and line breaks: context cues do not reach across them.
bool IsSentenceBreak(char32_t c);

// Full-width ASCII to half-width, ideographic space and tab to space, A-Z to a-z.
char32_t Fold(char32_t c);

// A longest-match dictionary of short terms. A term that begins with a letter needs no letter
// before it, one that begins with a digit no digit before it, and likewise at its end, so "red"
// is not found in "ordered" while "pcs" is found in "3pcs".
class Lexicon {
 public:
  struct Match {
    size_t length = 0;  // 0: no match
    int payload = 0;
  };

  Lexicon(std::initializer_list<std::pair<std::string_view, int>> terms);

  // Inline, so that the common answer (no term starts with this character: most positions of
  // most scans) costs a bit test where it is asked, not a call.
  Match LongestAt(Text t, size_t i) const {
    if (i >= t.size() || (t[i] < 0x10000 && !first_bmp_[t[i]])) {
      return {};
    }
    return LongestFrom(t, i);
  }

 private:
  Match LongestFrom(Text t, size_t i) const;  // LongestAt past the bit test

  struct Term {
    std::u32string text;
    int payload = 0;
  };
  std::bitset<0x10000> first_bmp_;  // cheap rejection before the hash lookup
  std::unordered_map<char32_t, std::vector<Term>> by_first_;  // longest first
};

// A number as written: "299", "1,299.50", "三百五十", "两千", "二零二六".
struct Number {
  int64_t hundredths = 0;  // value × 100
  size_t end = 0;          // one past its last code point
  bool chinese = false;
  bool fraction = false;  // had a decimal point
  int int_digits = 0;     // digits before the point (arabic), or code points (chinese)
};

bool IsChineseNumeral(char32_t c);
// True when a number starts at t[i]: a digit with no letter, digit or decimal point before it,
// or a Chinese digit (or 十) with no Chinese numeral before it.
bool IsNumberStart(Text t, size_t i);
// REQUIRES: IsNumberStart(t, i). Returns nullopt when no well-formed number starts there.
std::optional<Number> ParseNumberAt(Text t, size_t i);
// "299.00" for 29900.
std::string FormatHundredths(int64_t hundredths);
// The folded ASCII substring t[begin, end) as a std::string; other code points are dropped.
std::string AsciiOf(Text t, size_t begin, size_t end);

// The scanners. Each appends its candidates to `out`.
void ScanIds(Text t, const std::vector<std::regex>& order_patterns, std::vector<Candidate>& out);
void ScanEmails(Text t, std::vector<Candidate>& out);
void ScanMoney(Text t, std::vector<Candidate>& out);
void ScanQuantities(Text t, std::vector<Candidate>& out);
// `today` is the local calendar day of now, in days since 1970-01-01.
void ScanDates(Text t, int64_t today, std::vector<Candidate>& out);
void ScanSizes(Text t, std::vector<Candidate>& out);
void ScanColours(Text t, std::vector<Candidate>& out);

// The product gazetteer: names and aliases folded and stripped to letters, digits and Han, a
// character-bigram index over them, and an English vocabulary for one-typo correction.
// Immutable after construction; Scan is thread-safe.
class ProductIndex {
 public:
  explicit ProductIndex(const std::vector<CatalogEntry>& catalog);

  void Scan(Text t, std::vector<Candidate>& out) const;

 private:
  struct Key {
    std::u32string cps;                 // compact form: letters, digits and Han only
    std::vector<uint8_t> edges;         // per code point: kWordStart / kWordEnd of a Latin word
    std::vector<uint64_t> word_hashes;  // sorted: each run of adjacent whole Latin words
    uint32_t entry = 0;
    double weight = 0;  // sum of the idf of its distinct bigrams
  };
  struct Posting {
    std::vector<uint32_t> keys;  // ascending
    double idf = 0;              // log(1 + entries / entries holding the bigram)
  };
  // One code point of the compact text, with the span of the input it came from.
  struct Elem {
    char32_t c = 0;
    uint32_t ostart = 0;
    uint32_t oend = 0;
    bool corrected = false;     // part of a word rewritten by typo correction
    bool break_before = false;  // punctuation separates it from the previous element
  };
  struct Run;
  struct Hit;

  void AddKey(std::string_view name, uint32_t entry);
  std::vector<Elem> Compact(Text t) const;
  std::optional<std::string> Correct(const std::string& word) const;
  void Evaluate(const Run& run, const std::vector<Elem>& elems, std::vector<Hit>& hits) const;
  const Posting* Find(char32_t a, char32_t b) const;
  // True when the Latin word elems[begin, end) occurs in `key` as whole words ("tshirt" counts
  // for "t-shirt", "x5" for "星河x5", "earbud" not for "earbuds").
  static bool HasWord(const Key& key, const std::vector<Elem>& elems, size_t begin, size_t end);

  std::vector<std::string> skus_;
  std::vector<Key> keys_;
  std::vector<uint8_t> min_hits_;  // per key: fewer bigram hits can never be a mention
  std::unordered_map<uint64_t, Posting> postings_;   // bigram -> keys holding it
  std::unordered_map<std::string, uint32_t> vocab_;  // English words of >= 5 letters -> id
  std::vector<std::string> vocab_words_;
  std::unordered_map<std::string, std::vector<uint32_t>> deletions_;  // word minus a letter -> ids
};

// Date arithmetic on the proleptic Gregorian calendar (Howard Hinnant's algorithms).
int64_t DaysFromCivil(int y, int m, int d);
void CivilFromDays(int64_t days, int& y, int& m, int& d);
int DaysInMonth(int y, int m);

}  // namespace kefu::nlu::internal
