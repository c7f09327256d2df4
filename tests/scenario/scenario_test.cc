#include "scenario/scenario.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/time_util.h"
#include "test_util.h"

namespace kefu::scenario {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

int64_t Ms(const char* iso) {
  return ParseIso8601(iso).value();
}

const char* kMinimal = R"(
name: minimal
now: "2026-11-25T12:00:00+08:00"
turns:
  - user: 你好
)";

// A scenario with one order whose every optional field is left to its default.
const char* kDefaults = R"(
name: defaults
now: "2026-11-25T12:00:00+08:00"
fixtures:
  customers:
    - {id: C1, name: 张三, phone: "13800000001"}
    - {id: C2, name: 李四, phone: "13800000002", address: 北京市朝阳区 8 号}
  products:
    - {sku: A, name_zh: 甲, price: 19.99}
    - {sku: B, name_zh: 乙, name_en: Bee, price: "5", stock: 3, brand: 牌, category: c,
       attributes: {colour: 红, size: 42}}
  orders:
    - id: "1001"
      customer: C1
      status: delivered
      placed_at: "2026-11-20T10:00:00+08:00"
      items: [{sku: A, qty: 2}, {sku: B, price: 4.5}]
      shipping_fee: 10
      discount: "3.5"
      shipment:
        carrier: 顺丰速运
        tracking_no: SF1
        events:
          - {at: "2026-11-22T15:00:00+08:00", status: 已签收, location: 上海}
          - {at: "2026-11-21T09:00:00+08:00", status: in_transit, location: 杭州,
             description: 运输中}
    - id: "1002"
      customer: C2
      status: pending_payment
      placed_at: "2026-11-24T10:00:00+08:00"
      items: [{sku: B}]
turns:
  - user: 你好
)";

std::vector<Scenario> MustParse(const std::string& yaml) {
  Result<std::vector<Scenario>> r = ParseScenarios(yaml, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<Scenario>{};
}

std::string ParseError(const std::string& yaml) {
  Result<std::vector<Scenario>> r = ParseScenarios(yaml, "t.yaml");
  EXPECT_FALSE(r.ok());
  if (r.ok()) {
    return "";
  }
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

// kDefaults with `from` replaced by `to` (the first occurrence).
std::string Edit(std::string yaml, const std::string& from, const std::string& to) {
  const size_t pos = yaml.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) {
    yaml.replace(pos, from.size(), to);
  }
  return yaml;
}

TEST(ParseScenarioTest, ReadsTheIssueExample) {
  Result<std::vector<Scenario>> r = ParseScenarioFile(
      KEFU_SOURCE_DIR "/tests/dialogs/return_refund/zh_return_within_7_days.yaml");
  ASSERT_OK_RESULT(r);
  ASSERT_THAT(*r, SizeIs(1));
  const Scenario& s = (*r)[0];
  EXPECT_EQ(s.name, "return shoes within 7 days (zh)");
  EXPECT_THAT(s.file, HasSubstr("zh_return_within_7_days.yaml"));
  EXPECT_EQ(s.now_ms, Ms("2026-11-25T12:00:00+08:00"));
  EXPECT_FALSE(s.customer_token_for.has_value());
  ASSERT_THAT(s.fixtures.customers, SizeIs(1));
  EXPECT_EQ(s.fixtures.customers[0].id, 1);
  EXPECT_EQ(s.fixtures.customers[0].name, "王小明");
  ASSERT_THAT(s.fixtures.products, SizeIs(1));
  EXPECT_EQ(s.fixtures.products[0].price_cents, 39900);
  ASSERT_THAT(s.fixtures.orders, SizeIs(1));
  const store::OrderDetails& o = s.fixtures.orders[0];
  EXPECT_EQ(o.order.order_number, "2026112012345678");
  EXPECT_EQ(o.order.status, "delivered");
  EXPECT_EQ(o.order.phone, "13800138000");
  EXPECT_EQ(o.order.delivered_at, Ms("2026-11-22T15:00:00+08:00"));
  EXPECT_EQ(o.order.total_cents, 39900);
  ASSERT_TRUE(o.shipment.has_value());
  EXPECT_EQ(o.shipment->tracking_number, "SF1234567890");
  ASSERT_THAT(o.shipment->events, SizeIs(1));
  EXPECT_EQ(o.shipment->events[0].status, "delivered");
  EXPECT_EQ(o.shipment->events[0].description_zh, "已签收");
  EXPECT_EQ(o.shipment->events[0].location_zh, "上海");
  ASSERT_THAT(s.turns, SizeIs(4));
  EXPECT_EQ(s.turns[0].user, "我想退货，订单号2026112012345678");
  EXPECT_EQ(s.turns[0].expect.intent, "return_refund");
  EXPECT_THAT(s.turns[0].expect.reply_contains_any, ElementsAre("后四位", "手机"));
  EXPECT_EQ(s.turns[1].user, "8000");
  EXPECT_THAT(s.turns[3].expect.reply_contains_any, ElementsAre("退货单", "RMA"));
  EXPECT_EQ(s.turns[3].expect.state.return_created, true);
  EXPECT_FALSE(s.turns[3].expect.state.verified.has_value());
}

TEST(ParseScenarioTest, FixtureIdsAreNumberedInFileOrder) {
  const Scenario s = MustParse(kDefaults).at(0);
  ASSERT_THAT(s.fixtures.customers, SizeIs(2));
  EXPECT_EQ(s.fixtures.customers[0].id, 1);
  EXPECT_EQ(s.fixtures.customers[1].id, 2);
  EXPECT_EQ(s.fixtures.products[0].id, 1);
  EXPECT_EQ(s.fixtures.products[1].id, 2);
  EXPECT_EQ(s.fixtures.orders[0].order.customer_id, 1);
  EXPECT_EQ(s.fixtures.orders[1].order.customer_id, 2);
  EXPECT_EQ(s.fixtures.orders[0].items[1].product_id, 2);
}

TEST(ParseScenarioTest, PricesInYuanBecomeRoundedCents) {
  const Scenario s = MustParse(kDefaults).at(0);
  EXPECT_EQ(s.fixtures.products[0].price_cents, 1999);  // 19.99 * 100 is 1998.999...
  EXPECT_EQ(s.fixtures.products[1].price_cents, 500);   // a string
  const store::OrderDetails& o = s.fixtures.orders[0];
  EXPECT_EQ(o.items[0].unit_price_cents, 1999);  // the product's price by default
  EXPECT_EQ(o.items[0].quantity, 2);
  EXPECT_EQ(o.items[1].unit_price_cents, 450);
  EXPECT_EQ(o.items[1].quantity, 1);
  EXPECT_EQ(o.order.shipping_fee_cents, 1000);
  EXPECT_EQ(o.order.discount_cents, 350);
  EXPECT_EQ(o.order.total_cents, 2 * 1999 + 450 + 1000 - 350);
}

TEST(ParseScenarioTest, ProductDefaults) {
  const Scenario s = MustParse(kDefaults).at(0);
  const store::Product& a = s.fixtures.products[0];
  EXPECT_EQ(a.name_en, "甲");
  EXPECT_EQ(a.stock, 100);
  EXPECT_EQ(a.attributes_json, "{}");
  const store::Product& b = s.fixtures.products[1];
  EXPECT_EQ(b.name_en, "Bee");
  EXPECT_EQ(b.stock, 3);
  EXPECT_EQ(b.brand, "牌");
  EXPECT_EQ(b.category, "c");
  EXPECT_EQ(nlohmann::json::parse(b.attributes_json),
            nlohmann::json({{"colour", "红"}, {"size", "42"}}));
}

TEST(ParseScenarioTest, OrderDefaultsComeFromTheCustomer) {
  const Scenario s = MustParse(kDefaults).at(0);
  const store::Order& o1 = s.fixtures.orders[0].order;
  EXPECT_EQ(o1.phone, "13800000001");
  EXPECT_EQ(o1.receiver_name, "张三");
  EXPECT_EQ(o1.shipping_address, "上海市浦东新区测试路 1 号");
  EXPECT_EQ(o1.payment_method, "alipay");
  const store::Order& o2 = s.fixtures.orders[1].order;
  EXPECT_EQ(o2.shipping_address, "北京市朝阳区 8 号");
  EXPECT_EQ(o2.receiver_name, "李四");
}

TEST(ParseScenarioTest, PaidAtDefaultsOnlyWhenTheStatusImpliesPayment) {
  const Scenario s = MustParse(kDefaults).at(0);
  EXPECT_EQ(s.fixtures.orders[0].order.paid_at, Ms("2026-11-20T10:05:00+08:00"));
  EXPECT_FALSE(s.fixtures.orders[1].order.paid_at.has_value());
}

TEST(ParseScenarioTest, ShipmentDefaultsAndEventOrder) {
  const Scenario s = MustParse(kDefaults).at(0);
  const store::OrderDetails& o = s.fixtures.orders[0];
  ASSERT_TRUE(o.shipment.has_value());
  EXPECT_EQ(o.shipment->shipped_at, Ms("2026-11-21T10:00:00+08:00"));  // placed_at + 1 day
  EXPECT_EQ(o.order.shipped_at, o.shipment->shipped_at);
  ASSERT_THAT(o.shipment->events, SizeIs(2));
  EXPECT_EQ(o.shipment->events[0].status, "in_transit");  // sorted oldest first
  EXPECT_EQ(o.shipment->events[0].description_zh, "运输中");
  EXPECT_EQ(o.shipment->events[1].status, "delivered");
  EXPECT_EQ(o.shipment->events[1].description_en, "已签收");
  EXPECT_EQ(o.shipment->events[1].location_en, "上海");
  EXPECT_EQ(o.shipment->status, "delivered");
  EXPECT_FALSE(s.fixtures.orders[1].shipment.has_value());
}

TEST(ParseScenarioTest, ReturnAndRefund) {
  const std::string yaml = Edit(kDefaults, "      shipping_fee: 10\n",
                                "      shipping_fee: 10\n"
                                "      return: {type: quality, status: requested, reason: 坏了,\n"
                                "               requested_at: \"2026-11-23T10:00:00+08:00\"}\n"
                                "      refund: {status: pending,\n"
                                "               requested_at: \"2026-11-23T10:00:00+08:00\"}\n");
  const store::OrderDetails o = MustParse(yaml).at(0).fixtures.orders[0];
  ASSERT_TRUE(o.return_request.has_value());
  EXPECT_EQ(o.return_request->type, "quality");
  EXPECT_EQ(o.return_request->reason_zh, "坏了");
  EXPECT_EQ(o.return_request->requested_at, Ms("2026-11-23T10:00:00+08:00"));
  ASSERT_TRUE(o.refund.has_value());
  EXPECT_EQ(o.refund->amount_cents, o.order.total_cents);
  EXPECT_EQ(o.refund->method, "alipay");
  EXPECT_EQ(o.refund->status, "pending");
}

TEST(ParseScenarioTest, RejectsUnknownKeysAtEveryLevel) {
  struct Case {
    const char* from;
    const char* to;
    const char* key;
  };
  const std::vector<Case> cases = {
      {"name: defaults\n", "name: defaults\ncolour: red\n", "colour"},
      {"fixtures:\n", "fixtures:\n  shops: []\n", "shops"},
      {"{id: C1,", "{id: C1, age: 3,", "age"},
      {"{sku: A,", "{sku: A, weight: 3,", "weight"},
      {"      customer: C1\n", "      customer: C1\n      coupon: X\n", "coupon"},
      {"{sku: A, qty: 2}", "{sku: A, qty: 2, colour: red}", "colour"},
      {"        carrier: 顺丰速运\n", "        carrier: 顺丰速运\n        eta: soon\n", "eta"},
      {"location: 上海}", "location: 上海, courier: 王}", "courier"},
      {"      shipping_fee: 10\n",
       "      shipping_fee: 10\n      return: {status: requested, why: x,\n"
       "               requested_at: \"2026-11-23T10:00:00+08:00\"}\n",
       "why"},
      {"      shipping_fee: 10\n",
       "      shipping_fee: 10\n      refund: {status: pending, bank: x,\n"
       "               requested_at: \"2026-11-23T10:00:00+08:00\"}\n",
       "bank"},
      {"  - user: 你好\n", "  - user: 你好\n    wait: 5\n", "wait"},
      {"  - user: 你好\n", "  - user: 你好\n    expect: {intnet: greet}\n", "intnet"},
      {"  - user: 你好\n", "  - user: 你好\n    expect: {state: {verifed: true}}\n", "verifed"},
  };
  for (const Case& c : cases) {
    const std::string message = ParseError(Edit(kDefaults, c.from, c.to));
    EXPECT_THAT(message, HasSubstr("t.yaml")) << c.key;
    EXPECT_THAT(message, HasSubstr("scenario 'defaults'")) << c.key;
    EXPECT_THAT(message, HasSubstr("unknown key '" + std::string(c.key) + "'"));
  }
}

TEST(ParseScenarioTest, ErrorsNameWhereTheyAre) {
  EXPECT_THAT(ParseError(Edit(kDefaults, "status: delivered", "status: lost")),
              HasSubstr("fixtures.orders[0].status: unknown order status 'lost'"));
  EXPECT_THAT(ParseError(Edit(kDefaults, "customer: C1", "customer: C7")),
              HasSubstr("fixtures.orders[0].customer: no fixture customer 'C7'"));
  EXPECT_THAT(ParseError(Edit(kDefaults, "{sku: A, qty: 2}", "{sku: Z}")),
              HasSubstr("fixtures.orders[0].items[0].sku: no fixture product 'Z'"));
  EXPECT_THAT(ParseError(Edit(kDefaults, "price: 19.99", "price: cheap")),
              HasSubstr("fixtures.products[0].price: want an amount in yuan"));
  EXPECT_THAT(ParseError(Edit(kMinimal, "\"2026-11-25T12:00:00+08:00\"", "2026-11-25T12:00:00")),
              HasSubstr("now: want an ISO 8601 time with an offset"));
  EXPECT_THAT(ParseError(Edit(kMinimal, "now: \"2026-11-25T12:00:00+08:00\"\n", "")),
              HasSubstr("missing 'now'"));
  EXPECT_THAT(ParseError(Edit(kMinimal, "  - user: 你好\n", "")), HasSubstr("missing 'turns'"));
  EXPECT_THAT(ParseError("name: [unclosed\n"), HasSubstr("bad YAML"));
  EXPECT_THAT(ParseError(std::string(kMinimal) + "---\n" + kMinimal),
              HasSubstr("scenario 'minimal': the name is used twice"));
}

TEST(ParseScenarioTest, ReadsSequencesAndMultiDocumentStreams) {
  const std::string one = Edit(kMinimal, "name: minimal", "name: one");
  const std::string two = Edit(kMinimal, "name: minimal", "name: two");
  std::vector<Scenario> docs = MustParse(one + "---\n" + two);
  ASSERT_THAT(docs, SizeIs(2));
  EXPECT_EQ(docs[1].name, "two");
  std::vector<Scenario> seq = MustParse(R"(
- name: a
  now: "2026-11-25T12:00:00+08:00"
  turns: [{user: 你好}]
- name: b
  now: "2026-11-25T12:00:00Z"
  turns: [{user: hi, expect: {intent: greet}}]
)");
  ASSERT_THAT(seq, SizeIs(2));
  EXPECT_EQ(seq[0].name, "a");
  EXPECT_EQ(seq[1].now_ms - seq[0].now_ms, 8 * 3600 * 1000);
  EXPECT_EQ(seq[1].turns[0].expect.intent, "greet");
}

TEST(ParseScenarioTest, AScalarIsAOneItemList) {
  const std::string yaml = Edit(kMinimal, "  - user: 你好\n",
                                "  - user: 你好\n"
                                "    expect: {reply_contains: 您好, reply_contains_any: hi,\n"
                                "             reply_not_contains: [a, b]}\n");
  const TurnExpect e = MustParse(yaml).at(0).turns[0].expect;
  EXPECT_THAT(e.reply_contains, ElementsAre("您好"));
  EXPECT_THAT(e.reply_contains_any, ElementsAre("hi"));
  EXPECT_THAT(e.reply_not_contains, ElementsAre("a", "b"));
}

TEST(ParseScenarioTest, ReadsEveryExpectation) {
  const std::string yaml = Edit(kMinimal, "  - user: 你好\n", R"(  - user: 你好
    expect:
      intent: greet
      handoff: false
      sentiment: negative
      action: flow:return_refund
      silent: false
      queued: true
      state:
        verified: true
        active_flow: null
        slots: {reason: 尺码不合适, order_id: "2026"}
        return_created: false
        order_status: return_requested
        facts: {rma: RMA1}
)");
  const TurnExpect e = MustParse(yaml).at(0).turns[0].expect;
  EXPECT_EQ(e.intent, "greet");
  EXPECT_EQ(e.handoff, false);
  EXPECT_EQ(e.sentiment, "negative");
  EXPECT_EQ(e.action, "flow:return_refund");
  EXPECT_EQ(e.silent, false);
  EXPECT_EQ(e.queued, true);
  EXPECT_EQ(e.state.verified, true);
  EXPECT_EQ(e.state.active_flow, "");
  EXPECT_EQ(e.state.slots.at("reason"), "尺码不合适");
  EXPECT_EQ(e.state.slots.at("order_id"), "2026");
  EXPECT_EQ(e.state.return_created, false);
  EXPECT_EQ(e.state.order_status, "return_requested");
  EXPECT_EQ(e.state.facts.at("rma"), "RMA1");
}

TEST(ParseScenarioTest, CustomerTokenNamesAFixtureCustomer) {
  const Scenario s =
      MustParse(Edit(kDefaults, "name: defaults\n", "name: defaults\ncustomer_token_for: C2\n"))
          .at(0);
  EXPECT_EQ(s.customer_token_for, "C2");
  EXPECT_EQ(s.customer_token_id, 2);
  EXPECT_THAT(
      ParseError(Edit(kDefaults, "name: defaults\n", "name: defaults\ncustomer_token_for: C9\n")),
      HasSubstr("customer_token_for: no fixture customer 'C9'"));
  EXPECT_THAT(ParseError(Edit(kDefaults, "name: defaults\n", "name: defaults\nlang: fr\n")),
              HasSubstr("lang: want zh or en"));
}

TEST(ParseScenarioTest, FixturesLoadIntoAStore) {
  const Scenario s = MustParse(kDefaults).at(0);
  testing::TempDir dir;
  Result<std::unique_ptr<store::Store>> db = store::NewSqliteStore({.path = dir.File("k.db")});
  ASSERT_OK_RESULT(db);
  ASSERT_OK((*db)->ReplaceShopData(s.fixtures));
  Result<store::OrderDetails> o = (*db)->GetOrderDetails("1001");
  ASSERT_OK_RESULT(o);
  EXPECT_EQ(o->order.status, "delivered");
  EXPECT_EQ(o->order.total_cents, 2 * 1999 + 450 + 1000 - 350);
  ASSERT_THAT(o->items, SizeIs(2));
  EXPECT_EQ(o->items[1].name_en, "Bee");
  ASSERT_TRUE(o->shipment.has_value());
  EXPECT_THAT(o->shipment->events, SizeIs(2));
  Result<store::Customer> c = (*db)->GetCustomer(2);
  ASSERT_OK_RESULT(c);
  EXPECT_EQ(c->name, "李四");
}

TEST(ParseScenarioTest, MissingFileIsNotFound) {
  EXPECT_EQ(ParseScenarioFile("/nonexistent/x.yaml").status().code(), StatusCode::kNotFound);
}

// The state JSON as dialog::EncodeState writes it.
nlohmann::json State() {
  return nlohmann::json::parse(R"({
    "active_order": "1001",
    "verified_orders": ["1001"],
    "verified_customer": "",
    "stack": [{"flow": "order_status", "slots": {}},
              {"flow": "return_refund",
               "slots": {"reason": {"value": "尺码不合适", "source": "text", "confidence": 1}},
               "awaiting": "confirm"}],
    "last_task": {"flow": "greet", "slots": {"reason": {"value": "old"},
                                             "order_id": {"value": "1000"}}},
    "facts": {"return_created": "true", "rma": "RMA202611250001"}
  })");
}

TEST(ReadStateTest, MapsTheDialogueState) {
  const StateFacts f = ReadState(State());
  EXPECT_TRUE(f.verified);
  EXPECT_EQ(f.active_flow, "return_refund");
  EXPECT_EQ(f.slots.at("reason"), "尺码不合适");  // the active task wins
  EXPECT_EQ(f.slots.at("order_id"), "1000");      // from the last task
  EXPECT_TRUE(f.return_created);
  EXPECT_EQ(f.facts.at("rma"), "RMA202611250001");
}

TEST(ReadStateTest, VerifiedByCustomerOrNotAtAll) {
  nlohmann::json s = State();
  s["active_order"] = "2002";
  EXPECT_FALSE(ReadState(s).verified);
  s["verified_customer"] = "7";
  EXPECT_TRUE(ReadState(s).verified);
  const StateFacts empty = ReadState(nlohmann::json::object());
  EXPECT_FALSE(empty.verified);
  EXPECT_EQ(empty.active_flow, "");
  EXPECT_THAT(empty.slots, IsEmpty());
  EXPECT_FALSE(empty.return_created);
  EXPECT_FALSE(ReadState(nlohmann::json("not an object")).verified);
}

Observed Seen() {
  Observed o;
  o.reply = "已为您提交退货申请，退货单号 RMA202611250001。";
  o.intent = "return_refund";
  o.action = "flow:return_refund/done";
  o.handoff = false;
  o.sentiment = "neutral";
  o.state = State();
  o.order_status = "return_requested";
  return o;
}

TEST(CheckTurnTest, NoExpectationsPass) {
  EXPECT_THAT(CheckTurn({}, Seen()), IsEmpty());
}

TEST(CheckTurnTest, Intent) {
  TurnExpect e;
  e.intent = "return_refund";
  EXPECT_THAT(CheckTurn(e, Seen()), IsEmpty());
  e.intent = "order_status";
  EXPECT_THAT(CheckTurn(e, Seen()), ElementsAre("intent: want order_status, got return_refund"));
}

TEST(CheckTurnTest, ReplyContainsAll) {
  TurnExpect e;
  e.reply_contains = {"退货单", "rma"};  // ASCII in either case
  EXPECT_THAT(CheckTurn(e, Seen()), IsEmpty());
  e.reply_contains = {"退货单", "换货", "快递"};
  const std::vector<std::string> f = CheckTurn(e, Seen());
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_THAT(f[0], HasSubstr("reply_contains [退货单, 换货, 快递]: missing [换货, 快递]"));
  EXPECT_THAT(f[0], HasSubstr("reply was '已为您提交退货申请"));
}

TEST(CheckTurnTest, ReplyContainsAny) {
  TurnExpect e;
  e.reply_contains_any = {"原因", "RMA"};
  EXPECT_THAT(CheckTurn(e, Seen()), IsEmpty());
  e.reply_contains_any = {"原因", "reason"};
  EXPECT_THAT(CheckTurn(e, Seen()),
              ElementsAre("reply_contains_any [原因, reason]: reply was '" + Seen().reply + "'"));
}

TEST(CheckTurnTest, ReplyNotContains) {
  TurnExpect e;
  e.reply_not_contains = {"后四位"};
  EXPECT_THAT(CheckTurn(e, Seen()), IsEmpty());
  e.reply_not_contains = {"后四位", "退货"};
  const std::vector<std::string> f = CheckTurn(e, Seen());
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_THAT(f[0], HasSubstr("reply_not_contains [后四位, 退货]: found [退货]"));
}

TEST(CheckTurnTest, HandoffSilentQueued) {
  TurnExpect e;
  e.handoff = false;
  e.silent = false;
  e.queued = false;
  EXPECT_THAT(CheckTurn(e, Seen()), IsEmpty());
  Observed o = Seen();
  o.handoff = true;
  o.silent = true;
  o.queued = true;
  EXPECT_THAT(CheckTurn(e, o),
              ElementsAre("handoff: want false, got true", "silent: want false, got true",
                          "queued: want false, got true"));
}

TEST(CheckTurnTest, Sentiment) {
  TurnExpect e;
  e.sentiment = "neutral";
  EXPECT_THAT(CheckTurn(e, Seen()), IsEmpty());
  Observed o = Seen();
  o.sentiment = "";
  EXPECT_THAT(CheckTurn(e, o), ElementsAre("sentiment: want neutral, got unknown"));
}

TEST(CheckTurnTest, ActionIsAPrefix) {
  TurnExpect e;
  e.action = "flow:return_refund";
  EXPECT_THAT(CheckTurn(e, Seen()), IsEmpty());
  e.action = "flow:cancel";
  EXPECT_THAT(CheckTurn(e, Seen()),
              ElementsAre("action: want a prefix 'flow:cancel', got 'flow:return_refund/done'"));
}

TEST(CheckTurnTest, StateVerifiedAndActiveFlow) {
  TurnExpect e;
  e.state.verified = true;
  e.state.active_flow = "return_refund";
  EXPECT_THAT(CheckTurn(e, Seen()), IsEmpty());
  e.state.verified = false;
  e.state.active_flow = "";
  EXPECT_THAT(CheckTurn(e, Seen()), ElementsAre("state.verified: want false, got true",
                                                "state.active_flow: want none, got return_refund"));
}

TEST(CheckTurnTest, StateSlots) {
  TurnExpect e;
  e.state.slots = {{"reason", "尺码不合适"}, {"order_id", "1000"}, {"phone", ""}};
  EXPECT_THAT(CheckTurn(e, Seen()), IsEmpty());
  e.state.slots = {{"reason", "不喜欢"}, {"phone", "1234"}};
  EXPECT_THAT(CheckTurn(e, Seen()),
              ElementsAre("state.slots.phone: want '1234', got unset",
                          "state.slots.reason: want '不喜欢', got '尺码不合适'"));
}

TEST(CheckTurnTest, StateReturnCreatedOrderStatusAndFacts) {
  TurnExpect e;
  e.state.return_created = true;
  e.state.order_status = "return_requested";
  e.state.facts = {{"rma", "RMA202611250001"}};
  EXPECT_THAT(CheckTurn(e, Seen()), IsEmpty());
  e.state.return_created = false;
  e.state.order_status = "delivered";
  e.state.facts = {{"rma", "RMA1"}, {"case_number", "CS1"}};
  EXPECT_THAT(CheckTurn(e, Seen()),
              ElementsAre("state.return_created: want false, got true",
                          "state.order_status: want delivered, got return_requested",
                          "state.facts.case_number: want 'CS1', got unset",
                          "state.facts.rma: want 'RMA1', got 'RMA202611250001'"));
}

}  // namespace
}  // namespace kefu::scenario
