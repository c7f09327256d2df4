// Code-point classes shared by normalization, language id, segmentation and PII scanning.
// Private to text/. All functions are pure and thread-safe.
#pragma once

namespace kefu::text::internal {

enum class CharClass {
  kHan,          // CJK ideographs (all extensions, compatibility ideographs, 〇)
  kLatinLetter,  // letters of the Latin script (a-z, é, ß, ...)
  kDigit,        // decimal digits (Unicode Nd)
  kSpace,        // white space
  kEmoji,        // pictographs, regional indicators and emoji components that start a cluster
  kPunct,        // punctuation and symbols
  kOtherLetter,  // letters of other scripts (kana, hangul, Cyrillic, ...)
  kMark,         // combining marks, joiners and variation selectors: they extend what precedes
  kOther,        // controls, format characters, unassigned code points
};

CharClass ClassOf(char32_t cp);

// CJK ideographs: the unified blocks with every extension, compatibility ideographs and 〇.
bool IsHanChar(char32_t cp);

// Ideographs that friso's dictionary can hold: the BMP ones (3 UTF-8 bytes each).
inline bool IsBmpHan(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0xF900 && cp <= 0xFAFF);
}

// Pictographic characters that must pass through normalization untouched (Extended_Pictographic,
// Emoji_Presentation, regional indicators, skin-tone modifiers).
bool IsEmojiChar(char32_t cp);

// Characters that continue an emoji cluster: ZWJ, variation selectors, keycap, tags, skin tones.
bool IsEmojiExtender(char32_t cp);

inline bool IsAsciiDigit(char32_t cp) {
  return cp >= '0' && cp <= '9';
}
inline bool IsAsciiAlpha(char32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

}  // namespace kefu::text::internal
