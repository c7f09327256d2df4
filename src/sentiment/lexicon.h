// Private to sentiment/: the lexicon (terms of lexicon_zh.tsv and lexicon_en.tsv in one token
// trie) and the tokenizer that both the loader and the analyzer use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace kefu::sentiment::internal {

enum class TermKind : uint8_t {
  kPositive,
  kNegative,
  kIntensifier,
  kNegation,
  kContrast,
  kEmotion,
  kThreat,
  kAspect,
  kNeutral,  // consumes its text so that shorter terms inside it do not fire (你好, 好不好)
};

inline constexpr int kAspectCount = 4;
// "logistics", "quality", "service", "price"; index is the aspect id.
std::string_view AspectName(int aspect);

struct Term {
  std::string text;  // normalized, as matched
  TermKind kind = TermKind::kNeutral;
  double value = 0.0;     // strength (pos, neg, threat, emotion) or multiplier (intensifier)
  int8_t emotion = -1;    // an Emotion index, or -1 for the kind's default
  int8_t aspect = -1;     // an aspect id, or -1
  bool negatable = true;  // false for emoji and emoticons: "nothing yet 😡" is still angry
};

enum class TokenType : uint8_t {
  kWord,         // a run of ASCII letters and digits
  kChar,         // any other single code point
  kClausePunct,  // , . ; ! ? 。 、 … ~ and newline: ends a clause
};

struct Token {
  uint64_t hash = 0;
  uint32_t begin = 0;  // byte offsets into the text
  uint32_t end = 0;
  TokenType type = TokenType::kChar;
  char punct = 0;  // for kClausePunct: the ASCII character ('.' for 。 and 、)
};

// Appends the tokens of `text` to `out`. White space and U+FE0F separate tokens and are dropped;
// apostrophes inside a word are dropped; ASCII letters hash as lower case.
void Tokenize(std::string_view text, std::vector<Token>& out);

// Immutable after Load.
class Lexicon {
 public:
  // Loads lexicon_zh.tsv and lexicon_en.tsv from `dir`. See sentiment.h for the codes.
  static Result<Lexicon> Load(const std::string& dir);

  // Adds the entries of one file; `file` names it in errors. Used by Load and by tests.
  Status AddFile(const std::string& file, std::string_view contents);

  // The longest term whose tokens are tokens[start..]; sets `length` to its token count.
  // Returns nullptr when no term starts there.
  const Term* LongestMatch(const std::vector<Token>& tokens, size_t start, size_t& length) const;

  size_t size() const { return terms_.size(); }

 private:
  struct Node {
    int32_t term = -1;  // index into terms_, or -1
  };
  static uint64_t EdgeKey(uint32_t node, uint64_t token_hash) {
    return token_hash * 0x9E3779B97F4A7C15ull ^
           (static_cast<uint64_t>(node) + 0x632BE59BD9B4E019ull);
  }
  Status Add(Term term, const std::string& where);

  std::vector<Term> terms_;
  std::vector<Node> nodes_{Node{}};               // nodes_[0] is the root
  std::unordered_map<uint64_t, uint32_t> edges_;  // EdgeKey(parent, token) -> child
  size_t max_depth_ = 0;
};

}  // namespace kefu::sentiment::internal
