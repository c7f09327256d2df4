#include "core/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/utf8.h"

namespace kefu {

JsonWriter& JsonWriter::Double(double v) {
  Separate();
  if (!std::isfinite(v)) {
    Append("null");
    return *this;
  }
  // Most doubles a turn writes were rounded to thousandths (sentiment scores, the mood): those
  // are written from their whole thousandths, without the shortest-round-trip search. The text
  // is what to_chars writes: below 1000 the thousandths' decimal is the only one this short
  // that reads back as v (doubles there lie far closer than 0.001), and fixed notation is never
  // longer than scientific for it (a tie, 0.001 or 1e-03, goes to fixed).
  if (v != 0 && std::fabs(v) < 1000) {
    const double thousandths = std::nearbyint(v * 1000);
    if (thousandths / 1000 == v) {
      auto k = static_cast<int64_t>(thousandths);
      char* at = Room(16);  // "-999.999"
      char* p = at;
      if (k < 0) {
        *p++ = '-';
        k = -k;
      }
      p = std::to_chars(p, p + 4, k / 1000).ptr;
      *p++ = '.';
      int fraction = static_cast<int>(k % 1000);
      int digits = 3;
      if (fraction == 0) {
        digits = 1;  // "12.0": always a '.', like the general path
      }
      while (digits > 1 && fraction % 10 == 0) {
        fraction /= 10;
        --digits;
      }
      for (int d = digits - 1; d >= 0; --d) {
        p[d] = static_cast<char>('0' + fraction % 10);
        fraction /= 10;
      }
      len_ += static_cast<size_t>(p + digits - at);
      return *this;
    }
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

// The first buffer holds a turn's trace whole (about 600 bytes) and the second a dialogue
// state (about 1.2 KB): each growth copies and zero-fills, so few and large.
void JsonWriter::Grow(size_t n) {
  out_.resize(std::max(len_ + n, 2 * out_.size() + 1024));
}

namespace {

// True when none of the 8 bytes of v needs a look: no byte at or above 0x80, no control byte
// (below 0x20), no '"' and no '\\'. SWAR: the high bit of a byte of `hit` marks one that does
// (exact for "any", which is all this asks).
[[gnu::always_inline]] inline bool PlainAsciiWord(uint64_t v) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  if ((v & kHigh) != 0) {
    return false;
  }
  auto has_zero_byte = [](uint64_t y) { return (y - kOnes) & ~y & kHigh; };
  const uint64_t hit = ((v - kOnes * 0x20) & ~v & kHigh) | has_zero_byte(v ^ (kOnes * '"')) |
                       has_zero_byte(v ^ (kOnes * '\\'));
  return hit == 0;
}

[[gnu::always_inline]] inline bool PlainAscii8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return PlainAsciiWord(v);
}

// The same for the last 1-7 bytes of a string, read without going past its end: two 4-byte
// loads that overlap cover 4-7 bytes, the first, middle and last byte cover 1-3 (a byte read
// twice changes no answer). Most strings a turn writes are that short ("zh", "neutral"), and
// took the byte-at-a-time loop below.
[[gnu::always_inline]] inline bool PlainAsciiTail(const char* p, size_t n) {
  constexpr uint64_t kFill = 0x6161616161616161ULL;  // 'a'
  if (n >= 4) {
    uint32_t head;
    uint32_t tail;
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, p + n - 4, 4);
    return PlainAsciiWord(uint64_t{head} | (uint64_t{tail} << 32));
  }
  const auto byte = [&](size_t k) { return uint64_t{static_cast<unsigned char>(p[k])}; };
  return PlainAsciiWord((kFill << 24) | byte(0) | (byte(n / 2) << 8) | (byte(n - 1) << 16));
}

}  // namespace

// Runs of bytes that need no escaping (printable ASCII, valid UTF-8 sequences) are copied in
// one append: traces and cards are mostly such runs. ASCII is checked eight bytes at a time, a
// tail of fewer at once too.
void JsonWriter::AppendString(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  Room(s.size() + 2);
  Put('"');
  size_t run = 0;  // s[run, i) is copied as it is
  size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size()) {
      if (PlainAscii8(s.data() + i)) {
        i += 8;
        continue;
      }
    } else if (PlainAsciiTail(s.data() + i, s.size() - i)) {
      i = s.size();
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      char32_t cp = 0;
      const size_t n = utf8::DecodeAt(s, i, cp);
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
