// Thin RAII helpers over the SQLite C API, private to the SQLite backend.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <sqlite3.h>

#include "core/status.h"

namespace kefu::store::sqlite {

// One connection and its prepared-statement cache. Used by one thread at a time.
class Connection {
 public:
  Connection(sqlite3* db) : db_(db) {}  // NOLINT(google-explicit-constructor): owns db
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() { return db_; }
  // The cached statement for `sql`, prepared on first use. nullptr with `status` set on error.
  sqlite3_stmt* Prepare(std::string_view sql, Status& status);
  // Runs one or more statements with no parameters and no results.
  Status Exec(std::string_view sql);
  Status Error(std::string_view what) const;

 private:
  // Looked up by the SQL text as it is passed, with no string made for the lookup.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> stmts_;
};

// A bound statement that resets itself when it goes out of scope.
class Stmt {
 public:
  Stmt(Connection& conn, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  const Status& status() const { return status_; }
  Stmt& Bind(int idx, int64_t v);
  // Text is bound without a copy (SQLITE_STATIC): `v` must stay valid until the statement's
  // last Step() or Run(). A temporary string would not, so binding one does not compile.
  Stmt& Bind(int idx, std::string_view v);
  Stmt& Bind(int idx, std::string&& v) = delete;
  Stmt& Bind(int idx, const std::string&& v) = delete;
  Stmt& Bind(int idx, const char* v) { return Bind(idx, std::string_view(v)); }
  Stmt& Bind(int idx, const std::optional<int64_t>& v);
  Stmt& BindDouble(int idx, double v);
  // True on SQLITE_ROW, false on SQLITE_DONE or error (see status()).
  bool Step();
  // Steps to completion; the status of the run.
  Status Run();

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<int64_t> OptInt(int col) const;
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const;

 private:
  Connection& conn_;
  sqlite3_stmt* stmt_ = nullptr;
  Status status_;
};

// A fixed set of connections to one database file; Acquire() blocks until one is free.
// Thread-safe.
class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    ~Lease() {
      if (conn_ != nullptr) {
        pool_.Release(std::move(conn_));
      }
    }
    Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    ConnectionPool& pool_;
    std::unique_ptr<Connection> conn_;
  };

  void Add(std::unique_ptr<Connection> conn);
  Lease Acquire();
  // Calls f on each connection not leased out (all of them before any use); their number.
  int ForEachFree(const std::function<void(Connection&)>& f);

 private:
  void Release(std::unique_ptr<Connection> conn);

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> free_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless Commit() succeeds.
class Transaction {
 public:
  explicit Transaction(Connection& conn);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  const Status& status() const { return status_; }
  Status Commit();

 private:
  Connection& conn_;
  Status status_;
  bool open_ = false;
};

// BEGIN (deferred) ... COMMIT around several reads, for one snapshot and one WAL read lock.
// Inside a transaction already open on the connection (a shared snapshot), it does nothing.
class ReadTransaction {
 public:
  explicit ReadTransaction(Connection& conn);
  ~ReadTransaction();
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  const Status& status() const { return status_; }

 private:
  Connection& conn_;
  Status status_;
  bool open_ = false;  // this object began the transaction
};

}  // namespace kefu::store::sqlite
