// SHA-256 and constant-time comparison, for storing and checking secrets (conversation tokens).
#pragma once

#include <string>
#include <string_view>

namespace kefu {

// Lower-case hex SHA-256 of `data`. Thread-safe.
std::string Sha256Hex(std::string_view data);

// Lower-case hex HMAC-SHA256 of `data` under `key` (signed customer tokens). Thread-safe.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Compares without an early exit, so timing does not reveal how much of a secret matched.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace kefu
