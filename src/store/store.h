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
  std::string sku = {};  // initialized, so brace lists that stop at name_en stay warning-free
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
  std::string rma_number;  // "RMA20261125" + 4 digits; empty for returns imported without one
  std::string type;        // no_reason, quality, exchange
  std::string status;      // requested, approved, received, completed, rejected
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
  // Changes whenever anything below changes, from any writer; 0 when the store cannot tell.
  // Lets a caller keep what it derived from the details (dialog::ReplyTemplates::Rendered).
  int64_t etag = 0;
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
  std::string status = "open";    // open (the bot answers), queued, agent (a person holds it: the
                                  // bot stays silent), closed
  int64_t version = 0;            // incremented by each saved turn
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t last_message_id = 0;  // its newest message (0: none yet)
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
  // A model-written reply's token counts (every attempt of the turn) and backend; 0 and "" for
  // everything else.
  int prompt_tokens = 0;
  int completion_tokens = 0;
  std::string model{};
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

// A return (or exchange) the shopper asked for in a conversation.
struct NewReturn {
  std::string order_number;
  std::string type;  // no_reason, quality, exchange
  std::string reason_zh;
  std::string reason_en;
  int64_t requested_at = 0;
};

// The shopper's request for an invoice (fapiao) for one order.
struct InvoiceRequest {
  int64_t id = 0;
  std::string order_number;
  std::string title;   // the buyer's name or company
  std::string tax_id;  // empty for a personal invoice
  std::string email;
  std::string status = "requested";
  int64_t created_at = 0;
};

// A case a person must work on: a lost or damaged parcel, a payment problem, an account problem.
struct SupportCase {
  std::string case_number;   // assigned by OpenCase: "CS" + yyyymmdd + 4 digits
  std::string order_number;  // may be empty
  std::string conversation_id;
  std::string kind;  // lost, damaged, not_received, payment, account, other
  std::string description;
  std::string status = "open";
  int64_t created_at = 0;
};

// Which products a search wants. Empty fields do not filter.
struct ProductQuery {
  std::string category;               // exact category ("shoes")
  std::optional<int64_t> min_cents;   // inclusive
  std::optional<int64_t> max_cents;   // inclusive
  std::vector<std::string> keywords;  // each must appear (case-insensitive) in name_zh, name_en,
                                      // brand or attributes
  bool in_stock_only = false;
  int limit = 5;  // cheapest first, then by id
};

// A conversation waiting for, or held by, a human agent.
struct HandoffTicket {
  std::string conversation_id;
  std::string status;  // queued, assigned, closed
  int priority = 0;    // higher first (angry shoppers and threats get more)
  double mood = 0;     // the shopper's mood in [-1, 1]; unhappier first at equal priority
  std::string reason;  // requested, bot_failed, flow, verification_locked, tool_failed, and the
                       // sentiment escalations: threat, anger, negative_turns
  std::string summary_json = "{}";  // summary, slots, last turns: what the agent sees first
  std::string agent;                // who holds it; empty while queued
  std::string lang;
  int64_t queued_at = 0;
  std::optional<int64_t> claimed_at;
  std::optional<int64_t> closed_at;
};

// One turn's writes, stored atomically: both messages, the new state, its events and, when the
// turn hands the conversation to a person, its handoff ticket (queued as EnqueueHandoff does).
struct TurnRecord {
  std::string conversation_id;
  int64_t expected_version = 0;  // the version the turn read; see SaveTurn
  // The conversation's last_message_id read with that version (0: none), which saves the store
  // reading it again; -1 when not known.
  int64_t expected_last_message_id = -1;
  Message user;
  Message assistant;
  std::string state_json;
  std::string lang;
  int64_t updated_at = 0;
  std::vector<Event> events;
  std::optional<HandoffTicket> handoff;  // queued in the same transaction as the turn
  std::optional<double> mood;  // the conversation's mood after the turn: moves its open ticket
};

// What the operator's dashboard asks for: the days [from, until) in epoch milliseconds, bucketed
// into local days at tz_offset_minutes.
struct AnalyticsQuery {
  int64_t from = 0;
  int64_t until = 0;
  int tz_offset_minutes = 0;
  int top_unanswered = 20;
  int max_latency_samples = 20'000;  // the newest turns' latencies; bounds the work per call
};

// One local day. A conversation counts on the day it started, once the shopper has written in
// it; `automated` are those that never reached a human.
struct DayStats {
  int64_t day = 0;  // days since 1970-01-01 in local time
  int64_t conversations = 0;
  int64_t automated = 0;
  int64_t turns = 0;           // shopper messages
  int64_t handoffs = 0;        // tickets queued that day
  std::optional<double> mood;  // the shoppers' mean sentiment score that day, in [-1, 1]
};

struct CountedText {
  std::string text;
  int64_t count = 0;
  int64_t last_at = 0;
};

struct Analytics {
  std::vector<DayStats> days;                            // only days with activity, oldest first
  std::vector<std::pair<std::string, int64_t>> intents;  // most frequent first
  std::vector<CountedText> unanswered;  // shopper messages kefu could not answer, most asked first
  std::vector<int64_t> turn_micros;     // per turn: receipt to reply ready (before the last write)
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
  // The same as an immutable snapshot that readers share: a store that keeps the orders it read
  // lately hands out the snapshot it keeps instead of a copy (an order-status turn reads one
  // order, with its items, shipment and tracking events). By default, a GetOrderDetails copy.
  virtual Result<std::shared_ptr<const OrderDetails>> GetSharedOrderDetails(
      const std::string& order_number) {
    Result<OrderDetails> d = GetOrderDetails(order_number);
    if (!d.ok()) {
      return d.status();
    }
    return std::make_shared<const OrderDetails>(std::move(*d));
  }
  virtual Result<Customer> GetCustomer(int64_t id) = 0;
  // Every product, by id.
  virtual Result<std::vector<Product>> ListProducts() = 0;

  // Until the returned scope ends, this thread's GetConversation and GetSharedOrderDetails may
  // read one snapshot of the database instead of one each (a worker's round of turns: one read
  // transaction instead of two a turn). A write by this process, on any thread, ends the
  // snapshot before this thread's next such read, so the thread sees its own writes; writes by
  // other processes show from the next scope on (a turn that read before one is caught by its
  // version check). Keep a scope short and off network waits. nullptr when the store shares
  // nothing, the default; then reads are as without a scope.
  class ReadScope {
   public:
    virtual ~ReadScope() = default;
  };
  virtual std::unique_ptr<ReadScope> ShareReads() { return nullptr; }

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
  // The last `limit` messages, oldest first (what a prompt or a handoff summary needs).
  virtual Result<std::vector<Message>> ListRecentMessages(const std::string& conversation_id,
                                                          int limit) = 0;
  virtual Status AppendEvent(const Event& event) = 0;

  // Order actions. Each checks the order's status inside its transaction and returns
  // kFailedPrecondition (message names the status) when the action is no longer allowed;
  // kNotFound for an unknown order.
  // CancelOrder: pending_payment or paid -> cancelled (cancelled_at = at); a paid order also
  // gets a pending refund of its total. Returns the refund amount in cents (0 when unpaid).
  virtual Result<int64_t> CancelOrder(const std::string& order_number, int64_t at) = 0;
  // UpdateOrderContact: pending_payment or paid only; a nullopt field is left as it is.
  virtual Status UpdateOrderContact(const std::string& order_number,
                                    const std::optional<std::string>& address,
                                    const std::optional<std::string>& phone) = 0;
  // CreateReturn: delivered orders without an open return only; the order becomes
  // return_requested and the return `requested`. Returns the new RMA number.
  virtual Result<std::string> CreateReturn(const NewReturn& request) = 0;
  // Returns the new invoice request's id. kFailedPrecondition for a cancelled order.
  virtual Result<int64_t> CreateInvoiceRequest(const InvoiceRequest& request) = 0;
  // Oldest first; empty for an unknown order.
  virtual Result<std::vector<InvoiceRequest>> ListInvoiceRequests(
      const std::string& order_number) = 0;
  // Returns the new case number.
  virtual Result<std::string> OpenCase(const SupportCase& c) = 0;
  // Oldest first.
  virtual Result<std::vector<SupportCase>> ListCases(const std::string& conversation_id) = 0;
  // At most 50 products whatever query.limit says; kInvalidArgument for more than 8 keywords.
  virtual Result<std::vector<Product>> SearchProducts(const ProductQuery& query) = 0;
  // kNotFound for an unknown sku.
  virtual Result<Product> GetProductBySku(const std::string& sku) = 0;
  // The customer's orders, newest first.
  virtual Result<std::vector<Order>> ListOrdersByCustomer(int64_t customer_id, int limit) = 0;

  // Human handoff. EnqueueHandoff puts the conversation in the queue (status queued) or, when
  // it is already queued or assigned, raises its priority to max(priority + 1, ticket.priority),
  // takes the ticket's mood and keeps the rest; kNotFound for an unknown conversation.
  // ClaimHandoff: queued -> assigned to `agent` (conversation status agent); kFailedPrecondition
  // when another agent holds it or it is not queued. ReleaseHandoff: assigned to `agent` -> queued,
  // keeping its place in the queue (kFailedPrecondition otherwise). CloseHandoff: queued or
  // assigned -> closed (conversation back to open: the bot answers again); an assigned ticket only
  // by its agent. Claim, Release and Close return kNotFound when the conversation has no open
  // ticket.
  virtual Status EnqueueHandoff(const HandoffTicket& ticket) = 0;
  virtual Status ClaimHandoff(const std::string& conversation_id, const std::string& agent,
                              int64_t at) = 0;
  virtual Status ReleaseHandoff(const std::string& conversation_id, const std::string& agent,
                                int64_t at) = 0;
  virtual Status CloseHandoff(const std::string& conversation_id, const std::string& agent,
                              int64_t at) = 0;
  // The open ticket of a conversation (queued or assigned); kNotFound when none.
  virtual Result<HandoffTicket> GetHandoff(const std::string& conversation_id) = 0;
  // Open tickets: priority descending, then the unhappiest mood, then oldest first.
  virtual Result<std::vector<HandoffTicket>> ListHandoffQueue() = 0;
  // Stores one message outside a bot turn (the agent's replies, the shopper's messages while an
  // agent holds the conversation) and returns its id; updates the conversation's updated_at.
  virtual Result<int64_t> AppendMessage(const Message& message) = 0;

  // Knowledge base. PutKbDocuments inserts or replaces each record by id, all in one
  // transaction. DeleteKbDocument returns kNotFound for an unknown id. ListKbDocuments returns
  // every record by id; with `with_content` false the two JSON fields are left empty.
  virtual Status PutKbDocuments(std::span<const KbDocumentRecord> records) = 0;
  virtual Status DeleteKbDocument(const std::string& id) = 0;
  virtual Result<std::vector<KbDocumentRecord>> ListKbDocuments(bool with_content) = 0;
  virtual Result<int64_t> CountEvents(const std::string& type) = 0;

  // The dashboard's figures for a range of days.
  virtual Result<Analytics> GetAnalytics(const AnalyticsQuery& query) = 0;
};

struct SqliteOptions {
  std::string path = "./kefu.db";  // ":memory:" is not supported: connections must share a file
  int busy_timeout_ms = 5'000;
  int pool_size = 4;
  // Under sustained writes SQLite never starts its WAL over by itself; the store's checkpointer
  // restarts it once it holds this many frames (4 KiB pages: 128 MiB) and cuts the file back to
  // that size. A restart holds writers for what is left of a checkpoint (the passive rounds
  // before it copy and sync the rest): about every 1.6 s at 10,000 turns/s, and never while
  // load leaves pauses in which SQLite restarts the WAL itself. A short WAL is cheaper to append
  // to than a long one (its pages stay in the page cache, written over rather than allocated):
  // 128 MiB against 1 GiB measured +7% turns/s with the same p99 (bench/results/experiments.md).
  int64_t wal_restart_frames = 32'768;
};

// Opens (creating when missing) the database and applies pending migrations.
// kUnavailable when the file cannot be opened; kInternal when a migration fails.
Result<std::unique_ptr<Store>> NewSqliteStore(const SqliteOptions& options);

}  // namespace kefu::store
