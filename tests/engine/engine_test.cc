#include "engine/engine.h"

#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/sha256.h"
#include "engine/engine_fixture.h"
#include "fakes/store_wrapper.h"

namespace kefu::engine {
namespace {

using kefu::testing::kShippedOrder;

class EngineTest : public EngineFixture {};

TEST_F(EngineTest, ChineseOrderStatusNeedsVerificationThenAnswersFromTheStore) {
  TurnResult ask = Say("我的订单 2026112500000001 到哪了？");
  EXPECT_EQ(ask.intent, "order_status");
  EXPECT_EQ(ask.action, "flow:order_status/verify");
  EXPECT_NE(ask.reply.find("后四位"), std::string::npos) << ask.reply;
  EXPECT_EQ(ask.reply.find("顺丰"), std::string::npos) << "details before verification";
  TurnResult ok = Say("5678");
  EXPECT_NE(ok.reply.find("顺丰速运"), std::string::npos) << ok.reply;
  EXPECT_NE(ok.reply.find(kefu::testing::kShippedTracking), std::string::npos) << ok.reply;
  EXPECT_NE(ok.reply.find("快件已到达【上海转运中心】"), std::string::npos) << ok.reply;
  // Verified once: later questions about the same order need no digits.
  TurnResult again = Say("这个订单现在到哪了");
  EXPECT_NE(again.reply.find(kefu::testing::kShippedTracking), std::string::npos) << again.reply;
}

TEST_F(EngineTest, EnglishOrderStatusRepliesInEnglish) {
  TurnResult ask = Say("Where is my order 2026112500000001?");
  EXPECT_EQ(ask.lang, "en");
  EXPECT_NE(ask.reply.find("last four digits"), std::string::npos) << ask.reply;
  TurnResult ok = Say("5678");
  EXPECT_NE(ok.reply.find("SF Express"), std::string::npos) << ok.reply;
  EXPECT_NE(ok.reply.find("Arrived at Shanghai hub"), std::string::npos) << ok.reply;
}

TEST_F(EngineTest, ThreeWrongTriesGiveNoDetailsAndOfferAHuman) {
  Say("我的订单 2026112500000001 到哪了");
  EXPECT_NE(Say("1111").reply.find("还有 2 次"), std::string::npos);
  EXPECT_NE(Say("2222").reply.find("还有 1 次"), std::string::npos);
  TurnResult locked = Say("3333");
  EXPECT_TRUE(locked.handoff);
  EXPECT_NE(locked.reply.find("人工"), std::string::npos) << locked.reply;
  TurnResult right = Say("5678");
  EXPECT_EQ(right.reply.find("顺丰"), std::string::npos) << right.reply;
  EXPECT_EQ(*store_->CountEvents("verification_locked"), 1);
}

TEST_F(EngineTest, OneConversationsVerificationDoesNotLeakIntoAnother) {
  Say("我的订单 2026112500000001 到哪了");
  Say("5678");
  NewConversation other = *engine_->CreateConversation("test");
  RequestContext ctx = RequestContext::Unbounded("t");
  Result<TurnResult> r =
      engine_->HandleTurn({other.id, "订单 2026112500000001 到哪了", std::nullopt}, ctx);
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->reply.find("顺丰"), std::string::npos) << r->reply;
}

TEST_F(EngineTest, TurnsAreStoredWithIntentAndTrace) {
  Say("你好");
  Result<std::vector<store::Message>> h = engine_->History(conv_.id, 0, 10);
  ASSERT_OK_RESULT(h);
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].text, "你好");
  EXPECT_EQ((*h)[0].intent, "greeting");
  EXPECT_NE((*h)[1].trace_json.find("nlu.understand"), std::string::npos);
  EXPECT_EQ((*h)[1].created_at, clock_.NowMillis());
}

TEST_F(EngineTest, TraceTimesEveryStage) {
  TurnResult r = Say("你好");
  for (const char* stage : {"store.load", "text.normalize", "nlu.understand", "dialog.track",
                            "dialog.step", "reply.phrase", "store.persist"}) {
    EXPECT_NE(r.trace_json.find(stage), std::string::npos) << stage;
  }
}

// The server reads a message on its I/O thread (Engine::Read) and the worker runs the rest: the
// turn is the one HandleTurn gives from the text alone, with every stage in its trace once.
TEST_F(EngineTest, AMessageReadAheadGivesTheSameTurn) {
  Say("我的订单 2026112500000001 到哪了");
  RequestContext read_ctx = RequestContext::Unbounded("t-read");
  std::shared_ptr<const ReadMessage> read = engine_->Read("5678", read_ctx);
  ASSERT_NE(read, nullptr);
  TurnInput input{conv_.id, "5678", std::nullopt};
  input.read = read;
  Result<TurnResult> r = engine_->HandleTurn(input, read_ctx);
  ASSERT_OK_RESULT(r);
  EXPECT_NE(r->reply.find("顺丰"), std::string::npos) << r->reply;
  EXPECT_EQ(r->intent, read->understanding.intent);
  const nlohmann::json trace = nlohmann::json::parse(r->trace_json);
  std::vector<std::string> names;
  for (const nlohmann::json& stage : trace["stages"]) {
    names.push_back(stage["name"]);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"text.normalize", "sentiment.analyze", "nlu.understand",
                                      "store.load", "nlu.assist", "dialog.track", "dialog.step",
                                      "reply.phrase", "store.persist"}));
}

// A read made from other text is not used: the turn reads its own message.
TEST_F(EngineTest, AReadOfOtherTextIsIgnored) {
  RequestContext ctx = RequestContext::Unbounded("t");
  std::shared_ptr<const ReadMessage> read = engine_->Read("我要转人工", ctx);
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->understanding.intent, "human_agent");
  TurnInput input{conv_.id, "你好", std::nullopt};
  input.read = read;
  Result<TurnResult> r = engine_->HandleTurn(input, ctx);
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->intent, "greeting");
  // Text that is no message is not read at all; the turn then says why.
  EXPECT_EQ(engine_->Read("   ", ctx), nullptr);
  EXPECT_EQ(engine_->Read("\xff", ctx), nullptr);
}

TEST_F(EngineTest, BadTextIsRejectedAndNothingIsStored) {
  RequestContext ctx = RequestContext::Unbounded("t");
  EXPECT_EQ(engine_->HandleTurn({conv_.id, "\xff\xfe", std::nullopt}, ctx).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->HandleTurn({conv_.id, "   ", std::nullopt}, ctx).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      engine_->HandleTurn({conv_.id, std::string(2001, 'a'), std::nullopt}, ctx).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->HandleTurn({"c_missing", "hi", std::nullopt}, ctx).status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(engine_->History(conv_.id, 0, 10)->empty());
}

TEST_F(EngineTest, ExpiredDeadlineStopsTheTurnBeforeAnyStage) {
  RequestContext ctx("t", std::chrono::steady_clock::now() - std::chrono::seconds(1));
  EXPECT_EQ(engine_->HandleTurn({conv_.id, "你好", std::nullopt}, ctx).status().code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(engine_->History(conv_.id, 0, 10)->empty());
}

TEST_F(EngineTest, TurnChecksTheTokenWhenGiven) {
  RequestContext ctx = RequestContext::Unbounded("t");
  EXPECT_OK(engine_->HandleTurn({conv_.id, "你好", conv_.token}, ctx).status());
  EXPECT_EQ(engine_->HandleTurn({conv_.id, "你好", std::string("wrong")}, ctx).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(engine_->History(conv_.id, 0, 10)->size(), 2u);
}

// A token hashed ahead (Api::ReadAhead, on the I/O thread) is checked as the token would be.
TEST_F(EngineTest, ATokenHashedAheadIsCheckedLikeTheToken) {
  RequestContext ctx = RequestContext::Unbounded("t");
  TurnInput right{conv_.id, "你好", conv_.token};
  right.token_sha256 = Sha256Hex(conv_.token);
  EXPECT_OK(engine_->HandleTurn(right, ctx).status());
  TurnInput wrong{conv_.id, "你好", std::string("wrong")};
  wrong.token_sha256 = Sha256Hex("wrong");
  EXPECT_EQ(engine_->HandleTurn(wrong, ctx).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(engine_->History(conv_.id, 0, 10)->size(), 2u);
}

TEST_F(EngineTest, AuthorizeChecksTheToken) {
  EXPECT_OK(engine_->Authorize(conv_.id, conv_.token));
  EXPECT_EQ(engine_->Authorize(conv_.id, "wrong").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(engine_->Authorize("c_missing", conv_.token).code(), StatusCode::kNotFound);
}

TEST_F(EngineTest, ConcurrentTurnsOnOneConversationAreAllStored) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([this] {
      RequestContext ctx = RequestContext::Unbounded("t");
      EXPECT_TRUE(engine_->HandleTurn({conv_.id, "你好", std::nullopt}, ctx).ok());
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(engine_->History(conv_.id, 0, 100)->size(), 8u);
  EXPECT_EQ(store_->GetConversation(conv_.id)->version, 4);
}

TEST_F(EngineTest, EveryMessagesSentimentIsInTheTraceAndStoredWithIt) {
  TurnResult angry = Say("你们这什么垃圾服务！！我要投诉！！");
  const nlohmann::json t = nlohmann::json::parse(angry.trace_json);
  EXPECT_EQ(t["sentiment"]["polarity"], "negative") << t["sentiment"];
  EXPECT_EQ(t["sentiment"]["emotion"], "anger") << t["sentiment"];
  EXPECT_TRUE(t["sentiment"]["threat"].get<bool>());
  EXPECT_FALSE(t["sentiment"]["matched"].empty());
  bool timed = false;
  for (const auto& stage : t["stages"]) {
    timed = timed || stage["name"] == "sentiment.analyze";
  }
  EXPECT_TRUE(timed);
  TurnResult happy = Say("thank you so much, great service!");
  EXPECT_EQ(nlohmann::json::parse(happy.trace_json)["sentiment"]["polarity"], "positive");
  Result<std::vector<store::Message>> history = engine_->History(conv_.id, 0, 10);
  ASSERT_OK_RESULT(history);
  ASSERT_EQ(history->size(), 4u);
  const nlohmann::json stored = nlohmann::json::parse((*history)[0].sentiment);
  EXPECT_EQ(stored["polarity"], "negative");
  EXPECT_EQ(stored["emotion"], "anger");
  EXPECT_FALSE(stored.contains("matched"));  // the terms stay in the trace
  EXPECT_EQ(nlohmann::json::parse((*history)[2].sentiment)["polarity"], "positive");
  EXPECT_EQ((*history)[1].sentiment, "");  // the bot's reply has none
}

}  // namespace
}  // namespace kefu::engine

namespace kefu::engine {
namespace {

// One unbounded RequestContext per turn of a HandleTurns batch.
struct BatchContexts {
  explicit BatchContexts(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      storage.push_back(
          std::make_unique<RequestContext>("t", std::chrono::steady_clock::time_point::max()));
      pointers.push_back(storage.back().get());
    }
  }
  std::vector<std::unique_ptr<RequestContext>> storage;
  std::vector<RequestContext*> pointers;
};

// Records the size of every SaveTurns call: one per commit.
class BatchRecordingStore : public kefu::testing::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  std::vector<Status> SaveTurns(std::span<const store::TurnRecord> records) override {
    sizes.push_back(records.size());
    return StoreWrapper::SaveTurns(records);
  }
  std::vector<size_t> sizes;
};

TEST_F(EngineTest, RepeatsInABatchAreCommittedInRoundsAndKeepTheirOrder) {
  BatchRecordingStore recording(*store_);
  std::unique_ptr<Engine> engine =
      std::move(*Engine::Create(recording, clock_, {.data_dir = kefu::testing::SourceDataDir()}));
  NewConversation a = *engine->CreateConversation("test");
  NewConversation b = *engine->CreateConversation("test");
  NewConversation c = *engine->CreateConversation("test");
  std::vector<TurnInput> inputs = {
      {a.id, "我的订单 2026112500000001 到哪了", a.token},
      {b.id, "hello", b.token},
      {a.id, "5678", a.token},
      {c.id, "你好", c.token},
      {a.id, "这个订单现在到哪了", a.token},
      {b.id, "bye", b.token},
  };
  BatchContexts contexts(inputs.size());
  std::vector<Result<TurnResult>> r = engine->HandleTurns(inputs, contexts.pointers);
  for (const auto& result : r) {
    ASSERT_OK_RESULT(result);
  }
  // Round one: a, b, c; round two: a and b's second messages; round three: a's third.
  EXPECT_EQ(recording.sizes, (std::vector<size_t>{3, 2, 1}));
  EXPECT_NE(r[0]->reply.find("后四位"), std::string::npos) << r[0]->reply;
  EXPECT_NE(r[2]->reply.find(kefu::testing::kShippedTracking), std::string::npos) << r[2]->reply;
  EXPECT_NE(r[4]->reply.find(kefu::testing::kShippedTracking), std::string::npos) << r[4]->reply;
  Result<std::vector<store::Message>> history = engine->History(a.id, 0, 10);
  ASSERT_OK_RESULT(history);
  std::vector<std::string> said;
  for (const store::Message& m : *history) {
    if (m.role == "user") {
      said.push_back(m.text);
    }
  }
  EXPECT_EQ(said, (std::vector<std::string>{inputs[0].text, inputs[2].text, inputs[4].text}));
  EXPECT_EQ(r[5]->intent, "goodbye");
}

TEST_F(EngineTest, BatchOfTurnsAnswersEachAsItsOwnTurn) {
  NewConversation a = *engine_->CreateConversation("test");
  NewConversation b = *engine_->CreateConversation("test");
  std::vector<TurnInput> inputs = {
      {a.id, "我的订单 2026112500000001 到哪了", a.token},
      {b.id, "hello", b.token},
      {a.id, "5678", a.token},                   // same conversation again: runs after the batch
      {b.id, "\xff", b.token},                   // invalid: its own error, others unaffected
      {b.id, "hi", std::string("wrong token")},  // also a repeat of b; wrong token
  };
  BatchContexts contexts(inputs.size());
  std::vector<Result<TurnResult>> r = engine_->HandleTurns(inputs, contexts.pointers);
  ASSERT_EQ(r.size(), inputs.size());
  ASSERT_OK_RESULT(r[0]);
  EXPECT_NE(r[0]->reply.find("后四位"), std::string::npos) << r[0]->reply;
  ASSERT_OK_RESULT(r[1]);
  EXPECT_EQ(r[1]->intent, "greeting");
  ASSERT_OK_RESULT(r[2]);
  EXPECT_NE(r[2]->reply.find(kefu::testing::kShippedTracking), std::string::npos) << r[2]->reply;
  EXPECT_EQ(r[3].status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r[4].status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(engine_->History(a.id, 0, 10)->size(), 4u);
  EXPECT_EQ(engine_->History(b.id, 0, 10)->size(), 2u);
  EXPECT_NE(r[1]->trace_json.find("store.persist"), std::string::npos);
}

}  // namespace
}  // namespace kefu::engine
