// Small file helpers shared by the modules that write model and index files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace kefu {

// Writes `bytes` to a temporary file next to `path` and renames it over `path`, so readers see
// the old file or the new one, never half of one. kUnavailable (naming the file) when it cannot
// be written or renamed; the temporary file is removed then.
Status WriteFileAtomically(const std::string& path, std::string_view bytes);

inline constexpr uint64_t kFnv1aOffsetBasis = 14695981039346656037ull;

// 64-bit FNV-1a of `bytes`: a fast, stable, non-cryptographic hash (checksums of our own files,
// feature hashing, data splits). `basis` lets a caller keep a basis it has always used.
constexpr uint64_t Fnv1a64(std::string_view bytes, uint64_t basis = kFnv1aOffsetBasis) {
  uint64_t h = basis;
  for (char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace kefu
