#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"
#include "llm/guard.h"

namespace kefu::llm {

namespace {

bool IsHardTerminator(char32_t c) {
  return c == U'。' || c == U'！' || c == U'？' || c == U'；' || c == U'!' || c == U'?' ||
         c == U'\n';
}

bool IsCloser(char32_t c) {
  return c == U'」' || c == U'』' || c == U'”' || c == U'’' || c == U'）' || c == U')' ||
         c == U'"' || c == U'\'' || c == U']' || c == U'】';
}

bool IsAsciiAlnum(char32_t c) {
  return (c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
}

bool IsSpace(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r';
}

bool IsAbbreviation(std::u32string_view word) {
  std::string w;
  for (char32_t c : word) {
    w.push_back(static_cast<char>(c >= U'A' && c <= U'Z' ? c - U'A' + U'a' : c));
  }
  static const std::set<std::string> kAbbrev = {
      "no",  "nos", "mr",  "mrs", "ms",   "dr",  "st",  "vs",  "jr",  "sr",  "approx", "e.g",
      "i.e", "eg",  "ie",  "fig", "ca",   "inc", "ltd", "co",  "jan", "feb", "mar",    "apr",
      "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "tel", "ext"};
  return kAbbrev.count(w) > 0;
}

// Code-point offsets of the byte string's complete code points; a truncated trailing sequence is
// left out (it waits for the next delta).
struct Decoded {
  std::u32string cps;
  std::vector<size_t> byte_end;  // byte offset after each code point
};

Decoded DecodeComplete(std::string_view s) {
  Decoded d;
  size_t i = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    size_t len = utf8::DecodeAt(s, i, cp);
    if (len == 0) {
      unsigned char b = static_cast<unsigned char>(s[i]);
      size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
      if (i + need > s.size()) {
        break;  // truncated: wait
      }
      cp = 0xFFFD;
      len = 1;
    }
    i += len;
    d.cps.push_back(cp);
    d.byte_end.push_back(i);
  }
  return d;
}

// The code-point index after which the first complete sentence of `t` ends, or npos.
size_t FirstSentenceEnd(const std::u32string& t) {
  for (size_t i = 0; i < t.size(); ++i) {
    char32_t c = t[i];
    if (IsHardTerminator(c)) {
      size_t e = i + 1;
      while (e < t.size() && (IsHardTerminator(t[e]) || IsCloser(t[e]))) {
        ++e;
      }
      if (e == t.size()) {
        return std::u32string::npos;  // more terminators or closers may follow
      }
      return e;
    }
    if (c != U'.') {
      continue;
    }
    size_t e = i + 1;
    while (e < t.size() && (t[e] == U'.' || IsCloser(t[e]))) {
      ++e;
    }
    if (e == t.size()) {
      return std::u32string::npos;  // "3." may become "3.5"
    }
    if (!IsSpace(t[e])) {
      continue;  // 3.5, e.g, example.com
    }
    // The word before the dot (letters and digits, and inner dots as in "e.g").
    size_t w = i;
    while (w > 0 &&
           (IsAsciiAlnum(t[w - 1]) || (t[w - 1] == U'.' && w >= 2 && IsAsciiAlnum(t[w - 2])))) {
      --w;
    }
    std::u32string_view word(t.data() + w, i - w);
    if (word.size() == 1 && t[w] >= U'A' && t[w] <= U'Z') {
      continue;  // an initial: J. Smith
    }
    if (IsAbbreviation(word)) {
      continue;
    }
    bool only_digits = !word.empty();
    for (char32_t ch : word) {
      only_digits = only_digits && ch >= U'0' && ch <= U'9';
    }
    size_t s0 = 0;
    while (s0 < w && IsSpace(t[s0])) {
      ++s0;
    }
    if (only_digits && s0 == w) {
      continue;  // "1. " list marker
    }
    return e;
  }
  return std::u32string::npos;
}

}  // namespace

std::vector<std::string> SentenceStream::Append(std::string_view delta) {
  buffer_.append(delta);
  std::vector<std::string> out;
  while (true) {
    Decoded d = DecodeComplete(buffer_);
    size_t end = FirstSentenceEnd(d.cps);
    if (end == std::u32string::npos) {
      break;
    }
    size_t bytes = d.byte_end[end - 1];
    out.push_back(buffer_.substr(0, bytes));
    buffer_.erase(0, bytes);
  }
  return out;
}

std::string SentenceStream::Flush() {
  std::string rest = std::move(buffer_);
  buffer_.clear();
  return rest;
}

}  // namespace kefu::llm