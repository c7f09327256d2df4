// Streaming over HTTP: the shopper's SSE response carries the model's sentences as they are
// written (each after the grounding guard), withdraws what a refused sentence follows, and a
// shopper who hangs up stops the generation; the turn is stored either way.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "demo/demo_shop.h"
#include "engine/engine.h"
#include "fakes/fake_llm_server.h"
#include "llm/llm.h"
#include "server/http_server.h"
#include "test_util.h"

namespace kefu::server {
namespace {

using nlohmann::json;
using FakeLlm = kefu::testing::FakeLlmServer;
using Clock = std::chrono::steady_clock;

struct SseEvent {
  std::string name;
  json data;
  int64_t at_ms = 0;  // since the request was sent
};

// A raw HTTP/1.1 client: POSTs a message with Accept: text/event-stream and reads events as they
// arrive, so the test sees when each one came (and can hang up mid-stream).
class SseClient {
 public:
  explicit SseClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~SseClient() { Close(); }
  void Close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  bool ok() const { return ok_; }

  void Send(const std::string& path, const std::string& token, const std::string& text) {
    const std::string body = json{{"text", text}}.dump();
    const std::string req = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                            "Authorization: Bearer " + token + "\r\n" +
                            "Accept: text/event-stream\r\nContent-Type: application/json\r\n" +
                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    start_ = Clock::now();
    ASSERT_EQ(::send(fd_, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  }

  // The next event, or nullopt when the connection ends first. Chunked framing is skipped by
  // looking for "event: " lines only (chunk sizes are hex lines of their own).
  std::optional<SseEvent> Next() {
    for (;;) {
      const size_t end = buffer_.find("\n\n");
      if (end != std::string::npos) {
        std::string block = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        const size_t e = block.find("event: ");
        const size_t d = block.find("data: ");
        if (e == std::string::npos || d == std::string::npos) {
          continue;
        }
        SseEvent ev;
        ev.name = block.substr(e + 7, block.find('\n', e) - e - 7);
        ev.data = json::parse(block.substr(d + 6), nullptr, false);
        ev.at_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
        return ev;
      }
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        return std::nullopt;
      }
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::string buffer_;
  Clock::time_point start_;
};

class LlmStreamingTest : public ::testing::Test {
 protected:
  void Start(const std::string& base_url, int budget_ms) {
    store_ = std::move(*store::NewSqliteStore({.path = dir_.File("kefu.db")}));
    ASSERT_OK(demo::ResetDemoShop(*store_, kefu::testing::SourceDataDir() + "/demo"));
    llm::LlmBackendOptions o;
    o.base_url = base_url;
    o.model = "fake";
    o.max_retries = 0;
    llm_ = std::move(*llm::NewOpenAiBackend(o));
    engine_ =
        std::move(*engine::Engine::Create(*store_, SystemClock(),
                                          {.data_dir = kefu::testing::SourceDataDir(),
                                           .llm = llm_.get(),
                                           .responder = {.first_token_timeout_ms = budget_ms}}));
    api_ = std::make_unique<Api>(*engine_, ApiOptions{.turn_deadline_ms = 10'000});
    server_ = std::make_unique<HttpServer>(
        *api_,
        ServerOptions{
            .host = "127.0.0.1", .port = 0, .worker_threads = 2, .turn_deadline_ms = 10'000});
    ASSERT_OK(server_->Start());
    httplib::Client http("127.0.0.1", server_->port());
    auto created = http.Post("/v1/conversations", "{}", "application/json");
    ASSERT_TRUE(created && created->status == 201);
    const json conv = json::parse(created->body);
    conversation_ = conv["conversation_id"].get<std::string>();
    token_ = conv["token"].get<std::string>();
  }
  std::string Path() const { return "/v1/conversations/" + conversation_ + "/messages"; }

  std::vector<SseEvent> ReadAll(SseClient& client) {
    std::vector<SseEvent> events;
    while (std::optional<SseEvent> e = client.Next()) {
      events.push_back(std::move(*e));
      if (events.back().name == "done" || events.back().name == "error") {
        break;
      }
    }
    return events;
  }

  kefu::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<llm::LlmBackend> llm_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  std::string conversation_;
  std::string token_;
};

TEST_F(LlmStreamingTest, SentencesReachTheShopperWhileTheModelIsStillWriting) {
  FakeLlm model;
  // A sentence is released once the text after its end arrives (that decides where it ends).
  model.Script({FakeLlm::Reply::Stream({{FakeLlm::ContentChunk("您好！很高兴")},
                                        {FakeLlm::ContentChunk("为您服务。"), 400},
                                        {FakeLlm::ContentChunk("请问有什么可以帮您？"), 400},
                                        {FakeLlm::UsageChunk(120, 18)}})});
  Start(model.base_url(), 3'000);
  SseClient client(server_->port());
  ASSERT_TRUE(client.ok());
  client.Send(Path(), token_, "你好");
  const std::vector<SseEvent> events = ReadAll(client);
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events.front().name, "start");
  std::vector<std::string> deltas;
  int64_t first_delta_ms = -1;
  for (const SseEvent& e : events) {
    if (e.name == "delta") {
      deltas.push_back(e.data["text"].get<std::string>());
      if (first_delta_ms < 0) {
        first_delta_ms = e.at_ms;
      }
    }
  }
  EXPECT_EQ(deltas,
            (std::vector<std::string>{"您好！", "很高兴为您服务。", "请问有什么可以帮您？"}));
  const SseEvent& done = events.back();
  ASSERT_EQ(done.name, "done");
  EXPECT_EQ(done.data["reply"]["text"], "您好！很高兴为您服务。请问有什么可以帮您？");
  // The first sentence was on screen while the model still had 800 ms of writing to do.
  EXPECT_GE(done.at_ms - first_delta_ms, 600)
      << "first delta at " << first_delta_ms << " ms, done at " << done.at_ms << " ms";
  // The reply and its token counts are stored.
  Result<std::vector<store::Message>> history = engine_->History(conversation_, 0, 10);
  ASSERT_OK_RESULT(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[1].text, done.data["reply"]["text"].get<std::string>());
  EXPECT_EQ((*history)[1].prompt_tokens, 120);
  EXPECT_EQ((*history)[1].completion_tokens, 18);
  EXPECT_EQ((*history)[1].model, "llm");
}

TEST_F(LlmStreamingTest, ARefusedSentenceIsNeverSentAndWhatCameBeforeIsWithdrawn) {
  FakeLlm model;
  model.Script({FakeLlm::Reply::Stream(
      {{FakeLlm::ContentChunk("您好！")},
       {FakeLlm::ContentChunk("您的订单 2026112500000009 已经发货了。"), 50},
       {FakeLlm::ContentChunk("还有别的问题吗？")}})});
  Start(model.base_url(), 3'000);
  SseClient client(server_->port());
  client.Send(Path(), token_, "你好");
  const std::vector<SseEvent> events = ReadAll(client);
  std::string shown;
  int resets = 0;
  for (const SseEvent& e : events) {
    if (e.name == "delta") {
      EXPECT_EQ(e.data["text"].get<std::string>().find("2026112500000009"), std::string::npos);
      shown += e.data["text"].get<std::string>();
    } else if (e.name == "reset") {
      shown.clear();
      ++resets;
    }
  }
  EXPECT_EQ(resets, 2);  // each attempt showed "您好！" before its refused sentence
  ASSERT_EQ(events.back().name, "done");
  const std::string reply = events.back().data["reply"]["text"].get<std::string>();
  EXPECT_EQ(shown, reply);  // the template, sent after the last reset
  EXPECT_EQ(events.back().data["trace"]["llm"]["reason"], "ungrounded facts");
  EXPECT_EQ(model.request_count(), 2u);
}

TEST_F(LlmStreamingTest, AShopperWhoHangsUpStopsTheGenerationAndTheTurnIsStored) {
  FakeLlm model;
  std::vector<FakeLlm::Chunk> chunks = {{FakeLlm::ContentChunk("您好！")}};
  for (int i = 0; i < 30; ++i) {
    chunks.push_back({FakeLlm::ContentChunk("很高兴为您服务。"), 100});
  }
  model.Script({FakeLlm::Reply::Stream(chunks)});
  Start(model.base_url(), 8'000);
  {
    SseClient client(server_->port());
    client.Send(Path(), token_, "你好");
    std::optional<SseEvent> e;
    do {
      e = client.Next();
    } while (e && e->name != "delta");
    ASSERT_TRUE(e.has_value());
  }  // hangs up after the first sentence; the model has ~3 s left to write
  const auto closed = Clock::now();
  std::vector<store::Message> stored;
  while (Clock::now() - closed < std::chrono::seconds(5)) {
    Result<std::vector<store::Message>> history = engine_->History(conversation_, 0, 10);
    ASSERT_OK_RESULT(history);
    if (history->size() == 2) {
      stored = *history;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - closed).count();
  ASSERT_EQ(stored.size(), 2u) << "the turn was not stored";
  EXPECT_LT(ms, 1'500) << "the generation ran on after the shopper left";
  const json trace = json::parse(stored[1].trace_json);
  EXPECT_EQ(trace["llm"]["reason"], "shopper disconnected") << stored[1].trace_json;
  EXPECT_NE(stored[1].text.find("您好"), std::string::npos);  // the template reply
  EXPECT_GT(stored[1].prompt_tokens, 0);
  // The server is fine afterwards: the next turn streams as usual.
  SseClient again(server_->port());
  again.Send(Path(), token_, "你好");
  const std::vector<SseEvent> events = ReadAll(again);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().name, "done");
}

// A client that stays is never taken for one that left (epoll may report a socket readable
// when nothing is there); many streamed turns on one keep-alive connection all use the model.
TEST_F(LlmStreamingTest, AClientThatStaysIsNeverTakenForGone) {
  FakeLlm model;
  model.Script({FakeLlm::Reply::Stream({{FakeLlm::ContentChunk("您好！很高兴为您服务。")}})});
  Start(model.base_url(), 3'000);
  SseClient client(server_->port());
  ASSERT_TRUE(client.ok());
  int used = 0;
  constexpr int kTurns = 100;
  for (int i = 0; i < kTurns; ++i) {
    client.Send(Path(), token_, i % 2 == 0 ? "你好" : "谢谢");
    const std::vector<SseEvent> events = ReadAll(client);
    ASSERT_FALSE(events.empty()) << "turn " << i << ": the connection closed";
    ASSERT_EQ(events.back().name, "done") << "turn " << i;
    const json& llm = events.back().data["trace"]["llm"];
    EXPECT_NE(llm.value("reason", ""), "shopper disconnected") << "turn " << i;
    used += llm["used"].get<bool>() ? 1 : 0;
  }
  EXPECT_EQ(used, kTurns);
}

TEST_F(LlmStreamingTest, WithoutAcceptEventStreamTheWholeReplyComesAsJson) {
  FakeLlm model;
  model.Script({FakeLlm::Reply::Stream({{FakeLlm::ContentChunk("您好！很高兴为您服务。")}})});
  Start(model.base_url(), 3'000);
  httplib::Client http("127.0.0.1", server_->port());
  auto r = http.Post(Path(), {{"Authorization", "Bearer " + token_}}, R"({"text":"你好"})",
                     "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["reply"]["text"], "您好！很高兴为您服务。");
}

TEST_F(LlmStreamingTest, AFailedTurnBeforeStreamingIsAPlainJsonError) {
  FakeLlm model;
  model.Script({FakeLlm::Reply::Stream({{FakeLlm::ContentChunk("您好！")}})});
  Start(model.base_url(), 3'000);
  httplib::Client http("127.0.0.1", server_->port());
  auto r =
      http.Post(Path(), {{"Authorization", "Bearer wrong-token"}, {"Accept", "text/event-stream"}},
                R"({"text":"你好"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "permission_denied");
}

}  // namespace
}  // namespace kefu::server
