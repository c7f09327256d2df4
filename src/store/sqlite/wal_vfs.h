// A VFS over another (SQLite's default) that writes a transaction's WAL frames with one write.
// Private to the SQLite backend.
//
// SQLite writes each WAL frame as two writes, its 24-byte header and then the page; a frame is
// 4,120 bytes, so the two touch three pages of the file's page cache. Under turn load that was
// about four pwrite calls a turn and a tenth of the store worker's time. This VFS keeps a WAL
// file's contiguous writes in a buffer and writes them with one call when the transaction's
// commit frame is complete, so SQLite sees the write's result (a full disk fails the commit, as
// before). Before anything else touches the file (a read, a sync, a size, a truncate, a close) the
// buffer is written first, and a commit frame is never left in it. Frames past the last commit
// are invisible to every reader until a commit, so holding them back changes nothing another
// connection can see. Other files (the database, its shared memory) are the base VFS's own.
#pragma once

#include <cstdint>

#include "core/status.h"

namespace kefu::store::sqlite {

// The name to open connections with: the coalescing VFS over the default one, registered on the
// first call. nullptr (SQLite's default VFS) if it could not be registered.
const char* CoalescingWalVfs();

// Registers the coalescing VFS as `name` over the VFS named `base` (nullptr: the default).
// Not the default VFS. For tests, which put it over a VFS that fails writes.
Status RegisterCoalescingWalVfs(const char* name, const char* base);

// Process-wide counts, for tests and benchmarks: the WAL writes SQLite asked for and the writes
// the coalescing VFS passed on to the base VFS.
struct WalWriteCounts {
  int64_t asked = 0;
  int64_t written = 0;
};
WalWriteCounts WalWrites();

}  // namespace kefu::store::sqlite
