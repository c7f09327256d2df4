// Word segmentation of normalized text: Chinese words from friso (MMSEG, complex mode) with its
// system dictionary plus an e-commerce lexicon, and Latin words, numbers, emoji and punctuation
// split by character class.
//
//   SegmenterOptions options;
//   options.extra_words = catalog_product_names;
//   KEFU_ASSIGN_OR_RETURN(std::unique_ptr<Segmenter> seg, NewSegmenter(options));
//   for (const Token& t : seg->Segment(Normalize(raw).text)) { ... }
//   // 我想查询一下我的订单什么时候发货 -> 我想/查询/一下/我的/订单/什么时候/发货
//
//   std::vector<Token> tokens = Segment(n.text);   // the process-wide default segmenter
//
// Rules: a run of Latin letters is one kLatin token ("order"); a run of digits, with '.' or ','
// between digits, is one kNumber token ("15", "3.5"); "iphone15" is "iphone" + "15". An emoji
// with its modifiers, joiners and variation selectors is one kEmoji token. Each punctuation or
// symbol character is a kPunct token. White space separates tokens and is never a token.
// Letters of other scripts (kana, hangul, ...) form kWord runs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace kefu::text {

enum class TokenKind { kWord, kNumber, kLatin, kPunct, kEmoji };

// "word", "number", "latin", "punct", "emoji".
std::string_view TokenKindName(TokenKind kind);

struct Token {
  std::string text;    // the token's UTF-8 text, as it appears in the input
  uint32_t start = 0;  // code-point offsets into the input: [start, end)
  uint32_t end = 0;
  TokenKind kind = TokenKind::kWord;
};

// Splits normalized text into tokens. Thread-safe: one instance serves all sessions.
class Segmenter {
 public:
  virtual ~Segmenter() = default;

  // Tokens in input order, covering every code point except white space, controls and
  // invisible format characters exactly once. Input that is not normalized (Normalize) still
  // segments, but full-width and traditional text segment worse.
  // REQUIRES: `normalized` is valid UTF-8.
  virtual std::vector<Token> Segment(std::string_view normalized) const = 0;

  // "friso", or "han-chars" for the one-token-per-Han-character fallback.
  virtual std::string_view backend() const = 0;
};

struct SegmenterOptions {
  // Extra words, e.g. catalog product names. They are normalized, and each run of two or more
  // Chinese characters in them becomes a dictionary word (Latin and digits need no entry).
  std::vector<std::string> extra_words;
  // One term per line, '#' starts a comment line. Empty: DefaultLexiconPath(), skipped if that
  // file does not exist.
  std::string lexicon_path;
  // friso's configuration. Its friso.lex_dir is used when it holds a dictionary; otherwise (or
  // when the ini is missing) the dictionary is read from friso_dict_dir with friso's defaults.
  std::string friso_ini_path = "/etc/friso/friso.ini";
  std::string friso_dict_dir = "/usr/share/friso/dict/UTF-8/";
};

// Creates a friso-backed segmenter; loading the dictionaries takes about 0.2 s and 22 MB. friso
// segments one text at a time, so when threads find it busy the segmenter loads another friso
// instance in the background, up to one per core (each another 0.2 s and 22 MB).
// Returns kNotFound when options.lexicon_path is set but cannot be read, and kUnavailable when
// friso's dictionary cannot be loaded (the message says from where); fall back to
// NewHanCharSegmenter() if segmenting without a dictionary is acceptable.
Result<std::unique_ptr<Segmenter>> NewSegmenter(const SegmenterOptions& options);

// A segmenter without a dictionary: one kWord token per Han character, the other rules as above.
std::unique_ptr<Segmenter> NewHanCharSegmenter();

// The lexicon shipped in data/lexicon/ecommerce_terms.txt of the source tree this was built from.
std::string_view DefaultLexiconPath();

// Segments with a process-wide segmenter created on first use with default options. When friso
// cannot be loaded it logs a warning once and falls back to NewHanCharSegmenter().
std::vector<Token> Segment(std::string_view normalized);

// The default segmenter behind Segment(), and why it fell back (OK when friso loaded).
const Segmenter& DefaultSegmenter();
Status DefaultSegmenterStatus();

}  // namespace kefu::text
