// Shared by the libFuzzer targets (tests/fuzz): what every target checks and how it fails.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/utf8.h"

namespace kefu::fuzz {

// A broken invariant is a finding: print it and abort, so libFuzzer keeps the input.
[[noreturn]] inline void Fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz invariant broken: %s %.*s\n", what, int(detail.size()), detail.data());
  std::abort();
}

inline void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) {
    Fail(what, detail);
  }
}

// The code points [start, end) of UTF-8 `s`, or Fail when they are out of range.
inline std::string CodePoints(std::string_view s, size_t start, size_t end, const char* what) {
  std::u32string cps = utf8::Decode(s);
  Check(start <= end && end <= cps.size(), what, s);
  return utf8::Encode(std::u32string_view(cps).substr(start, end - start));
}

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace kefu::fuzz
