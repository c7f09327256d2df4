// Word and character error rates: Levenshtein distance after case folding and punctuation
// removal, the way ASR output is scored against a reference transcript.
#include <algorithm>
#include <string>
#include <vector>

#include "core/utf8.h"
#include "speech/speech.h"

namespace kefu::speech {
namespace {

enum class CharClass { kKeep, kSpace, kPunct, kDrop };

// Full-width ASCII forms (Ａ, ！, １) as their ASCII letters; then ASCII and Latin-1 letters lower
// case. Other scripts have no case or are left as they are.
char32_t Fold(char32_t cp) {
  if (cp >= 0xFF01 && cp <= 0xFF5E) {
    cp -= 0xFEE0;
  }
  if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)) {
    cp += 0x20;
  }
  return cp;
}

// REQUIRES: cp already folded
CharClass Classify(char32_t cp) {
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' ||
      cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A)) {
    return CharClass::kSpace;
  }
  // Apostrophes are dropped rather than split on, so "don't" and "dont" are one word.
  if (cp == '\'' || cp == 0x2019) {
    return CharClass::kDrop;
  }
  if (cp < 0x80) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
      return CharClass::kKeep;
    }
    return cp < 0x20 || cp == 0x7F ? CharClass::kSpace : CharClass::kPunct;
  }
  const bool punct =
      // Latin-1: ¡ § « ¶ · » ¿
      cp == 0xA1 || cp == 0xA7 || cp == 0xAB || cp == 0xB6 || cp == 0xB7 || cp == 0xBB ||
      cp == 0xBF ||
      // General Punctuation: dashes, quotes, …, ‰ and friends
      (cp >= 0x2010 && cp <= 0x205E) ||
      // CJK Symbols and Punctuation: 、。〃〈〉《》「」『』【】〔〕〜〝〞〟〰〽 (not 々〆〇)
      (cp >= 0x3001 && cp <= 0x3003) || (cp >= 0x3008 && cp <= 0x3011) ||
      (cp >= 0x3014 && cp <= 0x301F) || cp == 0x3030 || cp == 0x303D || cp == 0x30FB ||
      // Vertical, compatibility and small forms (︐ ﹁ ﹐)
      (cp >= 0xFE10 && cp <= 0xFE19) || (cp >= 0xFE30 && cp <= 0xFE6B) ||
      // Half-width CJK punctuation: ｡｢｣､･
      (cp >= 0xFF5F && cp <= 0xFF65);
  return punct ? CharClass::kPunct : CharClass::kKeep;
}

// The folded code points of `s` with punctuation turned into spaces (apostrophes removed).
std::u32string Clean(std::string_view s) {
  std::u32string out;
  for (char32_t cp : utf8::Decode(s)) {
    cp = Fold(cp);
    switch (Classify(cp)) {
      case CharClass::kKeep:
        out.push_back(cp);
        break;
      case CharClass::kSpace:
      case CharClass::kPunct:
        out.push_back(' ');
        break;
      case CharClass::kDrop:
        break;
    }
  }
  return out;
}

std::vector<std::u32string> Words(std::string_view s) {
  std::vector<std::u32string> words;
  const std::u32string clean = Clean(s);
  size_t i = 0;
  while (i < clean.size()) {
    while (i < clean.size() && clean[i] == ' ') {
      ++i;
    }
    const size_t start = i;
    while (i < clean.size() && clean[i] != ' ') {
      ++i;
    }
    if (i > start) {
      words.push_back(clean.substr(start, i - start));
    }
  }
  return words;
}

std::u32string Characters(std::string_view s) {
  std::u32string chars = Clean(s);
  std::erase(chars, U' ');
  return chars;
}

// Levenshtein distance with unit costs, two rows.
template <typename Seq>
size_t EditDistance(const Seq& ref, const Seq& hyp) {
  std::vector<size_t> prev(hyp.size() + 1);
  std::vector<size_t> cur(hyp.size() + 1);
  for (size_t j = 0; j <= hyp.size(); ++j) {
    prev[j] = j;
  }
  for (size_t i = 1; i <= ref.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= hyp.size(); ++j) {
      const size_t substitute = prev[j - 1] + (ref[i - 1] == hyp[j - 1] ? 0 : 1);
      cur[j] = std::min({substitute, prev[j] + 1, cur[j - 1] + 1});
    }
    std::swap(prev, cur);
  }
  return prev[hyp.size()];
}

double Rate(std::pair<size_t, size_t> edits) {
  if (edits.second == 0) {
    return edits.first == 0 ? 0.0 : 1.0;
  }
  return static_cast<double>(edits.first) / static_cast<double>(edits.second);
}

}  // namespace

std::pair<size_t, size_t> WordEdits(std::string_view reference, std::string_view hypothesis) {
  const std::vector<std::u32string> ref = Words(reference);
  return {EditDistance(ref, Words(hypothesis)), ref.size()};
}

std::pair<size_t, size_t> CharacterEdits(std::string_view reference, std::string_view hypothesis) {
  const std::u32string ref = Characters(reference);
  return {EditDistance(ref, Characters(hypothesis)), ref.size()};
}

double WordErrorRate(std::string_view reference, std::string_view hypothesis) {
  return Rate(WordEdits(reference, hypothesis));
}

double CharacterErrorRate(std::string_view reference, std::string_view hypothesis) {
  return Rate(CharacterEdits(reference, hypothesis));
}

}  // namespace kefu::speech
