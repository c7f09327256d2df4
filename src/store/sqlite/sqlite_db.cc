#include "store/sqlite/sqlite_db.h"

namespace kefu::store::sqlite {

Connection::~Connection() {
  for (auto& [sql, stmt] : stmts_) {
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db_);
}

Status Connection::Error(std::string_view what) const {
  const int code = sqlite3_extended_errcode(db_);
  std::string message = std::string(what) + ": " + sqlite3_errmsg(db_);
  switch (code & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError(std::move(message));
    case SQLITE_CONSTRAINT:
      if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return AlreadyExistsError(std::move(message));
      }
      return InvalidArgumentError(std::move(message));
    case SQLITE_FULL:
      return ResourceExhaustedError(std::move(message));
    default:
      return InternalError(std::move(message));
  }
}

sqlite3_stmt* Connection::Prepare(std::string_view sql, Status& status) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) {
    return it->second;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    status = Error("prepare");
    return nullptr;
  }
  stmts_.emplace(std::string(sql), stmt);
  return stmt;
}

Status Connection::Exec(std::string_view sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Status s = Error("exec");
    sqlite3_free(err);
    return s;
  }
  return OkStatus();
}

Stmt::Stmt(Connection& conn, std::string_view sql) : conn_(conn) {
  stmt_ = conn_.Prepare(sql, status_);
}

Stmt::~Stmt() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::BindDouble(int idx, double v) {
  if (stmt_ != nullptr && status_.ok() && sqlite3_bind_double(stmt_, idx, v) != SQLITE_OK) {
    status_ = conn_.Error("bind");
  }
  return *this;
}

Stmt& Stmt::Bind(int idx, int64_t v) {
  if (stmt_ != nullptr && status_.ok() && sqlite3_bind_int64(stmt_, idx, v) != SQLITE_OK) {
    status_ = conn_.Error("bind");
  }
  return *this;
}

Stmt& Stmt::Bind(int idx, std::string_view v) {
  if (stmt_ != nullptr && status_.ok() &&
      sqlite3_bind_text(stmt_, idx, v.data(), static_cast<int>(v.size()), SQLITE_STATIC) !=
          SQLITE_OK) {
    status_ = conn_.Error("bind");
  }
  return *this;
}

Stmt& Stmt::Bind(int idx, const std::optional<int64_t>& v) {
  if (v.has_value()) {
    return Bind(idx, *v);
  }
  if (stmt_ != nullptr && status_.ok() && sqlite3_bind_null(stmt_, idx) != SQLITE_OK) {
    status_ = conn_.Error("bind");
  }
  return *this;
}

bool Stmt::Step() {
  if (stmt_ == nullptr || !status_.ok()) {
    return false;
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc != SQLITE_DONE) {
    status_ = conn_.Error("step");
  }
  return false;
}

Status Stmt::Run() {
  while (Step()) {
  }
  return status_;
}

std::optional<int64_t> Stmt::OptInt(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) {
    return std::nullopt;
  }
  return sqlite3_column_int64(stmt_, col);
}

std::string Stmt::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) {
    return {};
  }
  return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

void ConnectionPool::Add(std::unique_ptr<Connection> conn) {
  Release(std::move(conn));
}

ConnectionPool::Lease ConnectionPool::Acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [this] { return !free_.empty(); });
  std::unique_ptr<Connection> conn = std::move(free_.back());
  free_.pop_back();
  return Lease(*this, std::move(conn));
}

int ConnectionPool::ForEachFree(const std::function<void(Connection&)>& f) {
  std::scoped_lock lock(mutex_);
  for (const std::unique_ptr<Connection>& conn : free_) {
    f(*conn);
  }
  return static_cast<int>(free_.size());
}

void ConnectionPool::Release(std::unique_ptr<Connection> conn) {
  {
    std::scoped_lock lock(mutex_);
    free_.push_back(std::move(conn));
  }
  available_.notify_one();
}

Transaction::Transaction(Connection& conn) : conn_(conn) {
  Stmt begin(conn_, "BEGIN IMMEDIATE");
  status_ = begin.Run();
  open_ = status_.ok();
}

Transaction::~Transaction() {
  if (open_) {
    Stmt rollback(conn_, "ROLLBACK");
    (void)rollback.Run();
  }
}

Status Transaction::Commit() {
  KEFU_RETURN_IF_ERROR(status_);
  Stmt commit(conn_, "COMMIT");
  Status s = commit.Run();
  if (s.ok()) {
    open_ = false;
  }
  return s;
}

ReadTransaction::ReadTransaction(Connection& conn) : conn_(conn) {
  if (sqlite3_get_autocommit(conn_.db()) == 0) {
    return;  // already inside one
  }
  Stmt begin(conn_, "BEGIN");
  status_ = begin.Run();
  open_ = status_.ok();
}

ReadTransaction::~ReadTransaction() {
  if (open_) {
    Stmt end(conn_, "COMMIT");
    (void)end.Run();
  }
}

}  // namespace kefu::store::sqlite
