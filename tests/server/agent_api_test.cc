// /v1/agent/* and the live feeds: the agent key and name, the queue, claiming, agent messages,
// the bot staying silent while an agent holds the conversation, and the event streams.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "fakes/shop_fixture.h"
#include "server/api.h"
#include "test_util.h"

namespace kefu::server {
namespace {

using nlohmann::json;

constexpr char kKey[] = "Bearer agent-s3cret";

class AgentApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewSqliteStore({.path = dir_.File("kefu.db")}));
    ASSERT_OK(store_->ReplaceShopData(kefu::testing::SmallShop()));
    engine_ = std::move(*engine::Engine::Create(*store_, SystemClock(),
                                                {.data_dir = kefu::testing::SourceDataDir()}));
    api_ = std::make_unique<Api>(*engine_, ApiOptions{.agent_key = "agent-s3cret"});
  }

  HttpResponse Call(HttpRequest r) {
    RequestContext ctx = RequestContext::Unbounded("t");
    return api_->Handle(r, ctx);
  }

  // An agent's request, as `agent` with the right key unless told otherwise.
  HttpResponse Agent(const std::string& method, const std::string& target,
                     const std::string& body = "", const std::string& agent = "alice",
                     const std::string& auth = kKey) {
    HttpRequest r{method, target, auth, "", "application/json", body};
    r.agent = agent;
    return Call(r);
  }

  json Open() {
    HttpResponse c = Call({"POST", "/v1/conversations", "", "", "application/json", ""});
    EXPECT_EQ(c.status, 201) << c.body;
    return json::parse(c.body);
  }

  HttpResponse Say(const json& conv, const std::string& text) {
    return Call({"POST", "/v1/conversations/" + Id(conv) + "/messages",
                 "Bearer " + conv["token"].get<std::string>(), "", "application/json",
                 json{{"text", text}}.dump()});
  }

  // A conversation whose shopper asked for a person: it waits in the queue.
  json Queued() {
    json conv = Open();
    HttpResponse r = Say(conv, "我要转人工");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(json::parse(r.body)["queued"].get<bool>()) << r.body;
    return conv;
  }

  static std::string Id(const json& conv) { return conv["conversation_id"].get<std::string>(); }
  static std::string Path(const json& conv, const std::string& action) {
    return "/v1/agent/conversations/" + Id(conv) + "/" + action;
  }

  kefu::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Api> api_;
};

TEST_F(AgentApiTest, AgentRoutesAreBlocking) {
  EXPECT_EQ(api_->Classify({"GET", "/v1/agent/queue", "", "", "", ""}), RouteKind::kBlocking);
  EXPECT_EQ(api_->Classify({"GET", "/v1/agent/events", "", "", "", ""}), RouteKind::kBlocking);
  EXPECT_EQ(api_->Classify({"GET", "/v1/conversations/c_1/events", "", "", "", ""}),
            RouteKind::kBlocking);
}

TEST_F(AgentApiTest, NeedsTheAgentKey) {
  EXPECT_EQ(Agent("GET", "/v1/agent/queue", "", "alice", "").status, 401);
  EXPECT_EQ(Agent("GET", "/v1/agent/queue", "", "alice", "Bearer wrong").status, 403);
  EXPECT_EQ(Agent("GET", "/v1/agent/queue", "", "alice", "Bearer ").status, 403);
  EXPECT_EQ(Agent("GET", "/v1/agent/queue").status, 200);
}

TEST_F(AgentApiTest, DisabledWithoutAKey) {
  Api disabled(*engine_, ApiOptions{});
  RequestContext ctx = RequestContext::Unbounded("t");
  HttpRequest r{"GET", "/v1/agent/queue", kKey, "", "", ""};
  r.agent = "alice";
  HttpResponse res = disabled.Handle(r, ctx);
  EXPECT_EQ(res.status, 403);
  EXPECT_NE(res.body.find("agent_key"), std::string::npos) << res.body;
}

TEST_F(AgentApiTest, NeedsAValidAgentName) {
  EXPECT_EQ(Agent("GET", "/v1/agent/queue", "", "").status, 400);
  EXPECT_EQ(Agent("GET", "/v1/agent/queue", "", "bob smith").status, 400);
  EXPECT_EQ(Agent("GET", "/v1/agent/queue", "", "张三").status, 400);
  EXPECT_EQ(Agent("GET", "/v1/agent/queue", "", std::string(65, 'a')).status, 400);
  EXPECT_EQ(Agent("GET", "/v1/agent/queue", "", "bob.smith@shop-1_x").status, 200);
}

TEST_F(AgentApiTest, QueueListsTheShopperWhoAskedForAHuman) {
  json conv = Queued();
  HttpResponse r = Agent("GET", "/v1/agent/queue");
  ASSERT_EQ(r.status, 200) << r.body;
  json queue = json::parse(r.body)["queue"];
  ASSERT_EQ(queue.size(), 1u) << r.body;
  EXPECT_EQ(queue[0]["conversation_id"], Id(conv));
  EXPECT_EQ(queue[0]["status"], "queued");
  EXPECT_TRUE(queue[0]["summary"].is_object());
  EXPECT_TRUE(queue[0]["claimed_at"].is_null());
  EXPECT_FALSE(queue[0]["queued_at"].get<std::string>().empty());
}

TEST_F(AgentApiTest, AnAngryShopperIsServedFirstAndTheQueueShowsTheMood) {
  json calm = Queued();
  json angry = Open();
  HttpResponse r = Say(angry, "你们就是骗子！！我要去12315投诉你们");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body)["queued"].get<bool>()) << r.body;
  json queue = json::parse(Agent("GET", "/v1/agent/queue").body)["queue"];
  ASSERT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue[0]["conversation_id"], Id(angry));
  EXPECT_EQ(queue[0]["reason"], "threat");
  EXPECT_EQ(queue[0]["priority"], 2);
  EXPECT_LT(queue[0]["mood"].get<double>(), 0.0);
  EXPECT_EQ(queue[0]["summary"]["mood"]["emotion"], "anger");
  EXPECT_EQ(queue[1]["conversation_id"], Id(calm));
  EXPECT_EQ(queue[1]["priority"], 0);
}

TEST_F(AgentApiTest, ClaimConflictReleaseClose) {
  json conv = Queued();
  HttpResponse claim = Agent("POST", Path(conv, "claim"));
  ASSERT_EQ(claim.status, 200) << claim.body;
  json ticket = json::parse(claim.body)["ticket"];
  EXPECT_EQ(ticket["status"], "assigned");
  EXPECT_EQ(ticket["agent"], "alice");
  EXPECT_FALSE(ticket["claimed_at"].is_null());

  HttpResponse conflict = Agent("POST", Path(conv, "claim"), "", "bob");
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_EQ(Agent("POST", Path(conv, "release"), "", "bob").status, 409);

  HttpResponse release = Agent("POST", Path(conv, "release"));
  ASSERT_EQ(release.status, 200) << release.body;
  EXPECT_EQ(json::parse(release.body)["ticket"]["status"], "queued");

  ASSERT_EQ(Agent("POST", Path(conv, "claim"), "", "bob").status, 200);
  HttpResponse close = Agent("POST", Path(conv, "close"), "", "bob");
  ASSERT_EQ(close.status, 200) << close.body;
  EXPECT_EQ(json::parse(close.body)["ticket"]["status"], "closed");
  EXPECT_EQ(Agent("POST", Path(conv, "close"), "", "bob").status, 404);
  EXPECT_TRUE(json::parse(Agent("GET", "/v1/agent/queue").body)["queue"].empty());
}

TEST_F(AgentApiTest, UnknownConversationsAndRoutes) {
  EXPECT_EQ(Agent("POST", "/v1/agent/conversations/c_nope/claim").status, 404);
  EXPECT_EQ(Agent("GET", "/v1/agent/conversations/c_nope").status, 404);
  EXPECT_EQ(Agent("GET", "/v1/agent/conversations/../x").status, 404);
  EXPECT_EQ(Agent("GET", "/v1/agent/events?conversation=c_nope").status, 404);
  EXPECT_EQ(Agent("POST", "/v1/agent/conversations/c_1/frobnicate").status, 404);
  EXPECT_EQ(Agent("GET", "/v1/agent/conversations/c_1/claim").status, 405);
  EXPECT_EQ(Agent("POST", "/v1/agent/queue").status, 405);
}

TEST_F(AgentApiTest, AgentMessageIsStoredWithRoleAgent) {
  json conv = Queued();
  ASSERT_EQ(Agent("POST", Path(conv, "claim")).status, 200);
  HttpResponse r = Agent("POST", Path(conv, "messages"), R"({"text":"您好，我是客服小李"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["message"]["role"], "agent");
  EXPECT_EQ(json::parse(r.body)["message"]["text"], "您好，我是客服小李");

  HttpResponse view = Agent("GET", "/v1/agent/conversations/" + Id(conv));
  ASSERT_EQ(view.status, 200) << view.body;
  json body = json::parse(view.body);
  EXPECT_EQ(body["ticket"]["agent"], "alice");
  EXPECT_TRUE(body["state"].is_object());
  ASSERT_FALSE(body["messages"].empty());
  EXPECT_EQ(body["messages"].back()["role"], "agent");
  EXPECT_EQ(body["messages"].front()["text"], "我要转人工");
}

TEST_F(AgentApiTest, AgentMessageErrors) {
  json conv = Queued();
  EXPECT_EQ(Agent("POST", Path(conv, "messages"), R"({"text":"hi"})").status, 409);  // unclaimed
  ASSERT_EQ(Agent("POST", Path(conv, "claim")).status, 200);
  EXPECT_EQ(Agent("POST", Path(conv, "messages"), R"({"text":"hi"})", "bob").status, 409);
  EXPECT_EQ(Agent("POST", Path(conv, "messages"), "{\"text\": ").status, 400);
  EXPECT_EQ(Agent("POST", Path(conv, "messages"), R"({"text":42})").status, 400);
  EXPECT_EQ(Agent("POST", Path(conv, "messages"), R"({"text":""})").status, 400);
  EXPECT_EQ(Agent("POST", Path(conv, "messages"), std::string(20'000, ' ')).status, 413);
}

TEST_F(AgentApiTest, ShopperTurnWhileClaimedIsSilent) {
  json conv = Queued();
  ASSERT_EQ(Agent("POST", Path(conv, "claim")).status, 200);
  const size_t before = engine_->History(Id(conv), 0, 100)->size();
  HttpResponse r = Say(conv, "我的订单到哪了");
  ASSERT_EQ(r.status, 200) << r.body;
  json body = json::parse(r.body);
  EXPECT_TRUE(body["silent"].get<bool>());
  EXPECT_EQ(body["reply"]["text"], "");
  std::vector<store::Message> history = *engine_->History(Id(conv), 0, 100);
  ASSERT_EQ(history.size(), before + 1);
  EXPECT_EQ(history.back().role, "user");
  EXPECT_EQ(history.back().text, "我的订单到哪了");
}

TEST_F(AgentApiTest, SilentStreamingTurnIsJustDone) {
  json conv = Queued();
  ASSERT_EQ(Agent("POST", Path(conv, "claim")).status, 200);
  HttpResponse r = Call({"POST", "/v1/conversations/" + Id(conv) + "/messages",
                         "Bearer " + conv["token"].get<std::string>(), "text/event-stream", "",
                         R"({"text":"hello?"})"});
  ASSERT_EQ(r.sse_events.size(), 1u);
  EXPECT_EQ(r.sse_events[0].rfind("event: done\n", 0), 0u);
  EXPECT_NE(r.sse_events[0].find("\"silent\":true"), std::string::npos) << r.sse_events[0];
}

TEST_F(AgentApiTest, TheBotAnswersAgainAfterClose) {
  json conv = Queued();
  ASSERT_EQ(Agent("POST", Path(conv, "claim")).status, 200);
  ASSERT_EQ(Agent("POST", Path(conv, "close")).status, 200);
  HttpResponse r = Say(conv, "你好");
  ASSERT_EQ(r.status, 200) << r.body;
  json body = json::parse(r.body);
  EXPECT_FALSE(body["silent"].get<bool>());
  EXPECT_FALSE(body["reply"]["text"].get<std::string>().empty());
}

TEST_F(AgentApiTest, ShopperEventsReceiveTheAgentsMessage) {
  json conv = Queued();
  HttpResponse stream = Call({"GET", "/v1/conversations/" + Id(conv) + "/events",
                              "Bearer " + conv["token"].get<std::string>(), "", "", ""});
  ASSERT_EQ(stream.status, 200) << stream.body;
  ASSERT_NE(stream.live, nullptr);
  ASSERT_EQ(stream.sse_events.size(), 1u);
  EXPECT_EQ(stream.sse_events[0].rfind("event: ready\n", 0), 0u);
  stream.live->Drain();  // whatever came before

  ASSERT_EQ(Agent("POST", Path(conv, "claim")).status, 200);
  ASSERT_EQ(Agent("POST", Path(conv, "messages"), R"({"text":"在的"})").status, 201);
  bool seen = false;
  for (const std::string& e : stream.live->Drain()) {
    json event = json::parse(e);
    if (event["type"] == "message" && event["message"]["role"] == "agent") {
      EXPECT_EQ(event["message"]["text"], "在的");
      seen = true;
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(AgentApiTest, ASubscriptionOnTheFeedReceivesTheAgentsMessage) {
  json conv = Queued();
  std::shared_ptr<engine::LiveFeed::Subscription> sub = engine_->live().Subscribe(Id(conv));
  ASSERT_EQ(Agent("POST", Path(conv, "claim")).status, 200);
  ASSERT_EQ(Agent("POST", Path(conv, "messages"), R"({"text":"hello from alice"})").status, 201);
  std::vector<std::string> events = sub->Drain();
  ASSERT_FALSE(events.empty());
  json last = json::parse(events.back());
  EXPECT_EQ(last["type"], "message");
  EXPECT_EQ(last["message"]["text"], "hello from alice");
}

TEST_F(AgentApiTest, EventStreamsNeedTheirCredentials) {
  json conv = Open();
  EXPECT_EQ(Call({"GET", "/v1/conversations/" + Id(conv) + "/events", "", "", "", ""}).status, 401);
  EXPECT_EQ(
      Call({"GET", "/v1/conversations/" + Id(conv) + "/events", "Bearer nope", "", "", ""}).status,
      403);
  EXPECT_EQ(Agent("GET", "/v1/agent/events", "", "alice", "Bearer nope").status, 403);
  HttpResponse queue = Agent("GET", "/v1/agent/events");
  ASSERT_NE(queue.live, nullptr);
  EXPECT_EQ(queue.live->channel(), "*");
  HttpResponse one = Agent("GET", "/v1/agent/events?conversation=" + Id(conv));
  ASSERT_NE(one.live, nullptr);
  EXPECT_EQ(one.live->channel(), Id(conv));
}

TEST_F(AgentApiTest, CreateConversationTakesChannelAndRejectsABadCustomerToken) {
  HttpResponse ok = Call({"POST", "/v1/conversations", "", "", "", R"({"channel":"app"})"});
  EXPECT_EQ(ok.status, 201) << ok.body;
  HttpResponse bad =
      Call({"POST", "/v1/conversations", "", "", "", R"({"customer_token":"forged.token"})"});
  EXPECT_EQ(bad.status, 403) << bad.body;
  EXPECT_EQ(Call({"POST", "/v1/conversations", "", "", "", R"({"customer_token":7})"}).status, 400);
  EXPECT_EQ(Call({"POST", "/v1/conversations", "", "", "", "{"}).status, 400);
}

// What the console shows beside a conversation: each reply's trace, the order it is about with
// its customer (phone masked), and replies to insert.
TEST_F(AgentApiTest, ConversationViewHasTracesTheOrderItsCustomerAndSuggestions) {
  json conv = Open();
  ASSERT_EQ(Say(conv, std::string("我的订单 ") + kefu::testing::kShippedOrder + " 到哪了").status,
            200);
  ASSERT_EQ(Say(conv, "5678").status, 200);
  ASSERT_EQ(Say(conv, "转人工").status, 200);
  HttpResponse r = Agent("GET", "/v1/agent/conversations/" + Id(conv));
  ASSERT_EQ(r.status, 200) << r.body;
  json view = json::parse(r.body);
  ASSERT_TRUE(view["order"].is_object()) << r.body;
  EXPECT_EQ(view["order"]["order_id"], kefu::testing::kShippedOrder);
  EXPECT_TRUE(view["order"]["verified"].get<bool>());
  ASSERT_TRUE(view["customer"].is_object()) << r.body;
  EXPECT_FALSE(view["customer"]["name"].get<std::string>().empty());
  EXPECT_EQ(view["customer"]["phone"], "1381***5678");  // masked as agents see it
  int traced = 0;
  for (const json& m : view["messages"]) {
    if (m["role"] == "assistant") {
      ASSERT_TRUE(m.contains("trace")) << m.dump();
      EXPECT_TRUE(m["trace"].contains("intent"));
      ++traced;
    } else {
      EXPECT_FALSE(m.contains("trace"));
    }
  }
  EXPECT_EQ(traced, 3);

  HttpResponse sug = Agent("GET", Path(conv, "suggestions"));
  ASSERT_EQ(sug.status, 200) << sug.body;
  const json list = json::parse(sug.body)["suggestions"];
  ASSERT_FALSE(list.empty());
  bool order_template = false;
  for (const json& x : list) {
    EXPECT_FALSE(x["text"].get<std::string>().empty());
    order_template = order_template || x["title"] == "order.shipped";
  }
  EXPECT_TRUE(order_template) << sug.body;
  EXPECT_EQ(Agent("POST", Path(conv, "suggestions")).status, 405);
  EXPECT_EQ(Agent("GET", "/v1/agent/conversations/c_nope/suggestions").status, 404);
}

TEST_F(AgentApiTest, ANewConversationHasNoOrderOrCustomer) {
  json conv = Queued();
  json view = json::parse(Agent("GET", "/v1/agent/conversations/" + Id(conv)).body);
  EXPECT_TRUE(view["order"].is_null());
  EXPECT_TRUE(view["customer"].is_null());
}

// The WebSocket's key check and feeds (the socket itself is tested over the network).
TEST_F(AgentApiTest, TheSocketsKeyCheckAndFeeds) {
  EXPECT_OK(api_->AuthorizeAgentKey("alice", "agent-s3cret"));
  EXPECT_EQ(api_->AuthorizeAgentKey("alice", "wrong").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(api_->AuthorizeAgentKey("no spaces", "agent-s3cret").code(),
            StatusCode::kInvalidArgument);
  ASSERT_OK_RESULT(api_->AgentFeed(""));
  EXPECT_EQ(api_->AgentFeed("c_nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(api_->AgentFeed("../x").status().code(), StatusCode::kNotFound);
  json conv = Queued();
  Result<std::shared_ptr<engine::LiveFeed::Subscription>> feed = api_->AgentFeed(Id(conv));
  ASSERT_OK_RESULT(feed);
  ASSERT_EQ(Agent("POST", Path(conv, "claim")).status, 200);
  bool joined = false;
  for (const std::string& e : (*feed)->Drain()) {
    joined = joined || json::parse(e)["type"] == "handoff";
  }
  EXPECT_TRUE(joined);
  Api disabled(*engine_, ApiOptions{});
  EXPECT_EQ(disabled.AuthorizeAgentKey("alice", "").code(), StatusCode::kPermissionDenied);
}

TEST(FormatSseEventTest, UsesTheTypeField) {
  EXPECT_EQ(FormatSseEvent(R"({"type":"handoff","status":"assigned"})"),
            "event: handoff\ndata: {\"type\":\"handoff\",\"status\":\"assigned\"}\n\n");
  EXPECT_EQ(FormatSseEvent("{\n}"), "event: message\ndata: {\ndata: }\n\n");
}

}  // namespace
}  // namespace kefu::server
