// SqliteStore's declaration, private to the SQLite backend: sqlite_store.cc holds opening,
// shop data, conversations and turns; sqlite_actions.cc the order actions, invoices, cases,
// the handoff queue and agent messages.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace kefu::store::sqlite {

// The Store on one SQLite file (WAL, a pool of connections). Thread-safe.
class SqliteStore final : public Store {
 public:
  // `turn_writer` runs with foreign keys off (see turn_writer_).
  SqliteStore(std::unique_ptr<ConnectionPool> pool, std::unique_ptr<Connection> turn_writer,
              std::unique_ptr<Connection> checkpointer, int64_t wal_restart_frames)
      : pool_(std::move(pool)),
        turn_writer_(std::move(turn_writer)),
        checkpointer_(std::move(checkpointer)),
        wal_restart_frames_(wal_restart_frames) {
    // Every commit of a write by this process moves the generation that shared snapshots
    // (ShareReads) are checked against.
    auto count_commits = [this](Connection& conn) {
      sqlite3_commit_hook(
          conn.db(),
          [](void* generation) {
            static_cast<std::atomic<uint64_t>*>(generation)
                ->fetch_add(1, std::memory_order_release);
            return 0;  // go on with the commit
          },
          &write_generation_);
    };
    pool_size_ = pool_->ForEachFree(count_commits);
    count_commits(*turn_writer_);
    checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
  }
  ~SqliteStore() override {
    {
      std::scoped_lock lock(checkpoint_mutex_);
      stopping_ = true;
    }
    checkpoint_wake_.notify_all();
    checkpoint_thread_.join();
  }

  Status ReplaceShopData(const ShopData& data) override;
  Result<ShopCounts> CountShopData() override;
  Result<OrderDetails> GetOrderDetails(const std::string& order_number) override;
  Result<std::shared_ptr<const OrderDetails>> GetSharedOrderDetails(
      const std::string& order_number) override;
  Result<Customer> GetCustomer(int64_t id) override;
  Result<std::vector<Product>> ListProducts() override;
  std::unique_ptr<ReadScope> ShareReads() override;
  Status CreateConversation(const Conversation& conversation) override;
  Result<Conversation> GetConversation(const std::string& id) override;
  Status SaveTurn(const TurnRecord& record) override;
  std::vector<Status> SaveTurns(std::span<const TurnRecord> records) override;
  Result<std::vector<Message>> ListMessages(const std::string& conversation_id, int64_t after_id,
                                            int limit) override;
  Result<std::vector<Message>> ListRecentMessages(const std::string& conversation_id,
                                                  int limit) override;
  Status AppendEvent(const Event& event) override;
  Result<int64_t> CountEvents(const std::string& type) override;
  Result<Analytics> GetAnalytics(const AnalyticsQuery& query) override;
  Status PutKbDocuments(std::span<const KbDocumentRecord> records) override;
  Status DeleteKbDocument(const std::string& id) override;
  Result<std::vector<KbDocumentRecord>> ListKbDocuments(bool with_content) override;

  Result<int64_t> CancelOrder(const std::string& order_number, int64_t at) override;
  Status UpdateOrderContact(const std::string& order_number,
                            const std::optional<std::string>& address,
                            const std::optional<std::string>& phone) override;
  Result<std::string> CreateReturn(const NewReturn& request) override;
  Result<int64_t> CreateInvoiceRequest(const InvoiceRequest& request) override;
  Result<std::vector<InvoiceRequest>> ListInvoiceRequests(const std::string& order_number) override;
  Result<std::string> OpenCase(const SupportCase& c) override;
  Result<std::vector<SupportCase>> ListCases(const std::string& conversation_id) override;
  Result<std::vector<Product>> SearchProducts(const ProductQuery& query) override;
  Result<Product> GetProductBySku(const std::string& sku) override;
  Result<std::vector<Order>> ListOrdersByCustomer(int64_t customer_id, int limit) override;

  Status EnqueueHandoff(const HandoffTicket& ticket) override;
  Status ClaimHandoff(const std::string& conversation_id, const std::string& agent,
                      int64_t at) override;
  Status ReleaseHandoff(const std::string& conversation_id, const std::string& agent,
                        int64_t at) override;
  Status CloseHandoff(const std::string& conversation_id, const std::string& agent,
                      int64_t at) override;
  Result<HandoffTicket> GetHandoff(const std::string& conversation_id) override;
  Result<std::vector<HandoffTicket>> ListHandoffQueue() override;
  Result<int64_t> AppendMessage(const Message& message) override;

 private:
  class SharedReadScope;
  // A connection for one read: the thread's shared snapshot when it holds one on this store
  // (ShareReads), else a pooled connection of its own.
  class ReadLease {
   public:
    explicit ReadLease(ConnectionPool::Lease own) : own_(std::move(own)), conn_(&**own_) {}
    explicit ReadLease(Connection* shared) : conn_(shared) {}
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_; }

   private:
    std::optional<ConnectionPool::Lease> own_;
    Connection* conn_;
  };
  ReadLease AcquireRead();

  static Status InsertHandoff(Connection& conn, const HandoffTicket& ticket);
  static Status InsertEvent(Connection& conn, const Event& event);
  // Inserts `m` as the message after `prev_id` in its conversation (none for the first) with row
  // id `id` (0: the next free one) and returns its id. The caller points the conversation's
  // last_message_id at it.
  static Result<int64_t> InsertMessage(Connection& conn, const Message& m,
                                       std::optional<int64_t> prev_id, int64_t id = 0);
  // The conversation's newest message id (nullopt when it has none); NotFound when there is no
  // such conversation. `version`, when given, receives the conversation's version.
  static Result<std::optional<int64_t>> LastMessageId(Connection& conn,
                                                      const std::string& conversation_id,
                                                      int64_t* version);
  static Status InsertOrder(Connection& conn, const OrderDetails& details);

  // Request threads never checkpoint (connections run with wal_autocheckpoint=0): this thread
  // copies the WAL back into the database every kCheckpointInterval, so the fsyncs a
  // checkpoint needs stay off the request path.
  void CheckpointLoop();

  std::unique_ptr<ConnectionPool> pool_;
  int pool_size_ = 0;
  std::atomic<uint64_t> write_generation_{0};  // commits of writes by this process
  std::atomic<int> shared_scopes_{0};          // ShareReads scopes holding a connection
  // CommitBatch's connection, for writes under write_mutex_ only. Its foreign keys are off: every
  // message a batch inserts belongs to a conversation whose row the same IMMEDIATE transaction
  // has just updated (ApplyTurn: one row changed, and a message must name that conversation),
  // so the check, a search of the conversations' id index a message, proved nothing there.
  // It was 8.6% of a turn's instructions (callgrind, BM_HandleTurnsBatch/16). A connection of
  // its own, because switching the pragma expires every statement a connection has prepared.
  std::unique_ptr<Connection> turn_writer_;
  // Held by whoever uses turn_writer_: CommitBatch, or a shared read scope (ShareReads) that
  // found it free, so that a worker's round reads where its last batch was written.
  std::mutex turn_writer_mutex_;
  std::unique_ptr<Connection> checkpointer_;
  const int64_t wal_restart_frames_;  // SqliteOptions::wal_restart_frames
  std::thread checkpoint_thread_;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wake_;
  bool stopping_ = false;
  // SQLite allows one writer at a time; its busy handler waits by sleeping whole milliseconds.
  // Writers in this process queue on this mutex instead, so only writers in other processes
  // ever reach the busy handler.
  std::mutex write_mutex_;

  // Group commit of turns; see SaveTurn.
  struct PendingTurn {
    const TurnRecord* record;
    Status status;
    bool done;
    int64_t last_message_id = 0;  // once applied: the conversation's newest message
  };
  // The messages and events of a batch's turns, inserted together once every turn's
  // conversation row is written (InsertRows): a few multi-row INSERTs instead of four
  // statements per turn. The pointers are into the batch's TurnRecords.
  struct TurnRows {
    struct MessageRow {
      const Message* message;
      std::optional<int64_t> prev_id;
      int64_t id;
    };
    std::vector<MessageRow> messages;
    std::vector<const Event*> events;
  };
  // *wrote: whether anything was written before an error (the version check writes nothing).
  // *last_id: the newest message id in the transaction, moved past the turn's two messages.
  // With `deferred`, the turn's messages and events are added to it instead of inserted.
  static Status ApplyTurn(Connection& conn, const TurnRecord& r, bool* wrote, int64_t* last_id,
                          TurnRows* deferred = nullptr);
  static Status InsertRows(Connection& conn, const TurnRows& rows);
  void CommitBatch(const std::vector<PendingTurn*>& batch);
  // Queues `turns` and returns once each is done, committing queued turns while no one else is.
  void AwaitCommit(const std::vector<PendingTurn*>& turns);
  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::vector<PendingTurn*> queue_;
  bool writer_active_ = false;

  // Orders read lately, each with the etag it was read at (migration 008): GetOrderDetails
  // re-checks a cached order's etag with one indexed lookup instead of reading its six tables
  // again. Any write to the order or what is shown with it, from any process, changes the etag.
  // At most kMaxCachedOrders; when full it starts over.
  static constexpr size_t kMaxCachedOrders = 4096;
  struct CachedOrder {
    int64_t etag = 0;
    std::shared_ptr<const OrderDetails> details;
    // turn_writer_epoch_ when the etag was last read on turn_writer_ (0: never). While it is
    // still the epoch, no other connection has committed since, and turn_writer_ writes no
    // orders: a round on turn_writer_ takes the order without reading its etag.
    uint64_t epoch = 0;
  };
  std::mutex order_cache_mutex_;
  std::unordered_map<std::string, CachedOrder> order_cache_;  // guarded by order_cache_mutex_

  // Conversation rows as read or written on turn_writer_, for GetConversation inside a shared
  // read scope that holds it (a worker's round). SQLite drops a connection's pages when another
  // connection has committed, and counts that in the connection's PRAGMA data_version; read as
  // each such scope begins its snapshot, a change there (a write by any other connection, of
  // this process or another) drops these rows too. Its own commits move nothing, so CommitBatch
  // brings the rows of the turns it committed on turn_writer_ up to date instead. At most
  // kMaxCachedConversations; when full it starts over.
  void CheckConversationCache(Connection& turn_writer);
  void ConversationsCommitted(const std::vector<PendingTurn*>& batch);
  static constexpr size_t kMaxCachedConversations = 8192;
  std::mutex conversation_cache_mutex_;
  std::unordered_map<std::string, Conversation> conversation_cache_;
  int64_t conversation_cache_data_version_ = -1;  // turn_writer_'s when the rows were last valid
  // Moves each time CheckConversationCache finds that another connection has committed.
  std::atomic<uint64_t> turn_writer_epoch_{0};
};

}  // namespace kefu::store::sqlite
