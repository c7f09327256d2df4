#include "core/random.h"

#include <array>
#include <cstdint>
#include <random>

#include <sys/random.h>

namespace kefu {

std::string RandomHex(size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  std::array<uint8_t, 64> buf{};
  while (bytes > 0) {
    const size_t n = bytes < buf.size() ? bytes : buf.size();
    ssize_t got = getrandom(buf.data(), n, 0);
    if (got != static_cast<ssize_t>(n)) {
      // getrandom() on Linux >= 3.17 does not fail for small reads; fall back defensively.
      std::random_device rd;
      for (size_t i = 0; i < n; ++i) {
        buf[i] = static_cast<uint8_t>(rd());
      }
    }
    for (size_t i = 0; i < n; ++i) {
      out.push_back(kHex[buf[i] >> 4]);
      out.push_back(kHex[buf[i] & 0xF]);
    }
    bytes -= n;
  }
  return out;
}

}  // namespace kefu
