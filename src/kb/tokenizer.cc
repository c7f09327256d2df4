#include "kb/tokenizer.h"

#include <algorithm>
#include <array>
#include <utility>

#include "core/utf8.h"
#include "text/normalize.h"
#include "text/pinyin.h"

namespace kefu::kb {
namespace {

using text::Token;
using text::TokenKind;

// Small on purpose: BM25's idf already discounts frequent words, so the list only removes
// function words that would otherwise match almost every chunk and add latency. Sorted for
// binary search (checked in a test through IsKbStopword).
constexpr auto kStopwords = std::to_array<std::string_view>(
    {// English, lower case, apostrophes removed ("dont").
     "a", "about", "also", "am", "an", "and", "any", "are", "arent", "as", "at", "be", "been",
     "being", "but", "by", "can", "cant", "could", "did", "didnt", "do", "does", "doesnt", "dont",
     "for", "from", "had", "has", "have", "he", "hello", "her", "here", "hi", "him", "his", "how",
     "i", "id", "if", "im", "in", "into", "is", "isnt", "it", "its", "ive", "just", "may", "me",
     "might", "must", "my", "of", "on", "or", "our", "please", "shall", "she", "should", "so",
     "than", "thank", "thanks", "that", "the", "their", "them", "then", "there", "these", "they",
     "this", "those", "to", "too", "very", "was", "we", "were", "what", "when", "where", "which",
     "who", "whom", "why", "will", "with", "wont", "would", "you", "your", "youre",
     // Chinese function words, as friso segments them.
     "一下", "么", "他", "你", "你的", "和", "哈", "哦", "啊", "嗯", "嘛", "地", "在", "她", "它",
     "得", "您", "您的", "我", "我们", "我的", "或", "是", "的", "着", "请问", "这", "这个", "那",
     "那个", "与", "了", "及", "吗", "吧", "呀", "呢",
     // Interrogatives, like English how/what/when: they tell a question's form, not its topic,
     // and would make 火星探测器什么时候发射 look like 什么时候发货.
     "为什么", "为啥", "么样", "什么", "什么样", "什么时候", "哪个", "哪些", "哪儿", "哪里", "啥",
     "多久", "多少", "如何", "怎么", "怎么办", "怎么样", "怎样", "是不是", "有没有", "能不能",
     "可不可以"});

const std::array<std::string_view, kStopwords.size()>& SortedStopwords() {
  static const auto sorted = [] {
    auto words = kStopwords;
    std::sort(words.begin(), words.end());
    return words;
  }();
  return sorted;
}

// Han ideographs of every block, including the supplementary planes that friso cannot hold
// (the segmenter gives those one token per character).
bool IsHanCodePoint(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x323AF) || cp == 0x3007;
}

// Length of the UTF-8 sequence that starts with `lead` (1 for stray continuation bytes).
size_t Utf8SeqLen(unsigned char lead) {
  if (lead < 0xC0) {
    return 1;
  }
  if (lead < 0xE0) {
    return 2;
  }
  if (lead < 0xF0) {
    return 3;
  }
  return 4;
}

char32_t FirstCodePoint(std::string_view s) {
  if (s.empty()) {
    return 0;
  }
  const auto b0 = static_cast<unsigned char>(s[0]);
  const size_t len = Utf8SeqLen(b0);
  if (len == 1 || s.size() < len) {
    return b0;
  }
  char32_t cp = b0 & (0x7F >> len);
  for (size_t i = 1; i < len; ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  }
  return cp;
}

bool IsHanWord(const Token& t) {
  return t.kind == TokenKind::kWord && IsHanCodePoint(FirstCodePoint(t.text));
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Porter's definitions (https://tartarus.org/martin/PorterStemmer/def.txt): a consonant is a
// letter other than a, e, i, o, u, and other than y preceded by a consonant.
bool IsConsonant(std::string_view w, size_t i) {
  switch (w[i]) {
    case 'a':
    case 'e':
    case 'i':
    case 'o':
    case 'u':
      return false;
    case 'y':
      return i == 0 || !IsConsonant(w, i - 1);
    default:
      return true;
  }
}

// m in [C](VC){m}[V] of w[0, len).
int Measure(std::string_view w, size_t len) {
  size_t i = 0;
  while (i < len && IsConsonant(w, i)) {
    ++i;
  }
  int m = 0;
  while (i < len) {
    while (i < len && !IsConsonant(w, i)) {
      ++i;
    }
    if (i >= len) {
      break;
    }
    while (i < len && IsConsonant(w, i)) {
      ++i;
    }
    ++m;
  }
  return m;
}

bool HasVowel(std::string_view w, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    if (!IsConsonant(w, i)) {
      return true;
    }
  }
  return false;
}

// consonant-vowel-consonant at the end of w[0, len), the last not w, x or y ("hop", not "how").
bool EndsCvc(std::string_view w, size_t len) {
  if (len < 3 || !IsConsonant(w, len - 1) || IsConsonant(w, len - 2) || !IsConsonant(w, len - 3)) {
    return false;
  }
  const char c = w[len - 1];
  return c != 'w' && c != 'x' && c != 'y';
}

bool IsAsciiLowerWord(std::string_view w) {
  return std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

// Appends the terms of one run of adjacent Han words (stopwords already excluded).
// `chars` is scratch for the byte offsets of each character in `joined`.
template <typename Sink>
void EmitHanRun(std::span<const Token> run, Sink& sink, std::string& joined,
                std::vector<uint32_t>& chars) {
  if (run.empty()) {
    return;
  }
  joined.clear();
  chars.clear();
  for (const Token& t : run) {
    for (size_t i = 0; i < t.text.size(); i += Utf8SeqLen(static_cast<unsigned char>(t.text[i]))) {
      chars.push_back(static_cast<uint32_t>(joined.size() + i));
    }
    joined += t.text;
  }
  const size_t n = chars.size();
  chars.push_back(static_cast<uint32_t>(joined.size()));
  const uint32_t base = run.front().start;
  if (n == 1) {
    sink(std::string(joined), base, base + 1);
    return;
  }
  size_t c = 0;  // index of the token's first character in the run
  for (const Token& t : run) {
    const size_t len = t.end - t.start;
    if (len >= 3) {
      sink(std::string(t.text), t.start, t.end);
    }
    for (size_t k = c; k < c + len && k + 1 < n; ++k) {
      sink(joined.substr(chars[k], chars[k + 2] - chars[k]), base + static_cast<uint32_t>(k),
           base + static_cast<uint32_t>(k + 2));
    }
    c += len;
  }
}

// Latin word -> term, or "" when it is dropped.
std::string LatinTerm(std::string_view word) {
  if (IsKbStopword(word)) {
    return {};
  }
  std::string w(word);
  for (std::string_view possessive : {std::string_view("'s"), std::string_view("\u2019s")}) {
    if (EndsWith(w, possessive)) {
      w.resize(w.size() - possessive.size());
      break;
    }
  }
  // Remove ' and U+2019 (E2 80 99).
  std::string plain;
  plain.reserve(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] == '\'') {
      continue;
    }
    if (w.compare(i, 3, "\u2019") == 0) {
      i += 2;
      continue;
    }
    plain.push_back(w[i]);
  }
  if (plain.empty() || IsKbStopword(plain)) {
    return {};
  }
  return StemEnglish(plain);
}

// Calls sink(std::string term, uint32_t start, uint32_t end) for each term of `tokens`, with
// code-point offsets into the normalized text the tokens came from.
template <typename Sink>
void EmitTerms(std::span<const Token> tokens, Sink&& sink) {
  auto bounded = [&sink](std::string term, uint32_t start, uint32_t end) {
    if (!term.empty() && term.size() <= kMaxTermBytes) {
      sink(std::move(term), start, end);
    }
  };
  std::string joined;
  std::vector<uint32_t> chars;
  size_t run_begin = 0;  // tokens[run_begin, i) is the pending Han run
  size_t i = 0;
  auto flush = [&] {
    EmitHanRun(tokens.subspan(run_begin, i - run_begin), bounded, joined, chars);
  };
  for (; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    const bool han = IsHanWord(t);
    if (!han || (i > run_begin && tokens[i - 1].end != t.start)) {
      flush();
      run_begin = i;
    }
    if (han) {
      if (IsKbStopword(t.text)) {
        flush();
        run_begin = i + 1;
      }
      continue;
    }
    run_begin = i + 1;
    switch (t.kind) {
      case TokenKind::kLatin:
        bounded(LatinTerm(t.text), t.start, t.end);
        break;
      case TokenKind::kNumber: {
        std::string number = t.text;
        std::erase(number, ',');
        bounded(std::move(number), t.start, t.end);
        break;
      }
      case TokenKind::kWord:
        bounded(std::string(t.text), t.start, t.end);
        break;
      case TokenKind::kPunct:
      case TokenKind::kEmoji:
        break;
    }
  }
  flush();
}

}  // namespace

bool IsKbStopword(std::string_view word) {
  const auto& words = SortedStopwords();
  return std::binary_search(words.begin(), words.end(), word);
}

std::string StemEnglish(std::string_view word) {
  std::string w(word);
  if (w.size() < 3 || !IsAsciiLowerWord(w)) {
    return w;
  }
  // Step 1a: plurals. "-ies" becomes "-y" (not Porter's "-i") so "batteries" meets "battery"
  // without step 1c; a final s after u, i or s stays ("status", "analysis", "glass").
  if (EndsWith(w, "sses")) {
    w.resize(w.size() - 2);
  } else if (EndsWith(w, "ies")) {
    if (w.size() > 4) {
      w.replace(w.size() - 3, 3, "y");
    } else {
      w.pop_back();  // "ties" -> "tie"
    }
  } else if (w.size() >= 4 && w.back() == 's') {
    const char before = w[w.size() - 2];
    if (before != 's' && before != 'u' && before != 'i') {
      w.pop_back();
    }
  }
  // Step 1b: -eed, -ed, -ing.
  if (EndsWith(w, "eed")) {
    if (Measure(w, w.size() - 3) > 0) {
      w.pop_back();
    }
  } else {
    size_t cut = 0;
    if (EndsWith(w, "ed") && HasVowel(w, w.size() - 2)) {
      cut = 2;
    } else if (EndsWith(w, "ing") && HasVowel(w, w.size() - 3)) {
      cut = 3;
    }
    if (cut > 0) {
      w.erase(w.size() - cut);
      const size_t n = w.size();
      if (EndsWith(w, "at") || EndsWith(w, "bl") || EndsWith(w, "iz")) {
        w.push_back('e');
      } else if (n >= 2 && w[n - 1] == w[n - 2] && IsConsonant(w, n - 1) && w[n - 1] != 'l' &&
                 w[n - 1] != 's' && w[n - 1] != 'z') {
        w.pop_back();
      } else if (Measure(w, n) == 1 && EndsCvc(w, n)) {
        w.push_back('e');
      }
    }
  }
  // -ly, only where the stem is safe: "-ally"/"-ully" ("usually" -> "usual"), or after a
  // letter that rarely ends an adjective stem ("quickly", "safely"; not "supply", "family",
  // "assembly", "butterfly", "anomaly").
  if (w.size() >= 6 && EndsWith(w, "ly")) {
    const char before = w[w.size() - 3];
    const bool vowel_l = before == 'l' && (w[w.size() - 4] == 'a' || w[w.size() - 4] == 'u');
    constexpr std::string_view kUnsafe = "aioulpbf";
    if (vowel_l || kUnsafe.find(before) == std::string_view::npos) {
      w.resize(w.size() - 2);
    }
  }
  // Step 5a: a final e goes when the rest is long enough ("charge" -> "charg", so it meets
  // "charged"), but stays after a short cvc stem ("size", "price").
  if (w.size() >= 3 && w.back() == 'e') {
    const size_t n = w.size() - 1;
    const int m = Measure(w, n);
    if (m > 1 || (m == 1 && !EndsCvc(w, n))) {
      w.pop_back();
    }
  }
  return w;
}

void AppendKbTerms(std::span<const text::Token> tokens, std::vector<std::string>& out) {
  EmitTerms(tokens,
            [&out](std::string term, uint32_t, uint32_t) { out.push_back(std::move(term)); });
}

std::vector<std::string> KbTerms(std::string_view raw_text, const text::Segmenter& segmenter) {
  const text::NormalizedText n = text::Normalize(raw_text);
  const std::vector<Token> tokens = segmenter.Segment(n.text);
  std::vector<std::string> terms;
  terms.reserve(tokens.size() * 2);
  AppendKbTerms(tokens, terms);
  return terms;
}

std::vector<std::string> KbTerms(std::string_view raw_text) {
  return KbTerms(raw_text, text::DefaultSegmenter());
}

namespace {

// The pinyin bigrams of segmented, normalized text (AppendPinyinTerms).
void AppendPinyinOfTokens(std::span<const Token> tokens, std::vector<std::string>& out) {
  // Stopwords break the run, as they do for KbTerms: "退款了吗" gives tui'kuan alone.
  std::string words;
  for (const Token& t : tokens) {
    words.append(IsKbStopword(t.text) ? "," : t.text).append(1, ' ');
  }
  for (const std::vector<std::string_view>& run : text::PinyinRuns(words)) {
    for (size_t i = 1; i < run.size(); ++i) {
      std::string term;
      term.reserve(run[i - 1].size() + 1 + run[i].size());
      term.append(run[i - 1]).append(1, '\'').append(run[i]);
      out.push_back(std::move(term));
    }
  }
}

}  // namespace

void AppendPinyinTerms(std::string_view raw_text, std::vector<std::string>& out) {
  const text::NormalizedText n = text::Normalize(raw_text);
  AppendPinyinOfTokens(text::DefaultSegmenter().Segment(n.text), out);
}

void KbTermsAndPinyin(std::string_view raw_text, std::vector<std::string>& terms,
                      std::vector<std::string>& pinyin, std::vector<PinyinWord>* words) {
  const text::NormalizedText n = text::Normalize(raw_text);
  const std::vector<Token> tokens = text::DefaultSegmenter().Segment(n.text);
  AppendKbTerms(tokens, terms);
  AppendPinyinOfTokens(tokens, pinyin);
  if (words == nullptr) {
    return;
  }
  // Every stretch of 1..kMaxPinyinWordChars characters of each run of Han characters.
  struct HanChar {
    std::string text;
    char32_t cp = 0;
    std::string_view reading;  // the first
  };
  std::vector<HanChar> run;
  auto flush = [&] {
    for (size_t i = 0; i < run.size(); ++i) {
      // A character alone under each of its readings (谁: shui and shei); longer stretches
      // under their first readings only.
      const std::vector<std::string_view> readings = text::PinyinReadingsOf(run[i].cp);
      for (size_t r = 1; r < readings.size(); ++r) {
        words->push_back({std::string(readings[r]), run[i].text});
      }
      PinyinWord w;
      for (size_t j = i; j < run.size() && j - i < kMaxPinyinWordChars; ++j) {
        w.word += run[j].text;
        w.reading += run[j].reading;
        words->push_back(w);
      }
    }
    run.clear();
  };
  for (size_t i = 0; i < n.text.size();) {
    char32_t c = 0;
    const size_t len = utf8::DecodeAt(n.text, i, c);
    const std::string_view reading =
        len > 0 && utf8::IsHan(c) ? text::PinyinOf(c) : std::string_view();
    if (reading.empty()) {
      flush();
    } else {
      run.push_back({std::string(n.text.substr(i, len)), c, reading});
    }
    i += std::max<size_t>(len, 1);
  }
  flush();
}

std::vector<KbTerm> KbTermsWithPositions(std::string_view raw_text,
                                         const text::Segmenter& segmenter) {
  const text::NormalizedText n = text::Normalize(raw_text);
  const std::vector<Token> tokens = segmenter.Segment(n.text);
  std::vector<KbTerm> terms;
  EmitTerms(tokens, [&](std::string term, uint32_t start, uint32_t end) {
    const text::CodePointSpan span = text::ToOriginalSpan(n, start, end);
    terms.push_back(KbTerm{std::move(term), span.start, span.end});
  });
  return terms;
}

std::vector<KbTerm> KbTermsWithPositions(std::string_view raw_text) {
  return KbTermsWithPositions(raw_text, text::DefaultSegmenter());
}

}  // namespace kefu::kb
