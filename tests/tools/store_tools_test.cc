#include <chrono>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "fakes/shop_fixture.h"
#include "fakes/store_wrapper.h"
#include "store/store.h"
#include "test_util.h"
#include "tools/tools.h"

namespace kefu::tools {
namespace {

using json = nlohmann::json;
using kefu::testing::kDeliveredOrder;
using kefu::testing::kPaidOrder;
using kefu::testing::kRefundedOrder;
using kefu::testing::kShippedOrder;
using kefu::testing::T;

class StoreToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<store::Store>> s = store::NewSqliteStore({.path = dir_.File("kefu.db")});
    ASSERT_OK_RESULT(s);
    store_ = std::move(*s);
    store::ShopData shop = kefu::testing::SmallShop();
    shop.products.push_back({3, "EP-0002", "earphones", "声悦", "声悦 运动耳机",
                             "Shengyue Sport Earbuds", 19900, R"({"colour":"红色"})", 5});
    ASSERT_OK(store_->ReplaceShopData(shop));
    tools_ = NewStoreTools(*store_, clock_);
  }

  // The tool's answer; fails the test on a Status error.
  ToolResult Call(const std::string& tool, const json& args) {
    Result<ToolResult> r = tools_.Call(tool, args, ctx_);
    EXPECT_TRUE(r.ok()) << tool << ": " << r.status();
    return r.ok() ? *r : ToolResult{"error", json::object()};
  }

  StatusCode ErrorCode(const std::string& tool, const json& args) {
    return tools_.Call(tool, args, ctx_).status().code();
  }

  kefu::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{T("2026-12-01T10:00:00+08:00")};
  ToolRegistry tools_;
  RequestContext ctx_ = RequestContext::Unbounded("test");
};

TEST_F(StoreToolsTest, RegistryHoldsEveryBuiltInTool) {
  EXPECT_EQ(tools_.Names(),
            (std::vector<std::string>{"cancel_order", "change_order", "create_invoice",
                                      "create_return", "get_order", "get_product",
                                      "list_customer_orders", "open_case", "search_products"}));
}

TEST_F(StoreToolsTest, GetOrderReturnsOrderJsonWithPhoneAndSkus) {
  ToolResult r = Call("get_order", {{"order_id", kShippedOrder}});
  EXPECT_EQ(r.code, "ok");
  EXPECT_FALSE(r.data.contains("order"));  // typed, in r.order
  Result<std::shared_ptr<const store::OrderDetails>> order = OrderOf(r);
  ASSERT_TRUE(order.ok()) << order.status().ToString();
  const json o = OrderToJson(**order);
  EXPECT_EQ(o["order_id"], kShippedOrder);
  EXPECT_EQ(o["customer_id"], 1);
  EXPECT_EQ(o["status"], "shipped");
  EXPECT_EQ(o["phone"], "13812345678");
  EXPECT_EQ(o["paid_at"], T("2026-11-25T10:01:00+08:00"));
  EXPECT_TRUE(o["delivered_at"].is_null());
  EXPECT_EQ(o["total_cents"], 299900);
  ASSERT_EQ(o["items"].size(), 1u);
  EXPECT_EQ(o["items"][0]["sku"], "PH-0001");
  EXPECT_EQ(o["items"][0]["name_zh"], "星河 X5 智能手机");
  EXPECT_EQ(o["items"][0]["quantity"], 1);
  EXPECT_EQ(o["items"][0]["price_cents"], 299900);
  EXPECT_EQ(o["shipment"]["carrier"], "顺丰速运");
  EXPECT_EQ(o["shipment"]["tracking_number"], kefu::testing::kShippedTracking);
  ASSERT_EQ(o["shipment"]["events"].size(), 2u);
  EXPECT_EQ(o["shipment"]["events"][1]["location_en"], "Shanghai");
  EXPECT_TRUE(o["return"].is_null());
  EXPECT_TRUE(o["refund"].is_null());
}

TEST_F(StoreToolsTest, GetOrderShowsReturnAndRefund) {
  ToolResult r = Call("get_order", {{"order_id", kRefundedOrder}});
  Result<std::shared_ptr<const store::OrderDetails>> order = OrderOf(r);
  ASSERT_TRUE(order.ok()) << order.status().ToString();
  const json o = OrderToJson(**order);
  EXPECT_EQ(o["return"]["type"], "no_reason");
  EXPECT_EQ(o["return"]["status"], "completed");
  EXPECT_EQ(o["return"]["rma"], "");
  EXPECT_EQ(o["refund"]["amount_cents"], 49900);
  EXPECT_EQ(o["refund"]["completed_at"], T("2026-10-23T10:00:00+08:00"));
}

TEST_F(StoreToolsTest, GetOrderUnknownIsNotFound) {
  ToolResult r = Call("get_order", {{"order_id", "9999999999999999"}});
  EXPECT_EQ(r.code, "not_found");
  EXPECT_EQ(Call("get_order", {{"order_id", 9999999999999999}}).code, "not_found");
}

TEST_F(StoreToolsTest, MissingOrMalformedArgumentsAreInvalid) {
  EXPECT_EQ(ErrorCode("get_order", json::object()), StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCode("get_order", {{"order_id", ""}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCode("get_order", json::array({1})), StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCode("get_order", {{"order_id", json::array()}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCode("search_products", {{"min_price", "cheap"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCode("list_customer_orders", {{"customer_id", "abc"}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCode("no_such_tool", json::object()), StatusCode::kNotFound);
}

TEST_F(StoreToolsTest, CancelOrderRefundsAPaidOrder) {
  ToolResult r = Call("cancel_order", {{"order_id", kPaidOrder}});
  EXPECT_EQ(r.code, "ok");
  EXPECT_EQ(r.data["refund_amount"], "CNY 507.00");
  EXPECT_EQ(r.data["refund_cents"], 50700);
  Result<store::OrderDetails> d = store_->GetOrderDetails(kPaidOrder);
  EXPECT_EQ(d->order.status, "cancelled");
  EXPECT_EQ(d->order.cancelled_at, clock_.NowMillis());
}

TEST_F(StoreToolsTest, CancelOrderRefusesAShippedOrder) {
  ToolResult r = Call("cancel_order", {{"order_id", kShippedOrder}});
  EXPECT_EQ(r.code, "not_cancellable");
  EXPECT_EQ(r.data, json({{"status", "shipped"}}));
  EXPECT_EQ(Call("cancel_order", {{"order_id", "9999999999999999"}}).code, "not_found");
}

TEST_F(StoreToolsTest, ChangeOrderUpdatesContactBeforeShipping) {
  ToolResult r = Call("change_order", {{"order_id", kPaidOrder}, {"address", "北京市海淀区 1 号"}});
  EXPECT_EQ(r.code, "ok");
  EXPECT_EQ(r.data, json::object());
  Result<store::OrderDetails> d = store_->GetOrderDetails(kPaidOrder);
  EXPECT_EQ(d->order.shipping_address, "北京市海淀区 1 号");
  EXPECT_EQ(d->order.phone, "13987654321");
  ToolResult late = Call("change_order", {{"order_id", kShippedOrder}, {"phone", "13700001111"}});
  EXPECT_EQ(late.code, "not_changeable");
  EXPECT_EQ(late.data["status"], "shipped");
  EXPECT_EQ(Call("change_order", {{"order_id", "9999999999999999"}, {"phone", "1"}}).code,
            "not_found");
}

TEST_F(StoreToolsTest, CreateReturnGivesAnRma) {
  ToolResult r =
      Call("create_return",
           {{"order_id", kDeliveredOrder}, {"type", "exchange"}, {"reason", "尺码小了"}});
  EXPECT_EQ(r.code, "ok");
  EXPECT_EQ(r.data["rma"], "RMA202612010001");
  Result<store::OrderDetails> d = store_->GetOrderDetails(kDeliveredOrder);
  EXPECT_EQ(d->order.status, "return_requested");
  EXPECT_EQ(d->return_request->type, "exchange");
  EXPECT_EQ(d->return_request->reason_zh, "尺码小了");
  EXPECT_EQ(d->return_request->reason_en, "尺码小了");
  EXPECT_EQ(d->return_request->requested_at, clock_.NowMillis());
  ToolResult again = Call("create_return", {{"order_id", kDeliveredOrder}, {"type", "quality"}});
  EXPECT_EQ(again.code, "not_eligible");
  EXPECT_EQ(again.data["status"], "return_requested");
}

TEST_F(StoreToolsTest, CreateReturnRefusesOrdersNotDelivered) {
  ToolResult r = Call("create_return", {{"order_id", kShippedOrder}, {"type", "no_reason"}});
  EXPECT_EQ(r.code, "not_eligible");
  EXPECT_EQ(r.data["status"], "shipped");
  EXPECT_EQ(Call("create_return", {{"order_id", "9999999999999999"}, {"type", "quality"}}).code,
            "not_found");
}

TEST_F(StoreToolsTest, CreateReturnChecksTheType) {
  EXPECT_EQ(ErrorCode("create_return", {{"order_id", kDeliveredOrder}, {"type", "refund"}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCode("create_return", {{"order_id", kDeliveredOrder}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetOrderDetails(kDeliveredOrder)->order.status, "delivered");
}

TEST_F(StoreToolsTest, CreateInvoiceStoresTheRequest) {
  ToolResult r = Call("create_invoice", {{"order_id", kShippedOrder},
                                         {"title", "上海某某科技有限公司"},
                                         {"tax_id", "91310000MA1FL00000"},
                                         {"email", "finance@example.com"}});
  EXPECT_EQ(r.code, "ok");
  ASSERT_TRUE(r.data["invoice_id"].is_number_integer());
  Result<std::vector<store::InvoiceRequest>> all = store_->ListInvoiceRequests(kShippedOrder);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id, r.data["invoice_id"].get<int64_t>());
  EXPECT_EQ((*all)[0].tax_id, "91310000MA1FL00000");
  EXPECT_EQ((*all)[0].created_at, clock_.NowMillis());
  EXPECT_EQ(ErrorCode("create_invoice", {{"order_id", kShippedOrder}, {"email", "a@b.c"}}),
            StatusCode::kInvalidArgument);  // no title
}

TEST_F(StoreToolsTest, CreateInvoiceRefusesACancelledOrder) {
  ASSERT_EQ(Call("cancel_order", {{"order_id", kPaidOrder}}).code, "ok");
  ToolResult r =
      Call("create_invoice", {{"order_id", kPaidOrder}, {"title", "李娜"}, {"email", "a@b.c"}});
  EXPECT_EQ(r.code, "not_eligible");
  EXPECT_EQ(r.data["status"], "cancelled");
  EXPECT_EQ(
      Call("create_invoice", {{"order_id", "9999999999999999"}, {"title", "x"}, {"email", "a@b.c"}})
          .code,
      "not_found");
}

TEST_F(StoreToolsTest, OpenCaseNumbersItWithTheClocksDay) {
  ToolResult r = Call("open_case", {{"order_id", kShippedOrder},
                                    {"kind", "lost"},
                                    {"description", "快递三天没动了"},
                                    {"conversation_id", "c1"}});
  EXPECT_EQ(r.code, "ok");
  EXPECT_EQ(r.data["case_number"], "CS202612010001");
  EXPECT_EQ(Call("open_case", {{"kind", "account"}, {"conversation_id", ""}}).data["case_number"],
            "CS202612010002");
  Result<std::vector<store::SupportCase>> cases = store_->ListCases("c1");
  ASSERT_EQ(cases->size(), 1u);
  EXPECT_EQ((*cases)[0].order_number, kShippedOrder);
  EXPECT_EQ((*cases)[0].description, "快递三天没动了");
  EXPECT_EQ((*cases)[0].created_at, clock_.NowMillis());
  EXPECT_EQ(ErrorCode("open_case", {{"description", "x"}}), StatusCode::kInvalidArgument);
}

TEST_F(StoreToolsTest, SearchProductsTakesYuanAsNumbersOrStrings) {
  ToolResult r = Call("search_products", {{"min_price", "199"}, {"max_price", 499.0}});
  EXPECT_EQ(r.code, "ok");
  ASSERT_EQ(r.data["products"].size(), 2u);
  EXPECT_EQ(r.data["products"][0]["sku"], "EP-0002");
  EXPECT_EQ(r.data["products"][1]["sku"], "EP-0001");
  r = Call("search_products", {{"min_price", "¥199.01"}, {"max_price", "499元"}});
  ASSERT_EQ(r.data["products"].size(), 1u);
  EXPECT_EQ(r.data["products"][0]["sku"], "EP-0001");
}

TEST_F(StoreToolsTest, SearchProductsReturnsProductJson) {
  ToolResult r = Call("search_products", {{"category", "earphones"}, {"keywords", {"红色"}}});
  EXPECT_EQ(r.code, "ok");
  ASSERT_EQ(r.data["products"].size(), 1u);
  const json& p = r.data["products"][0];
  EXPECT_EQ(p["sku"], "EP-0002");
  EXPECT_EQ(p["brand"], "声悦");
  EXPECT_EQ(p["name_en"], "Shengyue Sport Earbuds");
  EXPECT_EQ(p["price_cents"], 19900);
  EXPECT_EQ(p["price"], "CNY 199.00");
  EXPECT_EQ(p["stock"], 5);
  EXPECT_EQ(p["attributes"], json({{"colour", "红色"}}));
}

TEST_F(StoreToolsTest, SearchProductsSplitsAKeywordString) {
  ToolResult r = Call("search_products", {{"keywords", "shengyue, sport"}});
  ASSERT_EQ(r.data["products"].size(), 1u);
  EXPECT_EQ(r.data["products"][0]["sku"], "EP-0002");
  r = Call("search_products", {{"keywords", "声悦，耳机"}});
  EXPECT_EQ(r.data["products"].size(), 2u);
}

TEST_F(StoreToolsTest, SearchProductsWithNoMatchSaysNone) {
  ToolResult r = Call("search_products", {{"keywords", {"冰箱"}}});
  EXPECT_EQ(r.code, "none");
  EXPECT_EQ(r.data["products"], json::array());
}

TEST_F(StoreToolsTest, SearchProductsLimitDefaultsToFiveAndStopsAtTwenty) {
  store::ShopData shop = kefu::testing::SmallShop();
  for (int i = 0; i < 30; ++i) {
    shop.products.push_back(
        {100 + i, "X-" + std::to_string(i), "misc", "", "杂货", "Misc", 100 + i, "{}", 1});
  }
  ASSERT_OK(store_->ReplaceShopData(shop));
  EXPECT_EQ(Call("search_products", json::object()).data["products"].size(), 5u);
  EXPECT_EQ(Call("search_products", {{"limit", 100}}).data["products"].size(), 20u);
  EXPECT_EQ(Call("search_products", {{"limit", "3"}}).data["products"].size(), 3u);
}

TEST_F(StoreToolsTest, GetProductBySku) {
  ToolResult r = Call("get_product", {{"sku", "PH-0001"}});
  EXPECT_EQ(r.code, "ok");
  EXPECT_EQ(r.data["product"]["name_zh"], "星河 X5 智能手机");
  EXPECT_EQ(r.data["product"]["price"], "CNY 2999.00");
  EXPECT_EQ(Call("get_product", {{"sku", "NOPE"}}).code, "not_found");
}

TEST_F(StoreToolsTest, ListCustomerOrdersNewestFirst) {
  ToolResult r = Call("list_customer_orders", {{"customer_id", "1"}});
  EXPECT_EQ(r.code, "ok");
  ASSERT_EQ(r.data["orders"].size(), 2u);
  const json& first = r.data["orders"][0];
  EXPECT_EQ(first["order_id"], kShippedOrder);
  EXPECT_EQ(first["status"], "shipped");
  EXPECT_EQ(first["created_at"], T("2026-11-25T10:00:00+08:00"));
  EXPECT_EQ(first["total"], "CNY 2999.00");
  EXPECT_EQ(first["total_cents"], 299900);
  EXPECT_EQ(r.data["orders"][1]["order_id"], kRefundedOrder);
  EXPECT_EQ(Call("list_customer_orders", {{"customer_id", 1}, {"limit", 1}}).data["orders"].size(),
            1u);
  EXPECT_EQ(Call("list_customer_orders", {{"customer_id", 42}}).data["orders"], json::array());
}

TEST_F(StoreToolsTest, ExpiredOrCancelledRequestsStopBeforeTheStore) {
  RequestContext expired("t", RequestContext::SteadyClock::now() - std::chrono::seconds(1));
  EXPECT_EQ(tools_.Call("get_order", {{"order_id", kShippedOrder}}, expired).status().code(),
            StatusCode::kDeadlineExceeded);
  RequestContext cancelled = RequestContext::Unbounded("t");
  cancelled.Cancel();
  EXPECT_EQ(tools_.Call("cancel_order", {{"order_id", kPaidOrder}}, cancelled).status().code(),
            StatusCode::kCancelled);
  EXPECT_EQ(store_->GetOrderDetails(kPaidOrder)->order.status, "paid");
}

// A store whose reads fail as a database that went away would.
class DownStore final : public kefu::testing::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<store::OrderDetails> GetOrderDetails(const std::string&) override {
    return UnavailableError("database is locked");
  }
  Result<int64_t> CancelOrder(const std::string&, int64_t) override {
    return UnavailableError("database is locked");
  }
};

TEST_F(StoreToolsTest, StoreFailuresAreErrorsNotCodes) {
  DownStore down(*store_);
  ToolRegistry tools = NewStoreTools(down, clock_);
  EXPECT_EQ(tools.Call("get_order", {{"order_id", kShippedOrder}}, ctx_).status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(tools.Call("cancel_order", {{"order_id", kPaidOrder}}, ctx_).status().code(),
            StatusCode::kUnavailable);
}

// --- OrderJson ---

TEST_F(StoreToolsTest, OrderOfReadsTheTypedOrderOrTheOrderJson) {
  Result<store::OrderDetails> x = store_->GetOrderDetails(kShippedOrder);
  ASSERT_OK_RESULT(x);
  ToolResult typed;
  typed.order = std::make_shared<const store::OrderDetails>(*x);
  ToolResult as_json;  // what an HTTP tool returns
  as_json.data["order"] = OrderToJson(*x);
  for (ToolResult* r : {&typed, &as_json}) {
    Result<std::shared_ptr<const store::OrderDetails>> o = OrderOf(*r);
    ASSERT_OK_RESULT(o);
    EXPECT_EQ(OrderToJson(**o), OrderToJson(*x));
  }
  ToolResult none;
  EXPECT_EQ(OrderOf(none).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(StoreToolsTest, OrderFromJsonInvertsOrderToJson) {
  ASSERT_EQ(Call("create_return", {{"order_id", kDeliveredOrder}, {"type", "quality"}}).code, "ok");
  for (const char* number : {kShippedOrder, kPaidOrder, kDeliveredOrder, kRefundedOrder}) {
    Result<store::OrderDetails> x = store_->GetOrderDetails(number);
    ASSERT_OK_RESULT(x);
    const json j = OrderToJson(*x);
    Result<store::OrderDetails> y = OrderFromJson(j);
    ASSERT_OK_RESULT(y);
    EXPECT_EQ(OrderToJson(*y), j) << number;
    EXPECT_EQ(y->order.order_number, number);
    EXPECT_EQ(y->order.phone, x->order.phone);
    EXPECT_EQ(y->order.paid_at, x->order.paid_at);
    EXPECT_EQ(y->order.delivered_at, x->order.delivered_at);
    ASSERT_EQ(y->items.size(), x->items.size());
    EXPECT_EQ(y->items[0].sku, x->items[0].sku);
    EXPECT_EQ(y->items[0].unit_price_cents, x->items[0].unit_price_cents);
    EXPECT_EQ(y->shipment.has_value(), x->shipment.has_value());
    EXPECT_EQ(y->return_request.has_value(), x->return_request.has_value());
    EXPECT_EQ(y->refund.has_value(), x->refund.has_value());
  }
  Result<store::OrderDetails> returned =
      OrderFromJson(OrderToJson(*store_->GetOrderDetails(kDeliveredOrder)));
  EXPECT_EQ(returned->return_request->rma_number, "RMA202612010001");
  EXPECT_EQ(returned->shipment->events.back().description_en, "Delivered, signed by the recipient");
}

TEST_F(StoreToolsTest, OrderFromJsonNeedsOnlyIdAndStatus) {
  Result<store::OrderDetails> d =
      OrderFromJson({{"order_id", "A1"}, {"status", "paid"}, {"customer_id", "3"}});
  ASSERT_OK_RESULT(d);
  EXPECT_EQ(d->order.order_number, "A1");
  EXPECT_EQ(d->order.customer_id, 3);
  EXPECT_FALSE(d->order.paid_at);
  EXPECT_TRUE(d->items.empty());
  EXPECT_FALSE(d->shipment);
  EXPECT_FALSE(d->return_request);
}

TEST_F(StoreToolsTest, OrderFromJsonRejectsBadShapes) {
  const json base = {{"order_id", "A1"}, {"status", "paid"}};
  auto with = [&](const char* key, json v) {
    json j = base;
    j[key] = std::move(v);
    return OrderFromJson(j).status().code();
  };
  EXPECT_EQ(OrderFromJson(json::array()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OrderFromJson({{"status", "paid"}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OrderFromJson({{"order_id", "A1"}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(with("status", json::array()), StatusCode::kInvalidArgument);
  EXPECT_EQ(with("paid_at", "yesterday"), StatusCode::kInvalidArgument);
  EXPECT_EQ(with("items", json::object()), StatusCode::kInvalidArgument);
  EXPECT_EQ(with("items", json::array({1})), StatusCode::kInvalidArgument);
  EXPECT_EQ(with("shipment", "SF"), StatusCode::kInvalidArgument);
  EXPECT_EQ(with("refund", json({{"amount_cents", "lots"}})), StatusCode::kInvalidArgument);
  EXPECT_EQ(with("shipment", nullptr), StatusCode::kOk);
}

}  // namespace
}  // namespace kefu::tools
