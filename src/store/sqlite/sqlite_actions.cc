// SQLite backend, the writes a dialogue makes: order actions (cancel, change contact, return,
// invoice), support cases, the human-handoff queue and messages outside bot turns. Each runs in
// one write transaction that re-checks the state it changes.
#include <cstdio>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "core/time_util.h"
#include "store/sqlite/sqlite_store.h"

namespace kefu::store::sqlite {
namespace {

// RMA and case numbers carry the shop's (UTC+8) date.
constexpr int kShopUtcOffsetMinutes = 8 * 60;

constexpr std::string_view kHandoffColumns =
    "conversation_id, status, priority, reason, summary, agent, lang, queued_at, claimed_at,"
    " closed_at, mood";

HandoffTicket ReadHandoff(const Stmt& s) {
  HandoffTicket t;
  t.conversation_id = s.Text(0);
  t.status = s.Text(1);
  t.priority = static_cast<int>(s.Int(2));
  t.reason = s.Text(3);
  t.summary_json = s.Text(4);
  t.agent = s.Text(5);
  t.lang = s.Text(6);
  t.queued_at = s.Int(7);
  t.claimed_at = s.OptInt(8);
  t.closed_at = s.OptInt(9);
  t.mood = s.Double(10);
  return t;
}

void BindOptText(Stmt& s, int idx, const std::optional<std::string>& v) {
  if (v.has_value()) {
    s.Bind(idx, *v);
  } else {
    s.Bind(idx, std::optional<int64_t>());
  }
}

// The next "<prefix><yyyymmdd><nnnn>" for the shop-local day of `at`. `max_sql` selects the
// largest sequence number taken that day, given the GLOB pattern (?1) and where the sequence
// starts (?2). REQUIRES: inside a write transaction, so that nobody takes the number first.
Result<std::string> NextDailyNumber(Connection& conn, std::string_view max_sql,
                                    std::string_view prefix, int64_t at) {
  const std::string local = FormatLocalMinute(at, kShopUtcOffsetMinutes);  // 2026-11-25 10:21
  const std::string stem =
      std::string(prefix) + local.substr(0, 4) + local.substr(5, 2) + local.substr(8, 2);
  const std::string pattern = stem + "[0-9]*";
  Stmt s(conn, max_sql);
  s.Bind(1, pattern).Bind(2, static_cast<int64_t>(stem.size() + 1));
  if (!s.Step()) {
    return s.status().ok() ? InternalError("max returned no row") : s.status();
  }
  char seq[24];
  std::snprintf(seq, sizeof(seq), "%04lld", static_cast<long long>(s.Int(0) + 1));
  return stem + seq;
}

// What an order action needs to know about the order it changes.
struct OrderRow {
  int64_t id = 0;
  std::string status;
  int64_t total_cents = 0;
  std::string payment_method;
};

Result<OrderRow> FindOrderRow(Connection& conn, const std::string& order_number) {
  Stmt s(conn, "SELECT id, status, total_cents, payment_method FROM orders WHERE order_number = ?");
  s.Bind(1, order_number);
  if (!s.Step()) {
    KEFU_RETURN_IF_ERROR(s.status());
    return NotFoundError("no order " + order_number);
  }
  return OrderRow{s.Int(0), s.Text(1), s.Int(2), s.Text(3)};
}

struct OpenTicket {
  int64_t id = 0;
  std::string status;
  std::string agent;
};

Result<OpenTicket> FindOpenTicket(Connection& conn, const std::string& conversation_id) {
  Stmt s(conn,
         "SELECT id, status, agent FROM handoffs WHERE conversation_id = ? AND status <> 'closed'");
  s.Bind(1, conversation_id);
  if (!s.Step()) {
    KEFU_RETURN_IF_ERROR(s.status());
    return NotFoundError("no open handoff for conversation " + conversation_id);
  }
  return OpenTicket{s.Int(0), s.Text(1), s.Text(2)};
}

Status SetConversationStatus(Connection& conn, const std::string& id, std::string_view status) {
  Stmt s(conn, "UPDATE conversations SET status = ? WHERE id = ?");
  s.Bind(1, status).Bind(2, id);
  KEFU_RETURN_IF_ERROR(s.Run());
  if (sqlite3_changes(conn.db()) == 0) {
    return NotFoundError("conversation not found");
  }
  return OkStatus();
}

}  // namespace

Result<int64_t> SqliteStore::CancelOrder(const std::string& order_number, int64_t at) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Transaction tx(*conn);
  KEFU_RETURN_IF_ERROR(tx.status().WithContext("cancel order"));
  KEFU_ASSIGN_OR_RETURN(OrderRow o, FindOrderRow(*conn, order_number));
  if (o.status != "pending_payment" && o.status != "paid") {
    return FailedPreconditionError("order is " + o.status);
  }
  {
    Stmt s(*conn, "UPDATE orders SET status = 'cancelled', cancelled_at = ? WHERE id = ?");
    s.Bind(1, at).Bind(2, o.id);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("cancel order"));
  }
  int64_t refund_cents = 0;
  if (o.status == "paid") {
    Stmt s(*conn,
           "INSERT INTO refunds (order_id, amount_cents, status, method, requested_at)"
           " VALUES (?, ?, 'pending', ?, ?)");
    s.Bind(1, o.id).Bind(2, o.total_cents).Bind(3, o.payment_method).Bind(4, at);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("cancel order: refund"));
    refund_cents = o.total_cents;
  }
  KEFU_RETURN_IF_ERROR(tx.Commit().WithContext("cancel order"));
  return refund_cents;
}

Status SqliteStore::UpdateOrderContact(const std::string& order_number,
                                       const std::optional<std::string>& address,
                                       const std::optional<std::string>& phone) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Transaction tx(*conn);
  KEFU_RETURN_IF_ERROR(tx.status().WithContext("update order contact"));
  KEFU_ASSIGN_OR_RETURN(OrderRow o, FindOrderRow(*conn, order_number));
  if (o.status != "pending_payment" && o.status != "paid") {
    return FailedPreconditionError("order is " + o.status);
  }
  Stmt s(*conn,
         "UPDATE orders SET shipping_address = coalesce(?, shipping_address),"
         " phone = coalesce(?, phone) WHERE id = ?");
  BindOptText(s, 1, address);
  BindOptText(s, 2, phone);
  s.Bind(3, o.id);
  KEFU_RETURN_IF_ERROR(s.Run().WithContext("update order contact"));
  return tx.Commit().WithContext("update order contact");
}

Result<std::string> SqliteStore::CreateReturn(const NewReturn& r) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Transaction tx(*conn);
  KEFU_RETURN_IF_ERROR(tx.status().WithContext("create return"));
  KEFU_ASSIGN_OR_RETURN(OrderRow o, FindOrderRow(*conn, r.order_number));
  if (o.status != "delivered") {
    return FailedPreconditionError("order is " + o.status);
  }
  {
    Stmt open(*conn,
              "SELECT 1 FROM returns WHERE order_id = ?"
              " AND status NOT IN ('completed', 'rejected')");
    open.Bind(1, o.id);
    if (open.Step()) {
      return FailedPreconditionError("order is delivered with an open return");
    }
    KEFU_RETURN_IF_ERROR(open.status().WithContext("create return"));
  }
  KEFU_ASSIGN_OR_RETURN(
      std::string rma,
      NextDailyNumber(*conn,
                      "SELECT coalesce(max(CAST(substr(rma_number, ?2) AS INTEGER)), 0)"
                      " FROM returns WHERE rma_number <> '' AND rma_number GLOB ?1",
                      "RMA", r.requested_at));
  {
    Stmt s(*conn,
           "INSERT INTO returns (order_id, type, status, reason_zh, reason_en, requested_at,"
           " rma_number) VALUES (?, ?, 'requested', ?, ?, ?, ?)");
    s.Bind(1, o.id).Bind(2, r.type).Bind(3, r.reason_zh).Bind(4, r.reason_en);
    s.Bind(5, r.requested_at).Bind(6, rma);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("create return"));
  }
  {
    Stmt s(*conn, "UPDATE orders SET status = 'return_requested' WHERE id = ?");
    s.Bind(1, o.id);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("create return: order status"));
  }
  KEFU_RETURN_IF_ERROR(tx.Commit().WithContext("create return"));
  return rma;
}

Result<int64_t> SqliteStore::CreateInvoiceRequest(const InvoiceRequest& r) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Transaction tx(*conn);
  KEFU_RETURN_IF_ERROR(tx.status().WithContext("create invoice request"));
  KEFU_ASSIGN_OR_RETURN(OrderRow o, FindOrderRow(*conn, r.order_number));
  if (o.status == "cancelled") {
    return FailedPreconditionError("order is " + o.status);
  }
  Stmt s(*conn,
         "INSERT INTO invoice_requests (order_id, title, tax_id, email, status, created_at)"
         " VALUES (?, ?, ?, ?, ?, ?)");
  s.Bind(1, o.id).Bind(2, r.title).Bind(3, r.tax_id).Bind(4, r.email);
  s.Bind(5, r.status.empty() ? std::string_view("requested") : std::string_view(r.status))
      .Bind(6, r.created_at);
  KEFU_RETURN_IF_ERROR(s.Run().WithContext("create invoice request"));
  const int64_t id = sqlite3_last_insert_rowid(conn->db());
  KEFU_RETURN_IF_ERROR(tx.Commit().WithContext("create invoice request"));
  return id;
}

Result<std::vector<InvoiceRequest>> SqliteStore::ListInvoiceRequests(
    const std::string& order_number) {
  auto conn = pool_->Acquire();
  Stmt s(*conn,
         "SELECT i.id, o.order_number, i.title, i.tax_id, i.email, i.status, i.created_at"
         " FROM invoice_requests i JOIN orders o ON o.id = i.order_id"
         " WHERE o.order_number = ? ORDER BY i.id");
  s.Bind(1, order_number);
  std::vector<InvoiceRequest> out;
  while (s.Step()) {
    out.push_back({s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Int(6)});
  }
  KEFU_RETURN_IF_ERROR(s.status());
  return out;
}

Result<std::string> SqliteStore::OpenCase(const SupportCase& c) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Transaction tx(*conn);
  KEFU_RETURN_IF_ERROR(tx.status().WithContext("open case"));
  KEFU_ASSIGN_OR_RETURN(
      std::string number,
      NextDailyNumber(*conn,
                      "SELECT coalesce(max(CAST(substr(case_number, ?2) AS INTEGER)), 0)"
                      " FROM support_cases WHERE case_number GLOB ?1",
                      "CS", c.created_at));
  Stmt s(*conn,
         "INSERT INTO support_cases (case_number, order_number, conversation_id, kind,"
         " description, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, number).Bind(2, c.order_number).Bind(3, c.conversation_id).Bind(4, c.kind);
  s.Bind(5, c.description)
      .Bind(6, c.status.empty() ? std::string_view("open") : std::string_view(c.status))
      .Bind(7, c.created_at);
  KEFU_RETURN_IF_ERROR(s.Run().WithContext("open case"));
  KEFU_RETURN_IF_ERROR(tx.Commit().WithContext("open case"));
  return number;
}

Result<std::vector<SupportCase>> SqliteStore::ListCases(const std::string& conversation_id) {
  auto conn = pool_->Acquire();
  Stmt s(*conn,
         "SELECT case_number, order_number, conversation_id, kind, description, status,"
         " created_at FROM support_cases WHERE conversation_id = ? ORDER BY id");
  s.Bind(1, conversation_id);
  std::vector<SupportCase> out;
  while (s.Step()) {
    out.push_back({s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Int(6)});
  }
  KEFU_RETURN_IF_ERROR(s.status());
  return out;
}

// REQUIRES: inside a write transaction.
Status SqliteStore::InsertHandoff(Connection& conn, const HandoffTicket& t) {
  {
    Stmt s(conn,
           "UPDATE handoffs SET priority = max(priority + 1, ?), mood = ?"
           " WHERE conversation_id = ? AND status <> 'closed'");
    s.Bind(1, int64_t{t.priority}).BindDouble(2, t.mood).Bind(3, t.conversation_id);
    KEFU_RETURN_IF_ERROR(s.Run());
    if (sqlite3_changes(conn.db()) > 0) {
      return OkStatus();  // already queued or assigned: only the priority moves
    }
  }
  KEFU_RETURN_IF_ERROR(SetConversationStatus(conn, t.conversation_id, "queued"));
  Stmt s(conn,
         "INSERT INTO handoffs (conversation_id, status, priority, reason, summary, lang,"
         " queued_at, mood) VALUES (?, 'queued', ?, ?, ?, ?, ?, ?)");
  s.Bind(1, t.conversation_id).Bind(2, int64_t{t.priority}).Bind(3, t.reason);
  s.Bind(4, t.summary_json).Bind(5, t.lang).Bind(6, t.queued_at).BindDouble(7, t.mood);
  return s.Run();
}

Status SqliteStore::EnqueueHandoff(const HandoffTicket& ticket) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Transaction tx(*conn);
  KEFU_RETURN_IF_ERROR(tx.status().WithContext("enqueue handoff"));
  KEFU_RETURN_IF_ERROR(InsertHandoff(*conn, ticket).WithContext("enqueue handoff"));
  return tx.Commit().WithContext("enqueue handoff");
}

Status SqliteStore::ClaimHandoff(const std::string& conversation_id, const std::string& agent,
                                 int64_t at) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Transaction tx(*conn);
  KEFU_RETURN_IF_ERROR(tx.status().WithContext("claim handoff"));
  KEFU_ASSIGN_OR_RETURN(OpenTicket t, FindOpenTicket(*conn, conversation_id));
  if (t.status != "queued") {
    return FailedPreconditionError("handoff is " + t.status + " to " + t.agent);
  }
  Stmt s(*conn, "UPDATE handoffs SET status = 'assigned', agent = ?, claimed_at = ? WHERE id = ?");
  s.Bind(1, agent).Bind(2, at).Bind(3, t.id);
  KEFU_RETURN_IF_ERROR(s.Run().WithContext("claim handoff"));
  KEFU_RETURN_IF_ERROR(
      SetConversationStatus(*conn, conversation_id, "agent").WithContext("claim handoff"));
  return tx.Commit().WithContext("claim handoff");
}

Status SqliteStore::ReleaseHandoff(const std::string& conversation_id, const std::string& agent,
                                   int64_t /*at: the ticket keeps its queued_at*/) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Transaction tx(*conn);
  KEFU_RETURN_IF_ERROR(tx.status().WithContext("release handoff"));
  KEFU_ASSIGN_OR_RETURN(OpenTicket t, FindOpenTicket(*conn, conversation_id));
  if (t.status != "assigned" || t.agent != agent) {
    return FailedPreconditionError(t.status == "assigned" ? "handoff is assigned to " + t.agent
                                                          : "handoff is " + t.status);
  }
  Stmt s(*conn,
         "UPDATE handoffs SET status = 'queued', agent = '', claimed_at = NULL WHERE id = ?");
  s.Bind(1, t.id);
  KEFU_RETURN_IF_ERROR(s.Run().WithContext("release handoff"));
  KEFU_RETURN_IF_ERROR(
      SetConversationStatus(*conn, conversation_id, "queued").WithContext("release handoff"));
  return tx.Commit().WithContext("release handoff");
}

Status SqliteStore::CloseHandoff(const std::string& conversation_id, const std::string& agent,
                                 int64_t at) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Transaction tx(*conn);
  KEFU_RETURN_IF_ERROR(tx.status().WithContext("close handoff"));
  KEFU_ASSIGN_OR_RETURN(OpenTicket t, FindOpenTicket(*conn, conversation_id));
  if (t.status == "assigned" && t.agent != agent) {
    return FailedPreconditionError("handoff is assigned to " + t.agent);
  }
  // A queued ticket records who closed it.
  Stmt s(*conn,
         "UPDATE handoffs SET status = 'closed', closed_at = ?,"
         " agent = CASE WHEN agent = '' THEN ? ELSE agent END WHERE id = ?");
  s.Bind(1, at).Bind(2, agent).Bind(3, t.id);
  KEFU_RETURN_IF_ERROR(s.Run().WithContext("close handoff"));
  KEFU_RETURN_IF_ERROR(
      SetConversationStatus(*conn, conversation_id, "open").WithContext("close handoff"));
  return tx.Commit().WithContext("close handoff");
}

Result<HandoffTicket> SqliteStore::GetHandoff(const std::string& conversation_id) {
  auto conn = pool_->Acquire();
  Stmt s(*conn, "SELECT " + std::string(kHandoffColumns) +
                    " FROM handoffs WHERE conversation_id = ? AND status <> 'closed'");
  s.Bind(1, conversation_id);
  if (!s.Step()) {
    KEFU_RETURN_IF_ERROR(s.status());
    return NotFoundError("no open handoff for conversation " + conversation_id);
  }
  return ReadHandoff(s);
}

Result<std::vector<HandoffTicket>> SqliteStore::ListHandoffQueue() {
  auto conn = pool_->Acquire();
  Stmt s(*conn, "SELECT " + std::string(kHandoffColumns) +
                    " FROM handoffs WHERE status <> 'closed'"
                    " ORDER BY priority DESC, mood, queued_at, id");
  std::vector<HandoffTicket> out;
  while (s.Step()) {
    out.push_back(ReadHandoff(s));
  }
  KEFU_RETURN_IF_ERROR(s.status());
  return out;
}

Result<int64_t> SqliteStore::AppendMessage(const Message& m) {
  std::scoped_lock write_lock(write_mutex_);
  auto conn = pool_->Acquire();
  Transaction tx(*conn);
  KEFU_RETURN_IF_ERROR(tx.status().WithContext("append message"));
  Result<std::optional<int64_t>> last = LastMessageId(*conn, m.conversation_id, nullptr);
  KEFU_RETURN_IF_ERROR(last.status().WithContext("append message"));
  Result<int64_t> id = InsertMessage(*conn, m, *last);
  KEFU_RETURN_IF_ERROR(id.status().WithContext("append message"));
  {
    // updated_at and the chain only: version orders bot turns, and an agent's message must not
    // make the turn in flight fail.
    Stmt s(*conn, "UPDATE conversations SET updated_at = ?, last_message_id = ? WHERE id = ?");
    s.Bind(1, m.created_at).Bind(2, *id).Bind(3, m.conversation_id);
    KEFU_RETURN_IF_ERROR(s.Run().WithContext("append message"));
  }
  KEFU_RETURN_IF_ERROR(tx.Commit().WithContext("append message"));
  return *id;
}

}  // namespace kefu::store::sqlite
