// The coalescing WAL VFS: a commit's frames go out in one write, and what is on disk after each
// commit is the whole commit: another connection reads it, and a copy of the files taken between
// commits (as a crash would leave them) recovers every committed row.
#include "store/sqlite/wal_vfs.h"

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "test_util.h"

namespace kefu::store::sqlite {
namespace {

// A raw connection, closed at scope exit.
class Db {
 public:
  Db(const std::string& path, const char* vfs) {
    rc_ = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  int open_rc() const { return rc_; }
  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  int64_t Int(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      v = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return v;
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    std::string v;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return v;
  }

 private:
  sqlite3* db_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

// As the store opens its connections (WAL, synchronous=NORMAL, no automatic checkpoints).
void Configure(Db& db) {
  ASSERT_EQ(db.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                    " PRAGMA wal_autocheckpoint=0;"),
            SQLITE_OK);
}

// Copies the database and its WAL, as a crash between commits would leave them, and returns the
// copy's path; opening it recovers the WAL from its frames and checksums alone.
std::string CrashCopy(kefu::testing::TempDir& dir, const std::string& path, const std::string& as) {
  const std::string copy = dir.File(as);
  std::filesystem::copy_file(path, copy);
  std::filesystem::copy_file(path + "-wal", copy + "-wal");
  return copy;
}

TEST(WalVfsTest, ACommitsFramesGoOutInOneWrite) {
  kefu::testing::TempDir dir;
  const std::string path = dir.File("one.db");
  Db db(path, CoalescingWalVfs());
  ASSERT_NE(CoalescingWalVfs(), nullptr);
  ASSERT_EQ(db.open_rc(), SQLITE_OK);
  Configure(db);
  ASSERT_EQ(db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"), SQLITE_OK);
  const WalWriteCounts before = WalWrites();
  // About 60 pages in one transaction.
  ASSERT_EQ(db.Exec("BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                    " WHERE i < 200) INSERT INTO t (v) SELECT printf('%.1000c', 'x') FROM n;"
                    " COMMIT;"),
            SQLITE_OK);
  const WalWriteCounts after = WalWrites();
  // A header and a page a frame, against a write a buffer of up to 128 KB.
  EXPECT_GE(after.asked - before.asked, 100);
  EXPECT_LE(after.written - before.written, 4);

  Db reader(path, nullptr);  // SQLite's own VFS
  EXPECT_EQ(reader.Int("SELECT count(*) FROM t"), 200);
  EXPECT_EQ(reader.Int("SELECT sum(length(v)) FROM t"), 200 * 1000);
  Db recovered(CrashCopy(dir, path, "copy.db"), nullptr);
  EXPECT_EQ(recovered.Int("SELECT count(*) FROM t"), 200);
  EXPECT_EQ(recovered.Text("PRAGMA integrity_check"), "ok");
}

TEST(WalVfsTest, EveryCommitIsOnDiskWhenItReturns) {
  kefu::testing::TempDir dir;
  const std::string path = dir.File("many.db");
  Db db(path, CoalescingWalVfs());
  ASSERT_EQ(db.open_rc(), SQLITE_OK);
  Configure(db);
  // A small cache, so that long transactions also spill frames before they commit.
  ASSERT_EQ(db.Exec("PRAGMA cache_size=10; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                    " CREATE INDEX t_v ON t(v)"),
            SQLITE_OK);
  Db reader(path, nullptr);
  int64_t rows = 0;
  for (int i = 0; i < 60; ++i) {
    const int n = i % 10 == 9 ? 400 : 1 + i % 4;  // now and then a transaction that spills
    ASSERT_EQ(
        db.Exec("BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                " WHERE i < " +
                std::to_string(n) + ") INSERT INTO t (v) SELECT printf('%d-%d-%.300c', " +
                std::to_string(i) + ", i, 'y') FROM n; UPDATE t SET v = v || 'z' WHERE id % 7 = " +
                std::to_string(i % 7) + "; COMMIT;"),
        SQLITE_OK);
    rows += n;
    ASSERT_EQ(reader.Int("SELECT count(*) FROM t"), rows) << "after commit " << i;
    if (i % 20 == 19) {
      ASSERT_EQ(reader.Exec("PRAGMA wal_checkpoint(PASSIVE)"), SQLITE_OK);
      Db recovered(CrashCopy(dir, path, "copy" + std::to_string(i) + ".db"), nullptr);
      EXPECT_EQ(recovered.Int("SELECT count(*) FROM t"), rows) << "after commit " << i;
      EXPECT_EQ(recovered.Text("PRAGMA integrity_check"), "ok");
    }
  }
  // A rolled-back transaction leaves nothing, on disk or in the buffer.
  ASSERT_EQ(db.Exec("BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                    " WHERE i < 400) INSERT INTO t (v) SELECT printf('%.300c', 'r') FROM n;"
                    " ROLLBACK;"),
            SQLITE_OK);
  ASSERT_EQ(db.Exec("INSERT INTO t (v) VALUES ('last')"), SQLITE_OK);
  Db recovered(CrashCopy(dir, path, "last.db"), nullptr);
  EXPECT_EQ(recovered.Int("SELECT count(*) FROM t"), rows + 1);
  EXPECT_EQ(recovered.Text("PRAGMA integrity_check"), "ok");
}

// A VFS over the default one whose WAL writes fail while `fail_wal_writes` is set, as on a full
// disk; the coalescing VFS goes over it.
std::atomic<bool> fail_wal_writes{false};
sqlite3_io_methods failing_methods;
int (*base_write)(sqlite3_file*, const void*, int, sqlite3_int64) = nullptr;

int FailingWrite(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  return fail_wal_writes ? SQLITE_FULL : base_write(f, data, amount, offset);
}

int FailingOpen(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out) {
  auto* base = static_cast<sqlite3_vfs*>(vfs->pAppData);
  const int rc = base->xOpen(base, name, file, flags, out);
  if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) != 0) {
    static std::once_flag once;
    std::call_once(once, [&] {
      failing_methods = *file->pMethods;
      base_write = failing_methods.xWrite;
      failing_methods.xWrite = FailingWrite;
    });
    file->pMethods = &failing_methods;
  }
  return rc;
}

const char* FailingCoalescingVfs() {
  static const char* const name = [] {
    static sqlite3_vfs failing = *sqlite3_vfs_find(nullptr);
    failing.zName = "kefu-test-failing";
    failing.pAppData = sqlite3_vfs_find(nullptr);
    failing.xOpen = FailingOpen;
    EXPECT_EQ(sqlite3_vfs_register(&failing, 0), SQLITE_OK);
    EXPECT_TRUE(RegisterCoalescingWalVfs("kefu-wal-over-failing", "kefu-test-failing").ok());
    return "kefu-wal-over-failing";
  }();
  return name;
}

TEST(WalVfsTest, AWriteThatFailsFailsItsCommitAndTheNextOnesWork) {
  kefu::testing::TempDir dir;
  const std::string path = dir.File("full.db");
  Db db(path, FailingCoalescingVfs());
  ASSERT_EQ(db.open_rc(), SQLITE_OK);
  Configure(db);
  ASSERT_EQ(db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"), SQLITE_OK);
  const std::string insert =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)"
      " INSERT INTO t (v) SELECT printf('%.500c', 'f') FROM n";
  ASSERT_EQ(db.Exec("BEGIN; " + insert + "; COMMIT;"), SQLITE_OK);

  fail_wal_writes = true;
  const int failed = db.Exec("BEGIN; " + insert + "; COMMIT;");
  fail_wal_writes = false;
  EXPECT_EQ(failed & 0xff, SQLITE_FULL);
  (void)db.Exec("ROLLBACK");  // if SQLite left the transaction open
  EXPECT_EQ(db.Int("SELECT count(*) FROM t"), 50);

  ASSERT_EQ(db.Exec("BEGIN; " + insert + "; COMMIT;"), SQLITE_OK);
  EXPECT_EQ(db.Int("SELECT count(*) FROM t"), 100);
  Db recovered(CrashCopy(dir, path, "copy.db"), nullptr);
  EXPECT_EQ(recovered.Int("SELECT count(*) FROM t"), 100);
  EXPECT_EQ(recovered.Text("PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace kefu::store::sqlite
