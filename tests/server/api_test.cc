#include "server/api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "fakes/shop_fixture.h"
#include "server/api_internal.h"
#include "server/status_mapping.h"
#include "test_util.h"

namespace kefu::server {
namespace {

using nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewSqliteStore({.path = dir_.File("kefu.db")}));
    ASSERT_OK(store_->ReplaceShopData(kefu::testing::SmallShop()));
    engine_ = std::move(*engine::Engine::Create(*store_, SystemClock(),
                                                {.data_dir = kefu::testing::SourceDataDir()}));
    api_ = std::make_unique<Api>(*engine_, ApiOptions{});
  }

  HttpResponse Call(HttpRequest r) {
    RequestContext ctx = RequestContext::Unbounded("t");
    return api_->Handle(r, ctx);
  }

  // A new conversation, as a client sees it: where its messages go and its Authorization header.
  struct Opened {
    std::string path;
    std::string auth;
  };
  Opened Open() {
    HttpResponse c = Call({"POST", "/v1/conversations", "", "", "application/json", "{}"});
    EXPECT_EQ(c.status, 201);
    const json conv = json::parse(c.body);
    return {"/v1/conversations/" + conv["conversation_id"].get<std::string>() + "/messages",
            "Bearer " + conv["token"].get<std::string>()};
  }

  kefu::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Api> api_;
};

TEST_F(ApiTest, ClassifiesStoreWorkAsBlocking) {
  EXPECT_EQ(api_->Classify({"GET", "/healthz", "", "", "", ""}), RouteKind::kInline);
  EXPECT_EQ(api_->Classify({"POST", "/v1/conversations", "", "", "", ""}), RouteKind::kBlocking);
  EXPECT_EQ(api_->Classify({"POST", "/v1/conversations/c_1/messages", "", "", "", ""}),
            RouteKind::kBlocking);
  EXPECT_EQ(api_->Classify({"GET", "/v1/conversations/c_1/messages?after=2", "", "", "", ""}),
            RouteKind::kBlocking);
}

TEST_F(ApiTest, ConversationThenMessage) {
  const auto [path, auth] = Open();
  HttpResponse r = Call({"POST", path, auth, "", "application/json", R"({"text":"你好"})"});
  ASSERT_EQ(r.status, 200) << r.body;
  json body = json::parse(r.body);
  EXPECT_EQ(body["intent"], "greeting");
  EXPECT_FALSE(body["reply"]["text"].get<std::string>().empty());
  EXPECT_TRUE(body["trace"]["stages"].is_array());
  EXPECT_TRUE(body["ui"]["quick_replies"].is_array());
  EXPECT_TRUE(body["ui"]["cards"].empty());
  EXPECT_TRUE(body["ui"]["citations"].empty());
}

// A verified order-status reply carries the order card a chat window draws.
TEST_F(ApiTest, AVerifiedOrderReplyCarriesItsCard) {
  const auto [path, auth] = Open();
  const std::string ask =
      json{{"text", std::string("我的订单 ") + kefu::testing::kShippedOrder + " 到哪了"}}.dump();
  json first = json::parse(Call({"POST", path, auth, "", "application/json", ask}).body);
  EXPECT_TRUE(first["ui"]["cards"].empty());  // not verified yet
  json second =
      json::parse(Call({"POST", path, auth, "", "application/json", R"({"text":"5678"})"}).body);
  ASSERT_EQ(second["ui"]["cards"].size(), 1u) << second.dump();
  EXPECT_EQ(second["ui"]["cards"][0]["type"], "order");
  EXPECT_EQ(second["ui"]["cards"][0]["shipment"]["tracking_number"],
            kefu::testing::kShippedTracking);
}

TEST_F(ApiTest, StreamingReplyIsStartDeltasDone) {
  json conv = json::parse(Call({"POST", "/v1/conversations", "", "", "", ""}).body);
  HttpResponse r =
      Call({"POST", "/v1/conversations/" + conv["conversation_id"].get<std::string>() + "/messages",
            "Bearer " + conv["token"].get<std::string>(), "text/event-stream", "",
            R"({"text":"hello"})"});
  ASSERT_TRUE(r.IsStream());
  EXPECT_EQ(r.sse_events.front().rfind("event: start\n", 0), 0u);
  EXPECT_EQ(r.sse_events[1].rfind("event: delta\n", 0), 0u);
  EXPECT_EQ(r.sse_events.back().rfind("event: done\n", 0), 0u);
}

// A batch's turns come back with the body left to FinishResponse, which the transport runs on
// the connection's I/O thread; a request the batch refuses is answered at once.
TEST_F(ApiTest, ABatchLeavesEachTurnsBodyToFinishResponse) {
  json conv = json::parse(Call({"POST", "/v1/conversations", "", "", "", "{}"}).body);
  const std::string path =
      "/v1/conversations/" + conv["conversation_id"].get<std::string>() + "/messages";
  const std::string auth = "Bearer " + conv["token"].get<std::string>();
  HttpRequest hello{"POST", path, auth, "", "application/json", R"({"text":"hello"})"};
  HttpRequest wrong_token{
      "POST", path, "Bearer wrong", "", "application/json", R"({"text":"你好"})"};
  HttpRequest bad_json{"POST", path, auth, "", "application/json", R"({"text":)"};
  RequestContext c1 = RequestContext::Unbounded("t1");
  RequestContext c2 = RequestContext::Unbounded("t2");
  RequestContext c3 = RequestContext::Unbounded("t3");
  for (auto [r, c] : {std::pair{&hello, &c1}, {&wrong_token, &c2}, {&bad_json, &c3}}) {
    api_->ReadAhead(*r, *c);  // as the transport does, on the I/O thread
  }
  ASSERT_NE(hello.read, nullptr);
  EXPECT_EQ(bad_json.read, nullptr);
  const std::vector<const HttpRequest*> requests = {&hello, &wrong_token, &bad_json};
  const std::vector<RequestContext*> contexts = {&c1, &c2, &c3};
  std::vector<HttpResponse> responses = api_->HandleBatch(requests, contexts);
  ASSERT_EQ(responses.size(), 3u);

  ASSERT_TRUE(responses[0].finish);
  EXPECT_TRUE(responses[0].body.empty());
  FinishResponse(responses[0]);
  EXPECT_FALSE(responses[0].finish);
  ASSERT_EQ(responses[0].status, 200) << responses[0].body;
  json body = json::parse(responses[0].body);
  EXPECT_EQ(body["intent"], "greeting");
  EXPECT_EQ(body["conversation_id"], conv["conversation_id"]);

  FinishResponse(responses[1]);
  EXPECT_EQ(responses[1].status, 403);
  EXPECT_EQ(json::parse(responses[1].body)["error"]["code"], "permission_denied");

  EXPECT_FALSE(responses[2].finish);  // refused before the engine: answered at once
  EXPECT_EQ(responses[2].status, 400);
  EXPECT_EQ(json::parse(responses[2].body)["error"]["code"], "invalid_argument");

  // The turn was stored once, with the text the read-ahead parsed.
  HttpResponse history = Call({"GET", path, auth, "", "", ""});
  json messages = json::parse(history.body)["messages"];
  ASSERT_EQ(messages.size(), 2u) << history.body;
  EXPECT_EQ(messages[0]["text"], "hello");
}

TEST_F(ApiTest, BadAuthorizationHeaders) {
  json conv = json::parse(Call({"POST", "/v1/conversations", "", "", "", ""}).body);
  const std::string path =
      "/v1/conversations/" + conv["conversation_id"].get<std::string>() + "/messages";
  EXPECT_EQ(Call({"GET", path, "", "", "", ""}).status, 401);
  EXPECT_EQ(Call({"GET", path, "Basic abc", "", "", ""}).status, 401);
  EXPECT_EQ(Call({"GET", path, "Bearer ", "", "", ""}).status, 401);
  EXPECT_EQ(Call({"GET", path, "Bearer wrong", "", "", ""}).status, 403);
  EXPECT_EQ(Call({"GET", "/v1/conversations/../../etc/messages", "Bearer x", "", "", ""}).status,
            404);
}

// The fast path for turn bodies takes only what the JSON parser reads the same way: whenever it
// answers, the answer is the parsed "text"; whatever it declines, the parser still handles.
TEST(PlainTurnTextTest, AgreesWithTheJsonParserOrDeclines) {
  const std::vector<std::string> taken = {
      R"({"text":"我的订单 2026112464518311 到哪了？"})",
      R"({"text":""})",
      " {\n\t\"text\" :\r \"where is my order\" }\n",
      R"({"text":"emoji 😡 and 繁體 and '/'"})",
      "{\"text\":\"DEL \x7f is allowed\"}",
  };
  for (const std::string& body : taken) {
    const std::optional<std::string_view> fast = PlainTurnText(body);
    ASSERT_TRUE(fast.has_value()) << body;
    const json parsed = json::parse(body);
    EXPECT_EQ(std::string(*fast), parsed["text"].get<std::string>()) << body;
  }
  const std::vector<std::string> declined = {
      R"({"text":"a\"quote"})",       // an escape: the parser unescapes it
      R"({"text":"line\nbreak"})",    //
      R"({"text":"\u6211"})",         //
      "{\"text\":\"raw\ttab\"}",      // a control character: invalid JSON
      R"({"text":"a","lang":"zh"})",  // another field
      R"({"lang":"zh","text":"a"})",  //
      R"({"text":"a","text":"b"})",   // a duplicate
      R"({"text":1})",                // not a string
      R"({"text":"unterminated})",    //
      R"({"text":"a"} trailing)",     //
      R"({"text":"a"}})",             //
      R"(["text","a"])",              //
      R"({"Text":"a"})",              //
      "",                             //
  };
  for (const std::string& body : declined) {
    EXPECT_FALSE(PlainTurnText(body).has_value()) << body;
  }
}

TEST_F(ApiTest, TurnBodiesOnEitherPathGetTheSameAnswer) {
  const auto [path, auth] = Open();
  // The same greeting, plain and escaped: both are read as 你好.
  for (const char* body : {R"({"text":"你好"})", R"({"text":"\u4f60\u597d"})"}) {
    HttpResponse r = Call({"POST", path, auth, "", "application/json", body});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["intent"], "greeting") << body;
  }
  for (const char* body : {R"({"text":"a\tb"})", R"({"text":"ok","extra":true})"}) {
    EXPECT_EQ(Call({"POST", path, auth, "", "application/json", body}).status, 200) << body;
  }
  for (const char* body : {"{\"text\":\"raw\ttab\"}", R"({"text":2})", R"({"text":"x"} junk)"}) {
    HttpResponse r = Call({"POST", path, auth, "", "application/json", body});
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "invalid_argument") << body;
  }
}

TEST(StatusMappingTest, FollowsTheGoogleApiMapping) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDeadlineExceeded), 504);
}

TEST(SplitForStreamingTest, NeverSplitsACharacter) {
  std::vector<std::string> parts = SplitForStreaming("订单已发货ok", 2);
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0], "订单");
  EXPECT_EQ(parts[2], "货o");
  EXPECT_EQ(parts[3], "k");
  std::string joined;
  for (const auto& p : parts) {
    joined += p;
  }
  EXPECT_EQ(joined, "订单已发货ok");
}

}  // namespace
}  // namespace kefu::server
