// The engine with the shipped intent model (trained at build time from data/nlu), the entity
// extractor and the demo-sized fixture shop: the dialogues the foundation answered with rules
// still work end to end.
#include "engine/engine_fixture.h"

namespace kefu::engine {
namespace {

class ModelEngineTest : public EngineFixture {
 protected:
  std::string IntentModel() const override { return KEFU_TEST_INTENT_MODEL; }
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

}  // namespace
}  // namespace kefu::engine
