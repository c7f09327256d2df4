// The engine with the shipped intent model (trained at build time from data/nlu), the entity
// extractor and the demo-sized fixture shop: the dialogues the foundation answered with rules
// still work end to end.
#include <nlohmann/json.hpp>

#include "dialog/dialog.h"
#include "engine/engine_fixture.h"

namespace kefu::engine {
namespace {

class ModelEngineTest : public EngineFixture {
 protected:
  std::string IntentModel() const override { return KEFU_TEST_INTENT_MODEL; }
  std::string SentimentModel() const override { return KEFU_TEST_SENTIMENT_MODEL; }
};

TEST_F(ModelEngineTest, ChineseOrderStatusWithVerification) {
  TurnResult ask = Say("我的订单 2026112500000001 到哪了？");
  EXPECT_EQ(ask.intent, "order_status");
  EXPECT_NE(ask.reply.find("后四位"), std::string::npos) << ask.reply;
  TurnResult ok = Say("5678");
  EXPECT_NE(ok.reply.find(kefu::testing::kShippedTracking), std::string::npos) << ok.reply;
}

TEST_F(ModelEngineTest, EnglishOrderStatusWithVerification) {
  TurnResult ask = Say("Where is my order 2026112500000001?");
  EXPECT_EQ(ask.intent, "order_status");
  EXPECT_EQ(ask.lang, "en");
  TurnResult ok = Say("5678");
  EXPECT_NE(ok.reply.find("SF Express"), std::string::npos) << ok.reply;
}

TEST_F(ModelEngineTest, TraditionalChineseIsUnderstoodAndAnsweredInChinese) {
  TurnResult ask = Say("我的訂單 2026112500000001 到哪裡了？");
  EXPECT_EQ(ask.lang, "zh");
  EXPECT_NE(ask.reply.find("后四位"), std::string::npos) << ask.reply;
}

TEST_F(ModelEngineTest, GreetingsAndHumanRequests) {
  EXPECT_EQ(Say("你好").intent, "greeting");
  EXPECT_EQ(Say("hello").intent, "greeting");
  TurnResult human = Say("转人工");
  EXPECT_EQ(human.intent, "human_agent");
  EXPECT_TRUE(human.handoff);
}

TEST_F(ModelEngineTest, TraceCarriesEntitiesWithOffsets) {
  TurnResult r = Say("订单 2026112500000001 昨天就该到了");
  EXPECT_NE(r.trace_json.find("\"order_id\""), std::string::npos) << r.trace_json;
  EXPECT_NE(r.trace_json.find("\"date\""), std::string::npos) << r.trace_json;
  EXPECT_NE(r.trace_json.find("2026-11-27"), std::string::npos) << r.trace_json;
}

TEST_F(ModelEngineTest, ATaskSurvivesARestart) {
  clock_.Set(kefu::testing::T("2026-11-14T12:00:00+08:00"));  // two days after delivery
  Say(std::string("我要退货 ") + kefu::testing::kDeliveredOrder);
  Say("9999");  // verified; the return now waits for its reason
  // A new engine over the same database: the process restarted between two messages.
  engine_.reset();
  Result<std::unique_ptr<Engine>> e = Engine::Create(
      *store_, clock_, {.data_dir = kefu::testing::SourceDataDir(), .intent_model = IntentModel()});
  ASSERT_OK_RESULT(e);
  engine_ = std::move(*e);
  TurnResult reason = Say("尺码不合适");
  EXPECT_NE(reason.reply.find("请确认退货信息"), std::string::npos) << reason.reply;
  EXPECT_EQ(reason.reply.find("后四位"), std::string::npos) << "verification was forgotten";
}

TEST_F(ModelEngineTest, AThreatQueuesTheShopperWithPriorityMoodAndAnApology) {
  TurnResult calm = Say(std::string("我的订单 ") + kefu::testing::kShippedOrder + " 到哪了");
  EXPECT_FALSE(calm.queued);
  TurnResult threat = Say("一个星期了还没到，你们再不处理我就去12315投诉！");
  EXPECT_TRUE(threat.queued);
  EXPECT_EQ(threat.reply.rfind("非常抱歉", 0), 0u) << threat.reply;
  Result<store::HandoffTicket> ticket = engine_->GetHandoff(conv_.id);
  ASSERT_OK_RESULT(ticket);
  EXPECT_EQ(ticket->reason, "threat");
  EXPECT_EQ(ticket->priority, 2);
  EXPECT_LT(ticket->mood, -0.2);
  const nlohmann::json summary = nlohmann::json::parse(ticket->summary_json);
  EXPECT_TRUE(summary["mood"]["threat"].get<bool>());
  EXPECT_EQ(summary["mood"]["emotion"], "anger");
  // The trace shows the reading and the mood; analytics reads both from the stored user
  // message, so no turn writes an event of its own for them.
  const nlohmann::json trace = nlohmann::json::parse(threat.trace_json);
  EXPECT_EQ(trace["sentiment"]["emotion"], "anger");
  EXPECT_TRUE(trace["sentiment"]["threat"].get<bool>());
  EXPECT_LT(trace["mood"]["mood"].get<double>(), 0.0);
  EXPECT_EQ(*store_->CountEvents("sentiment"), 0);
  Result<std::vector<store::Message>> stored = store_->ListRecentMessages(conv_.id, 2);
  ASSERT_OK_RESULT(stored);
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].role, "user");
  const nlohmann::json feeling = nlohmann::json::parse((*stored)[0].sentiment);
  EXPECT_EQ(feeling["emotion"], "anger");
  EXPECT_TRUE(feeling["threat"].get<bool>());
  EXPECT_LT(feeling["mood"].get<double>(), 0.0);
  EXPECT_EQ(feeling["negative_turns"].get<int>(), trace["mood"]["negative_turns"].get<int>());
  // The queue puts this shopper ahead of a calmer one asking for a person at the same time.
  Result<NewConversation> other = engine_->CreateConversation("test");
  ASSERT_OK_RESULT(other);
  RequestContext ctx = RequestContext::Unbounded("t-other");
  ASSERT_OK_RESULT(engine_->HandleTurn({other->id, "请帮我转人工，谢谢", std::nullopt}, ctx));
  Result<std::vector<store::HandoffTicket>> queue = engine_->HandoffQueue();
  ASSERT_OK_RESULT(queue);
  ASSERT_EQ(queue->size(), 2u);
  EXPECT_EQ((*queue)[0].conversation_id, conv_.id);
  EXPECT_EQ((*queue)[1].conversation_id, other->id);
}

// While the ticket waits for an agent, every turn moves its mood with the shopper's, so the
// queue's order follows who is getting angrier; before any ticket, a turn touches no ticket.
TEST_F(ModelEngineTest, AWaitingTicketsMoodFollowsTheShopper) {
  Say("你好");
  EXPECT_EQ(engine_->GetHandoff(conv_.id).status().code(), StatusCode::kNotFound);
  TurnResult asked = Say("请帮我转人工，谢谢");
  ASSERT_TRUE(asked.queued);
  Result<store::HandoffTicket> before = engine_->GetHandoff(conv_.id);
  ASSERT_OK_RESULT(before);
  TurnResult angry = Say("等了这么久还没人理我，太差劲了，气死我了！");
  EXPECT_FALSE(angry.silent);
  Result<store::HandoffTicket> after = engine_->GetHandoff(conv_.id);
  ASSERT_OK_RESULT(after);
  const nlohmann::json trace = nlohmann::json::parse(angry.trace_json);
  EXPECT_LT(after->mood, before->mood);
  EXPECT_NEAR(after->mood, trace["mood"]["mood"].get<double>(), 1e-3);
}

TEST_F(ModelEngineTest, AHandoffIsQueuedWithASummaryAndTheBotThenStaysSilent) {
  Say(std::string("我的订单 ") + kefu::testing::kShippedOrder + " 到哪了");
  Say("5678");
  TurnResult human = Say("转人工");
  EXPECT_TRUE(human.queued);
  Result<store::HandoffTicket> ticket = engine_->GetHandoff(conv_.id);
  ASSERT_OK_RESULT(ticket);
  EXPECT_EQ(ticket->reason, "requested");
  const nlohmann::json summary = nlohmann::json::parse(ticket->summary_json);
  EXPECT_EQ(summary["order_id"], kefu::testing::kShippedOrder);
  EXPECT_TRUE(summary["verified"].get<bool>());
  EXPECT_GE(summary["last_turns"].size(), 4u);
  ASSERT_OK(engine_->ClaimHandoff(conv_.id, "alice"));
  TurnResult held = Say("还在吗？");
  EXPECT_TRUE(held.silent);
  EXPECT_TRUE(held.reply.empty());
  ASSERT_OK_RESULT(engine_->SendAgentMessage(conv_.id, "alice", "您好，我是客服小李"));
  EXPECT_EQ(engine_->SendAgentMessage(conv_.id, "bob", "抢答").status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_OK(engine_->CloseHandoff(conv_.id, "alice"));
  TurnResult back = Say("你好");
  EXPECT_FALSE(back.silent);
  EXPECT_FALSE(back.reply.empty());
  std::vector<std::string> roles;
  Result<std::vector<store::Message>> history = engine_->History(conv_.id, 0, 100);
  ASSERT_OK_RESULT(history);
  for (const store::Message& m : *history) {
    roles.push_back(m.role);
  }
  EXPECT_NE(std::find(roles.begin(), roles.end(), "agent"), roles.end());
  EXPECT_NE(std::find(roles.begin(), roles.end(), "system"), roles.end());
}

class AlwaysEscalate : public dialog::EscalationHook {
 public:
  std::optional<dialog::HandoffRequest> Check(const nlu::Understanding&,
                                              const text::NormalizedText& text,
                                              const dialog::DialogState&) const override {
    if (text.text.find("投诉") != std::string::npos) {
      return dialog::HandoffRequest{"sentiment", 5};
    }
    return std::nullopt;
  }
};

TEST(EscalationHookTest, AHookHandsOffWithItsReasonAndPriority) {
  kefu::testing::TempDir dir;
  ManualClock clock(kefu::testing::T("2026-11-28T12:00:00+08:00"));
  std::unique_ptr<store::Store> store =
      std::move(*store::NewSqliteStore({.path = dir.File("k.db")}));
  ASSERT_OK(store->ReplaceShopData(kefu::testing::SmallShop()));
  tools::ToolRegistry tools = tools::NewStoreTools(*store, clock);
  Result<std::unique_ptr<dialog::Dialog>> d =
      dialog::Dialog::Create({.data_dir = kefu::testing::SourceDataDir()}, tools, nullptr, clock);
  ASSERT_OK_RESULT(d);
  (*d)->AddEscalationHook(std::make_shared<AlwaysEscalate>());
  dialog::DialogState state;
  const text::NormalizedText n = text::Normalize("我要投诉你们");
  const nlu::Understanding u = nlu::NewRuleUnderstander()->Understand(n);
  RequestContext ctx = RequestContext::Unbounded("t");
  Result<dialog::TurnOutcome> out = (*d)->Step(u, n, state, ctx);
  ASSERT_OK_RESULT(out);
  ASSERT_TRUE(out->handoff.has_value());
  EXPECT_EQ(out->handoff->reason, "sentiment");
  EXPECT_EQ(out->handoff->priority, 5);
}

}  // namespace
}  // namespace kefu::engine
