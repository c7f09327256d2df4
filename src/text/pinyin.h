// Pinyin: the toneless reading of Han characters, and pinyin typed in Latin letters, so that text
// written with a Chinese input method's slips matches what was meant. Shoppers with the input
// method switched off type "huabei fenqi tuikuan" for 花呗分期退款, and homophone slips such as
// 退宽 for 退款 are the most common Chinese typo; both share their syllables with the intended
// words.
//
//   PinyinRuns("退宽了吗")                  // {tui, kuan, le, ma}
//   PinyinRuns("huabei fenqi, 7天")         // {hua, bei, fen, qi}, {tian}
//   PinyinRuns("can you reissue my fapiao") // {fa, piao}
//   SplitPinyin("tuikuan")                  // tui, kuan
//   SplitPinyin("refund")                   // empty: not a run of syllables
//
// The table is mozillazg/go-pinyin's dictionary (MIT), read from the Debian package
// golang-github-mozillazg-go-pinyin-dev that scripts/install-deps.sh installs: one entry per
// code point, its readings most common first. A polyphonic character gets its first reading (行
// -> xing, 还 -> hai). Tones are dropped; ü is written v (绿 -> lv), as typed on a keyboard.
// Without the file every function here returns nothing and PinyinStatus() says why.
//
// Thread-safety: every function may be called from any thread; the first call reads the table
// (about 40,000 entries, a few milliseconds).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace kefu::text {

// OK when the table loaded; kUnavailable with the path otherwise.
Status PinyinStatus();

// The toneless reading of one Han code point, or "" when it has none in the table.
std::string_view PinyinOf(char32_t cp);

// Every distinct toneless reading of one Han code point, PinyinOf's first (谁 -> shui, shei;
// 行 -> xing, hang); empty when it has none in the table.
std::vector<std::string_view> PinyinReadingsOf(char32_t cp);

// Splits a word of lower-case ASCII letters into pinyin syllables, fewest syllables first
// ("xian" -> xian, "tuikuan" -> tui kuan, "xi'an" is two words to the caller). Empty when the
// word is not entirely syllables, or is one of the bare consonants the table lists as readings
// of interjections (m, n, ng, hm, hng), which would make English words look like pinyin.
std::vector<std::string_view> SplitPinyin(std::string_view word);

// The syllables of `text` in order, split into runs: each inner vector is a maximal stretch of
// Han characters and Latin words that are pinyin (upper case folded), broken by anything else
// (digits, punctuation, other words; spaces and apostrophes do not break). A Latin word of one
// syllable counts only when the whole text LooksLikePinyin: in English, "can", "he" and "you"
// are words, while "fapiao" is pinyin anywhere. Han characters with no reading break the run.
// REQUIRES: `text` is valid UTF-8 (invalid bytes break the run).
std::vector<std::vector<std::string_view>> PinyinRuns(std::string_view text);

// True for Chinese written in pinyin: no Han characters, at least two Latin words, every one of
// them pinyin syllables, and at least three syllables in all ("huabei fenqi tuikuan", "jifen
// zenme suan"). English rarely passes: "china" is one word, "can he" two syllables.
bool LooksLikePinyin(std::string_view text);

}  // namespace kefu::text
