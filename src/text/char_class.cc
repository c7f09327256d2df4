#include "text/char_class.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>

namespace kefu::text::internal {

bool IsHanChar(char32_t cp) {
  if (IsBmpHan(cp) || cp == 0x3007) {
    return true;
  }
  // Extensions B-H and the compatibility supplement live in planes 2 and 3.
  return cp >= 0x20000 && cp <= 0x323AF;
}

bool IsEmojiChar(char32_t cp) {
  if (cp < 0xA9) {
    return false;  // ASCII: '#', '*' and digits are emoji only inside keycap sequences
  }
  const auto c = static_cast<UChar32>(cp);
  return u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC) ||
         u_hasBinaryProperty(c, UCHAR_EMOJI_PRESENTATION) ||
         u_hasBinaryProperty(c, UCHAR_REGIONAL_INDICATOR) ||
         u_hasBinaryProperty(c, UCHAR_EMOJI_MODIFIER);
}

bool IsEmojiExtender(char32_t cp) {
  return cp == 0x200D || cp == 0xFE0F || cp == 0xFE0E || cp == 0x20E3 ||
         (cp >= 0x1F3FB && cp <= 0x1F3FF) || (cp >= 0xE0020 && cp <= 0xE007F);
}

CharClass ClassOf(char32_t cp) {
  if (cp < 0x80) {
    if (IsAsciiAlpha(cp)) {
      return CharClass::kLatinLetter;
    }
    if (IsAsciiDigit(cp)) {
      return CharClass::kDigit;
    }
    if (cp == ' ' || (cp >= '\t' && cp <= '\r')) {
      return CharClass::kSpace;
    }
    if (cp < 0x20 || cp == 0x7F) {
      return CharClass::kOther;
    }
    return CharClass::kPunct;
  }
  if (IsHanChar(cp)) {
    return CharClass::kHan;
  }
  if (IsEmojiChar(cp)) {
    return CharClass::kEmoji;
  }
  if (IsEmojiExtender(cp)) {
    return CharClass::kMark;
  }
  const auto c = static_cast<UChar32>(cp);
  if (u_isUWhiteSpace(c)) {
    return CharClass::kSpace;
  }
  switch (u_charType(c)) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER: {
      UErrorCode status = U_ZERO_ERROR;
      const UScriptCode script = uscript_getScript(c, &status);
      if (U_SUCCESS(status) && script == USCRIPT_LATIN) {
        return CharClass::kLatinLetter;
      }
      return CharClass::kOtherLetter;
    }
    case U_DECIMAL_DIGIT_NUMBER:
      return CharClass::kDigit;
    case U_NON_SPACING_MARK:
    case U_ENCLOSING_MARK:
    case U_COMBINING_SPACING_MARK:
      return CharClass::kMark;
    case U_CONNECTOR_PUNCTUATION:
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_MATH_SYMBOL:
    case U_CURRENCY_SYMBOL:
    case U_MODIFIER_SYMBOL:
    case U_OTHER_SYMBOL:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return CharClass::kPunct;
    default:
      return CharClass::kOther;
  }
}

}  // namespace kefu::text::internal
