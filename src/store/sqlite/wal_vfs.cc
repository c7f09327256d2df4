// The coalescing WAL VFS: see wal_vfs.h for what it does and why it is safe.
#include "store/sqlite/wal_vfs.h"

#include <atomic>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "core/logging.h"

namespace kefu::store::sqlite {
namespace {

// A buffer is written out before it grows past this: SQLite's unix VFS writes at most 2^17 - 1
// bytes a call (seekAndWriteFd masks the length) and fails a longer write as a full disk. A
// batch of 16 turns writes about 35 frames, 140 KB: two writes.
constexpr size_t kMaxBuffer = (1 << 17) - 1;
// The WAL's frame header: page number, then the database size in pages after a commit (0 in
// every frame but a transaction's last), then salts and checksums (the file format's "frame").
constexpr int kFrameHeader = 24;

std::atomic<int64_t> asked_writes{0};
std::atomic<int64_t> passed_writes{0};

struct Pending {
  std::vector<char> bytes;
  sqlite3_int64 start = 0;      // the file offset of bytes[0]
  bool commit_pending = false;  // the last write was a commit frame's header: flush after the next
  bool after_read = false;      // the last call on the file was a read
};

// A WAL file: the base VFS's file lies right after it (sqlite3_file is C: no constructors).
struct WalFile {
  sqlite3_file base;  // pMethods: kWalMethods
  sqlite3_file* real;
  Pending* pending;
};

constexpr size_t kRealOffset = (sizeof(WalFile) + 15) & ~size_t{15};

WalFile* Wal(sqlite3_file* f) {
  return reinterpret_cast<WalFile*>(f);
}
const sqlite3_io_methods* Real(WalFile* f) {
  return f->real->pMethods;
}

// Writes what is buffered, in one call. On failure the bytes are dropped: SQLite treats the
// failed write as its own (a commit fails and rolls back; frames past the last commit are
// unreachable), and writes them again if it goes on.
int Flush(WalFile* f) {
  Pending& p = *f->pending;
  p.commit_pending = false;
  if (p.bytes.empty()) {
    return SQLITE_OK;
  }
  passed_writes.fetch_add(1, std::memory_order_relaxed);
  const int rc =
      Real(f)->xWrite(f->real, p.bytes.data(), static_cast<int>(p.bytes.size()), p.start);
  p.bytes.clear();
  return rc;
}

int PassWrite(WalFile* f, const void* data, int amount, sqlite3_int64 offset) {
  passed_writes.fetch_add(1, std::memory_order_relaxed);
  return Real(f)->xWrite(f->real, data, amount, offset);
}

bool IsCommitHeader(const void* data, int amount) {
  if (amount != kFrameHeader) {
    return false;
  }
  const auto* b = static_cast<const unsigned char*>(data);
  return (b[4] | b[5] | b[6] | b[7]) != 0;
}

int WalClose(sqlite3_file* file) {
  WalFile* f = Wal(file);
  const int flushed = Flush(f);
  const int closed = Real(f)->xClose(f->real);
  delete f->pending;
  f->pending = nullptr;
  return flushed != SQLITE_OK ? flushed : closed;
}

int WalRead(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  WalFile* f = Wal(file);
  if (int rc = Flush(f); rc != SQLITE_OK) {
    return rc;
  }
  f->pending->after_read = true;
  return Real(f)->xRead(f->real, out, amount, offset);
}

int WalWrite(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  WalFile* f = Wal(file);
  Pending& p = *f->pending;
  asked_writes.fetch_add(1, std::memory_order_relaxed);
  const bool after_read = std::exchange(p.after_read, false);
  const bool flush_after = p.commit_pending;
  const bool commit_header = IsCommitHeader(data, amount);
  const bool extends = !p.bytes.empty() &&
                       offset == p.start + static_cast<sqlite3_int64>(p.bytes.size()) &&
                       p.bytes.size() + static_cast<size_t>(amount) <= kMaxBuffer;
  // Written at once, not kept: a commit header that does not extend the buffer (a frame SQLite
  // rewrites after reading it, which may be the last write of a commit), a write right after a
  // read (the same rewrites), and anything too large to keep.
  const bool direct =
      (commit_header && !extends) || after_read || static_cast<size_t>(amount) > kMaxBuffer;
  if (!extends) {
    if (int rc = Flush(f); rc != SQLITE_OK) {
      return rc;
    }
  }
  int rc = SQLITE_OK;
  if (direct) {
    rc = PassWrite(f, data, amount, offset);
  } else {
    if (p.bytes.empty()) {
      p.start = offset;
    }
    const auto* bytes = static_cast<const char*>(data);
    p.bytes.insert(p.bytes.end(), bytes, bytes + amount);
  }
  if (rc == SQLITE_OK && flush_after) {
    rc = Flush(f);  // a commit frame's page: the transaction's frames go out now
  }
  p.commit_pending = commit_header;  // after the flush, which clears it
  return rc;
}

int WalTruncate(sqlite3_file* file, sqlite3_int64 size) {
  WalFile* f = Wal(file);
  if (int rc = Flush(f); rc != SQLITE_OK) {
    return rc;
  }
  return Real(f)->xTruncate(f->real, size);
}

int WalSync(sqlite3_file* file, int flags) {
  WalFile* f = Wal(file);
  if (int rc = Flush(f); rc != SQLITE_OK) {
    return rc;
  }
  return Real(f)->xSync(f->real, flags);
}

int WalFileSize(sqlite3_file* file, sqlite3_int64* size) {
  WalFile* f = Wal(file);
  if (int rc = Flush(f); rc != SQLITE_OK) {
    return rc;
  }
  return Real(f)->xFileSize(f->real, size);
}

int WalLock(sqlite3_file* file, int level) {
  WalFile* f = Wal(file);
  return Real(f)->xLock(f->real, level);
}

int WalUnlock(sqlite3_file* file, int level) {
  WalFile* f = Wal(file);
  return Real(f)->xUnlock(f->real, level);
}

int WalCheckReservedLock(sqlite3_file* file, int* out) {
  WalFile* f = Wal(file);
  return Real(f)->xCheckReservedLock(f->real, out);
}

int WalFileControl(sqlite3_file* file, int op, void* arg) {
  WalFile* f = Wal(file);
  if (int rc = Flush(f); rc != SQLITE_OK) {
    return rc;
  }
  return Real(f)->xFileControl(f->real, op, arg);
}

int WalSectorSize(sqlite3_file* file) {
  WalFile* f = Wal(file);
  return Real(f)->xSectorSize(f->real);
}

int WalDeviceCharacteristics(sqlite3_file* file) {
  WalFile* f = Wal(file);
  return Real(f)->xDeviceCharacteristics(f->real);
}

// A WAL file has no shared memory (the database file does) and is never memory-mapped; these
// pass on for completeness.
int WalShmMap(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  WalFile* f = Wal(file);
  if (Real(f)->iVersion < 2) {
    return SQLITE_IOERR_SHMMAP;
  }
  return Real(f)->xShmMap(f->real, page, size, extend, out);
}

int WalShmLock(sqlite3_file* file, int offset, int n, int flags) {
  WalFile* f = Wal(file);
  if (Real(f)->iVersion < 2) {
    return SQLITE_IOERR_SHMLOCK;
  }
  return Real(f)->xShmLock(f->real, offset, n, flags);
}

void WalShmBarrier(sqlite3_file* file) {
  WalFile* f = Wal(file);
  if (Real(f)->iVersion >= 2) {
    Real(f)->xShmBarrier(f->real);
  }
}

int WalShmUnmap(sqlite3_file* file, int delete_flag) {
  WalFile* f = Wal(file);
  if (Real(f)->iVersion < 2) {
    return SQLITE_OK;
  }
  return Real(f)->xShmUnmap(f->real, delete_flag);
}

int WalFetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  WalFile* f = Wal(file);
  *out = nullptr;
  if (int rc = Flush(f); rc != SQLITE_OK) {
    return rc;
  }
  if (Real(f)->iVersion < 3) {
    return SQLITE_OK;  // no mapping: SQLite reads instead
  }
  return Real(f)->xFetch(f->real, offset, amount, out);
}

int WalUnfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  WalFile* f = Wal(file);
  if (Real(f)->iVersion < 3) {
    return SQLITE_OK;
  }
  return Real(f)->xUnfetch(f->real, offset, page);
}

const sqlite3_io_methods kWalMethods = {
    3,
    WalClose,
    WalRead,
    WalWrite,
    WalTruncate,
    WalSync,
    WalFileSize,
    WalLock,
    WalUnlock,
    WalCheckReservedLock,
    WalFileControl,
    WalSectorSize,
    WalDeviceCharacteristics,
    WalShmMap,
    WalShmLock,
    WalShmBarrier,
    WalShmUnmap,
    WalFetch,
    WalUnfetch,
};

sqlite3_vfs* Base(sqlite3_vfs* vfs) {
  return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

int VfsOpen(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags,
            int* out_flags) {
  sqlite3_vfs* base = Base(vfs);
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    return base->xOpen(base, name, file, flags, out_flags);  // the base VFS's file, as it is
  }
  WalFile* f = Wal(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  f->pending = nullptr;
  const int rc = base->xOpen(base, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (f->real->pMethods != nullptr) {
      f->real->pMethods->xClose(f->real);
    }
    return rc;
  }
  f->pending = new (std::nothrow) Pending();
  if (f->pending == nullptr) {
    f->real->pMethods->xClose(f->real);
    return SQLITE_NOMEM;
  }
  f->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

int VfsDelete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return Base(vfs)->xDelete(Base(vfs), name, sync_dir);
}
int VfsAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Base(vfs)->xAccess(Base(vfs), name, flags, out);
}
int VfsFullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return Base(vfs)->xFullPathname(Base(vfs), name, n, out);
}
void* VfsDlOpen(sqlite3_vfs* vfs, const char* name) {
  return Base(vfs)->xDlOpen(Base(vfs), name);
}
void VfsDlError(sqlite3_vfs* vfs, int n, char* out) {
  Base(vfs)->xDlError(Base(vfs), n, out);
}
void (*VfsDlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return Base(vfs)->xDlSym(Base(vfs), handle, symbol);
}
void VfsDlClose(sqlite3_vfs* vfs, void* handle) {
  Base(vfs)->xDlClose(Base(vfs), handle);
}
int VfsRandomness(sqlite3_vfs* vfs, int n, char* out) {
  return Base(vfs)->xRandomness(Base(vfs), n, out);
}
int VfsSleep(sqlite3_vfs* vfs, int micros) {
  return Base(vfs)->xSleep(Base(vfs), micros);
}
int VfsCurrentTime(sqlite3_vfs* vfs, double* out) {
  return Base(vfs)->xCurrentTime(Base(vfs), out);
}
int VfsGetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return Base(vfs)->xGetLastError(Base(vfs), n, out);
}
int VfsCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return Base(vfs)->xCurrentTimeInt64(Base(vfs), out);
}
int VfsSetSystemCall(sqlite3_vfs* vfs, const char* name, sqlite3_syscall_ptr call) {
  return Base(vfs)->xSetSystemCall(Base(vfs), name, call);
}
sqlite3_syscall_ptr VfsGetSystemCall(sqlite3_vfs* vfs, const char* name) {
  return Base(vfs)->xGetSystemCall(Base(vfs), name);
}
const char* VfsNextSystemCall(sqlite3_vfs* vfs, const char* name) {
  return Base(vfs)->xNextSystemCall(Base(vfs), name);
}

}  // namespace

Status RegisterCoalescingWalVfs(const char* name, const char* base_name) {
  sqlite3_vfs* base = sqlite3_vfs_find(base_name);
  if (base == nullptr) {
    return NotFoundError(std::string("no sqlite VFS named '") +
                         (base_name != nullptr ? base_name : "(default)") + "'");
  }
  if (sqlite3_vfs_find(name) != nullptr) {
    return OkStatus();  // registered already
  }
  // Lives as long as the process: SQLite keeps the pointer.
  auto* vfs = new sqlite3_vfs{};
  auto* owned_name = new std::string(name);
  vfs->iVersion = base->iVersion < 3 ? base->iVersion : 3;
  vfs->szOsFile = static_cast<int>(kRealOffset) + base->szOsFile;
  vfs->mxPathname = base->mxPathname;
  vfs->zName = owned_name->c_str();
  vfs->pAppData = base;
  vfs->xOpen = VfsOpen;
  vfs->xDelete = VfsDelete;
  vfs->xAccess = VfsAccess;
  vfs->xFullPathname = VfsFullPathname;
  vfs->xDlOpen = base->xDlOpen != nullptr ? VfsDlOpen : nullptr;
  vfs->xDlError = base->xDlError != nullptr ? VfsDlError : nullptr;
  vfs->xDlSym = base->xDlSym != nullptr ? VfsDlSym : nullptr;
  vfs->xDlClose = base->xDlClose != nullptr ? VfsDlClose : nullptr;
  vfs->xRandomness = VfsRandomness;
  vfs->xSleep = VfsSleep;
  vfs->xCurrentTime = VfsCurrentTime;
  vfs->xGetLastError = VfsGetLastError;
  if (vfs->iVersion >= 2) {
    vfs->xCurrentTimeInt64 = base->xCurrentTimeInt64 != nullptr ? VfsCurrentTimeInt64 : nullptr;
  }
  if (vfs->iVersion >= 3) {
    vfs->xSetSystemCall = base->xSetSystemCall != nullptr ? VfsSetSystemCall : nullptr;
    vfs->xGetSystemCall = base->xGetSystemCall != nullptr ? VfsGetSystemCall : nullptr;
    vfs->xNextSystemCall = base->xNextSystemCall != nullptr ? VfsNextSystemCall : nullptr;
  }
  if (int rc = sqlite3_vfs_register(vfs, 0); rc != SQLITE_OK) {
    delete owned_name;
    delete vfs;
    return InternalError(std::string("register sqlite VFS: ") + sqlite3_errstr(rc));
  }
  return OkStatus();
}

const char* CoalescingWalVfs() {
  static const char* const name = [] {
    const char* kName = "kefu-wal";
    if (Status s = RegisterCoalescingWalVfs(kName, nullptr); !s.ok()) {
      KEFU_LOG_WARN("sqlite: WAL writes not coalesced: {}", s.ToString());
      return static_cast<const char*>(nullptr);
    }
    return kName;
  }();
  return name;
}

WalWriteCounts WalWrites() {
  return {asked_writes.load(std::memory_order_relaxed),
          passed_writes.load(std::memory_order_relaxed)};
}

}  // namespace kefu::store::sqlite
