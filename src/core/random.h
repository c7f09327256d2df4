// Unpredictable identifiers and secrets (conversation ids, tokens, trace ids).
#pragma once

#include <cstddef>
#include <string>

namespace kefu {

// `bytes` random bytes from the OS entropy source, as lower-case hex. Thread-safe.
std::string RandomHex(size_t bytes);

}  // namespace kefu
