#include <thread>

#include <gtest/gtest.h>

#include "fakes/shop_fixture.h"
#include "store/store.h"
#include "test_util.h"

namespace kefu::store {
namespace {

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
  EXPECT_EQ(store_->SaveTurn(r).code(), StatusCode::kNotFound);
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
    TurnRecord r;
    r.conversation_id = id;
    r.expected_version = version;
    r.user = {0, id, "user", "u", 1, "", "", "{}"};
    r.assistant = {0, id, "assistant", "a", 2, "", "", "{}"};
    r.state_json = "{}";
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

TEST(SqliteStoreOpenTest, UnopenablePathIsUnavailable) {
  Result<std::unique_ptr<Store>> s = NewSqliteStore({.path = "/nonexistent-dir/x/kefu.db"});
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(NewSqliteStore({.path = ":memory:"}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kefu::store
