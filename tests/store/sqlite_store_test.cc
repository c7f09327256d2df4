#include <algorithm>
#include <atomic>
#include <chrono>
#include <concepts>
#include <filesystem>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "fakes/shop_fixture.h"
#include "store/sqlite/packed_json.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"
#include "test_util.h"

namespace kefu::store {
namespace {
// Stmt binds text without copying it, so it must outlive the statement's run: a temporary
// string (the usual way to get that wrong, "cond ? \"x\" : s" included) must not compile.
template <typename T>
concept BindsText = requires(sqlite::Stmt& s, T&& v) {
  s.Bind(1, std::forward<T>(v));
};
static_assert(BindsText<std::string&>);
static_assert(BindsText<const std::string&>);
static_assert(BindsText<std::string_view>);
static_assert(BindsText<const char*>);
static_assert(!BindsText<std::string>);
static_assert(!BindsText<const std::string>);

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Store>> s = NewSqliteStore({.path = dir_.File("kefu.db")});
    ASSERT_OK_RESULT(s);
    store_ = std::move(*s);
    ASSERT_OK(store_->ReplaceShopData(kefu::testing::SmallShop()));
  }

  Conversation NewConv(const std::string& id) {
    Conversation c;
    c.id = id;
    c.token_hash = "h";
    c.created_at = 1;
    c.updated_at = 1;
    return c;
  }

  kefu::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteStoreTest, OrderDetailsComeBackWithItemsShipmentAndEvents) {
  Result<OrderDetails> d = store_->GetOrderDetails(kefu::testing::kShippedOrder);
  ASSERT_OK_RESULT(d);
  EXPECT_EQ(d->order.status, "shipped");
  EXPECT_EQ(d->order.phone, "13812345678");
  ASSERT_EQ(d->items.size(), 1u);
  EXPECT_EQ(d->items[0].name_zh, "星河 X5 智能手机");
  ASSERT_TRUE(d->shipment);
  EXPECT_EQ(d->shipment->tracking_number, kefu::testing::kShippedTracking);
  ASSERT_EQ(d->shipment->events.size(), 2u);
  EXPECT_EQ(d->shipment->events.back().location_zh, "上海市");
  EXPECT_FALSE(d->refund);
}

TEST_F(SqliteStoreTest, ReturnsAndRefundsAreRead) {
  Result<OrderDetails> d = store_->GetOrderDetails(kefu::testing::kRefundedOrder);
  ASSERT_OK_RESULT(d);
  ASSERT_TRUE(d->return_request);
  EXPECT_EQ(d->return_request->status, "completed");
  ASSERT_TRUE(d->refund);
  EXPECT_EQ(d->refund->amount_cents, 49900);
}

TEST_F(SqliteStoreTest, UnknownOrderIsNotFound) {
  EXPECT_EQ(store_->GetOrderDetails("9999999999999999").status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, ReplaceShopDataIsIdempotent) {
  ASSERT_OK(store_->ReplaceShopData(kefu::testing::SmallShop()));
  Result<ShopCounts> c = store_->CountShopData();
  ASSERT_OK_RESULT(c);
  EXPECT_EQ(c->orders, 4);
  EXPECT_EQ(c->customers, 3);
  EXPECT_EQ(c->shipments, 2);
}

TEST_F(SqliteStoreTest, MigrationsApplyOnceAcrossReopens) {
  store_.reset();
  Result<std::unique_ptr<Store>> again = NewSqliteStore({.path = dir_.File("kefu.db")});
  ASSERT_OK_RESULT(again);
  EXPECT_EQ((*again)->CountShopData()->orders, 4);
}

// Runs `sql` on the database file directly, as an older kefu would have left it; the rows of a
// SELECT come back as "a|b" lines.
std::vector<std::string> RawSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::vector<std::string> rows;
  char* error = nullptr;
  auto collect = [](void* out, int n, char** values, char**) {
    std::string row;
    for (int i = 0; i < n; ++i) {
      row += (i > 0 ? "|" : "") + std::string(values[i] != nullptr ? values[i] : "NULL");
    }
    static_cast<std::vector<std::string>*>(out)->push_back(row);
    return 0;
  };
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), collect, &rows, &error), SQLITE_OK)
      << (error != nullptr ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
  return rows;
}

// A turn on conversation `id` read at `version`: one short message each way, an empty state.
TurnRecord PlainTurn(const std::string& id, int64_t version) {
  TurnRecord r;
  r.conversation_id = id;
  r.expected_version = version;
  r.user = {0, id, "user", "u", 1, "", "", "{}"};
  r.assistant = {0, id, "assistant", "a", 2, "", "", "{}"};
  r.state_json = "{}";
  return r;
}

// GetOrderDetails keeps orders it read in memory and re-checks each by its etag (migration 008):
// a change to anything shown with the order, written by another connection or process, must be
// seen on the next read.
TEST_F(SqliteStoreTest, CachedOrdersSeeChangesWrittenByAnotherConnection) {
  const std::string path = dir_.File("kefu.db");
  const std::string order = kefu::testing::kShippedOrder;
  const std::string where_order = "(SELECT id FROM orders WHERE order_number = '" + order + "')";
  const int64_t etag = store_->GetOrderDetails(order)->etag;
  EXPECT_NE(etag, 0);
  EXPECT_EQ(store_->GetOrderDetails(order)->etag, etag);  // the cached copy carries it too

  RawSql(path, "UPDATE orders SET receiver_name = '王五' WHERE order_number = '" + order + "'");
  EXPECT_EQ(store_->GetOrderDetails(order)->order.receiver_name, "王五");
  EXPECT_NE(store_->GetOrderDetails(order)->etag, etag);  // what callers key renderings on

  RawSql(path,
         "UPDATE products SET name_zh = '星河 X5 Pro' WHERE id = (SELECT product_id FROM"
         " order_items WHERE order_id = " +
             where_order + ")");
  EXPECT_EQ(store_->GetOrderDetails(order)->items.at(0).name_zh, "星河 X5 Pro");

  RawSql(path, "UPDATE order_items SET quantity = 3 WHERE order_id = " + where_order);
  EXPECT_EQ(store_->GetOrderDetails(order)->items.at(0).quantity, 3);

  RawSql(path,
         "INSERT INTO tracking_events (shipment_id, time, status, location_zh, location_en,"
         " description_zh, description_en) SELECT id, 4102444800000, 'delivering', '杭州市',"
         " 'Hangzhou', '派送中', 'Out for delivery' FROM shipments WHERE order_id = " +
             where_order);
  Result<OrderDetails> d = store_->GetOrderDetails(order);
  ASSERT_OK_RESULT(d);
  ASSERT_TRUE(d->shipment);
  ASSERT_EQ(d->shipment->events.size(), 3u);
  EXPECT_EQ(d->shipment->events.back().location_zh, "杭州市");

  RawSql(path,
         "UPDATE shipments SET tracking_number = 'SF0000000001' WHERE order_id = " + where_order);
  EXPECT_EQ(store_->GetOrderDetails(order)->shipment->tracking_number, "SF0000000001");

  RawSql(path,
         "INSERT INTO refunds (order_id, amount_cents, status, method, requested_at) VALUES"
         " (" +
             where_order + ", 100, 'pending', 'original', 1)");
  d = store_->GetOrderDetails(order);
  ASSERT_TRUE(d->refund);
  EXPECT_EQ(d->refund->amount_cents, 100);

  RawSql(path,
         "INSERT INTO returns (order_id, type, status, reason_zh, reason_en, requested_at)"
         " VALUES (" +
             where_order +
             ", 'return', 'requested', '不想要了', 'No longer"
             " needed', 1)");
  d = store_->GetOrderDetails(order);
  ASSERT_TRUE(d->return_request);
  EXPECT_EQ(d->return_request->reason_zh, "不想要了");

  RawSql(path, "DELETE FROM orders WHERE order_number = '" + order + "'");
  EXPECT_EQ(store_->GetOrderDetails(order).status().code(), StatusCode::kNotFound);
}

// Readers of an unchanged order share one snapshot (an order-status turn copies nothing); a
// change gives later readers a new one and leaves the snapshot a reader already holds as it was.
TEST_F(SqliteStoreTest, ReadersOfAnUnchangedOrderShareOneSnapshot) {
  const std::string order = kefu::testing::kShippedOrder;
  Result<std::shared_ptr<const OrderDetails>> first = store_->GetSharedOrderDetails(order);
  ASSERT_OK_RESULT(first);
  Result<std::shared_ptr<const OrderDetails>> again = store_->GetSharedOrderDetails(order);
  ASSERT_OK_RESULT(again);
  EXPECT_EQ(first->get(), again->get());
  EXPECT_EQ((*first)->order.order_number, order);
  const std::string name = (*first)->order.receiver_name;

  RawSql(dir_.File("kefu.db"),
         "UPDATE orders SET receiver_name = '钱七' WHERE order_number = '" + order + "'");
  Result<std::shared_ptr<const OrderDetails>> changed = store_->GetSharedOrderDetails(order);
  ASSERT_OK_RESULT(changed);
  EXPECT_NE(changed->get(), first->get());
  EXPECT_EQ((*changed)->order.receiver_name, "钱七");
  EXPECT_EQ((*first)->order.receiver_name, name);
  EXPECT_EQ(store_->GetOrderDetails(order)->order.receiver_name, "钱七");  // the copying read

  EXPECT_EQ(store_->GetSharedOrderDetails("2000000000000000").status().code(),
            StatusCode::kNotFound);
}

// Demo reset deletes every order and inserts them again under the same numbers and row ids: the
// new rows get new etags, so nothing cached from before is served.
TEST_F(SqliteStoreTest, ReplacedShopDataIsNotServedFromTheCache) {
  const std::string order = kefu::testing::kShippedOrder;
  ASSERT_OK_RESULT(store_->GetOrderDetails(order));
  RawSql(dir_.File("kefu.db"),
         "UPDATE orders SET receiver_name = '赵六' WHERE order_number = '" + order + "'");
  ASSERT_EQ(store_->GetOrderDetails(order)->order.receiver_name, "赵六");
  ASSERT_OK(store_->ReplaceShopData(kefu::testing::SmallShop()));
  EXPECT_NE(store_->GetOrderDetails(order)->order.receiver_name, "赵六");
}

// Migration 007 rebuilds messages with the role check written as comparisons: an IN list made
// SQLite build a temporary index on every insert. A database from before keeps its messages.
TEST_F(SqliteStoreTest, TheRoleCheckRebuildKeepsMessagesAndStillRefusesUnknownRoles) {
  const std::string path = dir_.File("kefu.db");
  ASSERT_OK(store_->CreateConversation(NewConv("c9")));
  store_.reset();
  // The table as migrations 001 and 004 made it, holding one message, and 007 not yet applied.
  RawSql(path,
         "DROP TABLE messages;"
         "CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL"
         " REFERENCES conversations(id) ON DELETE CASCADE, role TEXT NOT NULL CHECK (role IN"
         " ('user', 'assistant', 'agent', 'system')), text TEXT NOT NULL, created_at INTEGER NOT"
         " NULL, intent TEXT NOT NULL DEFAULT '', sentiment TEXT NOT NULL DEFAULT '', trace TEXT"
         " NOT NULL DEFAULT '{}', prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens"
         " INTEGER NOT NULL DEFAULT 0, model TEXT NOT NULL DEFAULT '');"
         "CREATE INDEX messages_conversation ON messages(conversation_id, id);"
         "CREATE INDEX messages_created ON messages(created_at);"
         "INSERT INTO messages (id, conversation_id, role, text, created_at, trace, prompt_tokens,"
         " model) VALUES (41, 'c9', 'assistant', '您好', 5, '{\"a\":1}', 7, 'm');"
         "ALTER TABLE conversations DROP COLUMN last_message_id;"  // and 009 not applied either
         "DELETE FROM schema_migrations WHERE version IN (7, 9);");
  const std::string explain =
      "EXPLAIN INSERT INTO messages (conversation_id, role, text, created_at)"
      " VALUES ('c9', 'user', 'x', 1)";
  auto ephemeral = [&] {
    const std::vector<std::string> ops = RawSql(path, explain);
    return std::any_of(ops.begin(), ops.end(), [](const std::string& op) {
      return op.find("OpenEphemeral") != std::string::npos;
    });
  };
  ASSERT_TRUE(ephemeral());  // the old check's cost, seen by this test
  Result<std::unique_ptr<Store>> reopened = NewSqliteStore({.path = path});
  ASSERT_OK_RESULT(reopened);
  store_ = std::move(*reopened);
  Result<std::vector<Message>> msgs = store_->ListMessages("c9", 0, 10);
  ASSERT_OK_RESULT(msgs);
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ((*msgs)[0].id, 41);
  EXPECT_EQ((*msgs)[0].text, "您好");
  EXPECT_EQ((*msgs)[0].trace_json, "{\"a\":1}");
  EXPECT_EQ((*msgs)[0].prompt_tokens, 7);
  EXPECT_EQ((*msgs)[0].model, "m");
  // The same rule, and no temporary index on insert any more.
  EXPECT_FALSE(store_->AppendMessage({0, "c9", "robot", "x", 6, "", "", "{}"}).ok());
  EXPECT_TRUE(store_->AppendMessage({0, "c9", "agent", "我来帮您", 6, "", "", "{}"}).ok());
  EXPECT_FALSE(ephemeral());
  EXPECT_EQ(RawSql(path,
                   "SELECT name FROM sqlite_schema WHERE tbl_name = 'messages' AND"
                   " type = 'index' ORDER BY name"),
            (std::vector<std::string>{"messages_created"}));
}

// Migration 009 replaces the index on (conversation_id, id) by a chain: each message names the one
// before it in its conversation, the conversation its newest. A database from before gets the
// chain built from the ids, and its histories read as they did.
TEST_F(SqliteStoreTest, TheMessageChainMigrationKeepsEveryHistory) {
  const std::string path = dir_.File("kefu.db");
  ASSERT_OK(store_->CreateConversation(NewConv("m1")));
  ASSERT_OK(store_->CreateConversation(NewConv("m2")));
  store_.reset();
  // Two conversations' messages interleaved, in a database as migration 008 left it.
  RawSql(path,
         "ALTER TABLE messages DROP COLUMN prev_id;"
         "ALTER TABLE conversations DROP COLUMN last_message_id;"
         "CREATE INDEX messages_conversation ON messages(conversation_id, id);"
         "INSERT INTO messages (id, conversation_id, role, text, created_at) VALUES"
         " (3, 'm1', 'user', '在吗', 1), (4, 'm2', 'user', 'hello', 1),"
         " (5, 'm1', 'assistant', '在的', 2), (7, 'm2', 'assistant', 'hi', 2),"
         " (8, 'm1', 'agent', '我来帮您', 3);"
         "DELETE FROM schema_migrations WHERE version = 9;");
  Result<std::unique_ptr<Store>> reopened = NewSqliteStore({.path = path});
  ASSERT_OK_RESULT(reopened);
  store_ = std::move(*reopened);
  auto texts = [](const Result<std::vector<Message>>& r) {
    std::vector<std::string> out;
    for (const Message& m : *r) {
      out.push_back(m.text);
    }
    return out;
  };
  EXPECT_EQ(texts(store_->ListMessages("m1", 0, 10)),
            (std::vector<std::string>{"在吗", "在的", "我来帮您"}));
  EXPECT_EQ(texts(store_->ListMessages("m2", 0, 10)), (std::vector<std::string>{"hello", "hi"}));
  EXPECT_EQ(texts(store_->ListMessages("m1", 4, 10)),
            (std::vector<std::string>{"在的", "我来帮您"}));
  EXPECT_EQ(texts(store_->ListRecentMessages("m1", 2)),
            (std::vector<std::string>{"在的", "我来帮您"}));
  EXPECT_EQ(RawSql(path,
                   "SELECT name FROM sqlite_schema WHERE tbl_name = 'messages' AND"
                   " type = 'index' ORDER BY name"),
            (std::vector<std::string>{"messages_created"}));
  // New messages join the chain built from the old ones.
  TurnRecord r = PlainTurn("m2", 0);
  r.user.text = "where is my order";
  r.assistant.text = "which one?";
  ASSERT_OK(store_->SaveTurn(r));
  EXPECT_EQ(texts(store_->ListMessages("m2", 0, 10)),
            (std::vector<std::string>{"hello", "hi", "where is my order", "which one?"}));
}

// Turns, agent messages and system notices of several conversations, interleaved: each history
// holds its own messages only, in order, and pages by id across the others' ids.
TEST_F(SqliteStoreTest, InterleavedConversationsKeepTheirOwnHistories) {
  for (const char* id : {"i1", "i2", "i3"}) {
    ASSERT_OK(store_->CreateConversation(NewConv(id)));
  }
  std::map<std::string, std::vector<std::string>> sent;
  for (int round = 0; round < 4; ++round) {
    std::vector<TurnRecord> records;
    for (const char* id : {"i1", "i2"}) {
      TurnRecord r;
      r.conversation_id = id;
      r.expected_version = round;
      const std::string n = std::string(id) + "-" + std::to_string(round);
      r.user = {0, id, "user", "u" + n, round, "", "", "{}"};
      r.assistant = {0, id, "assistant", "a" + n, round, "", "", "{}"};
      r.state_json = "{}";
      sent[id].push_back("u" + n);
      sent[id].push_back("a" + n);
      records.push_back(r);
    }
    for (const Status& s : store_->SaveTurns(records)) {
      ASSERT_OK(s);
    }
    const std::string note = "agent-" + std::to_string(round);
    ASSERT_OK_RESULT(store_->AppendMessage({0, "i1", "agent", note, round, "", "", "{}"}));
    sent["i1"].push_back(note);
  }
  for (const char* id : {"i1", "i2"}) {
    Result<std::vector<Message>> all = store_->ListMessages(id, 0, 100);
    ASSERT_OK_RESULT(all);
    std::vector<std::string> texts;
    for (size_t k = 0; k < all->size(); ++k) {
      texts.push_back((*all)[k].text);
      EXPECT_EQ((*all)[k].conversation_id, id);
      if (k > 0) {
        EXPECT_LT((*all)[k - 1].id, (*all)[k].id);
      }
    }
    EXPECT_EQ(texts, sent[id]) << id;
    // A page starting after another message of its own, and the newest few, oldest first.
    Result<std::vector<Message>> page = store_->ListMessages(id, (*all)[2].id, 3);
    ASSERT_EQ(page->size(), 3u);
    EXPECT_EQ((*page)[0].id, (*all)[3].id);
    Result<std::vector<Message>> recent = store_->ListRecentMessages(id, 2);
    ASSERT_EQ(recent->size(), 2u);
    EXPECT_EQ((*recent)[1].id, all->back().id);
    EXPECT_EQ((*recent)[0].id, (*all)[all->size() - 2].id);
  }
  EXPECT_TRUE(store_->ListMessages("i3", 0, 10)->empty());
  EXPECT_TRUE(store_->ListRecentMessages("i3", 10)->empty());
  EXPECT_TRUE(store_->ListRecentMessages("i1", 0)->empty());
  EXPECT_EQ(store_->AppendMessage({0, "nobody", "agent", "x", 1, "", "", "{}"}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, TurnIsSavedAtomicallyWithItsMessagesAndEvents) {
  ASSERT_OK(store_->CreateConversation(NewConv("c1")));
  EXPECT_EQ(store_->CreateConversation(NewConv("c1")).code(), StatusCode::kAlreadyExists);
  TurnRecord r;
  r.conversation_id = "c1";
  r.expected_version = 0;
  r.user = {0, "c1", "user", "你好", 10, "greeting", "", "{}"};
  r.assistant = {0, "c1", "assistant", "您好", 11, "greeting", "", "{\"a\":1}"};
  r.state_json = "{\"turns\":1}";
  r.lang = "zh";
  r.updated_at = 11;
  r.events = {{"c1", "turn", "{}", 11}};
  ASSERT_OK(store_->SaveTurn(r));
  Result<Conversation> c = store_->GetConversation("c1");
  EXPECT_EQ(c->version, 1);
  EXPECT_EQ(c->state_json, "{\"turns\":1}");
  Result<std::vector<Message>> msgs = store_->ListMessages("c1", 0, 10);
  ASSERT_EQ(msgs->size(), 2u);
  EXPECT_EQ((*msgs)[0].role, "user");
  EXPECT_EQ((*msgs)[1].trace_json, "{\"a\":1}");
  EXPECT_EQ(*store_->CountEvents("turn"), 1);
  // A second writer that read version 0 loses, and nothing of its turn is stored.
  EXPECT_EQ(store_->SaveTurn(r).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->ListMessages("c1", 0, 10)->size(), 2u);
  EXPECT_EQ(*store_->CountEvents("turn"), 1);
  r.conversation_id = "nope";
  r.user.conversation_id = r.assistant.conversation_id = "nope";
  EXPECT_EQ(store_->SaveTurn(r).code(), StatusCode::kNotFound);
}

// A reply's trace is most of what a turn stores: a long one is packed (packed_json.h), and every
// reader gets the JSON back, whichever path wrote it; one that cannot be unpacked reads as {}.
TEST_F(SqliteStoreTest, LongTracesArePackedAndReadBackAsTheyWere) {
  ASSERT_OK(store_->CreateConversation(NewConv("p1")));
  std::string trace = R"({"trace_id":"t-1","intent":"order_status","stages":[)";
  for (int i = 0; i < 20; ++i) {
    trace += (i > 0 ? "," : "") + std::string(R"({"name":"stage.)") + std::to_string(i) +
             R"(","us":)" + std::to_string(i * 7) + "}";
  }
  trace += R"(],"reply":"订单 2026112400000001 已发货，運單號 SF1234567890"})";
  ASSERT_GE(trace.size(), sqlite::kPackMinBytes);
  TurnRecord r = PlainTurn("p1", 0);
  r.assistant.trace_json = trace;
  std::vector<Status> saved = store_->SaveTurns(std::span<const TurnRecord>(&r, 1));
  ASSERT_OK(saved.at(0));
  r = PlainTurn("p1", 1);
  r.assistant.trace_json = trace + " ";
  ASSERT_OK(store_->SaveTurn(r));
  ASSERT_OK_RESULT(store_->AppendMessage({0, "p1", "agent", "x", 5, "", "", trace}));
  const std::string path = dir_.File("kefu.db");
  EXPECT_EQ(RawSql(path,
                   "SELECT typeof(trace) FROM messages WHERE conversation_id = 'p1'"
                   " ORDER BY id"),
            (std::vector<std::string>{"text", "blob", "text", "blob", "blob"}));
  EXPECT_LT(std::stoul(RawSql(path,
                              "SELECT max(length(trace)) FROM messages WHERE"
                              " typeof(trace) = 'blob'")
                           .front()),
            trace.size() / 2);
  Result<std::vector<Message>> msgs = store_->ListMessages("p1", 0, 10);
  ASSERT_OK_RESULT(msgs);
  ASSERT_EQ(msgs->size(), 5u);
  EXPECT_EQ((*msgs)[1].trace_json, trace);
  EXPECT_EQ((*msgs)[3].trace_json, trace + " ");
  EXPECT_EQ((*msgs)[4].trace_json, trace);
  EXPECT_EQ((*msgs)[0].trace_json, "{}");
  // A value packed with a dictionary this binary lacks (a newer kefu's) reads as {}, and the
  // history around it is still served.
  RawSql(path, "UPDATE messages SET trace = X'C8FFFF' WHERE id = " + std::to_string((*msgs)[3].id));
  msgs = store_->ListMessages("p1", 0, 10);
  ASSERT_OK_RESULT(msgs);
  ASSERT_EQ(msgs->size(), 5u);
  EXPECT_EQ((*msgs)[3].trace_json, "{}");
  EXPECT_EQ((*msgs)[4].trace_json, trace);
}

// A batch's messages go in without their foreign-key check, which the conversation row's
// update makes redundant; so a message must name its turn's conversation, and nothing of a
// turn for an unknown conversation is stored.
TEST_F(SqliteStoreTest, BatchMessagesMustNameTheirTurnsConversation) {
  ASSERT_OK(store_->CreateConversation(NewConv("f1")));
  auto record = [](const std::string& conv, const std::string& msg_conv) {
    TurnRecord r;
    r.conversation_id = conv;
    r.expected_version = 0;
    r.user = {0, msg_conv, "user", "我的订单到哪了", 10, "", "", "{}"};
    r.assistant = {0, msg_conv, "assistant", "请提供订单号", 11, "", "", "{}"};
    r.state_json = "{}";
    return r;
  };
  std::vector<TurnRecord> records = {record("f1", "ghost"), record("ghost", "ghost"),
                                     record("f1", "f1")};
  std::vector<Status> saved = store_->SaveTurns(records);
  ASSERT_EQ(saved.size(), 3u);
  EXPECT_EQ(saved[0].code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(saved[1].code(), StatusCode::kNotFound);
  EXPECT_OK(saved[2]);
  Result<std::vector<Message>> f1 = store_->ListMessages("f1", 0, 10);
  ASSERT_OK_RESULT(f1);
  ASSERT_EQ(f1->size(), 2u);
  EXPECT_EQ((*f1)[0].text, "我的订单到哪了");
  EXPECT_TRUE(store_->ListMessages("ghost", 0, 10)->empty());
}

// A turn that says which message was last when it read the conversation is saved without the
// store reading it again; an agent's message since then still ends up in the chain before the
// turn's own, and a stale version still loses without writing.
TEST_F(SqliteStoreTest, ATurnThatKnowsTheLastMessageKeepsTheChainWhateverCameSince) {
  ASSERT_OK(store_->CreateConversation(NewConv("k1")));
  ASSERT_OK(store_->CreateConversation(NewConv("k2")));
  auto record = [&](const std::string& id, const std::string& text) {
    Result<Conversation> c = store_->GetConversation(id);
    TurnRecord r;
    r.conversation_id = id;
    r.expected_version = c->version;
    r.expected_last_message_id = c->last_message_id;
    r.user = {0, id, "user", text, 1, "", "", "{}"};
    r.assistant = {0, id, "assistant", "re " + text, 2, "", "", "{}"};
    r.state_json = "{}";
    return r;
  };
  EXPECT_EQ(store_->GetConversation("k1")->last_message_id, 0);
  std::vector<TurnRecord> first = {record("k1", "a"), record("k2", "x")};
  for (const Status& s : store_->SaveTurns(first)) {
    ASSERT_OK(s);
  }
  const int64_t last = store_->GetConversation("k1")->last_message_id;
  EXPECT_GT(last, 0);
  // Read before an agent writes in k1; saved after.
  TurnRecord late = record("k1", "b");
  ASSERT_OK_RESULT(store_->AppendMessage({0, "k1", "agent", "agent note", 3, "", "", "{}"}));
  TurnRecord stale = record("k2", "y");
  stale.expected_version = 7;
  std::vector<TurnRecord> second = {late, stale, record("k2", "z")};
  std::vector<Status> saved = store_->SaveTurns(second);
  ASSERT_EQ(saved.size(), 3u);
  EXPECT_OK(saved[0]);
  EXPECT_EQ(saved[1].code(), StatusCode::kFailedPrecondition);
  EXPECT_OK(saved[2]);
  auto texts = [&](const std::string& id) {
    std::vector<std::string> out;
    Result<std::vector<Message>> all = store_->ListMessages(id, 0, 100);
    for (const Message& m : *all) {
      out.push_back(m.text);
    }
    return out;
  };
  EXPECT_EQ(texts("k1"), (std::vector<std::string>{"a", "re a", "agent note", "b", "re b"}));
  EXPECT_EQ(texts("k2"), (std::vector<std::string>{"x", "re x", "z", "re z"}));
  EXPECT_EQ(store_->GetConversation("k1")->version, 2);
  EXPECT_EQ(store_->GetConversation("k2")->version, 2);
}

// Every event of a turn is stored, in order, with its own payload and time, whatever their
// number.
TEST_F(SqliteStoreTest, EveryEventOfATurnIsStoredHoweverMany) {
  ASSERT_OK(store_->CreateConversation(NewConv("e1")));
  TurnRecord r = PlainTurn("e1", 0);
  for (int i = 0; i < 9; ++i) {
    r.events.push_back(
        {"e1", i % 3 == 0 ? "step_a" : "step_b", "{\"i\":" + std::to_string(i) + "}", 100 + i});
  }
  ASSERT_OK(store_->SaveTurn(r));
  EXPECT_EQ(*store_->CountEvents("step_a"), 3);
  EXPECT_EQ(*store_->CountEvents("step_b"), 6);
  std::vector<std::string> expected;
  for (int i = 0; i < 9; ++i) {
    expected.push_back("e1|{\"i\":" + std::to_string(i) + "}|" + std::to_string(100 + i));
  }
  EXPECT_EQ(RawSql(dir_.File("kefu.db"),
                   "SELECT conversation_id, payload, created_at FROM events ORDER BY id"),
            expected);
}

// A batch's messages and events go in as multi-row INSERTs of 32, 16, ... rows. A big batch is
// stored whole, every column of every row in place and in order; when one turn's row breaks a
// constraint, that turn alone fails and the rest of the batch is still stored.
TEST_F(SqliteStoreTest, ABatchIsInsertedTogetherAndABadRowFailsOnlyItsTurn) {
  const std::string path = dir_.File("kefu.db");
  std::vector<TurnRecord> records;
  for (int i = 0; i < 23; ++i) {  // 46 messages (32 + 8 + 4 + 2), 35 events (32 + 2 + 1)
    const std::string id = "b" + std::to_string(i);
    ASSERT_OK(store_->CreateConversation(NewConv(id)));
    TurnRecord r = PlainTurn(id, 0);
    r.user = {
        0,   id, "user", "问 " + id, 100 + i, "order_status", "{\"s\":" + std::to_string(i) + "}",
        "{}"};
    r.assistant = {0,  id,          "assistant", "答 " + id, 200 + i, "order_status",
                   "", "{\"t\":1}", i,           2 * i,      "m"};
    r.events.push_back({id, "flow_started", "{\"i\":" + std::to_string(i) + "}", 300 + i});
    if (i % 2 == 0) {
      r.events.push_back({"", "unlinked", "{}", 400 + i});
    }
    records.push_back(r);
  }
  std::vector<Status> saved = store_->SaveTurns(records);
  ASSERT_EQ(saved.size(), records.size());
  for (const Status& s : saved) {
    ASSERT_OK(s);
  }
  EXPECT_EQ(RawSql(path, "SELECT COUNT(*) FROM messages").front(), "46");
  EXPECT_EQ(RawSql(path,
                   "SELECT role, text, created_at, intent, sentiment, trace, prompt_tokens,"
                   " completion_tokens, model, IFNULL(prev_id, 'null') FROM messages"
                   " WHERE conversation_id = 'b17' ORDER BY id"),
            (std::vector<std::string>{
                "user|问 b17|117|order_status|{\"s\":17}|{}|0|0||null",
                "assistant|答 b17|217|order_status||{\"t\":1}|17|34|m|" +
                    RawSql(path, "SELECT id FROM messages WHERE text = '问 b17'").front()}));
  EXPECT_EQ(*store_->CountEvents("flow_started"), 23);
  EXPECT_EQ(*store_->CountEvents("unlinked"), 12);
  EXPECT_EQ(RawSql(path, "SELECT COUNT(*) FROM events WHERE conversation_id IS NULL").front(),
            "12");
  const std::vector<std::string> order =
      RawSql(path, "SELECT payload FROM events WHERE type = 'flow_started' ORDER BY id LIMIT 3");
  EXPECT_EQ(order, (std::vector<std::string>{"{\"i\":0}", "{\"i\":1}", "{\"i\":2}"}));
  for (int i = 0; i < 23; ++i) {
    const std::string id = "b" + std::to_string(i);
    Result<std::vector<Message>> history = store_->ListMessages(id, 0, 10);
    ASSERT_EQ(history->size(), 2u) << id;
    EXPECT_EQ((*history)[1].text, "答 " + id);
    EXPECT_EQ(store_->GetConversation(id)->last_message_id, (*history)[1].id);
  }

  // Second round: the middle turn's assistant row breaks the role check.
  for (TurnRecord& r : records) {
    r.expected_version = 1;
    r.expected_last_message_id = store_->GetConversation(r.conversation_id)->last_message_id;
  }
  records[11].assistant.role = "robot";
  saved = store_->SaveTurns(records);
  for (size_t i = 0; i < saved.size(); ++i) {
    if (i == 11) {
      EXPECT_EQ(saved[i].code(), StatusCode::kInvalidArgument);
    } else {
      EXPECT_OK(saved[i]) << i;
    }
  }
  EXPECT_EQ(RawSql(path, "SELECT COUNT(*) FROM messages").front(), "90");
  EXPECT_EQ(store_->ListMessages("b11", 0, 10)->size(), 2u);
  EXPECT_EQ(store_->GetConversation("b11")->version, 1);
  EXPECT_EQ(store_->ListMessages("b12", 0, 10)->size(), 4u);
  EXPECT_EQ(store_->GetConversation("b12")->version, 2);
  EXPECT_EQ(*store_->CountEvents("flow_started"), 45);
}

// Inside a ShareReads scope, conversations and orders are read from one snapshot: another
// process's write shows only after the scope, while a write by this process, from any thread,
// shows at the thread's next read.
TEST_F(SqliteStoreTest, SharedReadsSeeOneSnapshotAndThisProcesssWrites) {
  const std::string path = dir_.File("kefu.db");
  ASSERT_OK(store_->CreateConversation(NewConv("s1")));
  ASSERT_OK(store_->CreateConversation(NewConv("s2")));
  {
    std::unique_ptr<Store::ReadScope> scope = store_->ShareReads();
    ASSERT_NE(scope, nullptr);
    EXPECT_EQ(store_->ShareReads(), nullptr);  // nested: the outer one shares
    EXPECT_EQ(store_->GetConversation("s1")->lang, "");
    // Another process writes.
    RawSql(path, "UPDATE conversations SET lang = 'en' WHERE id = 's1'");
    EXPECT_EQ(store_->GetConversation("s1")->lang, "");
    Result<std::shared_ptr<const OrderDetails>> order =
        store_->GetSharedOrderDetails(kefu::testing::kShippedOrder);  // a miss reads inside it
    ASSERT_OK_RESULT(order);
    EXPECT_EQ((*order)->order.status, "shipped");
    // This process writes, on another thread: the next read sees it, and the other process's.
    // The scope holds the turn writer's connection, so that commit goes through the pool's.
    std::thread writer([&] { EXPECT_OK(store_->SaveTurn(PlainTurn("s2", 0))); });
    writer.join();
    EXPECT_EQ(store_->GetConversation("s2")->version, 1);
    EXPECT_EQ(store_->GetConversation("s1")->lang, "en");
    // And a write of its own through the store: the order it cancels reads as cancelled.
    EXPECT_EQ((*store_->GetSharedOrderDetails(kefu::testing::kPaidOrder))->order.status, "paid");
    ASSERT_OK_RESULT(store_->CancelOrder(kefu::testing::kPaidOrder, 5));
    Result<std::shared_ptr<const OrderDetails>> cancelled =
        store_->GetSharedOrderDetails(kefu::testing::kPaidOrder);
    ASSERT_OK_RESULT(cancelled);
    EXPECT_EQ((*cancelled)->order.status, "cancelled");
    RawSql(path, "UPDATE conversations SET lang = 'zh' WHERE id = 's1'");
    EXPECT_EQ(store_->GetConversation("s1")->lang, "en");
  }
  EXPECT_EQ(store_->GetConversation("s1")->lang, "zh");
  // Without a scope, every read is fresh.
  RawSql(path, "UPDATE conversations SET lang = 'en' WHERE id = 's1'");
  EXPECT_EQ(store_->GetConversation("s1")->lang, "en");
  // The scope's connection went back: turns still save (they need one of their own).
  EXPECT_OK(store_->SaveTurn(PlainTurn("s1", 0)));
}

// A round's reads of conversations (inside ShareReads) come from rows kept in memory while
// nothing but the store's own turn batches has written: each scope must still read exactly
// what a fresh read outside any scope reads, whoever wrote last.
TEST_F(SqliteStoreTest, ConversationsReadInRoundsMatchFreshReadsWhoeverWrote) {
  const std::string path = dir_.File("kefu.db");
  ASSERT_OK(store_->CreateConversation(NewConv("w1")));
  ASSERT_OK(store_->CreateConversation(NewConv("w2")));
  auto in_round = [&](const std::string& id) {
    std::unique_ptr<Store::ReadScope> scope = store_->ShareReads();
    EXPECT_NE(scope, nullptr);
    Result<Conversation> c = store_->GetConversation(id);
    EXPECT_OK(c.status());
    return c.ok() ? *c : Conversation{};
  };
  auto expect_fresh = [&](const std::string& id, const std::string& when) {
    const Conversation round = in_round(id);
    Result<Conversation> fresh = store_->GetConversation(id);
    ASSERT_OK_RESULT(fresh);
    EXPECT_EQ(round.version, fresh->version) << when;
    EXPECT_EQ(round.state_json, fresh->state_json) << when;
    EXPECT_EQ(round.lang, fresh->lang) << when;
    EXPECT_EQ(round.status, fresh->status) << when;
    EXPECT_EQ(round.updated_at, fresh->updated_at) << when;
    EXPECT_EQ(round.last_message_id, fresh->last_message_id) << when;
    EXPECT_EQ(round.token_hash, fresh->token_hash) << when;
  };
  EXPECT_EQ(in_round("w1").version, 0);  // read once: kept
  for (int turn = 0; turn < 3; ++turn) {
    TurnRecord r = PlainTurn("w1", turn);
    r.state_json = R"({"turns":)" + std::to_string(turn + 1) + "}";
    r.lang = turn % 2 == 0 ? "zh" : "en";
    r.updated_at = 100 + turn;
    std::vector<Status> saved = store_->SaveTurns(std::vector<TurnRecord>{r, PlainTurn("w2", 9)});
    EXPECT_OK(saved[0]);
    EXPECT_EQ(saved[1].code(), StatusCode::kFailedPrecondition);
    expect_fresh("w1", "after turn " + std::to_string(turn));
    expect_fresh("w2", "after a stale turn " + std::to_string(turn));
  }
  EXPECT_EQ(in_round("w1").version, 3);
  // Another connection of this process: an agent's message moves the chain and updated_at.
  ASSERT_OK_RESULT(store_->AppendMessage({0, "w1", "agent", "您好", 200, "", "", "{}"}));
  expect_fresh("w1", "after an agent's message");
  // Another process.
  RawSql(path, "UPDATE conversations SET lang = 'zh-Hant', status = 'agent' WHERE id = 'w1'");
  EXPECT_EQ(in_round("w1").status, "agent");
  expect_fresh("w1", "after another process");
  // A turn that queues a ticket moves the status in the same batch.
  RawSql(path, "UPDATE conversations SET status = 'open' WHERE id = 'w1'");
  EXPECT_EQ(in_round("w1").status, "open");
  TurnRecord handoff = PlainTurn("w1", 3);
  handoff.handoff = HandoffTicket{};
  handoff.handoff->priority = 2;
  handoff.handoff->queued_at = 300;
  ASSERT_OK(store_->SaveTurns(std::vector<TurnRecord>{handoff})[0]);
  EXPECT_EQ(in_round("w1").status, "queued");
  expect_fresh("w1", "after a handoff turn");
}

// Inside rounds on the turn writer an order is taken without its etag read while no other
// connection has committed; any commit elsewhere (another process, this process's own tool
// writes, even in the same round) must show at the next read.
TEST_F(SqliteStoreTest, OrdersReadInRoundsSeeEveryOtherWrite) {
  const std::string path = dir_.File("kefu.db");
  const std::string shipped = kefu::testing::kShippedOrder;
  const std::string paid = kefu::testing::kPaidOrder;
  ASSERT_OK(store_->CreateConversation(NewConv("o1")));
  auto in_round = [&](const std::string& order) {
    std::unique_ptr<Store::ReadScope> scope = store_->ShareReads();
    EXPECT_NE(scope, nullptr);
    EXPECT_OK(store_->GetConversation("o1").status());  // a round reads its conversation first
    return store_->GetSharedOrderDetails(order).value();
  };
  std::shared_ptr<const OrderDetails> first = in_round(shipped);
  EXPECT_EQ(in_round(shipped), first);  // nothing written: the same copy
  ASSERT_OK(store_->SaveTurns(std::vector<TurnRecord>{PlainTurn("o1", 0)})[0]);
  EXPECT_EQ(in_round(shipped), first);  // the worker's own turns write no orders
  RawSql(path, "UPDATE orders SET receiver_name = '王五' WHERE order_number = '" + shipped + "'");
  EXPECT_EQ(in_round(shipped)->order.receiver_name, "王五");
  {
    std::unique_ptr<Store::ReadScope> scope = store_->ShareReads();
    EXPECT_EQ(store_->GetSharedOrderDetails(paid).value()->order.status, "paid");
    ASSERT_OK_RESULT(store_->CancelOrder(paid, 5));  // a tool's write inside the round
    EXPECT_EQ(store_->GetSharedOrderDetails(paid).value()->order.status, "cancelled");
  }
  EXPECT_EQ(in_round(paid)->order.status, "cancelled");
  EXPECT_EQ(in_round(shipped)->order.receiver_name, "王五");
}

// One connection is always left outside the scopes, so a scope's thread can still lease one.
TEST(SqliteStoreOpenTest, SharedReadsLeaveAConnectionToTheRest) {
  kefu::testing::TempDir dir;
  Result<std::unique_ptr<Store>> one = NewSqliteStore({.path = dir.File("a.db"), .pool_size = 1});
  ASSERT_OK_RESULT(one);
  EXPECT_EQ((*one)->ShareReads(), nullptr);
  Result<std::unique_ptr<Store>> two = NewSqliteStore({.path = dir.File("b.db"), .pool_size = 2});
  ASSERT_OK_RESULT(two);
  std::unique_ptr<Store::ReadScope> first = (*two)->ShareReads();
  EXPECT_NE(first, nullptr);
  // A scope ends on the thread that began it.
  std::thread other([&] { EXPECT_EQ((*two)->ShareReads(), nullptr); });
  other.join();
  first.reset();
  std::thread again([&] {
    std::unique_ptr<Store::ReadScope> second = (*two)->ShareReads();
    EXPECT_NE(second, nullptr);
    EXPECT_TRUE((*two)->GetConversation("none").status().code() == StatusCode::kNotFound);
  });
  again.join();
}

TEST_F(SqliteStoreTest, ListMessagesPagesAfterAnId) {
  ASSERT_OK(store_->CreateConversation(NewConv("c2")));
  for (int i = 0; i < 3; ++i) {
    TurnRecord r;
    r.conversation_id = "c2";
    r.expected_version = i;
    r.user = {0, "c2", "user", "u" + std::to_string(i), i, "", "", "{}"};
    r.assistant = {0, "c2", "assistant", "a" + std::to_string(i), i, "", "", "{}"};
    r.state_json = "{}";
    ASSERT_OK(store_->SaveTurn(r));
  }
  Result<std::vector<Message>> first = store_->ListMessages("c2", 0, 4);
  ASSERT_EQ(first->size(), 4u);
  Result<std::vector<Message>> rest = store_->ListMessages("c2", first->back().id, 10);
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[1].text, "a2");
  // The last few, oldest first, with a model-written reply's token counts.
  Result<std::vector<Message>> recent = store_->ListRecentMessages("c2", 3);
  ASSERT_OK_RESULT(recent);
  ASSERT_EQ(recent->size(), 3u);
  EXPECT_EQ((*recent)[0].text, "a1");
  EXPECT_EQ((*recent)[2].text, "a2");
  EXPECT_EQ(store_->ListRecentMessages("c2", 100)->size(), 6u);
  EXPECT_TRUE(store_->ListRecentMessages("nobody", 5)->empty());
}

TEST_F(SqliteStoreTest, TokenCountsAndTheModelAreStoredWithAMessage) {
  ASSERT_OK(store_->CreateConversation(NewConv("c3")));
  TurnRecord r;
  r.conversation_id = "c3";
  r.user = {0, "c3", "user", "你好", 1, "", "", "{}"};
  r.assistant = {0, "c3", "assistant", "您好！", 2, "", "", "{}", 321, 12, "local-qwen"};
  r.state_json = "{}";
  ASSERT_OK(store_->SaveTurn(r));
  Result<std::vector<Message>> msgs = store_->ListMessages("c3", 0, 10);
  ASSERT_OK_RESULT(msgs);
  ASSERT_EQ(msgs->size(), 2u);
  EXPECT_EQ((*msgs)[0].prompt_tokens, 0);
  EXPECT_EQ((*msgs)[1].prompt_tokens, 321);
  EXPECT_EQ((*msgs)[1].completion_tokens, 12);
  EXPECT_EQ((*msgs)[1].model, "local-qwen");
}

TEST_F(SqliteStoreTest, ConcurrentReadersAndWritersDoNotFail) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (!store_->GetOrderDetails(kefu::testing::kShippedOrder).ok()) {
          ++failures;
        }
        if (!store_->AppendEvent({"", "load", "{}", t * 1000 + i}).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*store_->CountEvents("load"), 200);
}

TEST_F(SqliteStoreTest, SaveTurnsStoresEachTurnOrExplainsWhyNot) {
  ASSERT_OK(store_->CreateConversation(NewConv("b1")));
  ASSERT_OK(store_->CreateConversation(NewConv("b2")));
  auto record = [](const std::string& id, int64_t version) {
    TurnRecord r = PlainTurn(id, version);
    r.events = {{id, "handoff_requested", "{}", 2}};
    return r;
  };
  std::vector<TurnRecord> batch = {record("b1", 0), record("b2", 5), record("missing", 0)};
  std::vector<Status> saved = store_->SaveTurns(batch);
  ASSERT_EQ(saved.size(), 3u);
  EXPECT_OK(saved[0]);
  EXPECT_EQ(saved[1].code(), StatusCode::kFailedPrecondition);  // stale version
  EXPECT_EQ(saved[2].code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListMessages("b1", 0, 10)->size(), 2u);
  EXPECT_TRUE(store_->ListMessages("b2", 0, 10)->empty());
  EXPECT_EQ(*store_->CountEvents("handoff_requested"), 1);  // only b1's event
  EXPECT_TRUE(store_->SaveTurns({}).empty());
}

// Callers on several threads share the group commit: each gets its own turns' results, in its
// own order, whichever thread happened to commit them.
TEST_F(SqliteStoreTest, ConcurrentSaveTurnsCallersEachGetTheirOwnResults) {
  constexpr int kThreads = 3;
  constexpr int kRounds = 20;
  for (int t = 0; t < kThreads; ++t) {
    for (int c = 0; c < 2; ++c) {
      ASSERT_OK(
          store_->CreateConversation(NewConv("g" + std::to_string(t) + "-" + std::to_string(c))));
    }
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string a = "g" + std::to_string(t) + "-0";
      const std::string b = "g" + std::to_string(t) + "-1";
      for (int i = 0; i < kRounds; ++i) {
        std::vector<TurnRecord> batch(2);
        for (int k = 0; k < 2; ++k) {
          batch[k] = PlainTurn(k == 0 ? a : b, k == 0 ? i : 1000);  // b's version is always stale
        }
        std::vector<Status> saved = store_->SaveTurns(batch);
        if (saved.size() != 2 || !saved[0].ok() ||
            saved[1].code() != StatusCode::kFailedPrecondition) {
          ++wrong;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(wrong.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    const std::string a = "g" + std::to_string(t) + "-0";
    EXPECT_EQ(store_->GetConversation(a)->version, kRounds);
    EXPECT_EQ(store_->ListMessages(a, 0, 100)->size(), 2u * kRounds);
    EXPECT_TRUE(store_->ListMessages("g" + std::to_string(t) + "-1", 0, 10)->empty());
  }
}

// A turn that fails after its first write (here the CHECK on messages.role) must leave nothing
// behind, and the turns batched with it are still stored: the batch is applied again with a
// savepoint per turn.
TEST_F(SqliteStoreTest, SaveTurnsUndoesAHalfWrittenTurnAndKeepsTheOthers) {
  for (const char* id : {"h1", "h2", "h3"}) {
    ASSERT_OK(store_->CreateConversation(NewConv(id)));
  }
  auto record = [](const std::string& id, const std::string& assistant_role) {
    TurnRecord r;
    r.conversation_id = id;
    r.user = {0, id, "user", "u", 1, "", "", "{}"};
    r.assistant = {0, id, assistant_role, "a", 2, "", "", "{}"};
    r.state_json = R"({"turns":1})";
    r.events = {{id, "turn_saved", "{}", 2}};
    return r;
  };
  std::vector<TurnRecord> batch = {record("h1", "assistant"), record("h2", "robot"),
                                   record("h3", "assistant")};
  std::vector<Status> saved = store_->SaveTurns(batch);
  ASSERT_EQ(saved.size(), 3u);
  EXPECT_OK(saved[0]);
  EXPECT_FALSE(saved[1].ok());
  EXPECT_OK(saved[2]);
  EXPECT_EQ(store_->ListMessages("h1", 0, 10)->size(), 2u);
  EXPECT_TRUE(store_->ListMessages("h2", 0, 10)->empty());  // not even the user message
  EXPECT_EQ(store_->ListMessages("h3", 0, 10)->size(), 2u);
  EXPECT_EQ(store_->GetConversation("h2")->version, 0);  // its state update was undone too
  EXPECT_EQ(store_->GetConversation("h3")->version, 1);
  EXPECT_EQ(*store_->CountEvents("turn_saved"), 2);
  // Alone in its batch, the same turn fails and leaves nothing.
  std::vector<Status> alone = store_->SaveTurns(std::vector<TurnRecord>{record("h2", "robot")});
  EXPECT_FALSE(alone[0].ok());
  EXPECT_EQ(store_->GetConversation("h2")->version, 0);
  EXPECT_TRUE(store_->ListMessages("h2", 0, 10)->empty());
}

// SQLite restarts its WAL only when a writer finds it fully copied back, which never happens
// while writes keep coming: the store's checkpointer restarts it once it is long, so the WAL
// file stops growing (it is cut back to the limit) instead of growing with every write.
TEST(SqliteWalTest, SustainedWritesDoNotGrowTheWalWithoutEnd) {
  kefu::testing::TempDir dir;
  const std::string path = dir.File("wal.db");
  Result<std::unique_ptr<Store>> opened =
      NewSqliteStore({.path = path, .pool_size = 2, .wal_restart_frames = 64});
  ASSERT_OK_RESULT(opened);
  Store& store = **opened;
  Conversation c;
  c.id = "w1";
  c.token_hash = "h";
  ASSERT_OK(store.CreateConversation(c));
  const std::string trace(3000, 't');
  int64_t version = 0;
  uintmax_t largest = 0;
  bool shrank = false;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < until && !shrank) {
    for (int i = 0; i < 20; ++i) {
      TurnRecord r;
      r.conversation_id = "w1";
      r.expected_version = version++;
      r.user = {0, "w1", "user", "u", 1, "", "", "{}"};
      r.assistant = {0, "w1", "assistant", "a", 2, "", "", trace};
      r.state_json = "{}";
      ASSERT_OK(store.SaveTurn(r));
    }
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(path + "-wal", ec);
    if (!ec) {
      shrank = size < largest;
      largest = std::max(largest, size);
    }
  }
  EXPECT_TRUE(shrank) << "the WAL only grew, to " << largest << " bytes";
  EXPECT_EQ(store.ListMessages("w1", 0, 1)->size(), 1u);
}

TEST_F(SqliteStoreTest, KbDocumentsAreUpsertedListedAndDeleted) {
  KbDocumentRecord a{"faq-1",
                     "h1",
                     "faq",
                     "zh",
                     "faq",
                     "退货要多久",
                     "faq.jsonl",
                     10,
                     R"({"body":"七天"})",
                     R"([{"text":"七天"}])"};
  KbDocumentRecord b = a;
  b.id = "policies/en/returns.md";
  b.lang = "en";
  ASSERT_OK(store_->PutKbDocuments(std::vector<KbDocumentRecord>{a, b}));
  a.content_hash = "h2";
  a.chunks_json = R"([{"text":"十五天"}])";
  ASSERT_OK(store_->PutKbDocuments(std::span<const KbDocumentRecord>(&a, 1)));

  Result<std::vector<KbDocumentRecord>> all = store_->ListKbDocuments(true);
  ASSERT_OK_RESULT(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "faq-1");
  EXPECT_EQ((*all)[0].content_hash, "h2");
  EXPECT_EQ((*all)[0].chunks_json, R"([{"text":"十五天"}])");
  Result<std::vector<KbDocumentRecord>> light = store_->ListKbDocuments(false);
  ASSERT_OK_RESULT(light);
  EXPECT_EQ((*light)[1].title, "退货要多久");
  EXPECT_EQ((*light)[1].document_json, "");

  ASSERT_OK(store_->DeleteKbDocument("faq-1"));
  EXPECT_EQ(store_->DeleteKbDocument("faq-1").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListKbDocuments(false)->size(), 1u);
}

// --- Order actions ---

using kefu::testing::kDeliveredOrder;
using kefu::testing::kPaidOrder;
using kefu::testing::kRefundedOrder;
using kefu::testing::kShippedOrder;
using kefu::testing::T;

TEST_F(SqliteStoreTest, OrderItemsCarryTheirSku) {
  Result<OrderDetails> d = store_->GetOrderDetails(kShippedOrder);
  ASSERT_OK_RESULT(d);
  ASSERT_EQ(d->items.size(), 1u);
  EXPECT_EQ(d->items[0].sku, "PH-0001");
}

TEST_F(SqliteStoreTest, CancelPaidOrderAddsAPendingRefundOfItsTotal) {
  const int64_t at = T("2026-11-28T09:00:00+08:00");
  Result<int64_t> refund = store_->CancelOrder(kPaidOrder, at);
  ASSERT_OK_RESULT(refund);
  EXPECT_EQ(*refund, 50700);
  Result<OrderDetails> d = store_->GetOrderDetails(kPaidOrder);
  EXPECT_EQ(d->order.status, "cancelled");
  EXPECT_EQ(d->order.cancelled_at, at);
  ASSERT_TRUE(d->refund);
  EXPECT_EQ(d->refund->amount_cents, 50700);
  EXPECT_EQ(d->refund->status, "pending");
  EXPECT_EQ(d->refund->method, "wechat_pay");
  EXPECT_EQ(d->refund->requested_at, at);
  EXPECT_FALSE(d->refund->completed_at);
}

TEST_F(SqliteStoreTest, CancelUnpaidOrderRefundsNothing) {
  ShopData shop = kefu::testing::SmallShop();
  shop.orders[1].order.status = "pending_payment";
  shop.orders[1].order.paid_at.reset();
  ASSERT_OK(store_->ReplaceShopData(shop));
  Result<int64_t> refund = store_->CancelOrder(kPaidOrder, 5);
  ASSERT_OK_RESULT(refund);
  EXPECT_EQ(*refund, 0);
  Result<OrderDetails> d = store_->GetOrderDetails(kPaidOrder);
  EXPECT_EQ(d->order.status, "cancelled");
  EXPECT_FALSE(d->refund);
}

TEST_F(SqliteStoreTest, CancelShippedOrderFailsAndNamesTheStatus) {
  Status s = store_->CancelOrder(kShippedOrder, 5).status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "order is shipped");
  EXPECT_EQ(store_->GetOrderDetails(kShippedOrder)->order.status, "shipped");
  // Cancelling twice: the second finds it cancelled.
  ASSERT_OK_RESULT(store_->CancelOrder(kPaidOrder, 5));
  EXPECT_EQ(store_->CancelOrder(kPaidOrder, 6).status().message(), "order is cancelled");
  EXPECT_EQ(store_->CancelOrder("9999999999999999", 5).status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, UpdateOrderContactChangesOnlyTheGivenFields) {
  ASSERT_OK(store_->UpdateOrderContact(kPaidOrder, "北京市海淀区中关村大街 1 号", std::nullopt));
  Result<OrderDetails> d = store_->GetOrderDetails(kPaidOrder);
  EXPECT_EQ(d->order.shipping_address, "北京市海淀区中关村大街 1 号");
  EXPECT_EQ(d->order.phone, "13987654321");
  ASSERT_OK(store_->UpdateOrderContact(kPaidOrder, std::nullopt, "13700001111"));
  d = store_->GetOrderDetails(kPaidOrder);
  EXPECT_EQ(d->order.shipping_address, "北京市海淀区中关村大街 1 号");
  EXPECT_EQ(d->order.phone, "13700001111");
}

TEST_F(SqliteStoreTest, UpdateOrderContactAfterShippingFails) {
  Status s = store_->UpdateOrderContact(kShippedOrder, "x", "y");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "order is shipped");
  EXPECT_EQ(store_->GetOrderDetails(kShippedOrder)->order.phone, "13812345678");
  EXPECT_EQ(store_->UpdateOrderContact("9999999999999999", "x", std::nullopt).code(),
            StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, CreateReturnNumbersItAndMarksTheOrder) {
  Result<std::string> rma = store_->CreateReturn(
      {kDeliveredOrder, "exchange", "尺码不对", "Wrong size", T("2026-11-20T10:00:00+08:00")});
  ASSERT_OK_RESULT(rma);
  EXPECT_EQ(*rma, "RMA202611200001");
  Result<OrderDetails> d = store_->GetOrderDetails(kDeliveredOrder);
  EXPECT_EQ(d->order.status, "return_requested");
  ASSERT_TRUE(d->return_request);
  EXPECT_EQ(d->return_request->rma_number, "RMA202611200001");
  EXPECT_EQ(d->return_request->type, "exchange");
  EXPECT_EQ(d->return_request->status, "requested");
  EXPECT_EQ(d->return_request->reason_en, "Wrong size");
  EXPECT_EQ(d->return_request->requested_at, T("2026-11-20T10:00:00+08:00"));
  // Imported returns have no RMA number.
  EXPECT_EQ(store_->GetOrderDetails(kRefundedOrder)->return_request->rma_number, "");
}

TEST_F(SqliteStoreTest, RmaNumbersCountPerShopDayInUtcPlus8) {
  ShopData shop = kefu::testing::SmallShop();
  shop.orders[0].order.status = "delivered";
  ASSERT_OK(store_->ReplaceShopData(shop));
  // 23:30 in Shanghai, 15:30 UTC: both on the 20th in the shop's zone.
  Result<std::string> first =
      store_->CreateReturn({kDeliveredOrder, "quality", "", "", T("2026-11-20T08:00:00+08:00")});
  Result<std::string> second =
      store_->CreateReturn({kShippedOrder, "no_reason", "", "", T("2026-11-20T15:30:00Z")});
  ASSERT_OK_RESULT(first);
  ASSERT_OK_RESULT(second);
  EXPECT_EQ(*first, "RMA202611200001");
  EXPECT_EQ(*second, "RMA202611200002");
  shop.orders[0].order.status = "delivered";
  shop.orders[0].order.order_number = "2026112500000009";
  shop.orders[0].shipment->tracking_number = "SF0000000000009";
  shop.orders[1] = shop.orders[0];
  shop.orders[1].order.order_number = "2026112500000010";
  shop.orders[1].shipment->tracking_number = "SF0000000000010";
  // ReplaceShopData drops the returns; a day after 16:00 UTC starts the next shop day.
  ASSERT_OK(store_->ReplaceShopData(shop));
  EXPECT_EQ(
      *store_->CreateReturn({"2026112500000009", "quality", "", "", T("2026-11-20T16:00:00Z")}),
      "RMA202611210001");
}

TEST_F(SqliteStoreTest, CreateReturnNeedsADeliveredOrder) {
  Status s = store_->CreateReturn({kShippedOrder, "no_reason", "", "", 1}).status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "order is shipped");
  ASSERT_OK_RESULT(store_->CreateReturn({kDeliveredOrder, "no_reason", "", "", 1}));
  EXPECT_EQ(store_->CreateReturn({kDeliveredOrder, "no_reason", "", "", 2}).status().message(),
            "order is return_requested");
  EXPECT_EQ(store_->CreateReturn({"9999999999999999", "no_reason", "", "", 1}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, CreateReturnRefusesAnOrderWithAnOpenReturn) {
  ShopData shop = kefu::testing::SmallShop();
  shop.orders[2].return_request = ReturnRequest{"", "quality", "approved", "", "", 1, {}};
  ASSERT_OK(store_->ReplaceShopData(shop));
  Status s = store_->CreateReturn({kDeliveredOrder, "quality", "", "", 2}).status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "order is delivered with an open return");
  // A rejected return is not open.
  shop.orders[2].return_request->status = "rejected";
  ASSERT_OK(store_->ReplaceShopData(shop));
  EXPECT_OK(store_->CreateReturn({kDeliveredOrder, "quality", "", "", 2}).status());
}

TEST_F(SqliteStoreTest, InvoiceRequestsAreStoredPerOrder) {
  InvoiceRequest r;
  r.order_number = kShippedOrder;
  r.title = "上海某某科技有限公司";
  r.tax_id = "91310000MA1FL00000";
  r.email = "finance@example.com";
  r.created_at = 7;
  Result<int64_t> first = store_->CreateInvoiceRequest(r);
  ASSERT_OK_RESULT(first);
  r.tax_id = "";
  r.created_at = 8;
  Result<int64_t> second = store_->CreateInvoiceRequest(r);
  ASSERT_OK_RESULT(second);
  EXPECT_NE(*first, *second);
  Result<std::vector<InvoiceRequest>> all = store_->ListInvoiceRequests(kShippedOrder);
  ASSERT_OK_RESULT(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, *first);
  EXPECT_EQ((*all)[0].order_number, kShippedOrder);
  EXPECT_EQ((*all)[0].tax_id, "91310000MA1FL00000");
  EXPECT_EQ((*all)[0].status, "requested");
  EXPECT_EQ((*all)[1].created_at, 8);
  EXPECT_TRUE(store_->ListInvoiceRequests(kPaidOrder)->empty());
  EXPECT_TRUE(store_->ListInvoiceRequests("9999999999999999")->empty());
}

TEST_F(SqliteStoreTest, InvoiceForACancelledOrderFails) {
  ASSERT_OK_RESULT(store_->CancelOrder(kPaidOrder, 5));
  InvoiceRequest r;
  r.order_number = kPaidOrder;
  r.title = "李娜";
  Status s = store_->CreateInvoiceRequest(r).status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "order is cancelled");
  r.order_number = "9999999999999999";
  EXPECT_EQ(store_->CreateInvoiceRequest(r).status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, CasesGetDailyNumbersAndListByConversation) {
  SupportCase c;
  c.conversation_id = "c1";
  c.order_number = kShippedOrder;
  c.kind = "lost";
  c.description = "快递一直没到";
  c.created_at = T("2026-11-30T09:00:00+08:00");
  Result<std::string> first = store_->OpenCase(c);
  c.kind = "damaged";
  c.order_number = "";
  Result<std::string> second = store_->OpenCase(c);
  c.conversation_id = "c2";
  c.created_at = T("2026-12-01T09:00:00+08:00");
  Result<std::string> third = store_->OpenCase(c);
  ASSERT_OK_RESULT(first);
  ASSERT_OK_RESULT(second);
  ASSERT_OK_RESULT(third);
  EXPECT_EQ(*first, "CS202611300001");
  EXPECT_EQ(*second, "CS202611300002");
  EXPECT_EQ(*third, "CS202612010001");
  Result<std::vector<SupportCase>> cases = store_->ListCases("c1");
  ASSERT_OK_RESULT(cases);
  ASSERT_EQ(cases->size(), 2u);
  EXPECT_EQ((*cases)[0].case_number, *first);
  EXPECT_EQ((*cases)[0].kind, "lost");
  EXPECT_EQ((*cases)[0].order_number, kShippedOrder);
  EXPECT_EQ((*cases)[0].status, "open");
  EXPECT_EQ((*cases)[1].kind, "damaged");
  EXPECT_TRUE(store_->ListCases("nobody")->empty());
}

// --- Products and customers ---

class ProductSearchTest : public SqliteStoreTest {
 protected:
  void SetUp() override {
    SqliteStoreTest::SetUp();
    ShopData shop = kefu::testing::SmallShop();
    shop.products.push_back({3, "EP-0002", "earphones", "声悦", "声悦 运动耳机",
                             "Shengyue Sport Earbuds", 19900, R"({"colour":"红色"})", 5});
    shop.products.push_back(
        {4, "CB-0001", "cables", "闪充", "100% 快充线", "100% Fast Cable", 2900, "{}", 50});
    shop.products.push_back(
        {5, "CB-0002", "cables", "闪充", "快充线 a_b", "Fast Cable a_b", 2900, "{}", 50});
    ASSERT_OK(store_->ReplaceShopData(shop));
  }

  std::vector<std::string> Skus(const ProductQuery& q) {
    Result<std::vector<Product>> found = store_->SearchProducts(q);
    EXPECT_TRUE(found.ok()) << found.status();
    std::vector<std::string> skus;
    for (const Product& p : found.value_or({})) {
      skus.push_back(p.sku);
    }
    return skus;
  }
};

using SkuList = std::vector<std::string>;

TEST_F(ProductSearchTest, EmptyQueryListsCheapestFirstThenById) {
  ProductQuery q;
  q.limit = 10;
  EXPECT_EQ(Skus(q), (SkuList{"CB-0001", "CB-0002", "EP-0002", "EP-0001", "PH-0001"}));
  q.limit = 2;
  EXPECT_EQ(Skus(q), (SkuList{"CB-0001", "CB-0002"}));
  EXPECT_EQ(Skus({}).size(), 5u);  // the default limit
}

TEST_F(ProductSearchTest, CategoryAndPriceBoundsFilter) {
  ProductQuery q;
  q.category = "earphones";
  EXPECT_EQ(Skus(q), (SkuList{"EP-0002", "EP-0001"}));
  q.min_cents = 19900;  // inclusive
  q.max_cents = 49899;
  EXPECT_EQ(Skus(q), (SkuList{"EP-0002"}));
  q.category = "";
  q.min_cents.reset();
  q.max_cents = 2900;
  EXPECT_EQ(Skus(q), (SkuList{"CB-0001", "CB-0002"}));
  q.category = "earphone";  // exact, not a prefix
  q.max_cents.reset();
  EXPECT_TRUE(Skus(q).empty());
}

TEST_F(ProductSearchTest, EveryKeywordMustMatchSomeField) {
  ProductQuery q;
  q.keywords = {"earbuds"};  // case-insensitive, name_en
  EXPECT_EQ(Skus(q), (SkuList{"EP-0002", "EP-0001"}));
  q.keywords = {"earbuds", "sport"};
  EXPECT_EQ(Skus(q), (SkuList{"EP-0002"}));
  q.keywords = {"红色"};  // attributes
  EXPECT_EQ(Skus(q), (SkuList{"EP-0002"}));
  q.keywords = {"星河"};  // brand and name_zh
  EXPECT_EQ(Skus(q), (SkuList{"PH-0001"}));
  q.keywords = {"耳机", "红色", ""};  // empty keywords are ignored
  EXPECT_EQ(Skus(q), (SkuList{"EP-0002"}));
  q.keywords = {"earbuds", "cable"};
  EXPECT_TRUE(Skus(q).empty());
}

TEST_F(ProductSearchTest, LikeWildcardsInKeywordsMatchLiterally) {
  ProductQuery q;
  q.keywords = {"%"};
  EXPECT_EQ(Skus(q), (SkuList{"CB-0001"}));
  q.keywords = {"a_b"};
  EXPECT_EQ(Skus(q), (SkuList{"CB-0002"}));
  q.keywords = {"_"};
  EXPECT_EQ(Skus(q), (SkuList{"CB-0002"}));
}

TEST_F(ProductSearchTest, InStockOnlyDropsSoldOutProducts) {
  ProductQuery q;
  q.category = "earphones";
  q.in_stock_only = true;
  EXPECT_EQ(Skus(q), (SkuList{"EP-0002"}));  // EP-0001 has stock 0
}

TEST_F(ProductSearchTest, LimitIsCappedAtFifty) {
  ShopData shop = kefu::testing::SmallShop();
  for (int i = 0; i < 60; ++i) {
    shop.products.push_back(
        {100 + i, "X-" + std::to_string(100 + i), "misc", "", "杂货", "Misc", 100 + i, "{}", 1});
  }
  ASSERT_OK(store_->ReplaceShopData(shop));
  ProductQuery q;
  q.limit = 1000;
  EXPECT_EQ(Skus(q).size(), 50u);
  q.limit = 0;
  EXPECT_TRUE(Skus(q).empty());
  q.limit = -1;
  EXPECT_TRUE(Skus(q).empty());
}

TEST_F(ProductSearchTest, TooManyKeywordsIsInvalid) {
  ProductQuery q;
  q.keywords = std::vector<std::string>(9, "a");
  EXPECT_EQ(store_->SearchProducts(q).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, ProductsAreFoundBySku) {
  Result<Product> p = store_->GetProductBySku("EP-0001");
  ASSERT_OK_RESULT(p);
  EXPECT_EQ(p->id, 2);
  EXPECT_EQ(p->name_en, "Shengyue ANC Earbuds");
  EXPECT_EQ(p->price_cents, 49900);
  EXPECT_EQ(store_->GetProductBySku("NOPE").status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, CustomerOrdersComeNewestFirst) {
  Result<std::vector<Order>> orders = store_->ListOrdersByCustomer(1, 10);
  ASSERT_OK_RESULT(orders);
  ASSERT_EQ(orders->size(), 2u);
  EXPECT_EQ((*orders)[0].order_number, kShippedOrder);
  EXPECT_EQ((*orders)[0].total_cents, 299900);
  EXPECT_EQ((*orders)[1].order_number, kRefundedOrder);
  EXPECT_EQ(store_->ListOrdersByCustomer(1, 1)->size(), 1u);
  EXPECT_TRUE(store_->ListOrdersByCustomer(42, 10)->empty());
}

// --- Human handoff ---

class HandoffTest : public SqliteStoreTest {
 protected:
  void SetUp() override {
    SqliteStoreTest::SetUp();
    ASSERT_OK(store_->CreateConversation(NewConv("c1")));
  }

  static HandoffTicket Ticket(const std::string& id, int priority, int64_t at) {
    HandoffTicket t;
    t.conversation_id = id;
    t.priority = priority;
    t.reason = "requested";
    t.summary_json = R"({"summary":"想退货"})";
    t.lang = "zh";
    t.queued_at = at;
    return t;
  }

  std::string ConvStatus(const std::string& id) { return store_->GetConversation(id)->status; }
};

TEST_F(HandoffTest, EnqueueQueuesTheConversation) {
  ASSERT_OK(store_->EnqueueHandoff(Ticket("c1", 0, 10)));
  EXPECT_EQ(ConvStatus("c1"), "queued");
  Result<HandoffTicket> t = store_->GetHandoff("c1");
  ASSERT_OK_RESULT(t);
  EXPECT_EQ(t->status, "queued");
  EXPECT_EQ(t->reason, "requested");
  EXPECT_EQ(t->summary_json, R"({"summary":"想退货"})");
  EXPECT_EQ(t->lang, "zh");
  EXPECT_EQ(t->queued_at, 10);
  EXPECT_EQ(t->agent, "");
  EXPECT_FALSE(t->claimed_at);
  EXPECT_EQ(store_->GetConversation("c1")->version, 0);
  EXPECT_EQ(store_->EnqueueHandoff(Ticket("nope", 0, 10)).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetHandoff("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(HandoffTest, EnqueueTwiceRaisesPriorityAndKeepsTheRest) {
  ASSERT_OK(store_->EnqueueHandoff(Ticket("c1", 0, 10)));
  HandoffTicket again = Ticket("c1", 0, 20);
  again.reason = "sentiment";
  ASSERT_OK(store_->EnqueueHandoff(again));
  Result<HandoffTicket> t = store_->GetHandoff("c1");
  EXPECT_EQ(t->priority, 1);
  EXPECT_EQ(t->reason, "requested");
  EXPECT_EQ(t->queued_at, 10);
  ASSERT_OK(store_->EnqueueHandoff(Ticket("c1", 5, 30)));  // an angrier ticket lifts it higher
  EXPECT_EQ(store_->GetHandoff("c1")->priority, 5);
  EXPECT_EQ(store_->ListHandoffQueue()->size(), 1u);
}

TEST_F(HandoffTest, ClaimedTicketCannotBeClaimedByAnotherAgent) {
  ASSERT_OK(store_->EnqueueHandoff(Ticket("c1", 0, 10)));
  ASSERT_OK(store_->ClaimHandoff("c1", "agent-a", 20));
  EXPECT_EQ(ConvStatus("c1"), "agent");
  Result<HandoffTicket> t = store_->GetHandoff("c1");
  EXPECT_EQ(t->status, "assigned");
  EXPECT_EQ(t->agent, "agent-a");
  EXPECT_EQ(t->claimed_at, 20);
  EXPECT_EQ(store_->ClaimHandoff("c1", "agent-b", 21).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetHandoff("c1")->agent, "agent-a");
  // A new request while assigned raises the priority; the agent keeps it.
  ASSERT_OK(store_->EnqueueHandoff(Ticket("c1", 0, 22)));
  EXPECT_EQ(store_->GetHandoff("c1")->status, "assigned");
  EXPECT_EQ(store_->GetHandoff("c1")->priority, 1);
  EXPECT_EQ(ConvStatus("c1"), "agent");
}

TEST_F(HandoffTest, ReleaseRequeuesOnlyForTheHolder) {
  ASSERT_OK(store_->EnqueueHandoff(Ticket("c1", 0, 10)));
  EXPECT_EQ(store_->ReleaseHandoff("c1", "agent-a", 15).code(), StatusCode::kFailedPrecondition);
  ASSERT_OK(store_->ClaimHandoff("c1", "agent-a", 20));
  EXPECT_EQ(store_->ReleaseHandoff("c1", "agent-b", 25).code(), StatusCode::kFailedPrecondition);
  ASSERT_OK(store_->ReleaseHandoff("c1", "agent-a", 30));
  EXPECT_EQ(ConvStatus("c1"), "queued");
  Result<HandoffTicket> t = store_->GetHandoff("c1");
  EXPECT_EQ(t->status, "queued");
  EXPECT_EQ(t->agent, "");
  EXPECT_FALSE(t->claimed_at);
  EXPECT_EQ(t->queued_at, 10);  // keeps its place
  ASSERT_OK(store_->ClaimHandoff("c1", "agent-b", 40));
  EXPECT_EQ(store_->GetHandoff("c1")->agent, "agent-b");
}

TEST_F(HandoffTest, CloseByANonHolderFails) {
  ASSERT_OK(store_->EnqueueHandoff(Ticket("c1", 0, 10)));
  ASSERT_OK(store_->ClaimHandoff("c1", "agent-a", 20));
  EXPECT_EQ(store_->CloseHandoff("c1", "agent-b", 30).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ConvStatus("c1"), "agent");
  EXPECT_EQ(store_->GetHandoff("c1")->status, "assigned");
}

TEST_F(HandoffTest, CloseHandsTheConversationBackToTheBot) {
  ASSERT_OK(store_->EnqueueHandoff(Ticket("c1", 0, 10)));
  ASSERT_OK(store_->ClaimHandoff("c1", "agent-a", 20));
  ASSERT_OK(store_->CloseHandoff("c1", "agent-a", 30));
  EXPECT_EQ(ConvStatus("c1"), "open");
  EXPECT_EQ(store_->GetHandoff("c1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListHandoffQueue()->empty());
  // History is kept, so the conversation can be queued again.
  ASSERT_OK(store_->EnqueueHandoff(Ticket("c1", 0, 40)));
  EXPECT_EQ(store_->GetHandoff("c1")->priority, 0);
  EXPECT_EQ(store_->GetHandoff("c1")->queued_at, 40);
  // Any agent may close a queued ticket.
  ASSERT_OK(store_->CloseHandoff("c1", "agent-b", 50));
  EXPECT_EQ(ConvStatus("c1"), "open");
}

TEST_F(HandoffTest, NoOpenTicketIsNotFound) {
  EXPECT_EQ(store_->ClaimHandoff("c1", "a", 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ReleaseHandoff("c1", "a", 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CloseHandoff("c1", "a", 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ClaimHandoff("nope", "a", 1).code(), StatusCode::kNotFound);
}

TEST_F(HandoffTest, QueueListsHighestPriorityThenOldest) {
  ASSERT_OK(store_->CreateConversation(NewConv("c2")));
  ASSERT_OK(store_->CreateConversation(NewConv("c3")));
  ASSERT_OK(store_->CreateConversation(NewConv("c4")));
  ASSERT_OK(store_->EnqueueHandoff(Ticket("c1", 0, 10)));
  ASSERT_OK(store_->EnqueueHandoff(Ticket("c2", 2, 20)));
  ASSERT_OK(store_->EnqueueHandoff(Ticket("c3", 0, 5)));
  ASSERT_OK(store_->EnqueueHandoff(Ticket("c4", 0, 1)));
  ASSERT_OK(store_->ClaimHandoff("c3", "agent-a", 30));  // assigned tickets are open too
  ASSERT_OK(store_->CloseHandoff("c4", "agent-a", 31));
  Result<std::vector<HandoffTicket>> queue = store_->ListHandoffQueue();
  ASSERT_OK_RESULT(queue);
  ASSERT_EQ(queue->size(), 3u);
  EXPECT_EQ((*queue)[0].conversation_id, "c2");
  EXPECT_EQ((*queue)[1].conversation_id, "c3");
  EXPECT_EQ((*queue)[1].status, "assigned");
  EXPECT_EQ((*queue)[2].conversation_id, "c1");
}

TEST_F(HandoffTest, AtEqualPriorityTheUnhappiestShopperComesFirstAndLaterTurnsMoveTheMood) {
  ASSERT_OK(store_->CreateConversation(NewConv("c2")));
  ASSERT_OK(store_->CreateConversation(NewConv("c3")));
  HandoffTicket calm = Ticket("c1", 2, 10);
  calm.mood = -0.2;
  HandoffTicket furious = Ticket("c2", 2, 20);  // queued later, but angrier
  furious.mood = -0.9;
  HandoffTicket asked = Ticket("c3", 0, 1);
  asked.mood = -1.0;  // lower priority wins over mood
  ASSERT_OK(store_->EnqueueHandoff(calm));
  ASSERT_OK(store_->EnqueueHandoff(furious));
  ASSERT_OK(store_->EnqueueHandoff(asked));
  Result<std::vector<HandoffTicket>> queue = store_->ListHandoffQueue();
  ASSERT_OK_RESULT(queue);
  ASSERT_EQ(queue->size(), 3u);
  EXPECT_EQ((*queue)[0].conversation_id, "c2");
  EXPECT_DOUBLE_EQ((*queue)[0].mood, -0.9);
  EXPECT_EQ((*queue)[1].conversation_id, "c1");
  EXPECT_EQ((*queue)[2].conversation_id, "c3");
  // The calm shopper's next turn, while queued, sours the mood: the ticket moves up.
  TurnRecord r;
  r.conversation_id = "c1";
  r.user = {0, "c1", "user", "还要等多久？！", 30, "chitchat", "", "{}"};
  r.assistant = {0, "c1", "assistant", "已为您排队", 31, "chitchat", "", "{}"};
  r.state_json = "{}";
  r.updated_at = 31;
  r.mood = -0.95;
  ASSERT_OK(store_->SaveTurn(r));
  EXPECT_DOUBLE_EQ(store_->GetHandoff("c1")->mood, -0.95);
  EXPECT_EQ((*store_->ListHandoffQueue())[0].conversation_id, "c1");
}

TEST_F(HandoffTest, SaveTurnQueuesItsTicketInTheSameTransaction) {
  TurnRecord r;
  r.conversation_id = "c1";
  r.user = {0, "c1", "user", "转人工", 10, "handoff", "", "{}"};
  r.assistant = {0, "c1", "assistant", "正在为您转接", 11, "handoff", "", "{}"};
  r.state_json = "{}";
  r.updated_at = 11;
  r.handoff = Ticket("", 3, 11);  // the turn's conversation is used
  ASSERT_OK(store_->SaveTurn(r));
  EXPECT_EQ(ConvStatus("c1"), "queued");
  Result<HandoffTicket> t = store_->GetHandoff("c1");
  ASSERT_OK_RESULT(t);
  EXPECT_EQ(t->conversation_id, "c1");
  EXPECT_EQ(t->priority, 3);
  EXPECT_EQ(t->queued_at, 11);
  // A turn that loses the version race queues nothing.
  ASSERT_OK(store_->CreateConversation(NewConv("c2")));
  TurnRecord stale = r;
  stale.conversation_id = "c2";
  stale.user.conversation_id = stale.assistant.conversation_id = "c2";
  stale.expected_version = 7;
  EXPECT_EQ(store_->SaveTurn(stale).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetHandoff("c2").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ConvStatus("c2"), "open");
  // In a batch, too.
  stale.expected_version = 0;
  std::vector<Status> saved = store_->SaveTurns(std::vector<TurnRecord>{stale});
  ASSERT_OK(saved[0]);
  EXPECT_EQ(store_->GetHandoff("c2")->priority, 3);
}

TEST_F(SqliteStoreTest, AppendMessageBumpsUpdatedAtButNotVersion) {
  ASSERT_OK(store_->CreateConversation(NewConv("c1")));
  Result<int64_t> id =
      store_->AppendMessage({0, "c1", "agent", "您好，我是客服小王", 50, "", "", "{}"});
  ASSERT_OK_RESULT(id);
  EXPECT_GT(*id, 0);
  Result<Conversation> c = store_->GetConversation("c1");
  EXPECT_EQ(c->version, 0);
  EXPECT_EQ(c->updated_at, 50);
  Result<std::vector<Message>> msgs = store_->ListMessages("c1", 0, 10);
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ((*msgs)[0].id, *id);
  EXPECT_EQ((*msgs)[0].role, "agent");
  EXPECT_EQ(store_->AppendMessage({0, "nope", "agent", "x", 50, "", "", "{}"}).status().code(),
            StatusCode::kNotFound);
}

TEST(SqliteStoreOpenTest, UnopenablePathIsUnavailable) {
  Result<std::unique_ptr<Store>> s = NewSqliteStore({.path = "/nonexistent-dir/x/kefu.db"});
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(NewSqliteStore({.path = ":memory:"}).status().code(), StatusCode::kInvalidArgument);
}

// Two local days (UTC+8) of activity: conversations by the day they started, turns, handoffs,
// mood, intents, unanswered questions and per-turn latency.
TEST_F(SqliteStoreTest, AnalyticsCountsDaysIntentsUnansweredAndLatency) {
  constexpr int64_t kDay = 86'400'000;
  constexpr int64_t kTz = 8 * 3'600'000;
  const int64_t day0 = 20'000 * kDay - kTz;  // local midnight of day 20000
  auto conv = [&](const std::string& id, int64_t at) {
    Conversation c = NewConv(id);
    c.created_at = at;
    c.updated_at = at;
    ASSERT_OK(store_->CreateConversation(c));
  };
  auto turn = [&](const std::string& id, int64_t version, int64_t at, const std::string& text,
                  const std::string& intent, double score, const std::string& trace) {
    TurnRecord r;
    r.conversation_id = id;
    r.expected_version = version;
    r.user = {0, id, "user", text, at, intent, "{\"score\":" + std::to_string(score) + "}", "{}"};
    r.assistant = {0, id, "assistant", "reply", at + 1, intent, "", trace};
    r.state_json = "{}";
    ASSERT_OK(store_->SaveTurn(r));
  };
  // Long traces are stored packed (packed_json.h) and short ones as text: analytics reads both.
  const std::string note = ",\"note\":\"" + std::string(sqlite::kPackMinBytes, 'n') + "\"}";
  const std::string fast =
      R"({"action":"flow:order_status/done","stages":[{"us":300},{"us":200}])" + note;
  const std::string fell = R"({"action":"fallback","stages":[{"us":4000}]})";
  const std::string fell_long = R"({"action":"fallback","stages":[{"us":4000}])" + note;
  conv("a", day0 + 1'000);
  turn("a", 0, day0 + 2'000, "我的订单到哪了", "order_status", -0.5, fast);
  turn("a", 1, day0 + 3'000, "火星快递", "out_of_scope", 0.0, fell);
  conv("b", day0 + 5'000);
  turn("b", 0, day0 + 6'000, "转人工", "human_agent", -1.0, fast);
  HandoffTicket t;
  t.conversation_id = "b";
  t.queued_at = day0 + 6'001;
  ASSERT_OK(store_->EnqueueHandoff(t));
  conv("c", day0 + kDay + 10);  // the next day
  turn("c", 0, day0 + kDay + 20, "火星快递 ", "out_of_scope", 0.5, fell_long);
  EXPECT_EQ(RawSql(dir_.File("kefu.db"),
                   "SELECT typeof(trace), COUNT(*) FROM messages"
                   " WHERE role = 'assistant' GROUP BY 1 ORDER BY 1"),
            (std::vector<std::string>{"blob|3", "text|1"}));
  conv("quiet", day0 + 100);      // no shopper message: not counted
  conv("late", day0 + 2 * kDay);  // after the range

  AnalyticsQuery q;
  q.from = day0;
  q.until = day0 + 2 * kDay;
  q.tz_offset_minutes = 480;
  Result<Analytics> a = store_->GetAnalytics(q);
  ASSERT_OK_RESULT(a);
  ASSERT_EQ(a->days.size(), 2u);
  EXPECT_EQ(a->days[0].day, 20'000);
  EXPECT_EQ(a->days[0].conversations, 2);
  EXPECT_EQ(a->days[0].automated, 1);
  EXPECT_EQ(a->days[0].turns, 3);
  EXPECT_EQ(a->days[0].handoffs, 1);
  ASSERT_TRUE(a->days[0].mood.has_value());
  EXPECT_NEAR(*a->days[0].mood, -0.5, 1e-9);
  EXPECT_EQ(a->days[1].day, 20'001);
  EXPECT_EQ(a->days[1].conversations, 1);
  EXPECT_EQ(a->days[1].automated, 1);
  ASSERT_EQ(a->intents.size(), 3u);
  EXPECT_EQ(a->intents[0], (std::pair<std::string, int64_t>{"out_of_scope", 2}));
  // The same question asked twice (once with a trailing space) is one row.
  ASSERT_EQ(a->unanswered.size(), 1u);
  EXPECT_EQ(a->unanswered[0].count, 2);
  EXPECT_EQ(a->unanswered[0].last_at, day0 + kDay + 21);
  std::vector<int64_t> us = a->turn_micros;
  std::sort(us.begin(), us.end());
  EXPECT_EQ(us, (std::vector<int64_t>{500, 500, 4000, 4000}));
  q.until = q.from;
  EXPECT_EQ(store_->GetAnalytics(q).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kefu::store
