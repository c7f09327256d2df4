// text/: turns raw shopper text into the form the understanding stage reads, and remembers where
// each normalized character came from so later stages can point back into the original.
//
//   NormalizedText n = Normalize("我的訂單２０２６１１０３ＡＢ到哪了？");
//   // n.text == "我的订单20261103ab到哪了?", n.lang == Language::kZh
//   // n.original is the input unchanged; n.source_index[k] is the code point of n.original
//   // that n.text's k-th code point came from.
//   CodePointSpan s = ToOriginalSpan(n, 4, 12);   // "20261103" -> {4, 12} in the original
//
//   std::vector<Token> tokens = Segment(n.text);        // text/segmenter.h
//   std::string safe = MaskPii("手机13812345678");        // text/pii.h -> "手机138****5678"
//
// Steps, in order: NFKC (full-width to half-width, ligatures, circled digits; emoji are kept as
// they are), white space collapsed to single spaces and trimmed, control and invisible format
// characters removed, simple case folding (lower-case), traditional to simplified Chinese
// (OpenCC t2s), then language identification by script.
//
// Thread-safety: every function here may be called from any thread. The ICU and OpenCC objects
// behind Normalize() are created once, on first use (about 15 ms); call NormalizerStatus() at
// startup to pay that cost early and to learn whether they loaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace kefu::text {

// kMixed: Han plus a meaningful amount of Latin letters ("我的order到哪了"); see DetectLanguage.
enum class Language { kUnknown, kZh, kEn, kMixed };

// "zh", "en", "mixed", or "" for kUnknown.
std::string_view LanguageCode(Language lang);
// The inverse of LanguageCode; anything else is kUnknown.
Language LanguageFromCode(std::string_view code);

// The language to reply in: kMixed becomes kZh (a shopper who writes any Chinese gets Chinese),
// everything else is returned as it is. Callers that pick a reply language or a template
// (dialog::Track) must pass PrimaryLanguage(n.lang), never n.lang itself.
Language PrimaryLanguage(Language lang);

struct NormalizedText {
  std::string text;  // normalized UTF-8
  Language lang = Language::kUnknown;
  std::string original;  // the input, byte for byte
  // One entry per code point of `text`: the index of the code point of `original` (as decoded by
  // utf8::Decode) it came from. Non-decreasing. When one original code point expands (ﬁ -> fi)
  // every output code point points at it; a combining sequence points at its first code point.
  std::vector<uint32_t> source_index;
};

// Normalizes `raw`. Never throws and never fails: when a converter is unavailable (see
// NormalizerStatus) its step is skipped. Linear in the input size.
// REQUIRES: `raw` is valid UTF-8 (callers validate at the edge); invalid bytes become U+FFFD.
NormalizedText Normalize(std::string_view raw);

// OK when ICU's NFKC data and OpenCC's t2s dictionaries (/usr/share/opencc/TSCharacters.ocd2,
// TSPhrases.ocd2) loaded; kUnavailable with the reason otherwise. The first call creates them.
Status NormalizerStatus();

// Language by script, counting Han characters and Latin letters (digits, punctuation and other
// scripts are ignored):
//   no Han, no Latin            -> kUnknown
//   Latin only                  -> kEn, but kZh when it is all pinyin (text/pinyin.h
//                                  LooksLikePinyin: "tuihuo yunfei shei chu")
//   Han, and Latin letters make up at least kMixedLatinPercent of Han + Latin -> kMixed
//   any other text with Han     -> kZh
// "我的order到哪了" (5 Han, 5 Latin: 50%) is kMixed; "订单号ab123456到哪了" (6 Han, 2 Latin:
// 25%) is kZh.
constexpr int kMixedLatinPercent = 30;
Language DetectLanguage(std::u32string_view text);
Language DetectLanguage(std::string_view utf8_text);

// A half-open range of code points.
struct CodePointSpan {
  uint32_t start = 0;
  uint32_t end = 0;
  bool operator==(const CodePointSpan&) const = default;
};

// Maps [start, end) in code points of n.text to the range of n.original it came from, so an
// entity found in the normalized text can be reported against what the shopper typed.
// REQUIRES: start <= end <= number of code points of n.text.
CodePointSpan ToOriginalSpan(const NormalizedText& n, uint32_t start, uint32_t end);

}  // namespace kefu::text
