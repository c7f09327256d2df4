#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fakes/fake_llm_server.h"
#include "llm/llm.h"
#include "test_util.h"

namespace kefu::llm {
namespace {

using testing::FakeLlmServer;
using Chunk = FakeLlmServer::Chunk;
using Reply = FakeLlmServer::Reply;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class LlmBackendTest : public ::testing::Test {
 protected:
  LlmBackendOptions Options(const std::string& name = "fake") const {
    LlmBackendOptions o;
    o.name = name;
    o.base_url = server_.base_url();
    o.model = "test-model";
    o.retry_backoff_ms = 5;
    o.first_token_timeout_ms = 2'000;
    o.total_timeout_ms = 5'000;
    return o;
  }

  std::unique_ptr<LlmBackend> Backend(const LlmBackendOptions& options) {
    Result<std::unique_ptr<LlmBackend>> backend = NewOpenAiBackend(options);
    EXPECT_TRUE(backend.ok()) << backend.status().ToString();
    return backend.ok() ? std::move(backend).value() : nullptr;
  }

  static ChatRequest Request() {
    ChatRequest r;
    ChatMessage system;
    system.role = "system";
    system.content = "你是客服。";
    ChatMessage user;
    user.role = "user";
    user.content = "发货要多久？";
    r.messages = {system, user};
    return r;
  }

  static Reply HelloStream() {
    return Reply::Stream({{FakeLlmServer::ContentChunk("您好")},
                          {FakeLlmServer::ContentChunk("，")},
                          {FakeLlmServer::ContentChunk("三天内发货")},
                          {FakeLlmServer::FinishChunk("stop")},
                          {FakeLlmServer::UsageChunk(21, 5)}});
  }

  FakeLlmServer server_;
  RequestContext ctx_ = RequestContext::WithTimeout("t", std::chrono::seconds(10));
};

TEST_F(LlmBackendTest, StreamsContentInOrderUntilDone) {
  server_.Script({HelloStream()});
  auto llm = Backend(Options());
  std::vector<std::string> deltas;
  Result<ChatResponse> r = llm->Chat(Request(), ctx_, [&](std::string_view d) {
    deltas.emplace_back(d);
    return true;
  });
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(deltas, (std::vector<std::string>{"您好", "，", "三天内发货"}));
  EXPECT_EQ(r->content, "您好，三天内发货");
  EXPECT_EQ(r->finish_reason, "stop");
  EXPECT_EQ(r->prompt_tokens, 21);
  EXPECT_EQ(r->completion_tokens, 5);
  EXPECT_FALSE(r->usage_estimated);
  EXPECT_EQ(r->backend, "fake");
  EXPECT_GE(r->total_ms, r->first_token_ms);
}

TEST_F(LlmBackendTest, SendsModelMessagesAndSamplingOptions) {
  server_.Script({HelloStream()});
  LlmBackendOptions options = Options();
  options.api_key = "sk-secret";
  auto llm = Backend(options);
  ChatRequest request = Request();
  request.max_tokens = 64;
  request.temperature = 0.3;
  request.stop = {"\n\n"};
  request.seed = 42;
  ToolSpec tool{"get_order", "Look up an order", {{"type", "object"}}};
  request.tools = {tool};
  request.tool_choice = "auto";
  ASSERT_OK_RESULT(llm->Chat(request, ctx_));
  ASSERT_EQ(server_.request_count(), 1u);
  const FakeLlmServer::Recorded got = server_.requests()[0];
  EXPECT_EQ(got.body["model"], "test-model");
  EXPECT_EQ(got.body["stream"], true);
  EXPECT_EQ(got.body["max_tokens"], 64);
  EXPECT_DOUBLE_EQ(got.body["temperature"].get<double>(), 0.3);
  EXPECT_EQ(got.body["stop"], nlohmann::json::array({"\n\n"}));
  EXPECT_EQ(got.body["seed"], 42);
  ASSERT_EQ(got.body["messages"].size(), 2u);
  EXPECT_EQ(got.body["messages"][1]["role"], "user");
  EXPECT_EQ(got.body["messages"][1]["content"], "发货要多久？");
  EXPECT_EQ(got.body["tools"][0]["function"]["name"], "get_order");
  EXPECT_EQ(got.body["tools"][0]["function"]["parameters"]["type"], "object");
  EXPECT_EQ(got.body["tool_choice"], "auto");
  EXPECT_EQ(got.header("Authorization"), "Bearer sk-secret");
}

TEST_F(LlmBackendTest, NoApiKeyNoAuthorizationHeader) {
  server_.Script({HelloStream()});
  auto llm = Backend(Options());
  ASSERT_OK_RESULT(llm->Chat(Request(), ctx_));
  EXPECT_EQ(server_.requests()[0].header("Authorization"), "");
}

TEST_F(LlmBackendTest, NonStreamedAnswer) {
  server_.Script({Reply::Json(
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":"好的"},)"
      R"("finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2}})")});
  auto llm = Backend(Options());
  ChatRequest request = Request();
  request.stream = false;
  Result<ChatResponse> r = llm->Chat(request, ctx_);
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->content, "好的");
  EXPECT_EQ(r->finish_reason, "stop");
  EXPECT_EQ(r->completion_tokens, 2);
  EXPECT_EQ(server_.requests()[0].body["stream"], false);
}

TEST_F(LlmBackendTest, ToolCallDeltasAreMergedByIndex) {
  server_.Script({Reply::Stream({
      {FakeLlmServer::ToolCallChunk(0, "call_a", "get_order", "{\"order")},
      {FakeLlmServer::ToolCallChunk(1, "call_b", "get_shipment", "{")},
      {FakeLlmServer::ToolCallChunk(0, "", "", "_id\": \"A1\"}")},
      {FakeLlmServer::ToolCallChunk(1, "", "", "}")},
      {FakeLlmServer::FinishChunk("tool_calls")},
  })});
  auto llm = Backend(Options());
  Result<ChatResponse> r = llm->Chat(Request(), ctx_);
  ASSERT_OK_RESULT(r);
  ASSERT_EQ(r->tool_calls.size(), 2u);
  EXPECT_EQ(r->tool_calls[0].id, "call_a");
  EXPECT_EQ(r->tool_calls[0].name, "get_order");
  EXPECT_EQ(r->tool_calls[0].arguments_json, "{\"order_id\": \"A1\"}");
  EXPECT_EQ(r->tool_calls[1].name, "get_shipment");
  EXPECT_EQ(r->tool_calls[1].arguments_json, "{}");
  EXPECT_EQ(r->finish_reason, "tool_calls");
  EXPECT_TRUE(r->usage_estimated);
}

TEST_F(LlmBackendTest, RetriesAfter429) {
  Reply limited = Reply::Status(429);
  limited.headers["Retry-After"] = "0";
  server_.Script({limited, HelloStream()});
  auto llm = Backend(Options());
  Result<ChatResponse> r = llm->Chat(Request(), ctx_);
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->content, "您好，三天内发货");
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(LlmBackendTest, RetriesTwo500sThenSucceeds) {
  server_.Script({Reply::Status(500), Reply::Status(503), HelloStream()});
  auto llm = Backend(Options());
  ASSERT_OK_RESULT(llm->Chat(Request(), ctx_));
  EXPECT_EQ(server_.request_count(), 3u);
}

TEST_F(LlmBackendTest, GivesUpAfterMaxRetries) {
  server_.Script({Reply::Status(500)});
  auto llm = Backend(Options());
  Result<ChatResponse> r = llm->Chat(Request(), ctx_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_EQ(server_.request_count(), 3u);  // the first try and max_retries = 2
}

TEST_F(LlmBackendTest, ClientErrorIsNotRetried) {
  server_.Script({Reply::Status(401, R"({"error":{"message":"bad key"}})")});
  auto llm = Backend(Options());
  Result<ChatResponse> r = llm->Chat(Request(), ctx_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("bad key"), std::string::npos);
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(LlmBackendTest, CutAfterDeltasIsAnErrorAndNotRetried) {
  Reply cut =
      Reply::Stream({{FakeLlmServer::ContentChunk("您好")}, {FakeLlmServer::ContentChunk("，我")}});
  cut.cut = true;
  server_.Script({cut, HelloStream()});
  auto llm = Backend(Options());
  std::string streamed;
  Result<ChatResponse> r = llm->Chat(Request(), ctx_, [&](std::string_view d) {
    streamed += d;
    return true;
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_EQ(streamed, "您好，我");
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(LlmBackendTest, StreamWithoutDoneButWithFinishReasonIsOk) {
  Reply reply = HelloStream();
  reply.done = false;
  server_.Script({reply});
  auto llm = Backend(Options());
  ASSERT_OK_RESULT(llm->Chat(Request(), ctx_));
}

TEST_F(LlmBackendTest, FirstTokenTimeoutFailsQuickly) {
  server_.Script({Reply::Stream({{FakeLlmServer::ContentChunk("late"), 3'000}})});
  LlmBackendOptions options = Options();
  options.first_token_timeout_ms = 200;
  auto llm = Backend(options);
  const Clock::time_point start = Clock::now();
  Result<ChatResponse> r = llm->Chat(Request(), ctx_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_LT(Clock::now() - start, milliseconds(1'500));
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(LlmBackendTest, ContextDeadlineCapsTheTimeouts) {
  server_.Script({Reply::Stream({{FakeLlmServer::ContentChunk("late"), 3'000}})});
  auto llm = Backend(Options());
  RequestContext ctx = RequestContext::WithTimeout("t", milliseconds(150));
  const Clock::time_point start = Clock::now();
  Result<ChatResponse> r = llm->Chat(Request(), ctx);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_LT(Clock::now() - start, milliseconds(1'500));
}

TEST_F(LlmBackendTest, CallbackReturningFalseCancelsTheStream) {
  std::vector<Chunk> chunks;
  for (int i = 0; i < 40; ++i) {
    chunks.push_back({FakeLlmServer::ContentChunk("字"), 20});
  }
  server_.Script({Reply::Stream(chunks)});
  auto llm = Backend(Options());
  int calls = 0;
  Result<ChatResponse> r =
      llm->Chat(Request(), ctx_, [&](std::string_view) { return ++calls < 2; });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 2);
  for (int i = 0; i < 200 && !server_.saw_disconnect(); ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(server_.saw_disconnect());
}

TEST_F(LlmBackendTest, ContextCancelStopsTheStream) {
  std::vector<Chunk> chunks;
  for (int i = 0; i < 40; ++i) {
    chunks.push_back({FakeLlmServer::ContentChunk("字"), 20});
  }
  server_.Script({Reply::Stream(chunks)});
  auto llm = Backend(Options());
  Result<ChatResponse> r = llm->Chat(Request(), ctx_, [&](std::string_view) {
    ctx_.Cancel();
    return true;
  });
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
}

TEST_F(LlmBackendTest, MalformedChunksAreSkipped) {
  server_.Script({Reply::Stream({{FakeLlmServer::ContentChunk("好")},
                                 {"{not json"},
                                 {": keep-alive\n\n", 0, true},
                                 {FakeLlmServer::ContentChunk("的")},
                                 {FakeLlmServer::FinishChunk("stop")}})});
  auto llm = Backend(Options());
  Result<ChatResponse> r = llm->Chat(Request(), ctx_);
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->content, "好的");
  EXPECT_EQ(r->skipped_chunks, 1);
}

TEST_F(LlmBackendTest, OnlyMalformedChunksFail) {
  server_.Script({Reply::Stream({{"{oops"}, {"[1,"}})});
  auto llm = Backend(Options());
  Result<ChatResponse> r = llm->Chat(Request(), ctx_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal) << r.status().ToString();
}

TEST_F(LlmBackendTest, BreakerOpensFailsFastAndHalfOpensAfterCooldown) {
  server_.Script({Reply::Status(500)});
  LlmBackendOptions options = Options();
  options.max_retries = 0;
  options.breaker_failures = 2;
  options.breaker_cooldown_ms = 200;
  auto llm = Backend(options);
  EXPECT_FALSE(llm->Chat(Request(), ctx_).ok());
  EXPECT_TRUE(llm->available());
  EXPECT_FALSE(llm->Chat(Request(), ctx_).ok());
  EXPECT_FALSE(llm->available());
  Result<ChatResponse> fast = llm->Chat(Request(), ctx_);
  EXPECT_EQ(fast.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(fast.status().message().find("circuit breaker"), std::string::npos);
  EXPECT_EQ(server_.request_count(), 2u);

  std::this_thread::sleep_for(milliseconds(250));
  EXPECT_TRUE(llm->available());
  server_.Script({HelloStream()});
  ASSERT_OK_RESULT(llm->Chat(Request(), ctx_));
  EXPECT_TRUE(llm->available());
  EXPECT_EQ(server_.request_count(), 3u);
}

TEST_F(LlmBackendTest, FailedHalfOpenTrialReopens) {
  server_.Script({Reply::Status(500)});
  LlmBackendOptions options = Options();
  options.max_retries = 0;
  options.breaker_failures = 1;
  options.breaker_cooldown_ms = 100;
  auto llm = Backend(options);
  EXPECT_FALSE(llm->Chat(Request(), ctx_).ok());
  std::this_thread::sleep_for(milliseconds(150));
  EXPECT_FALSE(llm->Chat(Request(), ctx_).ok());  // the trial
  EXPECT_FALSE(llm->available());
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(LlmBackendTest, ConcurrencyLimitQueuesTheSecondCall) {
  std::vector<Chunk> slow;
  for (int i = 0; i < 5; ++i) {
    slow.push_back({FakeLlmServer::ContentChunk("字"), 40});
  }
  server_.Script({Reply::Stream(slow)});
  LlmBackendOptions options = Options();
  options.max_concurrency = 1;
  auto llm = Backend(options);
  auto call = [&] {
    RequestContext ctx = RequestContext::WithTimeout("p", std::chrono::seconds(5));
    return llm->Chat(Request(), ctx);
  };
  auto a = std::async(std::launch::async, call);
  auto b = std::async(std::launch::async, call);
  EXPECT_TRUE(a.get().ok());
  EXPECT_TRUE(b.get().ok());
  EXPECT_EQ(server_.max_in_flight(), 1);
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(LlmBackendTest, NoFreeSlotWithinFirstTokenBudgetIsResourceExhausted) {
  std::vector<Chunk> slow;
  for (int i = 0; i < 10; ++i) {
    slow.push_back({FakeLlmServer::ContentChunk("字"), 50});
  }
  server_.Script({Reply::Stream(slow)});
  LlmBackendOptions options = Options();
  options.max_concurrency = 1;
  options.first_token_timeout_ms = 150;
  auto llm = Backend(options);
  auto first = std::async(std::launch::async, [&] {
    RequestContext ctx = RequestContext::WithTimeout("p", std::chrono::seconds(5));
    return llm->Chat(Request(), ctx);
  });
  while (server_.request_count() == 0) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  Result<ChatResponse> second = llm->Chat(Request(), ctx_);
  EXPECT_EQ(second.status().code(), StatusCode::kResourceExhausted) << second.status().ToString();
  EXPECT_TRUE(first.get().ok());
  EXPECT_TRUE(llm->available());  // a busy slot says nothing about the server's health
}

TEST_F(LlmBackendTest, FallsBackWhenTheFirstBackendIsDown) {
  server_.Script({HelloStream()});
  LlmBackendOptions down = Options("down");
  down.base_url = "http://127.0.0.1:1/v1";  // nothing listens on port 1
  down.max_retries = 0;
  std::vector<std::unique_ptr<LlmBackend>> backends;
  backends.push_back(Backend(down));
  backends.push_back(Backend(Options("up")));
  auto llm = NewFallbackBackend(std::move(backends));
  Result<ChatResponse> r = llm->Chat(Request(), ctx_);
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->backend, "up");
  EXPECT_EQ(r->content, "您好，三天内发货");
}

TEST_F(LlmBackendTest, SkipsABackendWhoseBreakerIsOpen) {
  FakeLlmServer broken;
  broken.Script({Reply::Status(500)});
  server_.Script({HelloStream()});
  LlmBackendOptions first = Options("first");
  first.base_url = broken.base_url();
  first.max_retries = 0;
  first.breaker_failures = 1;
  std::vector<std::unique_ptr<LlmBackend>> backends;
  backends.push_back(Backend(first));
  backends.push_back(Backend(Options("second")));
  auto llm = NewFallbackBackend(std::move(backends));
  ASSERT_OK_RESULT(llm->Chat(Request(), ctx_));
  ASSERT_OK_RESULT(llm->Chat(Request(), ctx_));
  EXPECT_EQ(broken.request_count(), 1u);  // the second call skipped it
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(LlmBackendTest, NoFallbackAfterTheFirstStreamedDelta) {
  FakeLlmServer flaky;
  Reply cut = Reply::Stream({{FakeLlmServer::ContentChunk("您好")}});
  cut.cut = true;
  flaky.Script({cut});
  server_.Script({HelloStream()});
  LlmBackendOptions first = Options("first");
  first.base_url = flaky.base_url();
  std::vector<std::unique_ptr<LlmBackend>> backends;
  backends.push_back(Backend(first));
  backends.push_back(Backend(Options("second")));
  auto llm = NewFallbackBackend(std::move(backends));
  std::string streamed;
  Result<ChatResponse> r = llm->Chat(Request(), ctx_, [&](std::string_view d) {
    streamed += d;
    return true;
  });
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(streamed, "您好");
  EXPECT_EQ(server_.request_count(), 0u);
}

TEST_F(LlmBackendTest, RejectsBadOptions) {
  LlmBackendOptions options = Options();
  options.model.clear();
  EXPECT_EQ(NewOpenAiBackend(options).status().code(), StatusCode::kInvalidArgument);
  options = Options();
  options.base_url = "ftp://example.com";
  EXPECT_EQ(NewOpenAiBackend(options).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kefu::llm
