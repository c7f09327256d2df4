// Helpers shared by pii.cc and pii_address.cc. Private to text/.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "text/pii.h"

namespace kefu::text::internal {

// 0-9 for ASCII and full-width digits, -1 otherwise.
inline int DigitValue(char32_t cp) {
  if (cp >= '0' && cp <= '9') {
    return static_cast<int>(cp - '0');
  }
  if (cp >= 0xFF10 && cp <= 0xFF19) {
    return static_cast<int>(cp - 0xFF10);
  }
  return -1;
}

inline bool IsDigitLike(char32_t cp) {
  return DigitValue(cp) >= 0;
}

// A candidate span before overlap resolution; `value` is filled in by FindPii.
struct PiiCandidate {
  PiiType type;
  size_t start;
  size_t end;
};

// Appends Chinese and English address candidates found in `cps`.
void FindAddresses(const std::u32string& cps, std::vector<PiiCandidate>& out);

// How many leading code points of the address `cps` a mask keeps: its province and city units
// for a Chinese address, 0 for an English one (which keeps words and masks digits instead).
size_t AddressKeepPrefix(const std::u32string& cps);

}  // namespace kefu::text::internal
