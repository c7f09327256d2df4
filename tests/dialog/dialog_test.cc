#include "dialog/dialog.h"

#include <fstream>

#include <gtest/gtest.h>

#include "core/sha256.h"
#include "dialog/flows.h"
#include "fakes/shop_fixture.h"
#include "test_util.h"

namespace kefu::dialog {
namespace {

using kefu::testing::kDeliveredOrder;
using kefu::testing::kPaidOrder;
using kefu::testing::kShippedOrder;

TEST(DialogStateTest, RoundTripsThroughJson) {
  DialogState s;
  s.lang = "en";
  s.active_order = "1";
  s.verified_orders = {"1", "2"};
  s.failed_verifications = 2;
  s.verification_locked = true;
  Task t;
  t.flow = "return_refund";
  t.awaiting = "reason";
  t.slots["order_id"] = {"1", "entity", 0.9};
  s.stack.push_back(t);
  s.last_task = t;
  s.facts["rma"] = "RMA1";
  s.summary = {"order_status 1: done"};
  s.offer = "human";
  Result<DialogState> back = DecodeState(EncodeState(s));
  ASSERT_OK_RESULT(back);
  EXPECT_EQ(back->verified_orders, s.verified_orders);
  EXPECT_TRUE(back->verification_locked);
  EXPECT_EQ(back->lang, "en");
  ASSERT_NE(back->active(), nullptr);
  EXPECT_EQ(back->active()->slots.at("order_id").source, "entity");
  EXPECT_EQ(back->active()->awaiting, "reason");
  EXPECT_EQ(back->facts.at("rma"), "RMA1");
  EXPECT_EQ(back->offer, "human");
  EXPECT_TRUE(back->last_task.has_value());
  EXPECT_FALSE(DecodeState("not json").ok());
}

TEST(FlowLoaderTest, ShippedFlowsLoadAndCoverTheIssueList) {
  Result<std::vector<FlowSpec>> flows = LoadFlows(kefu::testing::SourceDataDir() + "/flows");
  ASSERT_OK_RESULT(flows);
  std::set<std::string> names;
  for (const FlowSpec& f : *flows) {
    names.insert(f.name);
    EXPECT_FALSE(f.title.zh.empty() || f.title.en.empty()) << f.name;
  }
  for (const char* n : {"order_status", "cancel_order", "change_order", "return_refund",
                        "refund_status", "exchange", "invoice", "delivery_issue", "payment_issue",
                        "promotion", "account", "product_search", "product_inquiry"}) {
    EXPECT_EQ(names.count(n), 1u) << n;
  }
}

class FlowFileTest : public ::testing::Test {
 protected:
  Status Load(const std::string& toml) {
    std::ofstream(dir_.File("f.toml")) << toml;
    return LoadFlows(dir_.path()).status();
  }
  kefu::testing::TempDir dir_;
};

constexpr char kMinimal[] = R"(name = "x"
title = { zh = "甲", en = "x" }
)";

TEST_F(FlowFileTest, UnknownKeysMissingLanguagesAndBadTargetsAreErrors) {
  EXPECT_OK(Load(kMinimal));
  EXPECT_EQ(Load(std::string(kMinimal) + "colour = \"blue\"\n").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Load("name = \"x\"\ntitle = { zh = \"甲\" }\n").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Load(std::string(kMinimal) + "[done]\nthen = \"flow:nowhere\"\n").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Load(std::string(kMinimal) + "[done]\nthen = \"sideways\"\n").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Load(std::string(kMinimal) +
                 "[[slots]]\nname = \"a\"\ntype = \"telepathy\"\nprompt = { zh = \"甲\", en = "
                 "\"a\" }\n")
                .code(),
            StatusCode::kInvalidArgument);
  // An action must say what happens when its tool fails.
  EXPECT_EQ(Load(std::string(kMinimal) + "[action]\ntool = \"get_order\"\n").code(),
            StatusCode::kInvalidArgument);
}

TEST(CustomerTokenTest, OnlyGenuineUnexpiredTokensPass) {
  const std::string secret = "s3cret";
  const int64_t now = 1'800'000'000'000;
  const std::string payload = "42.1800000600";
  const std::string token = payload + "." + HmacSha256Hex(secret, payload);
  Result<std::string> ok = Dialog::VerifyCustomerToken(token, secret, now);
  ASSERT_OK_RESULT(ok);
  EXPECT_EQ(*ok, "42");
  EXPECT_FALSE(Dialog::VerifyCustomerToken(token, "other", now).ok());
  EXPECT_FALSE(Dialog::VerifyCustomerToken(token, secret, now + 3'600'000).ok());  // expired
  EXPECT_FALSE(
      Dialog::VerifyCustomerToken("43.1800000600." + HmacSha256Hex(secret, payload), secret, now)
          .ok());  // someone else's id under a copied signature
  EXPECT_FALSE(Dialog::VerifyCustomerToken(token, "", now).ok());
  EXPECT_FALSE(Dialog::VerifyCustomerToken("garbage", secret, now).ok());
}

// The dialogue over the real flows, the store tools and the shipped intent model.
class DialogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewSqliteStore({.path = dir_.File("kefu.db")}));
    ASSERT_OK(store_->ReplaceShopData(kefu::testing::SmallShop()));
    tools_ = tools::NewStoreTools(*store_, clock_);
    Result<std::unique_ptr<Dialog>> d =
        Dialog::Create({.data_dir = kefu::testing::SourceDataDir()}, tools_, nullptr, clock_);
    ASSERT_OK_RESULT(d);
    dialog_ = std::move(*d);
    nlu::ModelUnderstanderOptions mo;
    mo.intent_model_path = KEFU_TEST_INTENT_MODEL;
    Result<std::unique_ptr<nlu::Understander>> nlu = nlu::NewModelUnderstander(mo, clock_);
    ASSERT_OK_RESULT(nlu);
    nlu_ = std::move(*nlu);
  }
  TurnOutcome Say(const std::string& text) {
    text::NormalizedText n = text::Normalize(text);
    nlu::Understanding u = nlu_->Understand(n);
    dialog_->Track(u, text::PrimaryLanguage(n.lang), state_, n.text);
    RequestContext ctx = RequestContext::Unbounded("t");
    Result<TurnOutcome> out = dialog_->Step(u, n, state_, ctx);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : TurnOutcome{};
  }

  // As Say, with the classifier's answer replaced: for behaviour that must not hang on what the
  // shipped model makes of one sentence.
  TurnOutcome SayUnderstood(const std::string& text, const std::string& intent, double confidence) {
    text::NormalizedText n = text::Normalize(text);
    nlu::Understanding u = nlu_->Understand(n);
    u.intent = intent;
    u.confidence = confidence;
    u.alternatives.clear();
    dialog_->Track(u, text::PrimaryLanguage(n.lang), state_, n.text);
    RequestContext ctx = RequestContext::Unbounded("t");
    Result<TurnOutcome> out = dialog_->Step(u, n, state_, ctx);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : TurnOutcome{};
  }

  kefu::testing::TempDir dir_;
  ManualClock clock_{kefu::testing::T("2026-11-28T12:00:00+08:00")};
  std::unique_ptr<store::Store> store_;
  tools::ToolRegistry tools_;
  std::unique_ptr<Dialog> dialog_;
  std::unique_ptr<nlu::Understander> nlu_;  // the shipped intent model
  DialogState state_;
};

TEST_F(DialogTest, OrderDetailsOnlyAfterTheRightDigits) {
  TurnOutcome ask = Say(std::string("我的订单 ") + kShippedOrder + " 到哪了");
  EXPECT_NE(ask.reply.find("后四位"), std::string::npos) << ask.reply;
  EXPECT_EQ(ask.reply.find("顺丰"), std::string::npos) << ask.reply;
  EXPECT_EQ(state_.active()->awaiting, "verification");
  TurnOutcome ok = Say("5678");
  EXPECT_NE(ok.reply.find("顺丰速运"), std::string::npos) << ok.reply;
  EXPECT_TRUE(state_.IsVerified(kShippedOrder));
  EXPECT_FALSE(state_.IsVerified(kPaidOrder));  // verification is per order
  EXPECT_EQ(state_.active(), nullptr);
  EXPECT_EQ(state_.last_task->flow, "order_status");
}

// Every flow's start and end is an analytics event with the flow's name (and how it ended). A
// flow that starts and ends in one turn is one event: its end, marked "started".
TEST_F(DialogTest, FlowsStartAndEndAsEvents) {
  using Events = std::vector<std::pair<std::string, std::string>>;
  TurnOutcome ask = Say(std::string("我的订单 ") + kShippedOrder + " 到哪了");
  EXPECT_EQ(ask.events, (Events{{"flow_started", R"({"flow":"order_status"})"}}));
  TurnOutcome ok = Say("5678");
  EXPECT_EQ(ok.events, (Events{{"verification_succeeded", "{}"},
                               {"flow_completed", R"({"flow":"order_status","result":"done"})"}}));
  TurnOutcome again = Say(std::string("我的订单 ") + kShippedOrder + " 到哪了");
  EXPECT_NE(again.reply.find("顺丰速运"), std::string::npos) << again.reply;
  EXPECT_EQ(
      again.events,
      (Events{{"flow_completed", R"({"flow":"order_status","result":"done","started":true})"}}));
}

// A graphical channel gets the order as a card only once the shopper is verified, and buttons
// for the yes/no questions the replies end with.
TEST_F(DialogTest, CardsAndQuickRepliesFollowVerificationAndQuestions) {
  TurnOutcome ask = Say(std::string("我的订单 ") + kShippedOrder + " 到哪了");
  EXPECT_TRUE(ask.cards.empty());
  EXPECT_TRUE(ask.quick_replies.empty());
  TurnOutcome ok = Say("5678");
  ASSERT_EQ(ok.cards.size(), 1u);
  const nlohmann::json card = nlohmann::json::parse(ok.cards[0]);
  EXPECT_EQ(card["type"], "order");
  EXPECT_EQ(card["order_id"], kShippedOrder);
  EXPECT_EQ(card["status"], "shipped");
  EXPECT_FALSE(card["status_label"].get<std::string>().empty());
  EXPECT_FALSE(card["items"].empty());
  EXPECT_EQ(card["shipment"]["carrier"], "顺丰速运");
  ASSERT_FALSE(card["shipment"]["events"].empty());
  EXPECT_FALSE(card.contains("phone"));  // the card carries no contact details

  Say(std::string("帮我取消订单 ") + kPaidOrder);
  TurnOutcome confirm = Say("4321");
  ASSERT_EQ(confirm.quick_replies.size(), 2u);
  EXPECT_EQ(confirm.quick_replies[0].label, "确认");
  TurnOutcome done = Say(confirm.quick_replies[0].text);  // pressing the button confirms
  EXPECT_NE(done.reply.find("已取消"), std::string::npos) << done.reply;
  EXPECT_TRUE(done.quick_replies.empty());
}

TEST_F(DialogTest, ThreeWrongAnswersLockEveryOrder) {
  Say(std::string("订单 ") + kShippedOrder + " 到哪了");
  Say("0000");
  Say("1111");
  TurnOutcome locked = Say("2222");
  EXPECT_TRUE(locked.offer_human);
  EXPECT_TRUE(state_.verification_locked);
  TurnOutcome other = Say(std::string("订单 ") + kPaidOrder + " 到哪了");
  EXPECT_NE(other.reply.find("身份验证未通过"), std::string::npos) << other.reply;
}

TEST_F(DialogTest, AToolCallAModelProposesIsCheckedAgainstTheFlowAndVerification) {
  const std::string call = std::string(R"({"order_id": ")") + kPaidOrder + "\"}";
  EXPECT_EQ(dialog_->CheckProposedAction(state_, "cancel_order", call).code(),
            StatusCode::kFailedPrecondition);  // no flow is running
  EXPECT_EQ(dialog_->CheckProposedAction(state_, "wire_money", "{}").code(), StatusCode::kNotFound);
  Say(std::string("帮我取消订单 ") + kPaidOrder);
  EXPECT_EQ(dialog_->CheckProposedAction(state_, "cancel_order", call).code(),
            StatusCode::kPermissionDenied);  // not verified
  EXPECT_EQ(dialog_->CheckProposedAction(state_, "create_return", call).code(),
            StatusCode::kFailedPrecondition);  // not the running flow's tool
  Say("4321");
  ASSERT_EQ(state_.active()->awaiting, "confirm");
  EXPECT_OK(dialog_->CheckProposedAction(state_, "cancel_order", call));
  EXPECT_EQ(dialog_
                ->CheckProposedAction(state_, "cancel_order",
                                      std::string(R"({"order_id": ")") + kShippedOrder + "\"}")
                .code(),
            StatusCode::kPermissionDenied);  // another order
  EXPECT_EQ(dialog_->CheckProposedAction(state_, "cancel_order", "not json").code(),
            StatusCode::kInvalidArgument);
  // Judging is all it does: the order is still paid until the shopper confirms.
  EXPECT_EQ((*store_->GetOrderDetails(kPaidOrder)).order.status, "paid");
}

// A task waiting for a slot keeps a malformed answer unless the classifier is sure the message
// is a knowledge-base matter; a question always gets its answer first.
TEST_F(DialogTest, AMalformedSlotAnswerStaysWithTheTaskUnlessTheClassifierIsSure) {
  SayUnderstood(std::string("I need an invoice for order ") + kDeliveredOrder, "invoice", 0.99);
  SayUnderstood("9999", "affirm", 0.5);
  ASSERT_NE(state_.active(), nullptr);
  ASSERT_EQ(state_.active()->awaiting, "title");
  SayUnderstood("Shenzhen Bluewave Technology Co., Ltd.", "out_of_scope", 0.4);
  ASSERT_EQ(state_.active()->awaiting, "tax_id");
  SayUnderstood("91440300MA5EXAMPLE", "invoice", 0.6);
  ASSERT_EQ(state_.active()->awaiting, "email");

  TurnOutcome bad = SayUnderstood("sam.lee at bluewave", "product_inquiry", 0.22);
  EXPECT_FALSE(bad.offer_human) << bad.reply;
  EXPECT_NE(bad.reply.find("doesn't look like an e-mail address"), std::string::npos) << bad.reply;
  ASSERT_NE(state_.active(), nullptr);
  EXPECT_EQ(state_.active()->awaiting, "email");

  // The same words, classified with confidence, go to the knowledge base; the task waits.
  TurnOutcome aside = SayUnderstood("sam.lee at bluewave", "product_inquiry", 0.9);
  EXPECT_EQ(aside.reply.find("doesn't look like an e-mail address"), std::string::npos)
      << aside.reply;
  ASSERT_NE(state_.active(), nullptr);
  EXPECT_EQ(state_.active()->awaiting, "email");
  EXPECT_EQ(state_.active()->flow, "invoice");
}

// At the confirmation, a new value for a slot already given is a correction of this task,
// even when the classifier calls the message another task ("make it" reads like change_order).
TEST_F(DialogTest, ACorrectionAtTheConfirmationStaysWithTheTask) {
  clock_.Set(kefu::testing::T("2026-11-14T12:00:00+08:00"));  // two days after delivery
  SayUnderstood(std::string("I'd like to exchange the item from order ") + kDeliveredOrder,
                "exchange", 0.99);
  SayUnderstood("9999", "affirm", 0.5);
  SayUnderstood("I don't like the colour, I want the black one", "exchange", 0.9);
  ASSERT_NE(state_.active(), nullptr);
  ASSERT_EQ(state_.active()->awaiting, "confirm");
  ASSERT_EQ(state_.active()->slots.at("colour").value, "black");

  TurnOutcome fix = SayUnderstood("actually make it the blue one", "change_order", 0.9);
  ASSERT_NE(state_.active(), nullptr) << fix.reply;
  EXPECT_EQ(state_.active()->flow, "exchange");
  EXPECT_EQ(state_.active()->awaiting, "confirm");
  EXPECT_EQ(state_.active()->slots.at("colour").value, "blue");
  EXPECT_NE(fix.reply.find("blue"), std::string::npos) << fix.reply;

  // Without a new value it is another task's business: the change_order request interrupts
  // (a delivered order's address cannot change), then the exchange asks again.
  TurnOutcome other =
      SayUnderstood("can I change the delivery address instead", "change_order", 0.9);
  EXPECT_NE(other.reply.find("can't be changed"), std::string::npos) << other.reply;
  ASSERT_NE(state_.active(), nullptr);
  EXPECT_EQ(state_.active()->flow, "exchange");
}

TEST_F(DialogTest, CancelBeforeShippingNeedsAnExplicitConfirmation) {
  Say(std::string("帮我取消订单 ") + kPaidOrder);
  TurnOutcome confirm = Say("4321");
  EXPECT_NE(confirm.reply.find("请确认"), std::string::npos) << confirm.reply;
  EXPECT_EQ((*store_->GetOrderDetails(kPaidOrder)).order.status, "paid");
  TurnOutcome done = Say("确认");
  EXPECT_NE(done.reply.find("已取消"), std::string::npos) << done.reply;
  EXPECT_EQ((*store_->GetOrderDetails(kPaidOrder)).order.status, "cancelled");
  ASSERT_FALSE(done.tool_calls.empty());
  EXPECT_EQ(done.tool_calls.back().tool, "cancel_order");
  EXPECT_EQ(done.tool_calls.back().code, "ok");
}

// The trace keeps each tool call's arguments, with contact details masked.
TEST_F(DialogTest, ToolCallsKeepTheirArgumentsWithContactDetailsMasked) {
  TurnOutcome ask = Say(std::string("我的订单 ") + kShippedOrder + " 到哪了");
  ASSERT_EQ(ask.tool_calls.size(), 1u);
  EXPECT_EQ(ask.tool_calls[0].tool, "get_order");
  EXPECT_EQ(ask.tool_calls[0].args_json, std::string(R"({"order_id":")") + kShippedOrder + "\"}");
  state_ = {};
  Say(std::string("订单 ") + kPaidOrder + " 的收货地址要改一下");
  Say("4321");
  Say("广东省深圳市南山区科技园路 1 号");
  TurnOutcome done = Say("确认");
  ASSERT_FALSE(done.tool_calls.empty()) << done.reply;
  EXPECT_EQ(done.tool_calls.back().tool, "change_order");
  EXPECT_EQ(done.tool_calls.back().args_json,
            std::string(R"({"address":"***","order_id":")") + kPaidOrder + "\"}");
}

TEST_F(DialogTest, CancelAfterShippingOffersAReturnInstead) {
  Say(std::string("取消订单 ") + kShippedOrder);
  TurnOutcome out = Say("5678");
  EXPECT_NE(out.reply.find("已经发货"), std::string::npos) << out.reply;
  EXPECT_EQ(state_.offer, "return_refund");
  EXPECT_EQ((*store_->GetOrderDetails(kShippedOrder)).order.status, "shipped");
}

TEST_F(DialogTest, AbortWordsEndTheTaskWithoutChangingAnything) {
  Say(std::string("我要退货 ") + kDeliveredOrder);
  Say("9999");
  TurnOutcome out = Say("算了不退了");
  EXPECT_NE(out.reply.find("已取消"), std::string::npos) << out.reply;
  EXPECT_EQ(state_.active(), nullptr);
  EXPECT_EQ((*store_->GetOrderDetails(kDeliveredOrder)).order.status, "delivered");
}

TEST_F(DialogTest, AskingForAPersonRequestsAHandoff) {
  TurnOutcome out = Say("转人工");
  ASSERT_TRUE(out.handoff.has_value());
  EXPECT_EQ(out.handoff->reason, "requested");
  EXPECT_TRUE(state_.handoff_requested);
}

class FailingTool : public tools::Tool {
 public:
  std::string name() const override { return "cancel_order"; }
  Result<tools::ToolResult> Call(const nlohmann::json&, RequestContext&) const override {
    return UnavailableError("order system timed out");
  }
};

TEST_F(DialogTest, AToolFailureIsAnApologyAndAnOfferNotAnError) {
  tools_.Add(std::make_unique<FailingTool>());
  Say(std::string("取消订单 ") + kPaidOrder);
  Say("4321");
  TurnOutcome out = Say("确认");
  EXPECT_NE(out.reply.find("抱歉"), std::string::npos) << out.reply;
  EXPECT_EQ(state_.offer, "human");
  EXPECT_EQ(out.tool_calls.back().code, "error");
  EXPECT_EQ((*store_->GetOrderDetails(kPaidOrder)).order.status, "paid");
}

TEST(SubstituteTest, TheFirstLayerThatHasANameGivesItsValue) {
  const std::map<std::string, std::string> task = {{"order_id", "task"}};
  const std::map<std::string, std::string> turn = {{"order_id", "turn"}, {"refund", "¥10.00"}};
  const std::map<std::string, std::string> defaults = {{"order_id", ""}, {"size", ""}};
  // A null layer (no order resolved) is skipped; a name no layer has stays as it is.
  EXPECT_EQ(Substitute("{order_id}|{refund}|{size}|{colour}",
                       VarLayers(&task, &turn, nullptr, &defaults)),
            "task|¥10.00||{colour}");
  EXPECT_EQ(Substitute("{order_id}|{size}", VarLayers(&defaults, &turn)), "|");
  EXPECT_EQ(Substitute("订单{order_id}", turn), "订单turn");  // one map, as before
  EXPECT_EQ(Substitute("{order_id", turn), "{order_id");
}

TEST(ReplyTemplatesTest, ShippedReplyNamesCarrierTrackingAndLatestEventInBothLanguages) {
  Result<ReplyTemplates> t =
      ReplyTemplates::Load(kefu::testing::SourceDataDir() + "/templates/replies.toml", {});
  ASSERT_OK_RESULT(t);
  store::OrderDetails order = kefu::testing::SmallShop().orders[0];
  order.items[0].name_zh = "星河 X5 智能手机";
  order.items[0].name_en = "Xinghe X5 Smartphone";
  const std::string zh = t->Render("order.shipped", "zh", t->OrderVars(order, "zh"));
  EXPECT_NE(zh.find("顺丰速运"), std::string::npos) << zh;
  EXPECT_NE(zh.find(kefu::testing::kShippedTracking), std::string::npos) << zh;
  EXPECT_NE(zh.find("快件已到达【上海转运中心】"), std::string::npos) << zh;
  EXPECT_NE(zh.find("2026-11-27 06:30"), std::string::npos) << zh;
  const std::string en = t->Render("order.shipped", "en", t->OrderVars(order, "en"));
  EXPECT_NE(en.find("SF Express"), std::string::npos) << en;
  EXPECT_NE(en.find("Arrived at Shanghai hub"), std::string::npos) << en;
  EXPECT_NE(en.find("Xinghe X5 Smartphone"), std::string::npos) << en;
  EXPECT_EQ(en.find('{'), std::string::npos) << "unfilled placeholder: " << en;
}

TEST(ReplyTemplatesTest, EveryOrderStatusRendersWithoutPlaceholdersLeft) {
  Result<ReplyTemplates> t =
      ReplyTemplates::Load(kefu::testing::SourceDataDir() + "/templates/replies.toml", {});
  ASSERT_OK_RESULT(t);
  for (const auto& order : kefu::testing::SmallShop().orders) {
    for (const char* lang : {"zh", "en"}) {
      const std::string text = t->OrderVars(order, lang).at("order_summary");
      EXPECT_EQ(text.find('{'), std::string::npos) << lang << ": " << text;
    }
  }
}

TEST(ReplyTemplatesTest, RenderedOrdersAreKeptUntilTheirEtagChanges) {
  Result<ReplyTemplates> t =
      ReplyTemplates::Load(kefu::testing::SourceDataDir() + "/templates/replies.toml", {});
  ASSERT_OK_RESULT(t);
  store::OrderDetails order = kefu::testing::SmallShop().orders[0];
  order.etag = 41;
  auto first = t->Rendered(order, "zh");
  EXPECT_EQ(first->vars, t->OrderVars(order, "zh"));
  EXPECT_EQ(first->card, t->OrderCard(order, "zh"));
  EXPECT_EQ(t->Rendered(order, "zh"), first);  // the same rendering, served again
  EXPECT_NE(t->Rendered(order, "en"), first);  // per language
  EXPECT_EQ(t->Rendered(order, "en")->card, t->OrderCard(order, "en"));
  // A new etag (the order changed) is rendered afresh, with what changed.
  order.etag = 42;
  order.shipment->tracking_number = "SF0000000000042";
  auto second = t->Rendered(order, "zh");
  EXPECT_NE(second, first);
  EXPECT_EQ(second->vars.at("tracking_number"), "SF0000000000042");
  EXPECT_NE(second->card.find("SF0000000000042"), std::string::npos);
  // Without an etag nothing is kept.
  order.etag = 0;
  EXPECT_NE(t->Rendered(order, "zh"), t->Rendered(order, "zh"));
}

TEST(ReplyTemplatesTest, MissingKeyIsRejectedAtLoad) {
  kefu::testing::TempDir dir;
  std::ofstream(dir.File("r.toml")) << "[zh]\ngreeting = \"你好\"\n[en]\ngreeting = \"hi\"\n";
  Result<ReplyTemplates> t = ReplyTemplates::Load(dir.File("r.toml"), {});
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
}

// ---- the shopper's feeling: mood, escalation, tone

MessageFeeling Feeling(const std::string& polarity, double score, const std::string& emotion,
                       double intensity, bool threat = false) {
  MessageFeeling f;
  f.polarity = polarity;
  f.score = score;
  f.emotion = emotion;
  f.intensity = intensity;
  f.anger = emotion == "anger" ? intensity : 0.0;
  f.threat = threat;
  return f;
}

class FeelingTest : public DialogTest {
 protected:
  void SetUp() override {
    DialogTest::SetUp();
    dialog_->AddEscalationHook(NewSentimentEscalation(rule_));
  }
  // One turn whose message felt like `f`.
  TurnOutcome SayFeeling(const std::string& text, const MessageFeeling& f) {
    TrackFeeling(f, 0.5, state_);
    return Say(text);
  }
  static bool StartsWith(const std::string& s, const std::string& prefix) {
    return s.rfind(prefix, 0) == 0;
  }

  EscalationRule rule_;  // the defaults: threats and anger >= 0.8 hand off, 3 negative turns offer
};

TEST(TrackFeelingTest, TheMoodDecaysAndNegativeTurnsCountInARow) {
  DialogState s;
  TrackFeeling(Feeling("negative", -0.8, "disappointment", 0.6), 0.5, s);
  EXPECT_NEAR(s.mood, -0.4, 1e-9);
  EXPECT_EQ(s.negative_turns, 1);
  TrackFeeling(Feeling("negative", -0.8, "anger", 0.7), 0.5, s);
  EXPECT_NEAR(s.mood, -0.6, 1e-9);
  EXPECT_EQ(s.negative_turns, 2);
  EXPECT_NEAR(s.peak_anger, 0.7, 1e-9);
  TrackFeeling(Feeling("neutral", 0.0, "neutral", 0.0), 0.5, s);
  EXPECT_NEAR(s.mood, -0.3, 1e-9);  // forgiving, not forgetting
  EXPECT_EQ(s.negative_turns, 0);
  EXPECT_NEAR(s.peak_anger, 0.7, 1e-9);
  // The state keeps all of it across a restart.
  Result<DialogState> back = DecodeState(EncodeState(s));
  ASSERT_OK_RESULT(back);
  EXPECT_NEAR(back->mood, -0.3, 1e-9);
  EXPECT_NEAR(back->peak_anger, 0.7, 1e-9);
  EXPECT_EQ(back->feeling.polarity, "neutral");
}

TEST(EscalationRuleTest, BadActionsAndRangesAreRefusedByName) {
  EscalationRule r;
  EXPECT_OK(ValidateEscalationRule(r));
  r.anger_action = "scream";
  Status s = ValidateEscalationRule(r);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("anger_action"), std::string::npos) << s.message();
  r = {};
  r.anger_threshold = 1.5;
  EXPECT_EQ(ValidateEscalationRule(r).code(), StatusCode::kInvalidArgument);
  r = {};
  r.negative_turns = -1;
  EXPECT_EQ(ValidateEscalationRule(r).code(), StatusCode::kInvalidArgument);
}

TEST_F(FeelingTest, AThreatHandsOffAtOnceWithPriority) {
  TurnOutcome out =
      SayFeeling("再不处理我就去12315投诉", Feeling("negative", -0.9, "anger", 0.9, true));
  ASSERT_TRUE(out.handoff.has_value());
  EXPECT_EQ(out.handoff->reason, "threat");
  EXPECT_EQ(out.handoff->priority, 2);
  EXPECT_TRUE(state_.handoff_requested);
  // The reply opens with an apology, then says a person is coming.
  EXPECT_TRUE(StartsWith(out.reply, "非常抱歉")) << out.reply;
  EXPECT_NE(out.reply.find("人工客服"), std::string::npos) << out.reply;
}

TEST_F(FeelingTest, StrongAngerHandsOffAndMildAngerDoesNot) {
  TurnOutcome mild = SayFeeling("怎么还没发货", Feeling("negative", -0.5, "anger", 0.6));
  EXPECT_FALSE(mild.handoff.has_value());
  TurnOutcome strong =
      SayFeeling("你们到底在干什么！！！", Feeling("negative", -0.95, "anger", 0.92));
  ASSERT_TRUE(strong.handoff.has_value());
  EXPECT_EQ(strong.handoff->reason, "anger");
}

TEST_F(FeelingTest, NegativeTurnsInARowOfferAPersonOnceAndAYesHandsOff) {
  const MessageFeeling low = Feeling("negative", -0.6, "disappointment", 0.55);
  EXPECT_FALSE(SayFeeling("东西一般", low).offer_human);
  EXPECT_FALSE(SayFeeling("质量也不太行", low).offer_human);
  TurnOutcome third = SayFeeling("有点失望", low);
  EXPECT_TRUE(third.offer_human);
  EXPECT_FALSE(third.handoff.has_value());
  EXPECT_NE(third.reply.find("转接人工客服"), std::string::npos) << third.reply;
  EXPECT_EQ(state_.offer, "human");
  // The shopper says yes: the handoff carries the escalation's reason and priority.
  TurnOutcome yes = SayFeeling("好的", Feeling("neutral", 0.0, "neutral", 0.0));
  ASSERT_TRUE(yes.handoff.has_value());
  EXPECT_EQ(yes.handoff->reason, "negative_turns");
  EXPECT_EQ(yes.handoff->priority, 2);
}

TEST_F(FeelingTest, ADeclinedEscalationOfferIsNotRepeatedAtOnce) {
  // (A complaint's own reply may still offer a person; the escalation offer is what is spaced.)
  const MessageFeeling low = Feeling("negative", -0.6, "disappointment", 0.55);
  auto escalation_offered = [](const TurnOutcome& out) {
    return out.action.find("offer_human:negative_turns") != std::string::npos;
  };
  SayFeeling("东西一般", low);
  SayFeeling("质量也不太行", low);
  EXPECT_TRUE(escalation_offered(SayFeeling("有点失望", low)));
  EXPECT_FALSE(escalation_offered(SayFeeling("不用了", low)));
  EXPECT_FALSE(escalation_offered(SayFeeling("还是很失望", low)));
  EXPECT_TRUE(escalation_offered(SayFeeling("太失望了", low)));  // three turns on, still unhappy
}

TEST_F(FeelingTest, AnUpsetShopperHearsAnApologyFirstAndAnAnxiousOneReassurance) {
  TurnOutcome upset = SayFeeling(std::string("订单 ") + kShippedOrder + " 怎么还没到，太让人失望了",
                                 Feeling("negative", -0.7, "disappointment", 0.7));
  EXPECT_TRUE(StartsWith(upset.reply, "非常抱歉给您带来不好的体验。")) << upset.reply;
  EXPECT_NE(upset.reply.find("后四位"), std::string::npos) << upset.reply;  // and the work goes on
  TurnOutcome anxious = SayFeeling("5678", Feeling("negative", -0.5, "anxiety", 0.6));
  EXPECT_TRUE(StartsWith(anxious.reply, "理解您着急的心情")) << anxious.reply;
  // A calm shopper gets no apology; a reply that apologises already gets no second one.
  state_ = {};
  TurnOutcome calm = SayFeeling("你好", Feeling("neutral", 0.0, "neutral", 0.0));
  EXPECT_EQ(calm.reply.find("抱歉"), std::string::npos) << calm.reply;
  state_ = {};
  TurnOutcome complaint =
      SayFeeling("你们服务太差了，非常不满意", Feeling("negative", -0.8, "disappointment", 0.75));
  EXPECT_EQ(complaint.reply.find("抱歉"), complaint.reply.rfind("抱歉")) << complaint.reply;
}

TEST_F(FeelingTest, TheApologyCanBeTurnedOffAndSpeaksEnglishToo) {
  TurnOutcome en = SayFeeling("This is so disappointing, where is my order?",
                              Feeling("negative", -0.7, "disappointment", 0.7));
  EXPECT_TRUE(StartsWith(en.reply, "I'm really sorry for the trouble.")) << en.reply;
  dialog_->SetApologyFirst(false);
  TurnOutcome plain =
      SayFeeling("Still disappointing", Feeling("negative", -0.7, "disappointment", 0.7));
  EXPECT_FALSE(StartsWith(plain.reply, "I'm really sorry for the trouble.")) << plain.reply;
}

TEST_F(FeelingTest, OffActionsNeverEscalate) {
  rule_.threat_action = "off";
  rule_.anger_action = "off";
  rule_.negative_turns_action = "off";
  Result<std::unique_ptr<Dialog>> d =
      Dialog::Create({.data_dir = kefu::testing::SourceDataDir()}, tools_, nullptr, clock_);
  ASSERT_OK_RESULT(d);
  dialog_ = std::move(*d);
  dialog_->AddEscalationHook(NewSentimentEscalation(rule_));
  for (int i = 0; i < 4; ++i) {
    TurnOutcome out = SayFeeling("差评！！！", Feeling("negative", -0.95, "anger", 0.95, true));
    EXPECT_FALSE(out.handoff.has_value());
  }
}

}  // namespace
}  // namespace kefu::dialog
