// The flows of data/flows run unchanged on HTTP tools: a small shop order service on 127.0.0.1
// answers get_order and create_return, and the engine holds order-status and return dialogues
// through it. The engine's own store holds a different shop (other phone numbers, tracking and
// carrier), so a reply can only be right when it came over HTTP. A tool that times out or cannot
// be reached gets an apology and the offer of a person, not a failed turn.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "engine/engine.h"
#include "fakes/shop_fixture.h"
#include "test_util.h"
#include "tools/tools.h"

namespace kefu::engine {
namespace {

using json = nlohmann::json;
using kefu::testing::kDeliveredOrder;
using kefu::testing::kShippedOrder;
using kefu::testing::kShippedTracking;

constexpr char kShopRma[] = "SHOP-RMA-1";
constexpr auto kSlowAnswer = std::chrono::seconds(2);
constexpr int kShortTimeoutMs = 300;

// The shop's own order system, with its own in-memory orders (OrderJson by order id):
//   GET  /api/orders/{id}   200 {"data": {"order": OrderJson}} | 404 {"code": "not_found"}
//   POST /api/returns       {order_id, type, reason} -> 201 {"code": "ok", "data": {"rma"}}, and
//                           the order becomes return_requested; 409 {"code": "not_eligible"} when
//                           it is not delivered or the shop holds its returns
//   GET  /slow/orders/{id}  as /api/orders, after 2 s (cut short when the service stops)
// Counts requests per path. Thread-safe.
class FakeOrderService {
 public:
  explicit FakeOrderService(std::map<std::string, json> orders) : orders_(std::move(orders)) {
    server_.Get(R"(/api/orders/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  Count(req);
                  AnswerOrder(req.matches[1], res);
                });
    server_.Get(R"(/slow/orders/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  Count(req);
                  {
                    std::unique_lock lock(mutex_);
                    stopping_cv_.wait_for(lock, kSlowAnswer, [this] { return stopping_; });
                  }
                  AnswerOrder(req.matches[1], res);
                });
    server_.Post("/api/returns", [this](const httplib::Request& req, httplib::Response& res) {
      Count(req);
      CreateReturn(req, res);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // httplib 0.11's stop() does nothing before the listen loop runs, so wait for it.
    while (port_ > 0 && !server_.is_running()) {
      std::this_thread::yield();
    }
  }

  ~FakeOrderService() {
    {
      std::scoped_lock lock(mutex_);
      stopping_ = true;
    }
    stopping_cv_.notify_all();
    server_.stop();
    thread_.join();
  }

  FakeOrderService(const FakeOrderService&) = delete;
  FakeOrderService& operator=(const FakeOrderService&) = delete;

  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Requests whose path starts with `prefix`.
  int Requests(const std::string& prefix) const {
    std::scoped_lock lock(mutex_);
    int n = 0;
    for (const auto& [path, count] : requests_) {
      if (path.rfind(prefix, 0) == 0) {
        n += count;
      }
    }
    return n;
  }

  std::string Status(const std::string& order_id) const {
    std::scoped_lock lock(mutex_);
    auto it = orders_.find(order_id);
    return it == orders_.end() ? "" : it->second.value("status", "");
  }

  // From now on POST /api/returns refuses `order_id` (say, the warehouse has one open already).
  void HoldReturns(const std::string& order_id) {
    std::scoped_lock lock(mutex_);
    held_[order_id] = true;
  }

 private:
  void Count(const httplib::Request& req) {
    std::scoped_lock lock(mutex_);
    ++requests_[req.path];
  }

  void AnswerOrder(const std::string& order_id, httplib::Response& res) {
    std::scoped_lock lock(mutex_);
    auto it = orders_.find(order_id);
    if (it == orders_.end()) {
      res.status = 404;
      res.set_content(R"({"code":"not_found"})", "application/json");
      return;
    }
    res.set_content(json({{"data", {{"order", it->second}}}}).dump(), "application/json");
  }

  void CreateReturn(const httplib::Request& req, httplib::Response& res) {
    const json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("order_id") ||
        !body["order_id"].is_string()) {
      res.status = 400;
      res.set_content(R"({"code":"bad_request"})", "application/json");
      return;
    }
    std::scoped_lock lock(mutex_);
    auto it = orders_.find(body["order_id"].get<std::string>());
    if (it == orders_.end()) {
      res.status = 404;
      res.set_content(R"({"code":"not_found"})", "application/json");
      return;
    }
    if (it->second.value("status", "") != "delivered" || held_.count(it->first) > 0) {
      res.status = 409;
      res.set_content(json({{"code", "not_eligible"}, {"status", it->second["status"]}}).dump(),
                      "application/json");
      return;
    }
    const std::string rma = "SHOP-RMA-" + std::to_string(++returns_);
    it->second["status"] = "return_requested";
    res.status = 201;
    res.set_content(json({{"code", "ok"}, {"data", {{"rma", rma}}}}).dump(), "application/json");
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable stopping_cv_;
  bool stopping_ = false;
  std::map<std::string, json> orders_;
  std::map<std::string, bool> held_;
  std::map<std::string, int> requests_;
  int returns_ = 0;
};

// A port on 127.0.0.1 with nothing listening: the socket is bound but never listens, so a
// connection is refused and no one else can take the port while it is held.
class DeadPort {
 public:
  DeadPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~DeadPort() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  DeadPort(const DeadPort&) = delete;
  DeadPort& operator=(const DeadPort&) = delete;

  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// The shop as the order service knows it: SmallShop, read back through a store so that items
// carry their names, as OrderJson.
std::map<std::string, json> ServiceOrders(const kefu::testing::TempDir& dir) {
  std::map<std::string, json> orders;
  Result<std::unique_ptr<store::Store>> seed = store::NewSqliteStore({.path = dir.File("shop.db")});
  EXPECT_TRUE(seed.ok()) << seed.status();
  if (!seed.ok()) {
    return orders;
  }
  const store::ShopData shop = kefu::testing::SmallShop();
  EXPECT_OK((*seed)->ReplaceShopData(shop));
  for (const store::OrderDetails& d : shop.orders) {
    Result<store::OrderDetails> details = (*seed)->GetOrderDetails(d.order.order_number);
    EXPECT_TRUE(details.ok()) << details.status();
    if (details.ok()) {
      orders[d.order.order_number] = tools::OrderToJson(*details);
    }
  }
  return orders;
}

// The engine's own store: the same order numbers, but other phone numbers, carriers and tracking
// numbers, so verifying "5678" or showing SF1234567890123 only works with the service's data.
store::ShopData LocalShop() {
  store::ShopData shop = kefu::testing::SmallShop();
  for (store::OrderDetails& d : shop.orders) {
    d.order.phone = "13800000000";
    if (d.shipment) {
      d.shipment->carrier = "本地快递";
      d.shipment->carrier_en = "Local Post";
      d.shipment->tracking_number = "LOCAL" + d.order.order_number;  // unique per shipment
    }
  }
  return shop;
}

class HttpToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service_ = std::make_unique<FakeOrderService>(ServiceOrders(dir_));
    ASSERT_GT(service_->port(), 0);
    Result<std::unique_ptr<store::Store>> s = store::NewSqliteStore({.path = dir_.File("kefu.db")});
    ASSERT_OK_RESULT(s);
    store_ = std::move(*s);
    ASSERT_OK(store_->ReplaceShopData(LocalShop()));
  }

  // get_order at `get_order_url` ({order_id} in it), create_return on the service; the other
  // tools stay the built-ins on the local store.
  void StartEngine(const std::string& get_order_url, int get_order_timeout_ms = 3'000) {
    registry_ = tools::NewStoreTools(*store_, clock_);
    tools::HttpToolConfig get_order;
    get_order.name = "get_order";
    get_order.url = get_order_url;
    get_order.timeout_ms = get_order_timeout_ms;
    get_order.code_field = "/code";
    tools::HttpToolConfig create_return;
    create_return.name = "create_return";
    create_return.url = service_->Url("/api/returns");
    create_return.method = "POST";
    create_return.code_field = "/code";
    for (const tools::HttpToolConfig& config : {get_order, create_return}) {
      Result<std::unique_ptr<tools::Tool>> tool = tools::NewHttpTool(config);
      ASSERT_OK_RESULT(tool);
      registry_.Add(std::move(*tool));
    }
    Result<std::unique_ptr<Engine>> e = Engine::Create(*store_, clock_,
                                                       {.data_dir = kefu::testing::SourceDataDir(),
                                                        .intent_model = KEFU_TEST_INTENT_MODEL,
                                                        .tools = &registry_});
    ASSERT_OK_RESULT(e);
    engine_ = std::move(*e);
    Result<NewConversation> c = engine_->CreateConversation("test");
    ASSERT_OK_RESULT(c);
    conv_ = *c;
  }

  void StartEngine() { StartEngine(service_->Url("/api/orders/{order_id}")); }

  TurnResult Say(const std::string& text) {
    if (engine_ == nullptr) {
      ADD_FAILURE() << "no engine";
      return {};
    }
    RequestContext ctx = RequestContext::Unbounded("t-http-tools");
    Result<TurnResult> r = engine_->HandleTurn({conv_.id, text, std::nullopt}, ctx);
    EXPECT_TRUE(r.ok()) << "turn '" << text << "': " << r.status();
    return r.ok() ? *r : TurnResult{};
  }

  // The turn's tool calls named `tool`, as its trace lists them.
  static json ToolCalls(const TurnResult& r, const std::string& tool) {
    json calls = json::array();
    const json trace = json::parse(r.trace_json, nullptr, false);
    if (trace.is_discarded() || !trace.contains("tool_calls")) {
      return calls;
    }
    for (const json& call : trace["tool_calls"]) {
      if (call.value("tool", "") == tool) {
        calls.push_back(call);
      }
    }
    return calls;
  }

  static bool Has(const std::string& text, const std::string& piece) {
    return text.find(piece) != std::string::npos;
  }

  // The reply after get_order failed: an apology and the offer of a person.
  static void ExpectApologyAndOffer(const TurnResult& r) {
    EXPECT_TRUE(Has(r.reply, "抱歉")) << r.reply;
    EXPECT_TRUE(Has(r.reply, "人工")) << r.reply;
    EXPECT_TRUE(r.handoff) << r.trace_json;
    const json calls = ToolCalls(r, "get_order");
    ASSERT_EQ(calls.size(), 1u) << r.trace_json;
    EXPECT_EQ(calls[0].value("code", ""), "error") << r.trace_json;
    EXPECT_FALSE(calls[0].value("error", "").empty()) << r.trace_json;
  }

  kefu::testing::TempDir dir_;
  // kDeliveredOrder was delivered 2026-11-12 14:20: two days ago, inside the 7-day return window.
  ManualClock clock_{kefu::testing::T("2026-11-14T12:00:00+08:00")};
  std::unique_ptr<FakeOrderService> service_;
  std::unique_ptr<store::Store> store_;
  tools::ToolRegistry registry_;  // before engine_: the engine borrows it
  std::unique_ptr<Engine> engine_;
  NewConversation conv_;
};

TEST_F(HttpToolsTest, ChineseOrderStatusComesFromTheOrderService) {
  StartEngine();
  TurnResult ask = Say(std::string("我的订单 ") + kShippedOrder + " 到哪了？");
  EXPECT_EQ(ask.intent, "order_status");
  EXPECT_TRUE(Has(ask.reply, "后四位")) << ask.reply;
  TurnResult answer = Say("5678");  // the service's phone; the local store's ends in 0000
  EXPECT_TRUE(Has(answer.reply, "顺丰速运")) << answer.reply;
  EXPECT_TRUE(Has(answer.reply, kShippedTracking)) << answer.reply;
  EXPECT_FALSE(Has(answer.reply, "LOCAL")) << answer.reply;
  EXPECT_GT(service_->Requests("/api/orders/"), 0);
  EXPECT_EQ(ToolCalls(answer, "get_order").size(), 1u) << answer.trace_json;
}

TEST_F(HttpToolsTest, EnglishOrderStatusComesFromTheOrderService) {
  StartEngine();
  TurnResult ask = Say(std::string("Where is my order ") + kShippedOrder + "?");
  EXPECT_EQ(ask.intent, "order_status");
  EXPECT_EQ(ask.lang, "en");
  EXPECT_TRUE(Has(ask.reply, "last four digits")) << ask.reply;
  TurnResult answer = Say("5678");
  EXPECT_TRUE(Has(answer.reply, "SF Express")) << answer.reply;
  EXPECT_TRUE(Has(answer.reply, kShippedTracking)) << answer.reply;
  EXPECT_FALSE(Has(answer.reply, "Local Post")) << answer.reply;
  EXPECT_GT(service_->Requests("/api/orders/"), 0);
}

TEST_F(HttpToolsTest, ChineseReturnIsCreatedByTheOrderService) {
  StartEngine();
  EXPECT_TRUE(Has(Say(std::string("我要退货，订单号 ") + kDeliveredOrder).reply, "后四位"));
  EXPECT_TRUE(Has(Say("9999").reply, "原因"));
  TurnResult confirm = Say("尺码不合适");
  EXPECT_TRUE(Has(confirm.reply, "请确认退货信息")) << confirm.reply;
  EXPECT_EQ(service_->Requests("/api/returns"), 0);
  TurnResult done = Say("确认");
  EXPECT_TRUE(Has(done.reply, kShopRma)) << done.reply;
  EXPECT_EQ(service_->Requests("/api/returns"), 1);
  EXPECT_EQ(service_->Status(kDeliveredOrder), "return_requested");
  const json calls = ToolCalls(done, "create_return");
  ASSERT_EQ(calls.size(), 1u) << done.trace_json;
  EXPECT_EQ(calls[0].value("code", ""), "ok");

  Result<store::OrderDetails> local = store_->GetOrderDetails(kDeliveredOrder);
  ASSERT_OK_RESULT(local);
  EXPECT_EQ(local->order.status, "delivered");
  EXPECT_FALSE(local->return_request.has_value());
}

TEST_F(HttpToolsTest, ReturnRefusedByTheServiceGetsTheNotEligibleReply) {
  StartEngine();
  Say(std::string("我要退货，订单号 ") + kDeliveredOrder);
  Say("9999");
  EXPECT_TRUE(Has(Say("尺码不合适").reply, "请确认退货信息"));
  service_->HoldReturns(kDeliveredOrder);
  TurnResult refused = Say("确认");
  EXPECT_TRUE(
      Has(refused.reply, std::string("抱歉，订单 ") + kDeliveredOrder + " 当前无法提交退货申请"))
      << refused.reply;
  EXPECT_FALSE(Has(refused.reply, "SHOP-RMA")) << refused.reply;
  EXPECT_TRUE(refused.handoff) << refused.trace_json;
  const json calls = ToolCalls(refused, "create_return");
  ASSERT_EQ(calls.size(), 1u) << refused.trace_json;
  EXPECT_EQ(calls[0].value("code", ""), "not_eligible");
  EXPECT_EQ(service_->Requests("/api/returns"), 1);
  EXPECT_EQ(service_->Status(kDeliveredOrder), "delivered");
}

TEST_F(HttpToolsTest, OrderServiceTimeoutGetsAnApologyAndTheOfferOfAPerson) {
  StartEngine(service_->Url("/slow/orders/{order_id}"), kShortTimeoutMs);
  const auto start = std::chrono::steady_clock::now();
  TurnResult r = Say(std::string("我的订单 ") + kShippedOrder + " 到哪了？");
  EXPECT_LT(std::chrono::steady_clock::now() - start, kSlowAnswer);
  ExpectApologyAndOffer(r);
  EXPECT_FALSE(Has(r.reply, kShippedTracking)) << r.reply;
  EXPECT_EQ(service_->Requests("/slow/orders/"), 1);
}

TEST_F(HttpToolsTest, OrderServiceDownGetsAnApologyAndTheOfferOfAPerson) {
  DeadPort dead;
  ASSERT_GT(dead.port(), 0);
  StartEngine("http://127.0.0.1:" + std::to_string(dead.port()) + "/api/orders/{order_id}");
  TurnResult r = Say(std::string("我的订单 ") + kShippedOrder + " 到哪了？");
  ExpectApologyAndOffer(r);
}

}  // namespace
}  // namespace kefu::engine
