// Starts the real HTTP server on 127.0.0.1:0 over a temporary SQLite database holding the demo
// shop, and talks to it over HTTP like the chat page and integrators do.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "demo/demo_shop.h"
#include "engine/engine.h"
#include "fakes/store_wrapper.h"
#include "kb/knowledge_base.h"
#include "server/http_server.h"
#include "test_util.h"

namespace kefu::server {
namespace {

using nlohmann::json;

constexpr char kAgentKey[] = "agent-key";

// A demo order with a shipment, as read straight from data/demo/orders.jsonl.
struct DemoOrder {
  std::string number, last4, carrier, carrier_en, tracking, latest_zh, latest_en;
};

DemoOrder FirstShippedDemoOrder() {
  std::ifstream in(kefu::testing::SourceDataDir() + "/demo/orders.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    json o = json::parse(line);
    if (o["status"] == "shipped" && !o["shipment"]["events"].empty()) {
      const json& s = o["shipment"];
      const std::string phone = o["phone"];
      return {o["order_number"],
              phone.substr(phone.size() - 4),
              s["carrier"],
              s["carrier_en"],
              s["tracking_number"],
              s["events"].back()["description_zh"],
              s["events"].back()["description_en"]};
    }
  }
  return {};
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(store_options_, {}); }

  void Start(store::SqliteOptions so, ServerOptions opts) {
    so.path = dir_.File("kefu.db");
    store_ = std::move(*store::NewSqliteStore(so));
    ASSERT_OK(demo::ResetDemoShop(*store_, kefu::testing::SourceDataDir() + "/demo"));
    engine_ = std::move(*engine::Engine::Create(Wrapped(), SystemClock(),
                                                {.data_dir = kefu::testing::SourceDataDir()}));
    api_ =
        std::make_unique<Api>(*engine_, ApiOptions{.max_body_bytes = 4096, .agent_key = kAgentKey});
    opts.host = "127.0.0.1";
    opts.port = 0;
    opts.max_body_bytes = 4096;
    server_ = std::make_unique<HttpServer>(*api_, opts);
    ASSERT_OK(server_->Start());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }

  virtual store::Store& Wrapped() { return *store_; }

  json Open() {
    auto res = client_->Post("/v1/conversations", "{}", "application/json");
    EXPECT_TRUE(res);
    EXPECT_EQ(res->status, 201);
    return json::parse(res->body);
  }

  httplib::Result Post(const json& conv, const std::string& body, bool sse = false) {
    httplib::Headers h = {{"Authorization", "Bearer " + conv["token"].get<std::string>()}};
    if (sse) {
      h.emplace("Accept", "text/event-stream");
    }
    return client_->Post(
        "/v1/conversations/" + conv["conversation_id"].get<std::string>() + "/messages", h, body,
        "application/json");
  }

  std::string Say(const json& conv, const std::string& text) {
    auto res = Post(conv, json{{"text", text}}.dump());
    EXPECT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    return json::parse(res->body)["reply"]["text"];
  }

  static void ExpectError(const httplib::Result& res, int status, const std::string& code) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, status) << res->body;
    json body = json::parse(res->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << res->body;
    EXPECT_EQ(body["error"]["code"], code) << res->body;
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
  }

  store::SqliteOptions store_options_;
  kefu::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerTest, HealthzAndChatPage) {
  auto h = client_->Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(json::parse(h->body)["status"], "ok");
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("/assets/widget.js"), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
  auto widget = client_->Get("/assets/widget.js");
  ASSERT_TRUE(widget);
  EXPECT_EQ(widget->status, 200);
  EXPECT_NE(widget->body.find("text/event-stream"), std::string::npos);  // it streams replies
  // A shop's page on another origin may embed the widget: the browser's preflight is answered,
  // and answers allow any origin (the API uses bearer tokens, never cookies).
  auto preflight = client_->Options("/v1/conversations/c_x/messages",
                                    {{"Origin", "https://shop.example"},
                                     {"Access-Control-Request-Method", "POST"},
                                     {"Access-Control-Request-Headers", "authorization"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(preflight->get_header_value("Access-Control-Allow-Headers").find("Authorization"),
            std::string::npos);
  auto created = client_->Post("/v1/conversations", {{"Origin", "https://shop.example"}}, "{}",
                               "application/json");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(created->get_header_value("Access-Control-Allow-Origin"), "*");
}

// `top -H`, perf and bench/load.sh tell the server's threads apart by name.
TEST_F(ServerTest, ThreadsCarryTheirNames) {
  const std::map<std::string, int> want = {{"kefu-io", ServerOptions{}.io_threads},
                                           {"kefu-worker", ServerOptions{}.worker_threads},
                                           {"kefu-voice", ServerOptions{}.voice_threads},
                                           {"kefu-checkpoint", 1}};
  std::map<std::string, int> names;
  // A thread names itself once it runs, which may be just after Start() returned.
  for (int tries = 0; tries < 200; ++tries) {
    names.clear();
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      std::getline(comm, name);
      if (want.count(name) != 0) {
        ++names[name];
      }
    }
    if (names == want) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(names["kefu-io"], ServerOptions{}.io_threads);
  EXPECT_EQ(names["kefu-worker"], ServerOptions{}.worker_threads);
  EXPECT_EQ(names["kefu-voice"], ServerOptions{}.voice_threads);
  EXPECT_EQ(names["kefu-checkpoint"], 1);
}

TEST_F(ServerTest, ChineseOrderStatusDialogueWithVerification) {
  const DemoOrder order = FirstShippedDemoOrder();
  ASSERT_FALSE(order.number.empty()) << "demo shop has no shipped order";
  json conv = Open();
  const std::string ask = Say(conv, "我的订单 " + order.number + " 到哪了？");
  EXPECT_NE(ask.find("后四位"), std::string::npos) << ask;
  EXPECT_EQ(ask.find(order.tracking), std::string::npos);
  const std::string wrong_digits = order.last4 == "0000" ? "1111" : "0000";
  EXPECT_NE(Say(conv, wrong_digits).find("不符"), std::string::npos);
  const std::string answer = Say(conv, order.last4);
  EXPECT_NE(answer.find(order.carrier), std::string::npos) << answer;
  EXPECT_NE(answer.find(order.tracking), std::string::npos) << answer;
  EXPECT_NE(answer.find(order.latest_zh), std::string::npos) << answer;
}

TEST_F(ServerTest, EnglishOrderStatusDialogueOverServerSentEvents) {
  const DemoOrder order = FirstShippedDemoOrder();
  json conv = Open();
  auto ask = Post(conv, json{{"text", "Where is my order " + order.number + "?"}}.dump(), true);
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->status, 200);
  EXPECT_NE(ask->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  auto res = Post(conv, json{{"text", order.last4}}.dump(), true);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  // Parse the event stream: start, one or more deltas, done.
  std::vector<std::pair<std::string, json>> events;
  size_t pos = 0;
  while (pos < res->body.size()) {
    const size_t end = res->body.find("\n\n", pos);
    ASSERT_NE(end, std::string::npos) << "unterminated event";
    const std::string block = res->body.substr(pos, end - pos);
    const size_t nl = block.find('\n');
    ASSERT_EQ(block.rfind("event: ", 0), 0u) << block;
    events.emplace_back(block.substr(7, nl - 7), json::parse(block.substr(nl + 7)));
    pos = end + 2;
  }
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front().first, "start");
  EXPECT_EQ(events.back().first, "done");
  std::string streamed;
  for (size_t i = 1; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i].first, "delta");
    streamed += events[i].second["text"].get<std::string>();
  }
  const json& done = events.back().second;
  EXPECT_EQ(streamed, done["reply"]["text"]);
  EXPECT_EQ(done["lang"], "en");
  EXPECT_NE(streamed.find(order.carrier_en), std::string::npos) << streamed;
  EXPECT_NE(streamed.find(order.tracking), std::string::npos) << streamed;
  EXPECT_NE(streamed.find(order.latest_en), std::string::npos) << streamed;
}

TEST_F(ServerTest, HistoryReturnsBothSidesInOrder) {
  json conv = Open();
  Say(conv, "你好");
  Say(conv, "谢谢");
  httplib::Headers h = {{"Authorization", "Bearer " + conv["token"].get<std::string>()}};
  auto res = client_->Get(
      "/v1/conversations/" + conv["conversation_id"].get<std::string>() + "/messages", h);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  json body = json::parse(res->body);
  ASSERT_EQ(body["messages"].size(), 4u);
  EXPECT_EQ(body["messages"][0]["text"], "你好");
  EXPECT_EQ(body["messages"][0]["intent"], "greeting");
  EXPECT_EQ(body["messages"][1]["role"], "assistant");
  auto page = client_->Get(
      "/v1/conversations/" + conv["conversation_id"].get<std::string>() +
          "/messages?after=" + std::to_string(body["messages"][1]["id"].get<int64_t>()),
      h);
  EXPECT_EQ(json::parse(page->body)["messages"].size(), 2u);
  ExpectError(client_->Get("/v1/conversations/" + conv["conversation_id"].get<std::string>() +
                               "/messages?limit=abc",
                           h),
              400, "invalid_argument");
}

TEST_F(ServerTest, BadInputGetsTheRightJsonError) {
  json conv = Open();
  const std::string path =
      "/v1/conversations/" + conv["conversation_id"].get<std::string>() + "/messages";
  const std::string good = json{{"text", "你好"}}.dump();
  // No token, wrong token.
  ExpectError(client_->Post(path, good, "application/json"), 401, "unauthenticated");
  ExpectError(client_->Post(path, {{"Authorization", "Bearer nope"}}, good, "application/json"),
              403, "permission_denied");
  ExpectError(client_->Get(path), 401, "unauthenticated");
  // Oversize body, invalid JSON, invalid UTF-8, wrong shape, too long a message.
  ExpectError(Post(conv, json{{"text", std::string(5000, 'a')}}.dump()), 413, "payload_too_large");
  ExpectError(Post(conv, "{\"text\": "), 400, "invalid_argument");
  ExpectError(Post(conv, "{\"text\": \"\xff\xfe\"}"), 400, "invalid_argument");
  ExpectError(Post(conv, "{\"message\": \"hi\"}"), 400, "invalid_argument");
  ExpectError(Post(conv, json{{"text", 42}}.dump()), 400, "invalid_argument");
  ExpectError(Post(conv, json{{"text", ""}}.dump()), 400, "invalid_argument");
  // Unknown conversation, unknown route, wrong method.
  ExpectError(client_->Post("/v1/conversations/c_doesnotexist/messages",
                            {{"Authorization", "Bearer x"}}, good, "application/json"),
              404, "not_found");
  ExpectError(client_->Get("/v2/nothing"), 404, "not_found");
  ExpectError(client_->Delete("/v1/conversations"), 405, "method_not_allowed");
  // Nothing from the rejected requests was stored.
  EXPECT_TRUE(engine_->History(conv["conversation_id"], 0, 10)->empty());
  // The server is still healthy.
  EXPECT_EQ(client_->Get("/healthz")->status, 200);
}

TEST_F(ServerTest, MalformedHttpGetsA400AndTheServerCarriesOn) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string garbage = "THIS IS NOT HTTP\r\n\r\n";
  ASSERT_GT(write(fd, garbage.data(), garbage.size()), 0);
  char buf[1024];
  const ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  ASSERT_GT(n, 0);
  const std::string reply(buf, static_cast<size_t>(n));
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_NE(reply.find("\"bad_request\""), std::string::npos) << reply;
  EXPECT_EQ(client_->Get("/healthz")->status, 200);
}

// Holds every SaveTurn until released, so a test can fill the worker pool on purpose.
class BlockingStore final : public kefu::testing::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Status SaveTurn(const store::TurnRecord& r) override {
    Hold();
    return StoreWrapper::SaveTurn(r);
  }
  std::vector<Status> SaveTurns(std::span<const store::TurnRecord> records) override {
    Hold();
    return StoreWrapper::SaveTurns(records);
  }
  void Hold() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return released_; });
    --waiting_;
  }
  void WaitForWaiters(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return waiting_ >= n; });
  }
  void Release() {
    std::scoped_lock lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int waiting_ = 0;
  bool released_ = false;
};

class BusyServerTest : public ServerTest {
 protected:
  void SetUp() override {}
  store::Store& Wrapped() override {
    blocking_ = std::make_unique<BlockingStore>(*store_);
    return *blocking_;
  }
  std::unique_ptr<BlockingStore> blocking_;
};

TEST_F(BusyServerTest, FullWorkerQueueAnswers503AndTheHeldTurnIsStillStored) {
  Start({}, {.worker_threads = 1, .queue_limit = 1});
  json conv = Open();
  json other = Open();
  auto held = std::async(std::launch::async, [&] {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    return c.Post("/v1/conversations/" + conv["conversation_id"].get<std::string>() + "/messages",
                  {{"Authorization", "Bearer " + conv["token"].get<std::string>()}},
                  json{{"text", "你好"}}.dump(), "application/json");
  });
  blocking_->WaitForWaiters(1);
  ExpectError(Post(other, json{{"text", "你好"}}.dump()), 503, "unavailable");
  EXPECT_EQ(client_->Get("/healthz")->status, 200);  // inline routes still answer
  blocking_->Release();
  auto res = held.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(engine_->History(conv["conversation_id"], 0, 10)->size(), 2u);
}

TEST_F(BusyServerTest, ShutdownFinishesTheInFlightTurn) {
  Start({}, {});
  json conv = Open();
  auto held = std::async(std::launch::async, [&] {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    return c.Post("/v1/conversations/" + conv["conversation_id"].get<std::string>() + "/messages",
                  {{"Authorization", "Bearer " + conv["token"].get<std::string>()}},
                  json{{"text", "你好"}}.dump(), "application/json");
  });
  blocking_->WaitForWaiters(1);
  server_->Shutdown();
  blocking_->Release();
  auto res = held.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  server_->Wait();
  EXPECT_EQ(engine_->History(conv["conversation_id"], 0, 10)->size(), 2u);
  // New connections are refused once it has stopped.
  httplib::Client late("127.0.0.1", server_->port());
  late.set_connection_timeout(1, 0);
  EXPECT_FALSE(late.Get("/healthz"));
}

// Reads an event stream on its own thread, as a browser's EventSource would, and collects its
// events for the test to wait on.
class SseReader {
 public:
  struct Event {
    std::string type;
    json data;
  };

  SseReader(int port, const std::string& path, httplib::Headers headers)
      : client_("127.0.0.1", port) {
    client_.set_read_timeout(10, 0);
    thread_ = std::thread([this, path, headers = std::move(headers)] {
      auto res = client_.Get(path, headers, [this](const char* data, size_t n) {
        std::scoped_lock lock(mutex_);
        buffer_.append(data, n);
        Parse();
        changed_.notify_all();
        return !stop_;
      });
      std::scoped_lock lock(mutex_);
      status_ = res ? res->status : -1;
      if (res && res->status != 200) {
        body_ = res->body;
      }
      done_ = true;
      changed_.notify_all();
    });
  }
  ~SseReader() { Stop(); }
  SseReader(const SseReader&) = delete;
  SseReader& operator=(const SseReader&) = delete;

  void Stop() {
    {
      std::scoped_lock lock(mutex_);
      stop_ = true;
    }
    client_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  // The first event (in order of arrival) that `match` accepts, waiting up to 10 s for it.
  std::optional<Event> WaitFor(const std::function<bool(const Event&)>& match) {
    std::unique_lock lock(mutex_);
    std::optional<Event> found;
    changed_.wait_for(lock, std::chrono::seconds(10), [&] {
      for (const Event& e : events_) {
        if (match(e)) {
          found = e;
          return true;
        }
      }
      return done_;
    });
    return found;
  }
  std::optional<Event> WaitFor(const std::string& type) {
    return WaitFor([&](const Event& e) { return e.type == type; });
  }
  // A message event from `role` whose text is `text`.
  std::optional<Event> WaitForMessage(const std::string& role, const std::string& text) {
    return WaitFor([&](const Event& e) {
      return e.type == "message" && e.data["message"]["role"] == role &&
             e.data["message"]["text"] == text;
    });
  }
  // Whether the server ended the stream within `timeout`.
  bool WaitDone(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done_; });
  }
  // Whether a heartbeat comment arrived within 10 s.
  bool WaitForPing() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return pings_ > 0 || done_; }) &&
           pings_ > 0;
  }
  int status() {
    std::scoped_lock lock(mutex_);
    return status_;
  }

 private:
  // REQUIRES: mutex_ held.
  void Parse() {
    for (size_t end = buffer_.find("\n\n"); end != std::string::npos; end = buffer_.find("\n\n")) {
      const std::string block = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      Event e;
      std::string data;
      size_t pos = 0;
      while (pos <= block.size()) {
        const size_t nl = std::min(block.find('\n', pos), block.size());
        const std::string line = block.substr(pos, nl - pos);
        if (line.rfind(": ping", 0) == 0) {
          ++pings_;
        } else if (line.rfind("event: ", 0) == 0) {
          e.type = line.substr(7);
        } else if (line.rfind("data: ", 0) == 0) {
          data += line.substr(6);
        }
        pos = nl + 1;
      }
      if (!e.type.empty()) {
        e.data = json::parse(data, nullptr, false);
        events_.push_back(std::move(e));
      }
    }
  }

  httplib::Client client_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string buffer_;
  std::vector<Event> events_;
  int pings_ = 0;
  int status_ = 0;
  std::string body_;
  bool stop_ = false;
  bool done_ = false;
};

class HandoffServerTest : public ServerTest {
 protected:
  void SetUp() override {}

  httplib::Headers AgentHeaders(const std::string& agent = "alice") const {
    return {{"Authorization", std::string("Bearer ") + kAgentKey}, {"X-Kefu-Agent", agent}};
  }
  static httplib::Headers ShopperHeaders(const json& conv) {
    return {{"Authorization", "Bearer " + conv["token"].get<std::string>()}};
  }
  static std::string Id(const json& conv) { return conv["conversation_id"].get<std::string>(); }
  httplib::Result AgentPost(const json& conv, const std::string& action,
                            const std::string& body = "") {
    return client_->Post("/v1/agent/conversations/" + Id(conv) + "/" + action, AgentHeaders(), body,
                         "application/json");
  }
};

TEST_F(HandoffServerTest, ShopperAndAgentTalkLiveThenTheBotTakesOver) {
  Start({}, {.sse_heartbeat_ms = 200});
  SseReader queue_feed(server_->port(), "/v1/agent/events", AgentHeaders());
  ASSERT_TRUE(queue_feed.WaitFor("ready")) << queue_feed.status();

  // The shopper asks for a person; the agent sees it in the queue (live and listed) and claims it.
  json conv = Open();
  auto ask = Post(conv, json{{"text", "我要转人工"}}.dump());
  ASSERT_TRUE(ask);
  ASSERT_EQ(ask->status, 200) << ask->body;
  EXPECT_TRUE(json::parse(ask->body)["queued"].get<bool>()) << ask->body;
  EXPECT_TRUE(queue_feed.WaitFor([&](const SseReader::Event& e) {
    return e.type == "queue" && e.data["conversation_id"] == Id(conv);
  }));
  auto queue = client_->Get("/v1/agent/queue", AgentHeaders());
  ASSERT_TRUE(queue);
  ASSERT_EQ(queue->status, 200) << queue->body;
  ASSERT_EQ(json::parse(queue->body)["queue"].size(), 1u);
  EXPECT_EQ(json::parse(queue->body)["queue"][0]["conversation_id"], Id(conv));
  auto claim = AgentPost(conv, "claim");
  ASSERT_TRUE(claim);
  ASSERT_EQ(claim->status, 200) << claim->body;

  // The agent's message reaches the shopper's open event stream.
  SseReader shopper(server_->port(), "/v1/conversations/" + Id(conv) + "/events",
                    ShopperHeaders(conv));
  ASSERT_TRUE(shopper.WaitFor("ready")) << shopper.status();
  auto said = AgentPost(conv, "messages", json{{"text", "您好，我是客服 Alice"}}.dump());
  ASSERT_TRUE(said);
  ASSERT_EQ(said->status, 201) << said->body;
  EXPECT_TRUE(shopper.WaitForMessage("agent", "您好，我是客服 Alice"));

  // The shopper's answer reaches the agent's stream, and the bot stays silent.
  SseReader agent(server_->port(), "/v1/agent/events?conversation=" + Id(conv), AgentHeaders());
  ASSERT_TRUE(agent.WaitFor("ready")) << agent.status();
  auto answer = Post(conv, json{{"text", "我的快递三天没动了"}}.dump());
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  EXPECT_TRUE(json::parse(answer->body)["silent"].get<bool>());
  EXPECT_EQ(json::parse(answer->body)["reply"]["text"], "");
  EXPECT_TRUE(agent.WaitForMessage("user", "我的快递三天没动了"));
  const std::vector<store::Message> history = *engine_->History(Id(conv), 0, 100);
  EXPECT_EQ(history.back().role, "user");
  EXPECT_TRUE(shopper.WaitForPing());  // idle streams get heartbeats

  // Closed: the bot answers again.
  auto close = AgentPost(conv, "close");
  ASSERT_TRUE(close);
  ASSERT_EQ(close->status, 200) << close->body;
  auto hello = Post(conv, json{{"text", "你好"}}.dump());
  ASSERT_TRUE(hello);
  ASSERT_EQ(hello->status, 200) << hello->body;
  EXPECT_FALSE(json::parse(hello->body)["silent"].get<bool>());
  EXPECT_FALSE(json::parse(hello->body)["reply"]["text"].get<std::string>().empty());
  EXPECT_TRUE(shopper.WaitFor([](const SseReader::Event& e) {
    return e.type == "message" && e.data["message"]["role"] == "assistant";
  }));
}

// The agents' WebSocket over the network: a wrong key is closed with 4401; with the right one
// the queue's events arrive, and a watched conversation's with its id.
TEST_F(HandoffServerTest, AgentWebSocketCarriesTheQueueAndAWatchedConversation) {
  Start({}, {});
  namespace beast = boost::beast;
  namespace websocket = beast::websocket;
  boost::asio::io_context ioc;
  auto connect = [&] {
    auto ws = std::make_unique<websocket::stream<boost::asio::ip::tcp::socket>>(ioc);
    ws->next_layer().connect(
        {boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server_->port())});
    ws->handshake("127.0.0.1", "/v1/agent/ws");
    return ws;
  };
  auto read = [](websocket::stream<boost::asio::ip::tcp::socket>& ws) {
    beast::flat_buffer b;
    ws.read(b);
    return json::parse(beast::buffers_to_string(b.data()));
  };
  {
    auto ws = connect();
    ws->write(boost::asio::buffer(std::string(R"({"type":"auth","agent":"alice","key":"nope"})")));
    beast::flat_buffer b;
    beast::error_code ec;
    ws->read(b, ec);
    EXPECT_EQ(ec, websocket::error::closed);
    EXPECT_EQ(ws->reason().code, 4401);
  }
  auto ws = connect();
  ws->write(
      boost::asio::buffer(json{{"type", "auth"}, {"agent", "alice"}, {"key", kAgentKey}}.dump()));
  EXPECT_EQ(read(*ws)["type"], "ready");
  json conv = Open();
  ASSERT_EQ(Post(conv, json{{"text", "我要转人工"}}.dump())->status, 200);
  json queued = read(*ws);
  EXPECT_EQ(queued["type"], "queue");
  EXPECT_EQ(queued["conversation_id"], Id(conv));
  ws->write(boost::asio::buffer(json{{"type", "watch"}, {"conversation_id", Id(conv)}}.dump()));
  EXPECT_EQ(read(*ws)["type"], "watching");
  ws->write(boost::asio::buffer(std::string(R"({"type":"watch","conversation_id":"c_nope"})")));
  EXPECT_EQ(read(*ws)["error"]["code"], "not_found");  // and the previous watch is dropped
  ws->write(boost::asio::buffer(json{{"type", "watch"}, {"conversation_id", Id(conv)}}.dump()));
  EXPECT_EQ(read(*ws)["type"], "watching");
  ASSERT_EQ(AgentPost(conv, "claim")->status, 200);
  bool joined = false;
  bool requeued = false;
  for (int i = 0; i < 4 && !(joined && requeued); ++i) {
    json e = read(*ws);
    joined = joined || (e["type"] == "handoff" && e["conversation_id"] == Id(conv));
    requeued = requeued || e["type"] == "queue";
  }
  EXPECT_TRUE(joined);
  EXPECT_TRUE(requeued);
  ws->close(websocket::close_code::normal);
}

TEST_F(HandoffServerTest, ShutdownClosesOpenStreamsPromptly) {
  Start({}, {});  // a 15 s heartbeat and a 10 s grace period: neither may be what ends it
  json conv = Open();
  SseReader shopper(server_->port(), "/v1/conversations/" + Id(conv) + "/events",
                    ShopperHeaders(conv));
  ASSERT_TRUE(shopper.WaitFor("ready")) << shopper.status();
  const auto start = std::chrono::steady_clock::now();
  server_->Shutdown();
  EXPECT_TRUE(shopper.WaitDone(std::chrono::seconds(3)));
  server_->Wait();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(HandoffServerTest, StreamsBeyondTheLimitGet503) {
  Start({}, {.max_streams = 1});
  SseReader first(server_->port(), "/v1/agent/events", AgentHeaders());
  ASSERT_TRUE(first.WaitFor("ready")) << first.status();
  ExpectError(client_->Get("/v1/agent/events", AgentHeaders()), 503, "unavailable");
  EXPECT_EQ(client_->Get("/healthz")->status, 200);
}

// The knowledge-base admin API over real HTTP: uploads may exceed the chat body limit (the limit
// is chosen per route after the header is read), chat messages may not.
class KbServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewSqliteStore({.path = dir_.File("kefu.db")}));
    ASSERT_OK(demo::ResetDemoShop(*store_, kefu::testing::SourceDataDir() + "/demo"));
    kb_ = std::move(*kb::KnowledgeBase::Open(*store_, SystemClock(), {}));
    engine_ = std::move(*engine::Engine::Create(
        *store_, SystemClock(),
        {.data_dir = kefu::testing::SourceDataDir(), .knowledge_base = kb_.get()}));
    api_ = std::make_unique<Api>(
        *engine_,
        ApiOptions{.max_body_bytes = 4096, .max_upload_bytes = 64 * 1024, .admin_key = "adm"},
        kb_.get());
    server_ = std::make_unique<HttpServer>(
        *api_, ServerOptions{.host = "127.0.0.1", .port = 0, .max_body_bytes = 4096});
    ASSERT_OK(server_->Start());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }
  kefu::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<kb::KnowledgeBase> kb_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(KbServerTest, LargeUploadIsAcceptedButALargeChatMessageIsNot) {
  std::string policy = "# 以旧换新\n\n## 回收规则\n\n旧手机回收价按成色评估，最高抵扣 800 元。\n\n";
  for (int i = 0; i < 400; ++i) {
    policy += "## 附则 " + std::to_string(i) + "\n\n本条款说明第 " + std::to_string(i) +
              " 项细则，与回收价无关。\n\n";
  }
  const json body = {{"name", "trade-in.md"}, {"content", policy}, {"category", "policy"}};
  ASSERT_GT(body.dump().size(), 4096u * 4);
  httplib::Headers admin = {{"Authorization", "Bearer adm"}};
  auto up = client_->Post("/v1/kb/documents", admin, body.dump(), "application/json");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 201) << up->body;

  auto search =
      client_->Get("/v1/kb/search?q=%E6%97%A7%E6%89%8B%E6%9C%BA%E5%9B%9E%E6%94%B6", admin);
  ASSERT_TRUE(search);
  ASSERT_EQ(search->status, 200);
  EXPECT_EQ(json::parse(search->body)["hits"][0]["heading"], "以旧换新 > 回收规则");

  auto conv = client_->Post("/v1/conversations", "{}", "application/json");
  const json c = json::parse(conv->body);
  httplib::Headers shopper = {{"Authorization", "Bearer " + c["token"].get<std::string>()}};
  const std::string path =
      "/v1/conversations/" + c["conversation_id"].get<std::string>() + "/messages";
  auto big = client_->Post(path, shopper, json{{"text", std::string(5000, 'a')}}.dump(),
                           "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
}

TEST_F(KbServerTest, AdminRoutesNeedTheKeyOverHttp) {
  auto none = client_->Get("/v1/kb/documents");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto wrong = client_->Get("/v1/kb/documents", {{"Authorization", "Bearer nope"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 403);
}

}  // namespace
}  // namespace kefu::server
