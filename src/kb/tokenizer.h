// Index terms for the knowledge base's lexical (BM25) index: the same function turns a chunk into
// terms at import and a shopper's question into terms at query time, so both sides match.
//
//   std::vector<std::string> doc = KbTerms("申请退款流程: 7天内可退货");
//   // 申请, 请退, 退款, 款流, 流程, 7, 天内, 内可, 可退, 退货   (bigrams of each Han run)
//   std::vector<std::string> q = KbTerms("怎麼退款?");   // 怎么, 么退, 退款 -> matches the doc
//   KbTerms("Refunds for returned items");               // refund, return, item
//
// Steps: text::Normalize (NFKC, lower case, traditional -> simplified), text::Segment (friso
// words), then per token:
//  - Han: each maximal run of adjacent Han words yields its character bigrams, plus every
//    friso word of three or more characters as a term of its own (a two-character word is
//    already one of the bigrams). A run of one character yields that character. Chinese
//    stopword words (的, 了, 吗, 呢, 吧, 啊, ...) are dropped and split the run, so "退款了吗"
//    yields only 退款.
//  - Latin: English stopwords (the, a, is, to, of, ...) dropped, a possessive 's dropped,
//    apostrophes removed, then a light stemmer (StemEnglish).
//  - Numbers are kept, with thousands separators removed ("1,000" -> "1000", "3.5" stays).
//  - Other letters (kana, hangul, Cyrillic, ...) are kept as they are.
//  - Punctuation and emoji are dropped; so is any term longer than kMaxTermBytes.
//
// Thread-safety: every function here may be called from any thread. The first call loads the
// normalizer and friso (about 0.2 s); call text::DefaultSegmenterStatus() at startup to pay it
// early. Cost: roughly linear in the input (see bench/kb_bench.cc for terms/s).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "text/segmenter.h"

namespace kefu::kb {

// Terms longer than this (URLs, base64, key mashing) are dropped rather than indexed.
constexpr size_t kMaxTermBytes = 64;

// One index term and where it came from.
struct KbTerm {
  std::string text;
  // Code-point offsets [start, end) into the raw text passed in (not the normalized text), so
  // a match can be highlighted in what the author wrote.
  uint32_t start = 0;
  uint32_t end = 0;
};

// The index terms of `raw_text` in text order, duplicates kept (term frequency counts).
// REQUIRES: `raw_text` is valid UTF-8 (invalid bytes become U+FFFD, which is dropped).
std::vector<std::string> KbTerms(std::string_view raw_text);

// The same, segmenting with `segmenter` instead of the process-wide default (a segmenter
// that knows the catalog's product names, or text::NewHanCharSegmenter() in tests).
std::vector<std::string> KbTerms(std::string_view raw_text, const text::Segmenter& segmenter);

// The same terms as KbTerms, with their positions in `raw_text`.
std::vector<KbTerm> KbTermsWithPositions(std::string_view raw_text);
std::vector<KbTerm> KbTermsWithPositions(std::string_view raw_text,
                                         const text::Segmenter& segmenter);

// Appends the terms of already segmented, normalized text to `out`; KbTerms is Normalize,
// Segment and this. For callers that have the tokens anyway (the NLU stage).
void AppendKbTerms(std::span<const text::Token> tokens, std::vector<std::string>& out);

// Appends the pinyin bigrams of `raw_text` ("tui'kuan"), after normalization: consecutive
// syllables of its Han characters and of pinyin typed in Latin letters (text/pinyin.h), with
// stopwords breaking the run as in KbTerms. FAQ
// questions and the shopper's question carry them beside their KbTerms, so that a homophone slip
// (退宽) or pinyin typed with the input method off ("tuikuan") still meets 退款. The apostrophe
// keeps them apart from KbTerms, which never hold one. Nothing when the pinyin table is missing.
void AppendPinyinTerms(std::string_view raw_text, std::vector<std::string>& out);

// A stretch of Chinese characters of a text and its toneless reading, syllables joined:
// {"tuikuan", "退款"}.
struct PinyinWord {
  std::string reading;
  std::string word;
};
// The longest stretch KbTermsAndPinyin gives a PinyinWord.
constexpr size_t kMaxPinyinWordChars = 4;

// KbTerms and AppendPinyinTerms of one text, normalized and segmented once: appends to `terms`
// and `pinyin`, and with `words`, every stretch of one to kMaxPinyinWordChars characters of
// each run of Han characters in the normalized text with its reading, so that pinyin typed
// later can be read back into the text's own wording.
void KbTermsAndPinyin(std::string_view raw_text, std::vector<std::string>& terms,
                      std::vector<std::string>& pinyin, std::vector<PinyinWord>* words = nullptr);

// The light English stemmer used for Latin tokens: Porter's steps 1a and 1b (plurals, -ed,
// -ing), "-ies" -> "-y", a guarded "-ly", and Porter's step 5a (final -e). Words that are not
// plain ASCII a-z, or shorter than 3 letters, are returned unchanged.
//   refunds -> refund, shipping -> ship, returned -> return, batteries -> battery,
//   quickly -> quick, charges/charged/charging/charge -> charg, reply -> reply.
// REQUIRES: `word` is lower case.
std::string StemEnglish(std::string_view word);

// True for a stopword of either language: a lower-case English word ("the", "is") or a
// Chinese function word ("的", "吗"). The word is compared as given (not normalized).
bool IsKbStopword(std::string_view word);

}  // namespace kefu::kb
