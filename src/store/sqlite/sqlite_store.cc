// SQLite backend of Store: WAL, a busy timeout, a pool of connections with cached statements,
// and numbered SQL migrations (embedded in the binary) applied at open.
#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <sqlite3.h>

#include "core/embedded.h"
#include "core/logging.h"
#include "core/thread_name.h"
#include "store/sqlite/packed_json.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/wal_vfs.h"
#include "store/store.h"

namespace kefu {
std::span<const EmbeddedFile> StoreMigrations();  // generated from src/store/migrations/*.sql
}

namespace kefu::store {
namespace sqlite {
namespace {

constexpr std::chrono::milliseconds kCheckpointInterval{250};
// A WAL restart (the write lock taken, then the checkpoint) slower than this is logged: turns wait
// on it (12-33 ms under load on the 2-core bench machine).
constexpr std::chrono::milliseconds kSlowRestart{100};

Result<std::unique_ptr<Connection>> Open(const SqliteOptions& options) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, CoalescingWalVfs());
  auto conn = std::make_unique<Connection>(db);  // owns db even when open failed
  if (rc != SQLITE_OK) {
    return UnavailableError("open '" + options.path + "': " + sqlite3_errstr(rc));
  }
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  KEFU_RETURN_IF_ERROR(RegisterPackedJsonFunctions(db));
  // cache_size: with SQLite's default 2 MB a connection kept evicting pages whose newest copy
  // sits in the WAL, which mmap does not cover; under turn load the store worker read them back
  // with 13,000 preads a second (6 KB a turn). 16 MB holds the demo shop's working set.
  KEFU_RETURN_IF_ERROR(conn->Exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
      " PRAGMA mmap_size=268435456; PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-16384;"
      " PRAGMA journal_size_limit=" +
      std::to_string(options.wal_restart_frames * 4096) + ";"));
  return conn;
}

Status Migrate(Connection& conn) {
  KEFU_RETURN_IF_ERROR(
      conn.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
  std::vector<EmbeddedFile> files(StoreMigrations().begin(), StoreMigrations().end());
  std::sort(files.begin(), files.end(),
            [](const EmbeddedFile& a, const EmbeddedFile& b) { return a.path < b.path; });
  for (const EmbeddedFile& file : files) {
    const std::string name(file.path);
    const int64_t version = std::stoll(name.substr(0, name.find('_')));
    Transaction tx(conn);
    KEFU_RETURN_IF_ERROR(tx.status().WithContext("migration " + name));
    {
      Stmt check(conn, "SELECT 1 FROM schema_migrations WHERE version = ?");
      check.Bind(1, version);
      if (check.Step()) {
        continue;  // applied already; the transaction rolls back (nothing was written)
      }
      KEFU_RETURN_IF_ERROR(check.status());
    }
    KEFU_RETURN_IF_ERROR(conn.Exec(file.data).WithContext("migration " + name));
    Stmt record(conn,
                "INSERT INTO schema_migrations (version, name, applied_at)"
                " VALUES (?, ?, CAST(strftime('%s','now') AS INTEGER) * 1000)");
    record.Bind(1, version).Bind(2, name);
    KEFU_RETURN_IF_ERROR(record.Run().WithContext("migration " + name));
    KEFU_RETURN_IF_ERROR(tx.Commit().WithContext("migration " + name));
  }
  return OkStatus();
}

constexpr int kMaxSearchResults = 50;
constexpr size_t kMaxSearchKeywords = 8;

constexpr std::string_view kOrderColumns =
    "id, order_number, customer_id, status, created_at, paid_at, shipped_at, delivered_at,"
    " cancelled_at, payment_method, receiver_name, phone, shipping_address, shipping_fee_cents,"
    " discount_cents, total_cents";
constexpr int kOrderColumnCount = 16;  // ReadOrder reads columns 0..15
constexpr std::string_view kProductColumns =
    "id, sku, category, brand, name_zh, name_en, price_cents, attributes, stock";

Order ReadOrder(const Stmt& s) {
  Order o;
  o.id = s.Int(0);
  o.order_number = s.Text(1);
  o.customer_id = s.Int(2);
  o.status = s.Text(3);
  o.created_at = s.Int(4);
  o.paid_at = s.OptInt(5);
  o.shipped_at = s.OptInt(6);
  o.delivered_at = s.OptInt(7);
  o.cancelled_at = s.OptInt(8);
  o.payment_method = s.Text(9);
  o.receiver_name = s.Text(10);
  o.phone = s.Text(11);
  o.shipping_address = s.Text(12);
  o.shipping_fee_cents = s.Int(13);
  o.discount_cents = s.Int(14);
  o.total_cents = s.Int(15);
  return o;
}

Product ReadProduct(const Stmt& s) {
  return {s.Int(0),  s.Text(1), s.Text(2), s.Text(3), s.Text(4),
          s.Text(5), s.Int(6),  s.Text(7), s.Int(8)};
}

// A LIKE pattern matching `keyword` anywhere, with the ESCAPE '\' character before % and _.
std::string ContainsPattern(std::string_view keyword) {
  std::string out = "%";
  for (char ch : keyword) {
    if (ch == '%' || ch == '_' || ch == '\\') {
      out.push_back('\\');
    }
    out.push_back(ch);
  }
  out.push_back('%');
  return out;
}

struct WalFrames {
  bool busy = false;   // a RESTART found readers still in the WAL and did not restart it
  int64_t total = 0;   // frames in the WAL
  int64_t copied = 0;  // of which copied back into the database
};

// Runs `pragma` (a wal_checkpoint) and returns what it reports about the WAL.
Result<WalFrames> Checkpoint(Connection& conn, const char* pragma) {
  Stmt s(conn, pragma);
  if (!s.Step()) {
    return s.status().ok() ? InternalError("wal_checkpoint returned no row") : s.status();
  }
  return WalFrames{s.Int(0) != 0, s.Int(1), s.Int(2)};  // busy, log, checkpointed
}

// Flushes the database file's written pages to disk, as a checkpoint does once it has copied
// every frame. Passive checkpoints under load never get that far, so their copies piled up
// unsynced (hundreds of MB in a load run) and the one RESTART that does get that far, with the
// writers locked out, waited 60-180 ms on that fsync: a stall every few seconds that set the
// turn's p99. Flushed after every passive round, off the lock, a RESTART syncs little more
// than what it copies itself (12-22 ms).
void SyncDatabaseFile(Connection& conn) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(conn.db(), "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr) {
    return;
  }
  if (const int rc = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL); rc != SQLITE_OK) {
    KEFU_LOG_WARN("sqlite checkpoint: database sync: {}", sqlite3_errstr(rc));
  }
}

}  // namespace

void SqliteStore::CheckpointLoop() {
  SetThreadName("kefu-checkpoint");
  sqlite3_busy_timeout(checkpointer_->db(), 0);  // PASSIVE never waits; RESTART is retried here
  std::unique_lock lock(checkpoint_mutex_);
  int64_t synced_copied = 0;  // the WAL's copied-back frame count at the last database sync
  while (!stopping_) {
    checkpoint_wake_.wait_for(lock, kCheckpointInterval, [this] { return stopping_; });
    // PASSIVE never blocks writers or readers; it copies what it can.
    Result<WalFrames> wal = Checkpoint(*checkpointer_, "PRAGMA wal_checkpoint(PASSIVE)");
    if (!wal.ok()) {
      KEFU_LOG_WARN("sqlite checkpoint: {}", wal.status().ToString());
      continue;
    }
    if (wal->copied != synced_copied) {  // an idle server's rounds copy nothing: no fsync
      SyncDatabaseFile(*checkpointer_);
      synced_copied = wal->copied;
    }
    // SQLite starts the WAL over only when a writer finds every frame copied back, which never
    // happens while turns keep writing: under sustained load the WAL grew without end (590 MB
    // in a 40 s benchmark) and every page lookup searched more of its index. So once it is long,
    // in-process writers wait here while RESTART copies the last frames and makes the next
    // write start the WAL from its beginning. More passive rounds first keep what is left to
    // copy under the lock, and so the writers' wait, short.
    if (wal->total < wal_restart_frames_) {
      continue;
    }
    for (int round = 0; round < 4 && wal.ok() && wal->total - wal->copied > 256; ++round) {
      wal = Checkpoint(*checkpointer_, "PRAGMA wal_checkpoint(PASSIVE)");
    }
    // The checkpointer has no busy handler (see below): a reader still in the WAL makes the
    // attempt return at once instead of sleeping with the writers locked out; it is tried again
    // a millisecond later, when that read is over.
    for (int attempt = 0; attempt < 20; ++attempt) {
      const auto start = std::chrono::steady_clock::now();
      const Result<WalFrames> restarted = [this] {
        std::scoped_lock write_lock(write_mutex_);
        return Checkpoint(*checkpointer_, "PRAGMA wal_checkpoint(RESTART)");
      }();
      // Every turn waits while this runs: an operator chasing tail latency should see it.
      if (const auto held = std::chrono::steady_clock::now() - start; held > kSlowRestart) {
        KEFU_LOG_WARN("sqlite checkpoint: the WAL restart took {} ms, writers waiting",
                      std::chrono::duration_cast<std::chrono::milliseconds>(held).count());
      }
      if (!restarted.ok() && restarted.status().code() != StatusCode::kUnavailable) {
        KEFU_LOG_WARN("sqlite checkpoint (restart): {}", restarted.status().ToString());
        break;
      }
      if (restarted.ok() && !restarted->busy) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

Status SqliteStore::ReplaceShopData(const ShopData& data) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Transaction tx(*conn);
  KEFU_RETURN_IF_ERROR(tx.status());
  KEFU_RETURN_IF_ERROR(
      conn->Exec("DELETE FROM tracking_events; DELETE FROM shipments; DELETE FROM refunds;"
                 " DELETE FROM returns; DELETE FROM invoice_requests; DELETE FROM order_items; "
                 "DELETE FROM orders;"
                 " DELETE FROM products; DELETE FROM customers; DELETE FROM documents;"));
  for (const Customer& c : data.customers) {
    Stmt s(*conn,
           "INSERT INTO customers (id, name, phone, email, address, city, lang)"
           " VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, c.id).Bind(2, c.name).Bind(3, c.phone).Bind(4, c.email).Bind(5, c.address);
    s.Bind(6, c.city).Bind(7, c.lang);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("customer " + std::to_string(c.id)));
  }
  for (const Product& p : data.products) {
    Stmt s(*conn,
           "INSERT INTO products (id, sku, category, brand, name_zh, name_en, price_cents,"
           " attributes, stock) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, p.id).Bind(2, p.sku).Bind(3, p.category).Bind(4, p.brand).Bind(5, p.name_zh);
    s.Bind(6, p.name_en).Bind(7, p.price_cents).Bind(8, p.attributes_json).Bind(9, p.stock);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("product " + p.sku));
  }
  for (const OrderDetails& o : data.orders) {
    KEFU_RETURN_IF_ERROR(InsertOrder(*conn, o).WithContext("order " + o.order.order_number));
  }
  for (const Document& d : data.documents) {
    Stmt s(*conn,
           "INSERT INTO documents (id, lang, title, body, source, updated_at)"
           " VALUES (?, ?, ?, ?, ?, ?)");
    s.Bind(1, d.id).Bind(2, d.lang).Bind(3, d.title).Bind(4, d.body).Bind(5, d.source);
    s.Bind(6, d.updated_at);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("document " + d.id));
  }
  return tx.Commit();
}

Status SqliteStore::InsertOrder(Connection& conn, const OrderDetails& details) {
  const Order& o = details.order;
  int64_t order_id = 0;
  {
    Stmt s(conn,
           "INSERT INTO orders (order_number, customer_id, status, created_at, paid_at, shipped_at,"
           " delivered_at, cancelled_at, payment_method, receiver_name, phone, shipping_address,"
           " shipping_fee_cents, discount_cents, total_cents)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, o.order_number).Bind(2, o.customer_id).Bind(3, o.status).Bind(4, o.created_at);
    s.Bind(5, o.paid_at).Bind(6, o.shipped_at).Bind(7, o.delivered_at).Bind(8, o.cancelled_at);
    s.Bind(9, o.payment_method).Bind(10, o.receiver_name).Bind(11, o.phone);
    s.Bind(12, o.shipping_address).Bind(13, o.shipping_fee_cents).Bind(14, o.discount_cents);
    s.Bind(15, o.total_cents);
    KEFU_RETURN_IF_ERROR(s.Run());
    order_id = sqlite3_last_insert_rowid(conn.db());
  }
  for (const OrderItem& item : details.items) {
    Stmt s(conn,
           "INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)"
           " VALUES (?, ?, ?, ?)");
    s.Bind(1, order_id).Bind(2, item.product_id).Bind(3, item.quantity);
    s.Bind(4, item.unit_price_cents);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("item"));
  }
  if (details.shipment) {
    const Shipment& sh = *details.shipment;
    Stmt s(conn,
           "INSERT INTO shipments (order_id, carrier, carrier_en, tracking_number, status,"
           " shipped_at) VALUES (?, ?, ?, ?, ?, ?)");
    s.Bind(1, order_id).Bind(2, sh.carrier).Bind(3, sh.carrier_en).Bind(4, sh.tracking_number);
    s.Bind(5, sh.status).Bind(6, sh.shipped_at);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("shipment"));
    const int64_t shipment_id = sqlite3_last_insert_rowid(conn.db());
    for (const TrackingEvent& e : sh.events) {
      Stmt ev(conn,
              "INSERT INTO tracking_events (shipment_id, time, status, location_zh, location_en,"
              " description_zh, description_en) VALUES (?, ?, ?, ?, ?, ?, ?)");
      ev.Bind(1, shipment_id).Bind(2, e.time).Bind(3, e.status).Bind(4, e.location_zh);
      ev.Bind(5, e.location_en).Bind(6, e.description_zh).Bind(7, e.description_en);
      KEFU_RETURN_IF_ERROR(ev.Run().WithContext("tracking event"));
    }
  }
  if (details.return_request) {
    const ReturnRequest& r = *details.return_request;
    Stmt s(conn,
           "INSERT INTO returns (order_id, type, status, reason_zh, reason_en, requested_at,"
           " completed_at, rma_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, order_id).Bind(2, r.type).Bind(3, r.status).Bind(4, r.reason_zh);
    s.Bind(5, r.reason_en).Bind(6, r.requested_at).Bind(7, r.completed_at).Bind(8, r.rma_number);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("return"));
  }
  if (details.refund) {
    const Refund& r = *details.refund;
    Stmt s(conn,
           "INSERT INTO refunds (order_id, amount_cents, status, method, requested_at,"
           " completed_at) VALUES (?, ?, ?, ?, ?, ?)");
    s.Bind(1, order_id).Bind(2, r.amount_cents).Bind(3, r.status).Bind(4, r.method);
    s.Bind(5, r.requested_at).Bind(6, r.completed_at);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("refund"));
  }
  return OkStatus();
}

Result<ShopCounts> SqliteStore::CountShopData() {
  auto conn = pool_->Acquire();
  Stmt s(*conn,
         "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM products),"
         " (SELECT count(*) FROM orders), (SELECT count(*) FROM shipments),"
         " (SELECT count(*) FROM documents)");
  if (!s.Step()) {
    return s.status().ok() ? InternalError("count returned no row") : s.status();
  }
  return ShopCounts{s.Int(0), s.Int(1), s.Int(2), s.Int(3), s.Int(4)};
}

Result<OrderDetails> SqliteStore::GetOrderDetails(const std::string& order_number) {
  Result<std::shared_ptr<const OrderDetails>> d = GetSharedOrderDetails(order_number);
  if (!d.ok()) {
    return d.status();
  }
  return **d;
}

Result<std::shared_ptr<const OrderDetails>> SqliteStore::GetSharedOrderDetails(
    const std::string& order_number) {
  ReadLease conn = AcquireRead();
  // On turn_writer_ inside a round: the epoch its snapshot began in (see CachedOrder::epoch).
  const uint64_t epoch =
      &*conn == turn_writer_.get() ? turn_writer_epoch_.load(std::memory_order_relaxed) : 0;
  if (epoch != 0) {
    std::scoped_lock lock(order_cache_mutex_);
    auto it = order_cache_.find(order_number);
    if (it != order_cache_.end() && it->second.epoch == epoch) {
      return it->second.details;
    }
  }
  {
    Stmt s(*conn, "SELECT etag FROM orders WHERE order_number = ?");
    s.Bind(1, order_number);
    if (!s.Step()) {
      KEFU_RETURN_IF_ERROR(s.status());
      return NotFoundError("no order with this number");
    }
    const int64_t etag = s.Int(0);
    std::scoped_lock lock(order_cache_mutex_);
    auto it = order_cache_.find(order_number);
    if (it != order_cache_.end() && it->second.etag == etag) {
      if (epoch != 0) {
        it->second.epoch = epoch;
      }
      return it->second.details;
    }
  }
  // One read transaction for the six queries: a consistent snapshot (the etag read with the
  // rest), and one WAL read lock instead of six.
  ReadTransaction tx(*conn);
  KEFU_RETURN_IF_ERROR(tx.status().WithContext("order details"));
  OrderDetails d;
  Order& o = d.order;
  int64_t etag = 0;
  {
    static const std::string kSql =
        "SELECT " + std::string(kOrderColumns) + ", etag FROM orders WHERE order_number = ?";
    Stmt s(*conn, kSql);
    s.Bind(1, order_number);
    if (!s.Step()) {
      KEFU_RETURN_IF_ERROR(s.status());
      return NotFoundError("no order with this number");
    }
    o = ReadOrder(s);
    etag = s.Int(kOrderColumnCount);
    d.etag = etag;
  }
  {
    Stmt s(*conn,
           "SELECT i.product_id, i.quantity, i.unit_price_cents, p.name_zh, p.name_en, p.sku"
           " FROM order_items i JOIN products p ON p.id = i.product_id"
           " WHERE i.order_id = ? ORDER BY i.id");
    s.Bind(1, o.id);
    while (s.Step()) {
      d.items.push_back({s.Int(0), s.Int(1), s.Int(2), s.Text(3), s.Text(4), s.Text(5)});
    }
    KEFU_RETURN_IF_ERROR(s.status());
  }
  int64_t shipment_id = 0;
  {
    Stmt s(*conn,
           "SELECT id, carrier, carrier_en, tracking_number, status, shipped_at FROM shipments"
           " WHERE order_id = ? ORDER BY id DESC LIMIT 1");
    s.Bind(1, o.id);
    if (s.Step()) {
      shipment_id = s.Int(0);
      d.shipment = Shipment{s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Int(5), {}};
    }
    KEFU_RETURN_IF_ERROR(s.status());
  }
  if (d.shipment) {
    Stmt s(*conn,
           "SELECT time, status, location_zh, location_en, description_zh, description_en"
           " FROM tracking_events WHERE shipment_id = ? ORDER BY time, id");
    s.Bind(1, shipment_id);
    while (s.Step()) {
      d.shipment->events.push_back(
          {s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5)});
    }
    KEFU_RETURN_IF_ERROR(s.status());
  }
  {
    Stmt s(*conn,
           "SELECT rma_number, type, status, reason_zh, reason_en, requested_at, completed_at"
           " FROM returns WHERE order_id = ? ORDER BY id DESC LIMIT 1");
    s.Bind(1, o.id);
    if (s.Step()) {
      d.return_request = ReturnRequest{s.Text(0), s.Text(1), s.Text(2),  s.Text(3),
                                       s.Text(4), s.Int(5),  s.OptInt(6)};
    }
    KEFU_RETURN_IF_ERROR(s.status());
  }
  {
    Stmt s(*conn,
           "SELECT amount_cents, status, method, requested_at, completed_at FROM refunds"
           " WHERE order_id = ? ORDER BY id DESC LIMIT 1");
    s.Bind(1, o.id);
    if (s.Step()) {
      d.refund = Refund{s.Int(0), s.Text(1), s.Text(2), s.Int(3), s.OptInt(4)};
    }
    KEFU_RETURN_IF_ERROR(s.status());
  }
  std::scoped_lock lock(order_cache_mutex_);
  if (order_cache_.size() >= kMaxCachedOrders) {
    order_cache_.clear();
  }
  auto shared = std::make_shared<const OrderDetails>(std::move(d));
  order_cache_[order_number] = CachedOrder{etag, shared, epoch};
  return shared;
}

Result<Customer> SqliteStore::GetCustomer(int64_t id) {
  auto conn = pool_->Acquire();
  Stmt s(*conn, "SELECT id, name, phone, email, address, city, lang FROM customers WHERE id = ?");
  s.Bind(1, id);
  if (!s.Step()) {
    KEFU_RETURN_IF_ERROR(s.status());
    return NotFoundError("no customer " + std::to_string(id));
  }
  return Customer{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6)};
}

Result<std::vector<Product>> SqliteStore::ListProducts() {
  auto conn = pool_->Acquire();
  Stmt s(*conn, "SELECT " + std::string(kProductColumns) + " FROM products ORDER BY id");
  std::vector<Product> out;
  while (s.Step()) {
    out.push_back(ReadProduct(s));
  }
  KEFU_RETURN_IF_ERROR(s.status());
  return out;
}

Status SqliteStore::CreateConversation(const Conversation& c) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Stmt s(*conn,
         "INSERT INTO conversations (id, token_hash, channel, lang, state, status, created_at,"
         " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, c.id).Bind(2, c.token_hash).Bind(3, c.channel).Bind(4, c.lang).Bind(5, c.state_json);
  s.Bind(6, c.status).Bind(7, c.created_at).Bind(8, c.updated_at);
  return s.Run().WithContext("create conversation");
}

namespace {
// The shared snapshot a thread holds on one store (ShareReads), while it holds one. A scope
// ends on the thread that began it.
struct SharedRead {
  const SqliteStore* store = nullptr;
  Connection* conn = nullptr;                  // chosen at the first read: one of the two below
  std::unique_lock<std::mutex> turn_writer;    // the store's turn writer, when it was free
  std::optional<ConnectionPool::Lease> lease;  // else a connection of the pool
  bool open = false;                           // a read transaction is open on it
  uint64_t generation = 0;                     // the store's write generation when it began
};
thread_local SharedRead* tls_shared_read = nullptr;

// Ends the read transaction open on `conn`, if any, so that the connection goes on (or back to
// the pool) in autocommit mode whatever happened. Nothing was written in it: a failed COMMIT is
// followed by a ROLLBACK, which ends it the same way.
bool EndSharedRead(Connection& conn) {
  if (sqlite3_get_autocommit(conn.db()) != 0) {
    return true;
  }
  // Prepared once per connection (Stmt), not parsed again at every round as Exec would.
  if (Stmt(conn, "COMMIT").Run().ok()) {
    return true;
  }
  return Stmt(conn, "ROLLBACK").Run().ok();
}
}  // namespace

class SqliteStore::SharedReadScope final : public Store::ReadScope {
 public:
  explicit SharedReadScope(SqliteStore& store) : store_(store) {
    state_.store = &store;
    tls_shared_read = &state_;
  }
  ~SharedReadScope() override {
    if (state_.conn != nullptr && !EndSharedRead(*state_.conn)) {
      KEFU_LOG_ERROR("store: a shared read transaction could not be ended");
    }
    state_.lease.reset();
    if (state_.turn_writer.owns_lock()) {
      state_.turn_writer.unlock();
    }
    tls_shared_read = nullptr;
    store_.shared_scopes_.fetch_sub(1);
  }

 private:
  SqliteStore& store_;
  SharedRead state_;
};

std::unique_ptr<Store::ReadScope> SqliteStore::ShareReads() {
  if (tls_shared_read != nullptr) {
    return nullptr;  // nested: the outer scope shares already
  }
  // A scope holds a connection while its thread may lease another for other reads: one is
  // always left to the rest, so no two scopes can wait on each other.
  if (shared_scopes_.fetch_add(1) + 1 >= pool_size_) {
    shared_scopes_.fetch_sub(1);
    return nullptr;
  }
  return std::make_unique<SharedReadScope>(*this);
}

SqliteStore::ReadLease SqliteStore::AcquireRead() {
  SharedRead* shared = tls_shared_read;
  if (shared == nullptr || shared->store != this) {
    return ReadLease(pool_->Acquire());
  }
  if (shared->conn == nullptr) {
    // The turn writer when it is free: a connection's page cache survives its own commits but
    // is dropped whole when another connection has written, so a worker whose round reads on
    // the connection that committed its last batch finds the conversations' pages still there.
    shared->turn_writer = std::unique_lock(turn_writer_mutex_, std::try_to_lock);
    if (shared->turn_writer.owns_lock()) {
      shared->conn = turn_writer_.get();
    } else {
      shared->lease.emplace(pool_->Acquire());
      shared->conn = &**shared->lease;
    }
  }
  Connection& conn = *shared->conn;
  const uint64_t generation = write_generation_.load(std::memory_order_acquire);
  if (shared->open && shared->generation != generation) {
    shared->open = false;  // this process wrote since: a new snapshot, which shows it
    if (!EndSharedRead(conn)) {
      return ReadLease(pool_->Acquire());
    }
  }
  if (!shared->open) {
    if (!Stmt(conn, "BEGIN").Run().ok()) {
      return ReadLease(pool_->Acquire());
    }
    shared->open = true;
    shared->generation = generation;  // read before the snapshot starts (at the next SELECT)
    if (&conn == turn_writer_.get()) {
      CheckConversationCache(conn);  // starts the snapshot
    }
  }
  return ReadLease(&conn);
}

void SqliteStore::CheckConversationCache(Connection& turn_writer) {
  Stmt s(turn_writer, "PRAGMA data_version");
  const int64_t version = s.Step() ? s.Int(0) : -1;
  std::scoped_lock lock(conversation_cache_mutex_);
  if (version < 0 || version != conversation_cache_data_version_) {
    conversation_cache_.clear();
    conversation_cache_data_version_ = version;
    turn_writer_epoch_.fetch_add(1, std::memory_order_relaxed);
  }
}

// REQUIRES: the batch was committed on turn_writer_.
void SqliteStore::ConversationsCommitted(const std::vector<PendingTurn*>& batch) {
  std::scoped_lock lock(conversation_cache_mutex_);
  for (const PendingTurn* p : batch) {
    const TurnRecord& r = *p->record;
    auto it = conversation_cache_.find(r.conversation_id);
    if (it == conversation_cache_.end()) {
      continue;
    }
    if (!p->status.ok() || r.handoff) {
      conversation_cache_.erase(it);  // written by another (or queued: its status moved)
      continue;
    }
    Conversation& c = it->second;  // as ApplyTurn's UPDATE left it
    c.state_json = r.state_json;
    c.lang = r.lang;
    c.updated_at = r.updated_at;
    c.version = r.expected_version + 1;
    c.last_message_id = p->last_message_id;
  }
}

Result<Conversation> SqliteStore::GetConversation(const std::string& id) {
  ReadLease conn = AcquireRead();
  const bool cached = &*conn == turn_writer_.get();  // see conversation_cache_
  if (cached) {
    std::scoped_lock lock(conversation_cache_mutex_);
    if (auto it = conversation_cache_.find(id); it != conversation_cache_.end()) {
      return it->second;
    }
  }
  Stmt s(*conn,
         "SELECT id, token_hash, channel, lang, state, status, version, created_at, updated_at,"
         " last_message_id FROM conversations WHERE id = ?");
  s.Bind(1, id);
  if (!s.Step()) {
    KEFU_RETURN_IF_ERROR(s.status());
    return NotFoundError("conversation not found");
  }
  Conversation c{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4),
                 s.Text(5), s.Int(6),  s.Int(7),  s.Int(8),  s.OptInt(9).value_or(0)};
  if (cached) {
    std::scoped_lock lock(conversation_cache_mutex_);
    if (conversation_cache_.size() >= kMaxCachedConversations) {
      conversation_cache_.clear();
    }
    conversation_cache_.insert_or_assign(id, c);
  }
  return c;
}

namespace {

// "INSERT INTO <table> (<columns>) VALUES <row>, ..." for `rows` rows, each "(?, ...)".
std::string MultiRowInsert(std::string_view head, std::string_view row, size_t rows) {
  std::string sql(head);
  sql += " VALUES ";
  for (size_t i = 0; i < rows; ++i) {
    sql += i == 0 ? "" : ", ";
    sql += row;
  }
  return sql;
}

// The row counts one multi-row INSERT takes: n rows go out as the powers of two that sum to n
// (at most 32 each), so each connection prepares at most six statements per table.
constexpr size_t kMaxRowsPerInsert = 32;
constexpr size_t kRowChunks = 6;  // 1, 2, 4, ..., 32

size_t NextChunk(size_t left) {
  size_t n = kMaxRowsPerInsert;
  while (n > left) {
    n /= 2;
  }
  return n;
}

constexpr std::string_view kMessagesInsert =
    "INSERT INTO messages (id, conversation_id, role, text, created_at, intent, sentiment, trace,"
    " prompt_tokens, completion_tokens, model, prev_id)";
// The trace is stored packed (packed_json.h): most of a turn's bytes, a sixth of them packed.
constexpr std::string_view kMessageRow = "(?, ?, ?, ?, ?, ?, ?, kefu_pack(?), ?, ?, ?, ?)";
constexpr int kMessageColumns = 12;
constexpr std::string_view kEventsInsert =
    "INSERT INTO events (conversation_id, type, payload, created_at)";
constexpr std::string_view kEventRow = "(?, ?, ?, ?)";
constexpr int kEventColumns = 4;

// The statement texts for 1, 2, 4, ... 32 rows of a table, made once.
using InsertTexts = std::array<std::string, kRowChunks>;
InsertTexts MakeInsertTexts(std::string_view head, std::string_view row) {
  InsertTexts sql;
  for (size_t k = 0; k < kRowChunks; ++k) {
    sql[k] = MultiRowInsert(head, row, size_t{1} << k);
  }
  return sql;
}

const std::string& MessagesInsertSql(size_t rows) {
  static const InsertTexts sql = MakeInsertTexts(kMessagesInsert, kMessageRow);
  return sql[static_cast<size_t>(std::countr_zero(rows))];
}

const std::string& EventsInsertSql(size_t rows) {
  static const InsertTexts sql = MakeInsertTexts(kEventsInsert, kEventRow);
  return sql[static_cast<size_t>(std::countr_zero(rows))];
}

// One row's values, from parameter base + 1 on: a message with its id (none: the next row id)
// and the message before it in its conversation, and an event.
void BindMessage(Stmt& s, int base, const Message& m, std::optional<int64_t> id,
                 std::optional<int64_t> prev_id) {
  s.Bind(base + 1, id).Bind(base + 2, m.conversation_id).Bind(base + 3, m.role);
  s.Bind(base + 4, m.text).Bind(base + 5, m.created_at).Bind(base + 6, m.intent);
  s.Bind(base + 7, m.sentiment).Bind(base + 8, m.trace_json);
  s.Bind(base + 9, int64_t{m.prompt_tokens}).Bind(base + 10, int64_t{m.completion_tokens});
  s.Bind(base + 11, m.model).Bind(base + 12, prev_id);
}

void BindEvent(Stmt& s, int base, const Event& e) {
  if (e.conversation_id.empty()) {
    s.Bind(base + 1, std::optional<int64_t>());
  } else {
    s.Bind(base + 1, e.conversation_id);
  }
  s.Bind(base + 2, e.type).Bind(base + 3, e.payload_json).Bind(base + 4, e.created_at);
}

}  // namespace

Result<int64_t> SqliteStore::InsertMessage(Connection& conn, const Message& m,
                                           std::optional<int64_t> prev_id, int64_t id) {
  Stmt s(conn, MessagesInsertSql(1));
  BindMessage(s, 0, m, id > 0 ? std::optional<int64_t>(id) : std::nullopt, prev_id);
  KEFU_RETURN_IF_ERROR(s.Run());
  return sqlite3_last_insert_rowid(conn.db());
}

Result<std::optional<int64_t>> SqliteStore::LastMessageId(Connection& conn,
                                                          const std::string& conversation_id,
                                                          int64_t* version) {
  Stmt s(conn, "SELECT last_message_id, version FROM conversations WHERE id = ?");
  s.Bind(1, conversation_id);
  if (!s.Step()) {
    KEFU_RETURN_IF_ERROR(s.status());
    return NotFoundError("conversation not found");
  }
  if (version != nullptr) {
    *version = s.Int(1);
  }
  return s.OptInt(0);
}

Status SqliteStore::InsertEvent(Connection& conn, const Event& e) {
  Stmt s(conn, EventsInsertSql(1));
  BindEvent(s, 0, e);
  return s.Run();
}

Status SqliteStore::ApplyTurn(Connection& conn, const TurnRecord& r, bool* wrote, int64_t* last_id,
                              TurnRows* deferred) {
  *wrote = false;
  // A batch inserts its messages without their foreign-key check (CommitBatch): they must
  // name the conversation whose row this turn updates.
  if (r.user.conversation_id != r.conversation_id ||
      r.assistant.conversation_id != r.conversation_id) {
    return InvalidArgumentError("save turn: a message names another conversation");
  }
  // The conversation row first, guarded by the version the turn read: a turn that lost to
  // another writer writes nothing. The transaction is IMMEDIATE, so nothing else writes between
  // this and the inserts, and the two messages take the next two row ids.
  const int64_t user_id = *last_id + 1;
  const int64_t assistant_id = *last_id + 2;
  auto update = [&](bool guard_last) -> Result<bool> {
    Stmt s(conn, guard_last ? "UPDATE conversations SET state = ?, lang = ?, updated_at = ?,"
                              " version = version + 1, last_message_id = ?"
                              " WHERE id = ? AND version = ? AND IFNULL(last_message_id, 0) = ?"
                            : "UPDATE conversations SET state = ?, lang = ?, updated_at = ?,"
                              " version = version + 1, last_message_id = ?"
                              " WHERE id = ? AND version = ?");
    s.Bind(1, r.state_json).Bind(2, r.lang).Bind(3, r.updated_at).Bind(4, assistant_id);
    s.Bind(5, r.conversation_id).Bind(6, r.expected_version);
    if (guard_last) {
      s.Bind(7, r.expected_last_message_id);
    }
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("save turn"));
    return sqlite3_changes(conn.db()) == 1;
  };
  // The chain's last link as the turn read it; when unknown, or when an agent's message came
  // in since (it moves the chain, not the version), as it is now.
  int64_t prev = r.expected_last_message_id;
  bool updated = false;
  if (prev >= 0) {
    Result<bool> u = update(/*guard_last=*/true);
    KEFU_RETURN_IF_ERROR(u.status());
    updated = *u;
  }
  if (!updated) {
    int64_t version = 0;
    Result<std::optional<int64_t>> last = LastMessageId(conn, r.conversation_id, &version);
    if (!last.ok()) {
      return last.status().WithContext("save turn");
    }
    if (version != r.expected_version) {
      return FailedPreconditionError("save turn: conversation changed by a concurrent turn");
    }
    prev = last->value_or(0);
    Result<bool> u = update(/*guard_last=*/false);
    KEFU_RETURN_IF_ERROR(u.status());
    if (!*u) {
      return InternalError("save turn: the conversation changed inside its own transaction");
    }
  }
  *wrote = true;
  const std::optional<int64_t> user_prev = prev > 0 ? std::optional<int64_t>(prev) : std::nullopt;
  *last_id = assistant_id;
  if (deferred != nullptr) {
    deferred->messages.push_back({&r.user, user_prev, user_id});
    deferred->messages.push_back({&r.assistant, user_id, assistant_id});
    for (const Event& e : r.events) {
      deferred->events.push_back(&e);
    }
  } else {
    Result<int64_t> user = InsertMessage(conn, r.user, user_prev, user_id);
    KEFU_RETURN_IF_ERROR(user.status().WithContext("save turn: user message"));
    Result<int64_t> assistant = InsertMessage(conn, r.assistant, *user, assistant_id);
    KEFU_RETURN_IF_ERROR(assistant.status().WithContext("save turn: assistant message"));
    for (const Event& e : r.events) {
      KEFU_RETURN_IF_ERROR(InsertEvent(conn, e).WithContext("save turn: event " + e.type));
    }
  }
  if (r.handoff) {
    HandoffTicket ticket = *r.handoff;
    ticket.conversation_id = r.conversation_id;
    KEFU_RETURN_IF_ERROR(InsertHandoff(conn, ticket).WithContext("save turn: handoff"));
  } else if (r.mood.has_value()) {
    Stmt s(conn, "UPDATE handoffs SET mood = ? WHERE conversation_id = ? AND status <> 'closed'");
    s.BindDouble(1, *r.mood).Bind(2, r.conversation_id);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("save turn: mood"));
  }
  return OkStatus();
}

Status SqliteStore::InsertRows(Connection& conn, const TurnRows& rows) {
  for (size_t at = 0; at < rows.messages.size();) {
    const size_t n = NextChunk(rows.messages.size() - at);
    Stmt s(conn, MessagesInsertSql(n));
    for (size_t i = 0; i < n; ++i) {
      const TurnRows::MessageRow& row = rows.messages[at + i];
      BindMessage(s, static_cast<int>(i) * kMessageColumns, *row.message, row.id, row.prev_id);
    }
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("save turns: messages"));
    at += n;
  }
  for (size_t at = 0; at < rows.events.size();) {
    const size_t n = NextChunk(rows.events.size() - at);
    Stmt s(conn, EventsInsertSql(n));
    for (size_t i = 0; i < n; ++i) {
      BindEvent(s, static_cast<int>(i) * kEventColumns, *rows.events[at + i]);
    }
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("save turns: events"));
    at += n;
  }
  return OkStatus();
}

// One transaction for the batch. A turn that fails its version check has written nothing, so it
// fails alone; a turn that fails after writing (a constraint, a full disk) would leave half a
// turn, so then the whole transaction is rolled back and the batch is applied again with a
// savepoint per turn, which keeps the others. The common case pays for no savepoints.
void SqliteStore::CommitBatch(const std::vector<PendingTurn*>& batch) {
  std::scoped_lock write_lock(write_mutex_);
  // The turn writer (foreign keys off: see turn_writer_) unless a shared read scope holds it;
  // then a connection of the pool, whose foreign-key checks are only redundant. Never waited
  // for: a scope's thread may be waiting on write_mutex_, held here.
  std::unique_lock turn_writer(turn_writer_mutex_, std::try_to_lock);
  std::optional<ConnectionPool::Lease> pooled;
  if (!turn_writer.owns_lock()) {
    pooled.emplace(pool_->Acquire());
  }
  Connection* conn = turn_writer.owns_lock() ? turn_writer_.get() : &**pooled;
  for (bool savepoints : {false, true}) {
    Transaction tx(*conn);
    if (!tx.status().ok()) {
      for (PendingTurn* p : batch) {
        p->status = tx.status().WithContext("save turn");
      }
      return;
    }
    // The newest message id: each turn's two messages take the next two (ApplyTurn).
    int64_t last_id = 0;
    {
      Stmt s(*conn, "SELECT IFNULL(MAX(id), 0) FROM messages");
      Status read = s.Step() ? OkStatus() : s.status();
      if (!read.ok() || !s.status().ok()) {
        for (PendingTurn* p : batch) {
          p->status = (read.ok() ? s.status() : read).WithContext("save turn");
        }
        return;
      }
      last_id = s.Int(0);
    }
    bool half_written = false;
    TurnRows rows;  // the first pass inserts every turn's messages and events together
    rows.messages.reserve(2 * batch.size());
    for (PendingTurn* p : batch) {
      bool wrote = false;
      if (!savepoints) {
        p->status = ApplyTurn(*conn, *p->record, &wrote, &last_id, &rows);
        p->last_message_id = last_id;
        if (!p->status.ok() && wrote) {
          half_written = true;
          break;
        }
        continue;
      }
      Status s = Stmt(*conn, "SAVEPOINT turn").Run();
      if (s.ok()) {
        s = ApplyTurn(*conn, *p->record, &wrote, &last_id);
        if (!s.ok()) {
          (void)Stmt(*conn, "ROLLBACK TO turn").Run();
        }
        Status released = Stmt(*conn, "RELEASE turn").Run();
        if (s.ok() && !released.ok()) {
          s = released;
        }
      }
      p->status = s;
      p->last_message_id = last_id;
    }
    if (!savepoints && !half_written) {
      // Which turn a failed insert belongs to is not known: with more than one, the savepoint
      // pass inserts each turn's rows on their own, and only that turn fails.
      if (Status inserted = InsertRows(*conn, rows).WithContext("save turn"); !inserted.ok()) {
        if (batch.size() == 1) {
          batch.front()->status = inserted;
          return;  // the transaction rolls back
        }
        half_written = true;
      }
    }
    if (half_written) {
      if (batch.size() == 1) {
        return;  // the transaction rolls back; the turn keeps its error
      }
      continue;  // ~Transaction rolls back; apply again with savepoints
    }
    Status committed = tx.Commit().WithContext("save turn");
    if (!committed.ok()) {
      for (PendingTurn* p : batch) {
        p->status = committed;
      }
    } else if (conn == turn_writer_.get()) {
      ConversationsCommitted(batch);
    }
    return;
  }
}

std::vector<Status> SqliteStore::SaveTurns(std::span<const TurnRecord> records) {
  std::vector<PendingTurn> pending;
  pending.reserve(records.size());
  for (const TurnRecord& r : records) {
    pending.push_back({&r, OkStatus(), false});
  }
  std::vector<PendingTurn*> mine;
  for (PendingTurn& p : pending) {
    mine.push_back(&p);
  }
  AwaitCommit(mine);
  std::vector<Status> out;
  out.reserve(pending.size());
  for (PendingTurn& p : pending) {
    out.push_back(std::move(p.status));
  }
  return out;
}

// Group commit: the first caller to find no writer at work becomes the writer and commits every
// turn queued so far in one transaction; the others wait for their turns' results. A reply is
// acknowledged only after its transaction committed, but many turns share one commit's page
// writes and locks, and a caller's turns are committed while another caller runs its stages.
Status SqliteStore::SaveTurn(const TurnRecord& r) {
  PendingTurn pending{&r, OkStatus(), false};
  AwaitCommit({&pending});
  return pending.status;
}

void SqliteStore::AwaitCommit(const std::vector<PendingTurn*>& turns) {
  if (turns.empty()) {
    return;
  }
  std::unique_lock lock(queue_mutex_);
  queue_.insert(queue_.end(), turns.begin(), turns.end());
  while (!std::all_of(turns.begin(), turns.end(), [](const PendingTurn* p) { return p->done; })) {
    if (writer_active_) {
      queue_changed_.wait(lock);
      continue;
    }
    writer_active_ = true;
    std::vector<PendingTurn*> batch;
    batch.swap(queue_);
    lock.unlock();
    CommitBatch(batch);
    lock.lock();
    for (PendingTurn* p : batch) {
      p->done = true;
    }
    writer_active_ = false;
    queue_changed_.notify_all();
  }
}

namespace {
// A conversation's messages are a chain from its last_message_id back through each message's
// prev_id (migration 009). Walks it by row id, newest first, for at most `steps` messages with
// ids above `after_id`, and returns the oldest `limit` of those, oldest first. A message's
// prev_id is always a smaller id, so a walk ends.
Result<std::vector<Message>> WalkMessages(Connection& conn, const std::string& conversation_id,
                                          int64_t after_id, int64_t steps, int64_t limit) {
  Stmt s(conn,
         "WITH RECURSIVE chain(id, n) AS ("
         " SELECT last_message_id, 1 FROM conversations"
         " WHERE id = ?1 AND last_message_id > ?2 AND ?3 > 0"
         " UNION ALL"
         " SELECT m.prev_id, chain.n + 1 FROM chain JOIN messages m ON m.id = chain.id"
         " WHERE m.prev_id > ?2 AND m.prev_id < m.id AND chain.n < ?3)"
         " SELECT m.id, m.conversation_id, m.role, m.text, m.created_at, m.intent, m.sentiment,"
         " IFNULL(kefu_json(m.trace), '{}'), m.prompt_tokens, m.completion_tokens, m.model"
         " FROM chain JOIN messages m ON m.id = chain.id ORDER BY m.id LIMIT ?4");
  s.Bind(1, conversation_id).Bind(2, after_id).Bind(3, steps).Bind(4, limit);
  std::vector<Message> out;
  while (s.Step()) {
    out.push_back({s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Int(4), s.Text(5), s.Text(6),
                   s.Text(7), static_cast<int>(s.Int(8)), static_cast<int>(s.Int(9)), s.Text(10)});
  }
  KEFU_RETURN_IF_ERROR(s.status());
  return out;
}
}  // namespace

Result<std::vector<Message>> SqliteStore::ListMessages(const std::string& conversation_id,
                                                       int64_t after_id, int limit) {
  auto conn = pool_->Acquire();
  return WalkMessages(*conn, conversation_id, after_id, std::numeric_limits<int64_t>::max(), limit);
}

Result<std::vector<Message>> SqliteStore::ListRecentMessages(const std::string& conversation_id,
                                                             int limit) {
  auto conn = pool_->Acquire();
  return WalkMessages(*conn, conversation_id, std::numeric_limits<int64_t>::min(), limit, limit);
}

Status SqliteStore::AppendEvent(const Event& event) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  return InsertEvent(*conn, event).WithContext("append event");
}

Result<int64_t> SqliteStore::CountEvents(const std::string& type) {
  auto conn = pool_->Acquire();
  Stmt s(*conn, "SELECT count(*) FROM events WHERE type = ?");
  s.Bind(1, type);
  if (!s.Step()) {
    return s.status().ok() ? InternalError("count returned no row") : s.status();
  }
  return s.Int(0);
}

Result<Analytics> SqliteStore::GetAnalytics(const AnalyticsQuery& q) {
  if (q.until <= q.from) {
    return InvalidArgumentError("analytics range is empty");
  }
  auto conn = pool_->Acquire();
  ReadTransaction read(*conn);  // one snapshot for every figure
  KEFU_RETURN_IF_ERROR(read.status());
  const int64_t tz_seconds = int64_t{q.tz_offset_minutes} * 60;
  std::map<int64_t, DayStats> days;
  auto day = [&](int64_t d) -> DayStats& {
    DayStats& s = days[d];
    s.day = d;
    return s;
  };
  // The local day of a millisecond timestamp column, as SQL; ?1 is the zone's offset in
  // seconds. Integer division is floor division here: timestamps are positive.
  auto day_sql = [](std::string_view column) {
    return "((" + std::string(column) + " / 1000 + ?1) / 86400)";
  };

  {
    Stmt s(*conn, "SELECT " + day_sql("c.created_at") +
                      " AS d, count(*),"
                      " sum(NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.conversation_id = c.id))"
                      " FROM conversations c WHERE c.created_at >= ?2 AND c.created_at < ?3"
                      // With a message from the shopper: those are written after the
                      // conversation was made, so only messages since ?2 are read.
                      " AND c.id IN (SELECT m.conversation_id FROM messages m"
                      " WHERE m.created_at >= ?2 AND m.role = 'user') GROUP BY d");
    s.Bind(1, tz_seconds).Bind(2, q.from).Bind(3, q.until);
    while (s.Step()) {
      DayStats& d = day(s.Int(0));
      d.conversations = s.Int(1);
      d.automated = s.Int(2);
    }
    KEFU_RETURN_IF_ERROR(s.status().WithContext("analytics: conversations"));
  }
  {
    Stmt s(*conn, "SELECT " + day_sql("created_at") +
                      " AS d, count(*), avg(CASE WHEN json_valid(sentiment)"
                      " THEN json_extract(sentiment, '$.score') END)"
                      " FROM messages WHERE created_at >= ?2 AND created_at < ?3"
                      " AND role = 'user' GROUP BY d");
    s.Bind(1, tz_seconds).Bind(2, q.from).Bind(3, q.until);
    while (s.Step()) {
      DayStats& d = day(s.Int(0));
      d.turns = s.Int(1);
      if (s.OptInt(2).has_value()) {
        d.mood = s.Double(2);
      }
    }
    KEFU_RETURN_IF_ERROR(s.status().WithContext("analytics: turns"));
  }
  {
    Stmt s(*conn, "SELECT " + day_sql("queued_at") +
                      " AS d, count(*) FROM handoffs"
                      " WHERE queued_at >= ?2 AND queued_at < ?3 GROUP BY d");
    s.Bind(1, tz_seconds).Bind(2, q.from).Bind(3, q.until);
    while (s.Step()) {
      day(s.Int(0)).handoffs = s.Int(1);
    }
    KEFU_RETURN_IF_ERROR(s.status().WithContext("analytics: handoffs"));
  }
  Analytics out;
  for (auto& [d, stats] : days) {
    out.days.push_back(stats);
  }
  {
    Stmt s(*conn,
           "SELECT intent, count(*) AS n FROM messages WHERE created_at >= ?1 AND created_at < ?2"
           " AND role = 'user' AND intent <> '' GROUP BY intent ORDER BY n DESC, intent");
    s.Bind(1, q.from).Bind(2, q.until);
    while (s.Step()) {
      out.intents.emplace_back(s.Text(0), s.Int(1));
    }
    KEFU_RETURN_IF_ERROR(s.status().WithContext("analytics: intents"));
  }
  {
    // A turn went unanswered when the shopper was out of scope, the dialogue fell back, or the
    // knowledge base had nothing confident. The turn's two messages are written together, the
    // shopper's first, so the question is the message just before the reply.
    Stmt s(*conn,
           "SELECT u.text, count(*) AS n, max(a.created_at) FROM messages a"
           " JOIN messages u ON u.id = a.id - 1 AND u.conversation_id = a.conversation_id"
           " AND u.role = 'user'"
           " WHERE a.created_at >= ?1 AND a.created_at < ?2 AND a.role = 'assistant'"
           " AND (a.intent = 'out_of_scope'"
           " OR (json_valid(kefu_json(a.trace))"
           " AND json_extract(kefu_json(a.trace), '$.action') LIKE '%fallback%')"
           " OR EXISTS (SELECT 1 FROM events e WHERE e.type = 'kb_unanswered'"
           " AND e.created_at = a.created_at AND e.conversation_id = a.conversation_id))"
           " GROUP BY lower(trim(u.text)) ORDER BY n DESC, max(a.created_at) DESC LIMIT ?3");
    s.Bind(1, q.from).Bind(2, q.until).Bind(3, int64_t{q.top_unanswered});
    while (s.Step()) {
      out.unanswered.push_back({s.Text(0), s.Int(1), s.Int(2)});
    }
    KEFU_RETURN_IF_ERROR(s.status().WithContext("analytics: unanswered"));
  }
  {
    Stmt s(*conn,
           "SELECT (SELECT sum(json_extract(st.value, '$.us'))"
           " FROM json_each(kefu_json(a.trace), '$.stages') st) FROM messages a"
           " WHERE a.created_at >= ?1 AND a.created_at < ?2 AND a.role = 'assistant'"
           " AND json_valid(kefu_json(a.trace)) ORDER BY a.created_at DESC LIMIT ?3");
    s.Bind(1, q.from).Bind(2, q.until).Bind(3, int64_t{q.max_latency_samples});
    while (s.Step()) {
      if (std::optional<int64_t> us = s.OptInt(0)) {
        out.turn_micros.push_back(*us);
      }
    }
    KEFU_RETURN_IF_ERROR(s.status().WithContext("analytics: latency"));
  }
  return out;
}

Status SqliteStore::PutKbDocuments(std::span<const KbDocumentRecord> records) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Transaction tx(*conn);
  KEFU_RETURN_IF_ERROR(tx.status());
  for (const KbDocumentRecord& r : records) {
    Stmt s(*conn,
           "INSERT OR REPLACE INTO kb_documents (id, content_hash, format, lang, category, title,"
           " source, updated_at, document, chunks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, r.id).Bind(2, r.content_hash).Bind(3, r.format).Bind(4, r.lang);
    s.Bind(5, r.category).Bind(6, r.title).Bind(7, r.source).Bind(8, r.updated_at);
    s.Bind(9, r.document_json).Bind(10, r.chunks_json);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("kb document " + r.id));
  }
  return tx.Commit();
}

Status SqliteStore::DeleteKbDocument(const std::string& id) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Stmt s(*conn, "DELETE FROM kb_documents WHERE id = ?");
  s.Bind(1, id);
  KEFU_RETURN_IF_ERROR(s.Run().WithContext("delete kb document"));
  if (sqlite3_changes(conn->db()) == 0) {
    return NotFoundError("no knowledge-base document '" + id + "'");
  }
  return OkStatus();
}

Result<std::vector<KbDocumentRecord>> SqliteStore::ListKbDocuments(bool with_content) {
  auto conn = pool_->Acquire();
  Stmt s(*conn, with_content
                    ? "SELECT id, content_hash, format, lang, category, title, source, updated_at,"
                      " document, chunks FROM kb_documents ORDER BY id"
                    : "SELECT id, content_hash, format, lang, category, title, source, updated_at,"
                      " '', '' FROM kb_documents ORDER BY id");
  std::vector<KbDocumentRecord> out;
  while (s.Step()) {
    out.push_back({s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6),
                   s.Int(7), s.Text(8), s.Text(9)});
  }
  KEFU_RETURN_IF_ERROR(s.status());
  return out;
}

Result<std::vector<Product>> SqliteStore::SearchProducts(const ProductQuery& query) {
  std::vector<std::string> patterns;
  for (const std::string& keyword : query.keywords) {
    if (!keyword.empty()) {
      patterns.push_back(ContainsPattern(keyword));
    }
  }
  if (patterns.size() > kMaxSearchKeywords) {
    return InvalidArgumentError("search products: " + std::to_string(patterns.size()) +
                                " keywords, at most " + std::to_string(kMaxSearchKeywords));
  }
  // One statement per keyword count (at most 9 cached); empty filters match everything.
  std::string sql = "SELECT " + std::string(kProductColumns) +
                    " FROM products WHERE (?1 = '' OR category = ?1)"
                    " AND (?2 IS NULL OR price_cents >= ?2) AND (?3 IS NULL OR price_cents <= ?3)"
                    " AND (?4 = 0 OR stock > 0)";
  for (size_t i = 0; i < patterns.size(); ++i) {
    const std::string p = "?" + std::to_string(i + 6);
    sql += " AND (name_zh LIKE " + p + " ESCAPE '\\' OR name_en LIKE " + p +
           " ESCAPE '\\' OR brand LIKE " + p + " ESCAPE '\\' OR attributes LIKE " + p +
           " ESCAPE '\\')";
  }
  sql += " ORDER BY price_cents, id LIMIT ?5";
  auto conn = pool_->Acquire();
  Stmt s(*conn, sql);
  s.Bind(1, query.category).Bind(2, query.min_cents).Bind(3, query.max_cents);
  s.Bind(4, int64_t{query.in_stock_only ? 1 : 0});
  s.Bind(5, int64_t{std::clamp(query.limit, 0, kMaxSearchResults)});
  for (size_t i = 0; i < patterns.size(); ++i) {
    s.Bind(static_cast<int>(i + 6), patterns[i]);
  }
  std::vector<Product> out;
  while (s.Step()) {
    out.push_back(ReadProduct(s));
  }
  KEFU_RETURN_IF_ERROR(s.status().WithContext("search products"));
  return out;
}

Result<Product> SqliteStore::GetProductBySku(const std::string& sku) {
  auto conn = pool_->Acquire();
  Stmt s(*conn, "SELECT " + std::string(kProductColumns) + " FROM products WHERE sku = ?");
  s.Bind(1, sku);
  if (!s.Step()) {
    KEFU_RETURN_IF_ERROR(s.status());
    return NotFoundError("no product with sku " + sku);
  }
  return ReadProduct(s);
}

Result<std::vector<Order>> SqliteStore::ListOrdersByCustomer(int64_t customer_id, int limit) {
  auto conn = pool_->Acquire();
  Stmt s(*conn, "SELECT " + std::string(kOrderColumns) +
                    " FROM orders WHERE customer_id = ? ORDER BY created_at DESC, id DESC"
                    " LIMIT ?");
  s.Bind(1, customer_id).Bind(2, int64_t{std::max(limit, 0)});
  std::vector<Order> out;
  while (s.Step()) {
    out.push_back(ReadOrder(s));
  }
  KEFU_RETURN_IF_ERROR(s.status());
  return out;
}

}  // namespace sqlite

Result<std::unique_ptr<Store>> NewSqliteStore(const SqliteOptions& options) {
  if (options.path.empty() || options.path == ":memory:") {
    return InvalidArgumentError("sqlite store needs a file path, got '" + options.path + "'");
  }
  if (options.pool_size <= 0) {
    return InvalidArgumentError("sqlite pool_size must be positive");
  }
  if (options.wal_restart_frames <= 0) {
    return InvalidArgumentError("sqlite wal_restart_frames must be positive");
  }
  // SQLite counts every allocation under one process-wide mutex unless told not to: with two
  // threads in the store, that mutex was the most contended lock in the server (a futex per
  // few statements). The counts feed only sqlite3_memory_used(), which nothing here reads. It
  // must be set before SQLite initialises; later calls are refused harmlessly.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  // The packing dictionaries are prepared now (a few ms), not by the first turn that stores.
  if (sqlite::PackVersion() <= 0) {
    KEFU_LOG_WARN("no dictionary for packed JSON: traces are stored as text");
  }
  auto pool = std::make_unique<sqlite::ConnectionPool>();
  for (int i = 0; i < options.pool_size; ++i) {
    KEFU_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Connection> conn, sqlite::Open(options));
    if (i == 0) {
      KEFU_RETURN_IF_ERROR(sqlite::Migrate(*conn).WithContext("open '" + options.path + "'"));
    }
    pool->Add(std::move(conn));
  }
  KEFU_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Connection> turn_writer, sqlite::Open(options));
  KEFU_RETURN_IF_ERROR(turn_writer->Exec("PRAGMA foreign_keys=OFF;"));
  KEFU_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Connection> checkpointer, sqlite::Open(options));
  return std::unique_ptr<Store>(
      std::make_unique<sqlite::SqliteStore>(std::move(pool), std::move(turn_writer),
                                            std::move(checkpointer), options.wal_restart_frames));
}

}  // namespace kefu::store
