#include "core/json_writer.h"

#include <charconv>
#include <cmath>

#include "core/utf8.h"

namespace kefu {

JsonWriter& JsonWriter::Double(double v) {
  Separate();
  if (!std::isfinite(v)) {
    out_ += "null";
    return *this;
  }
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  const std::string_view text(buf, ec == std::errc() ? static_cast<size_t>(end - buf) : 0);
  out_ += text;
  if (text.find_first_of(".e") == std::string_view::npos) {
    out_ += ".0";
  }
  return *this;
}

// Runs of bytes that need no escaping (printable ASCII, valid UTF-8 sequences) are copied in
// one append: traces and cards are mostly such runs.
void JsonWriter::AppendString(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out_.reserve(out_.size() + s.size() + 2);
  out_ += '"';
  size_t run = 0;  // s[run, i) is copied as it is
  size_t i = 0;
  while (i < s.size()) {
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
    out_.append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      case '\b':
        out_ += "\\b";
        break;
      case '\f':
        out_ += "\\f";
        break;
      default:
        if (c < 0x20) {
          out_ += "\\u00";
          out_ += kHex[c >> 4];
          out_ += kHex[c & 0xF];
        } else {
          out_ += "\xEF\xBF\xBD";  // U+FFFD for a byte that starts no valid sequence
        }
    }
    run = ++i;
  }
  out_.append(s.data() + run, i - run);
  out_ += '"';
}

}  // namespace kefu
