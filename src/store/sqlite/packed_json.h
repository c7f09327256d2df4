// Long JSON values stored compressed: a reply's trace (about 1.1 KB for an order's status, two
// thirds of what a turn appends to the database). Private to the SQLite backend.
//
// Under turn load the bytes a turn appends set much of its cost: they go through the WAL, the
// checkpoint copies them into the database file and the kernel writes them to disk. A trace is
// JSON of one shape whose keys and most values repeat from turn to turn, so zstd against a
// dictionary of traces (src/store/dictionaries/<version>.json: the traces of the project's own
// example messages, one per intent and action) stores one in about a sixth of its size.
//
// A stored value is TEXT (JSON as it is: values under kPackMinBytes, and rows written before
// packing) or a BLOB: one byte naming the dictionary's version, then one zstd frame, which
// records the decoded size. A dictionary is never edited or removed, since the rows written with
// it need it to be read; a better one is a new file with the next number, used for new rows.
// SQL reads a value through kefu_json(), never the column itself.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "core/result.h"
#include "core/status.h"

namespace kefu::store::sqlite {

inline constexpr size_t kPackMinBytes = 256;          // shorter JSON is stored as text
inline constexpr size_t kMaxUnpackedBytes = 8 << 20;  // a packed value's decoded size, at most

// `json` packed with the newest dictionary; nullopt when it is shorter than kPackMinBytes (or
// too long to unpack again), to be stored as it is. Thread-safe.
std::optional<std::string> PackJson(std::string_view json);

// The JSON a packed value holds. Errors: an unknown dictionary version, a corrupt or truncated
// frame, a decoded size over kMaxUnpackedBytes. Thread-safe.
Result<std::string> UnpackJson(std::string_view packed);

// The newest dictionary's version (what PackJson writes).
int PackVersion();

// Registers two SQL functions on `db`:
//   kefu_pack(x)  x packed (a BLOB) when it is text of at least kPackMinBytes, else x;
//   kefu_json(x)  the JSON text of a packed x, x itself when it is not a BLOB; NULL (and a
//                 warning in the log) when a BLOB cannot be unpacked.
Status RegisterPackedJsonFunctions(sqlite3* db);

}  // namespace kefu::store::sqlite
