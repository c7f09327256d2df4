// UTF-8 helpers: validation, decoding to code points and back.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kefu::utf8 {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValid(std::string_view s);

// Decodes the code point at s[i] into `cp` and returns its length in bytes, or 0 when the bytes
// there are not valid UTF-8 (overlong, surrogate, past U+10FFFF, truncated).
// REQUIRES: i < s.size()
size_t DecodeAt(std::string_view s, size_t i, char32_t& cp);

// Number of code points. REQUIRES: IsValid(s).
size_t CodePointCount(std::string_view s);

// Decodes `s`; invalid bytes become U+FFFD.
std::u32string Decode(std::string_view s);

void AppendCodePoint(char32_t cp, std::string& out);
std::string Encode(std::u32string_view cps);

// True for CJK unified ideographs (the basic block and extension A).
inline bool IsHan(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF);
}

}  // namespace kefu::utf8
