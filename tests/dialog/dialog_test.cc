#include "dialog/dialog.h"

#include <fstream>

#include <gtest/gtest.h>

#include "fakes/shop_fixture.h"
#include "test_util.h"

namespace kefu::dialog {
namespace {

using kefu::testing::kPaidOrder;
using kefu::testing::kShippedOrder;

nlu::Understanding U(const char* text) {
  return nlu::NewRuleUnderstander()->Understand(text::Normalize(text));
}

TEST(DialogStateTest, RoundTripsThroughJson) {
  DialogState s;
  s.lang = "en";
  s.active_order = "1";
  s.verified_orders = {"1", "2"};
  s.failed_verifications = 2;
  s.verification_locked = true;
  Result<DialogState> back = DecodeState(EncodeState(s));
  ASSERT_OK_RESULT(back);
  EXPECT_EQ(back->verified_orders, s.verified_orders);
  EXPECT_TRUE(back->verification_locked);
  EXPECT_EQ(back->lang, "en");
  EXPECT_FALSE(DecodeState("not json").ok());
}

TEST(PolicyTest, OrderNumberLeadsToLookupAndDigitsToVerification) {
  DialogState s;
  nlu::Understanding u = U("我的订单 2026112500000001 到哪了");
  Track(u, text::Language::kZh, s);
  EXPECT_EQ(s.active_order, "2026112500000001");
  EXPECT_EQ(Decide(u, s).kind, ActionKind::kLookupOrder);
  s.awaiting = "verification";
  nlu::Understanding digits = U("5678");
  Track(digits, text::Language::kUnknown, s);
  EXPECT_EQ(s.lang, "zh");  // digits alone keep the language
  Action a = Decide(digits, s);
  EXPECT_EQ(a.kind, ActionKind::kCheckVerification);
  EXPECT_EQ(a.order_id, "2026112500000001");
  EXPECT_EQ(a.digits, "5678");
}

TEST(PolicyTest, OrderQuestionWithoutNumberAsksForIt) {
  DialogState s;
  nlu::Understanding u = U("where is my package?");
  Track(u, text::Language::kEn, s);
  EXPECT_EQ(Decide(u, s).kind, ActionKind::kAskOrderId);
  EXPECT_EQ(Decide(U("转人工"), s).kind, ActionKind::kHandoff);
}

class ActorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewSqliteStore({.path = dir_.File("kefu.db")}));
    ASSERT_OK(store_->ReplaceShopData(kefu::testing::SmallShop()));
  }
  kefu::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  RequestContext ctx_ = RequestContext::Unbounded("t");
};

TEST_F(ActorTest, UnverifiedLookupAsksForDigitsAndRevealsNothing) {
  Actor actor(*store_, {});
  DialogState s;
  Result<Outcome> o = actor.Act({ActionKind::kLookupOrder, kShippedOrder, ""}, s, ctx_);
  ASSERT_OK_RESULT(o);
  EXPECT_EQ(o->reply_key, "ask_verification");
  EXPECT_FALSE(o->order);
  EXPECT_EQ(s.awaiting, "verification");
}

TEST_F(ActorTest, RightDigitsReleaseTheOrder) {
  Actor actor(*store_, {});
  DialogState s;
  s.active_order = kShippedOrder;
  s.awaiting = "verification";
  Result<Outcome> o = actor.Act({ActionKind::kCheckVerification, kShippedOrder, "5678"}, s, ctx_);
  ASSERT_OK_RESULT(o);
  EXPECT_EQ(o->reply_key, "order.shipped");
  ASSERT_TRUE(o->order);
  EXPECT_TRUE(s.IsVerified(kShippedOrder));
  EXPECT_FALSE(s.IsVerified(kPaidOrder));  // verification is per order
}

TEST_F(ActorTest, ThreeWrongAnswersLockVerificationAndOfferAHuman) {
  Actor actor(*store_, {.max_verification_attempts = 3});
  DialogState s;
  s.active_order = kShippedOrder;
  for (int i = 1; i <= 2; ++i) {
    Result<Outcome> o = actor.Act({ActionKind::kCheckVerification, kShippedOrder, "0000"}, s, ctx_);
    EXPECT_EQ(o->reply_key, "verification_failed");
    EXPECT_EQ(o->attempts_left, 3 - i);
  }
  Result<Outcome> locked =
      actor.Act({ActionKind::kCheckVerification, kShippedOrder, "0000"}, s, ctx_);
  EXPECT_EQ(locked->reply_key, "verification_locked");
  EXPECT_TRUE(locked->offer_human);
  EXPECT_TRUE(s.verification_locked);
  // Even the right digits no longer release anything, for this order or another.
  Result<Outcome> after =
      actor.Act({ActionKind::kCheckVerification, kShippedOrder, "5678"}, s, ctx_);
  EXPECT_EQ(after->reply_key, "verification_locked");
  EXPECT_FALSE(after->order);
  Result<Outcome> other = actor.Act({ActionKind::kLookupOrder, kPaidOrder, ""}, s, ctx_);
  EXPECT_EQ(other->reply_key, "verification_locked");
}

TEST_F(ActorTest, UnknownOrderIsAnOutcomeNotAnError) {
  Actor actor(*store_, {});
  DialogState s;
  Result<Outcome> o = actor.Act({ActionKind::kLookupOrder, "1111222233334444", ""}, s, ctx_);
  ASSERT_OK_RESULT(o);
  EXPECT_EQ(o->reply_key, "order_not_found");
  EXPECT_EQ(s.awaiting, "order_id");
}

TEST(ReplyTemplatesTest, ShippedReplyNamesCarrierTrackingAndLatestEventInBothLanguages) {
  Result<ReplyTemplates> t =
      ReplyTemplates::Load(kefu::testing::SourceDataDir() + "/templates/replies.toml", {});
  ASSERT_OK_RESULT(t);
  Outcome o;
  o.reply_key = "order.shipped";
  o.order_id = kShippedOrder;
  o.order = kefu::testing::SmallShop().orders[0];
  o.order->items[0].name_zh = "星河 X5 智能手机";
  o.order->items[0].name_en = "Xinghe X5 Smartphone";
  const std::string zh = t->Render(o, "zh");
  EXPECT_NE(zh.find("顺丰速运"), std::string::npos) << zh;
  EXPECT_NE(zh.find(kefu::testing::kShippedTracking), std::string::npos) << zh;
  EXPECT_NE(zh.find("快件已到达【上海转运中心】"), std::string::npos) << zh;
  EXPECT_NE(zh.find("2026-11-27 06:30"), std::string::npos) << zh;
  const std::string en = t->Render(o, "en");
  EXPECT_NE(en.find("SF Express"), std::string::npos) << en;
  EXPECT_NE(en.find("Arrived at Shanghai hub"), std::string::npos) << en;
  EXPECT_NE(en.find("Xinghe X5 Smartphone"), std::string::npos) << en;
  EXPECT_EQ(en.find('{'), std::string::npos) << "unfilled placeholder: " << en;
}

TEST(ReplyTemplatesTest, EveryKeyRendersWithoutPlaceholdersLeft) {
  Result<ReplyTemplates> t =
      ReplyTemplates::Load(kefu::testing::SourceDataDir() + "/templates/replies.toml", {});
  ASSERT_OK_RESULT(t);
  for (const auto& order : kefu::testing::SmallShop().orders) {
    for (const char* lang : {"zh", "en"}) {
      Outcome o;
      o.reply_key = "order." + order.order.status;
      o.order_id = order.order.order_number;
      o.order = order;
      const std::string text = t->Render(o, lang);
      EXPECT_EQ(text.find('{'), std::string::npos) << lang << ": " << text;
    }
  }
}

TEST(ReplyTemplatesTest, MissingKeyIsRejectedAtLoad) {
  kefu::testing::TempDir dir;
  std::ofstream(dir.File("r.toml")) << "[zh]\ngreeting = \"你好\"\n[en]\ngreeting = \"hi\"\n";
  Result<ReplyTemplates> t = ReplyTemplates::Load(dir.File("r.toml"), {});
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kefu::dialog
