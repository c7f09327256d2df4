#include "core/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace kefu {

JsonWriter& JsonWriter::Double(double v) {
  Separate();
  if (!std::isfinite(v)) {
    Append("null");
    return *this;
  }
  char* at = Room(34);
  const auto [end, ec] = std::to_chars(at, at + 32, v);
  const std::string_view text(at, ec == std::errc() ? static_cast<size_t>(end - at) : 0);
  len_ += text.size();
  if (text.find_first_of(".e") == std::string_view::npos) {
    Append(".0");
  }
  return *this;
}

void JsonWriter::Grow(size_t n) {
  out_.resize(std::max(len_ + n, 2 * out_.size() + 256));
}

namespace {

// True when none of the 8 bytes at p needs a look: no byte at or above 0x80, no control byte
// (below 0x20), no '"' and no '\\'. SWAR: the high bit of a byte of `hit` marks one that does
// (exact for "any", which is all this asks).
bool PlainAscii8(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if ((v & kHigh) != 0) {
    return false;
  }
  auto has_zero_byte = [](uint64_t y) { return (y - kOnes) & ~y & kHigh; };
  const uint64_t hit = ((v - kOnes * 0x20) & ~v & kHigh) | has_zero_byte(v ^ (kOnes * '"')) |
                       has_zero_byte(v ^ (kOnes * '\\'));
  return hit == 0;
}

// The length of the valid UTF-8 sequence (2 to 4 bytes) that starts at s[i], or 0 (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF).
size_t ValidSequenceAt(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const size_t left = s.size() - i;
  auto cont = [&](size_t k) { return (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    return left >= 2 && cont(1) ? 2 : 0;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) {
      return 0;
    }
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    return (b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 >= 0xA0) ? 0 : 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) {
      return 0;
    }
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    return (b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 >= 0x90) ? 0 : 4;
  }
  return 0;
}

}  // namespace

// Runs of bytes that need no escaping (printable ASCII, valid UTF-8 sequences) are copied in
// one append: traces and cards are mostly such runs. ASCII is checked eight bytes at a time.
void JsonWriter::AppendString(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  Room(s.size() + 2);
  Put('"');
  size_t run = 0;  // s[run, i) is copied as it is
  size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size() && PlainAscii8(s.data() + i)) {
      i += 8;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t n = ValidSequenceAt(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
    }
    Append(s.substr(run, i - run));
    switch (c) {
      case '"':
        Append("\\\"");
        break;
      case '\\':
        Append("\\\\");
        break;
      case '\n':
        Append("\\n");
        break;
      case '\r':
        Append("\\r");
        break;
      case '\t':
        Append("\\t");
        break;
      case '\b':
        Append("\\b");
        break;
      case '\f':
        Append("\\f");
        break;
      default:
        if (c < 0x20) {
          const char u[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          Append(std::string_view(u, sizeof u));
        } else {
          Append("\xEF\xBF\xBD");  // U+FFFD for a byte that starts no valid sequence
        }
    }
    run = ++i;
  }
  Append(s.substr(run, i - run));
  Put('"');
}

}  // namespace kefu
