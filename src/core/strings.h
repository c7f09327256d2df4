// Small ASCII string helpers shared by the parsers (TSV rows, model answers, uploads).
//
//   for (std::string_view field : SplitOn(line, '\t')) { field = TrimAsciiSpace(field); ... }
#pragma once

#include <string_view>
#include <vector>

namespace kefu {

inline bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// `s` without leading and trailing ASCII white space.
inline std::string_view TrimAsciiSpace(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && IsAsciiSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// The pieces of `s` between `sep`s (n separators give n + 1 pieces; "" gives one empty piece).
// The views point into `s`.
inline std::vector<std::string_view> SplitOn(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    const size_t at = s.find(sep, start);
    out.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) {
      return out;
    }
    start = at + 1;
  }
}

}  // namespace kefu
