// Store: everything kefu persists (shop data, conversations, messages, analytics events),
// behind one interface so that callers do not change when a PostgreSQL backend is added.
//
//   Result<std::unique_ptr<Store>> store = NewSqliteStore({.path = "kefu.db"});
//   Result<OrderDetails> order = (*store)->GetOrderDetails("2026112512345678");
//   if (order.status().code() == StatusCode::kNotFound) { ... }
//
// Times are milliseconds since the Unix epoch, money is in cents (fen).
// Implementations are thread-safe: one instance serves all sessions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace kefu::store {

struct Customer {
  int64_t id = 0;
  std::string name;
  std::string phone;
  std::string email;
  std::string address;
  std::string city;
  std::string lang = "zh";
};

struct Product {
  int64_t id = 0;
  std::string sku;
  std::string category;
  std::string brand;
  std::string name_zh;
  std::string name_en;
  int64_t price_cents = 0;
  std::string attributes_json = "{}";
  int64_t stock = 0;
};

struct OrderItem {
  int64_t product_id = 0;
  int64_t quantity = 0;
  int64_t unit_price_cents = 0;
  // Filled on read from the product.
  std::string name_zh;
  std::string name_en;
};

struct TrackingEvent {
  int64_t time = 0;
  std::string status;  // picked_up, in_transit, arrived, out_for_delivery, delivered
  std::string location_zh;
  std::string location_en;
  std::string description_zh;
  std::string description_en;
};

struct Shipment {
  std::string carrier;  // 顺丰速运
  std::string carrier_en;
  std::string tracking_number;
  std::string status;
  int64_t shipped_at = 0;
  std::vector<TrackingEvent> events;  // oldest first
};

struct ReturnRequest {
  std::string type;    // no_reason, quality
  std::string status;  // requested, approved, received, completed, rejected
  std::string reason_zh;
  std::string reason_en;
  int64_t requested_at = 0;
  std::optional<int64_t> completed_at;
};

struct Refund {
  int64_t amount_cents = 0;
  std::string status;  // pending, processing, completed
  std::string method;
  int64_t requested_at = 0;
  std::optional<int64_t> completed_at;
};

struct Order {
  int64_t id = 0;
  std::string order_number;
  int64_t customer_id = 0;
  std::string status;  // pending_payment, paid, shipped, delivered, cancelled, return_requested,
                       // returned, refunded
  int64_t created_at = 0;
  std::optional<int64_t> paid_at;
  std::optional<int64_t> shipped_at;
  std::optional<int64_t> delivered_at;
  std::optional<int64_t> cancelled_at;
  std::string payment_method;
  std::string receiver_name;
  std::string phone;  // the receiver's phone; its last four digits prove ownership
  std::string shipping_address;
  int64_t shipping_fee_cents = 0;
  int64_t discount_cents = 0;
  int64_t total_cents = 0;
};

// An order with everything a reply about it may need.
struct OrderDetails {
  Order order;
  std::vector<OrderItem> items;
  std::optional<Shipment> shipment;
  std::optional<ReturnRequest> return_request;
  std::optional<Refund> refund;
};

struct Document {
  std::string id;  // "policies/zh/returns.md"
  std::string lang;
  std::string title;
  std::string body;
  std::string source;
  int64_t updated_at = 0;
};

// The whole shop, as the demo loader and importers produce it.
struct ShopData {
  std::vector<Customer> customers;
  std::vector<Product> products;
  std::vector<OrderDetails> orders;
  std::vector<Document> documents;
};

struct ShopCounts {
  int64_t customers = 0;
  int64_t products = 0;
  int64_t orders = 0;
  int64_t shipments = 0;
  int64_t documents = 0;
};

struct Conversation {
  std::string id;
  std::string token_hash;  // SHA-256 of the shopper's token, hex
  std::string channel = "web";
  std::string lang;
  std::string state_json = "{}";  // dialogue state, owned by the engine
  std::string status = "open";
  int64_t version = 0;  // incremented by each saved turn
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct Message {
  int64_t id = 0;
  std::string conversation_id;
  std::string role;  // user, assistant, agent, system
  std::string text;
  int64_t created_at = 0;
  std::string intent;
  std::string sentiment;
  std::string trace_json = "{}";
};

struct Event {
  std::string conversation_id;  // may be empty
  std::string type;             // turn, verification_failed, handoff_offered, ...
  std::string payload_json = "{}";
  int64_t created_at = 0;
};

// A knowledge-base document as the store keeps it. The kb module serializes the parsed document
// and its chunks to JSON; the store does not look inside.
struct KbDocumentRecord {
  std::string id;
  std::string content_hash;
  std::string format;
  std::string lang;
  std::string category;
  std::string title;
  std::string source;
  int64_t updated_at = 0;
  std::string document_json = "{}";
  std::string chunks_json = "[]";
};

// One turn's writes, stored atomically: both messages, the new state, its events.
struct TurnRecord {
  std::string conversation_id;
  int64_t expected_version = 0;  // the version the turn read; see SaveTurn
  Message user;
  Message assistant;
  std::string state_json;
  std::string lang;
  int64_t updated_at = 0;
  std::vector<Event> events;
};

class Store {
 public:
  virtual ~Store() = default;

  // Shop data. ReplaceShopData deletes every shop row (not conversations) and inserts `data` in
  // one transaction.
  virtual Status ReplaceShopData(const ShopData& data) = 0;
  virtual Result<ShopCounts> CountShopData() = 0;
  // kNotFound when no order has this number.
  virtual Result<OrderDetails> GetOrderDetails(const std::string& order_number) = 0;
  virtual Result<Customer> GetCustomer(int64_t id) = 0;
  // Every product, by id.
  virtual Result<std::vector<Product>> ListProducts() = 0;

  // Conversations. kAlreadyExists when the id is taken; kNotFound for an unknown id.
  virtual Status CreateConversation(const Conversation& conversation) = 0;
  virtual Result<Conversation> GetConversation(const std::string& id) = 0;
  // Stores the turn in one transaction and bumps the conversation's version. kNotFound when the
  // conversation does not exist; kFailedPrecondition when another turn saved first (its version
  // is no longer expected_version): the caller re-reads the state and runs the turn again.
  virtual Status SaveTurn(const TurnRecord& record) = 0;
  // Stores several turns in one transaction; result i is SaveTurn's answer for records[i]
  // (a failed turn leaves the others stored).
  virtual std::vector<Status> SaveTurns(std::span<const TurnRecord> records) = 0;
  // Up to `limit` messages after message id `after_id`, oldest first.
  virtual Result<std::vector<Message>> ListMessages(const std::string& conversation_id,
                                                    int64_t after_id, int limit) = 0;
  virtual Status AppendEvent(const Event& event) = 0;

  // Knowledge base. PutKbDocuments inserts or replaces each record by id, all in one
  // transaction. DeleteKbDocument returns kNotFound for an unknown id. ListKbDocuments returns
  // every record by id; with `with_content` false the two JSON fields are left empty.
  virtual Status PutKbDocuments(std::span<const KbDocumentRecord> records) = 0;
  virtual Status DeleteKbDocument(const std::string& id) = 0;
  virtual Result<std::vector<KbDocumentRecord>> ListKbDocuments(bool with_content) = 0;
  virtual Result<int64_t> CountEvents(const std::string& type) = 0;
};

struct SqliteOptions {
  std::string path = "./kefu.db";  // ":memory:" is not supported: connections must share a file
  int busy_timeout_ms = 5'000;
  int pool_size = 4;
};

// Opens (creating when missing) the database and applies pending migrations.
// kUnavailable when the file cannot be opened; kInternal when a migration fails.
Result<std::unique_ptr<Store>> NewSqliteStore(const SqliteOptions& options);

}  // namespace kefu::store
