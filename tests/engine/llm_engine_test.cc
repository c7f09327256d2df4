// The engine with a language model: replies are rewritten by the model when every fact in them
// is grounded; otherwise regenerated once, then the template reply. A model that fails or is
// slow costs at most its budget, and the template answers.
#include <algorithm>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/engine_fixture.h"
#include "fakes/fake_llm_server.h"

namespace kefu::engine {
namespace {

// Answers with scripted texts (the last repeats), or an error, or never (until its deadline).
class ScriptedLlm final : public llm::LlmBackend {
 public:
  struct Step {
    std::string text;
    Status error = OkStatus();
    bool hang = false;
    int delta_delay_ms = 0;
    std::vector<llm::ToolCall> tool_calls{};
  };
  explicit ScriptedLlm(std::vector<Step> steps) : steps_(steps.begin(), steps.end()) {}

  Result<llm::ChatResponse> Chat(const llm::ChatRequest& request, RequestContext& ctx,
                                 const llm::StreamCallback& on_delta) override {
    Step step;
    {
      std::scoped_lock lock(mu_);
      requests_.push_back(request);
      step = steps_.front();
      if (steps_.size() > 1) {
        steps_.pop_front();
      }
    }
    if (step.hang) {
      while (ctx.Check().ok() &&
             (!request.first_token_deadline ||
              std::chrono::steady_clock::now() < *request.first_token_deadline)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return DeadlineExceededError("no first token in time");
    }
    if (!step.error.ok()) {
      return step.error;
    }
    // Streamed a few bytes at a time (never splitting a character), as a server would.
    for (size_t i = 0; on_delta && i < step.text.size();) {
      size_t end = std::min(step.text.size(), i + 4);
      while (end < step.text.size() &&
             (static_cast<unsigned char>(step.text[end]) & 0xC0) == 0x80) {
        ++end;
      }
      if (step.delta_delay_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(step.delta_delay_ms));
      }
      if (!on_delta(std::string_view(step.text).substr(i, end - i))) {
        std::scoped_lock lock(mu_);
        ++cancelled_;
        return CancelledError("the caller stopped the stream");
      }
      i = end;
    }
    llm::ChatResponse r;
    r.content = step.text;
    r.tool_calls = step.tool_calls;
    r.backend = "scripted";
    r.prompt_tokens = 100;
    r.completion_tokens = 20;
    return r;
  }
  int cancelled() const {
    std::scoped_lock lock(mu_);
    return cancelled_;
  }
  std::string name() const override { return "scripted"; }
  size_t calls() const {
    std::scoped_lock lock(mu_);
    return requests_.size();
  }
  llm::ChatRequest request(size_t i) const {
    std::scoped_lock lock(mu_);
    return requests_.at(i);
  }

 private:
  mutable std::mutex mu_;
  std::deque<Step> steps_;
  std::vector<llm::ChatRequest> requests_;
  int cancelled_ = 0;
};

// Records what a streaming client would see.
class RecordingSink final : public ReplySink {
 public:
  void Delta(std::string_view text) override {
    events.push_back("delta:" + std::string(text));
    shown += text;
  }
  void Reset() override {
    events.push_back("reset");
    shown.clear();
  }
  bool Gone() const override {
    return gone_after >= 0 && static_cast<int>(events.size()) >= gone_after;
  }

  std::vector<std::string> events;
  std::string shown;    // what the shopper has on screen now
  int gone_after = -1;  // the shopper leaves after this many events
};

class LlmEngineTest : public EngineFixture {
 protected:
  void UseModel(std::vector<ScriptedLlm::Step> steps, int budget_ms = 3'000) {
    llm_ = std::make_unique<ScriptedLlm>(std::move(steps));
    Result<std::unique_ptr<Engine>> e =
        Engine::Create(*store_, clock_,
                       {.data_dir = kefu::testing::SourceDataDir(),
                        .intent_model = IntentModel(),
                        .knowledge_base = kb_.get(),
                        .llm = llm_.get(),
                        .responder = {.first_token_timeout_ms = budget_ms}});
    ASSERT_OK_RESULT(e);
    engine_ = std::move(*e);
    conv_ = *engine_->CreateConversation("test");
  }
  nlohmann::json Llm(const TurnResult& r) { return nlohmann::json::parse(r.trace_json)["llm"]; }

  std::unique_ptr<ScriptedLlm> llm_;
};

TEST_F(LlmEngineTest, AGroundedRewriteIsTheReply) {
  const std::string rewrite = std::string("好的！订单 ") + kefu::testing::kShippedOrder +
                              " 已经在路上了，顺丰速运，运单号 " + kefu::testing::kShippedTracking +
                              "。";
  UseModel({{"请告诉我订单收货手机号的后四位，我来帮您查。"}, {rewrite}});
  TurnResult ask = Say(std::string("我的订单 ") + kefu::testing::kShippedOrder + " 到哪了");
  EXPECT_EQ(ask.reply, "请告诉我订单收货手机号的后四位，我来帮您查。");
  TurnResult ok = Say("5678");
  EXPECT_EQ(ok.reply, rewrite);
  EXPECT_TRUE(Llm(ok)["used"].get<bool>()) << ok.trace_json;
  // The model saw the template reply as its draft, and the shopper's message.
  const llm::ChatRequest& req = llm_->request(1);
  std::string all;
  for (const llm::ChatMessage& m : req.messages) {
    all += m.content + "\n";
  }
  EXPECT_NE(all.find(kefu::testing::kShippedTracking), std::string::npos);
  EXPECT_NE(all.find("5678"), std::string::npos);
}

TEST_F(LlmEngineTest, AnInventedFactIsRegeneratedOnceThenTheTemplateAnswers) {
  UseModel({{"请提供手机后四位。"},
            {"您的包裹预计 2026-12-25 送达，运单号 SF9999999999999。"},
            {"运费已退 ¥88.00 给您。"}});
  Say(std::string("我的订单 ") + kefu::testing::kShippedOrder + " 到哪了");
  TurnResult ok = Say("5678");
  EXPECT_NE(ok.reply.find(kefu::testing::kShippedTracking), std::string::npos) << ok.reply;
  EXPECT_EQ(ok.reply.find("SF9999999999999"), std::string::npos);
  EXPECT_EQ(ok.reply.find("88.00"), std::string::npos);
  const nlohmann::json t = Llm(ok);
  EXPECT_FALSE(t["used"].get<bool>());
  EXPECT_EQ(t["reason"], "ungrounded facts");
  EXPECT_EQ(t["attempts"].size(), 2u);
  EXPECT_EQ(llm_->calls(), 3u);
}

TEST_F(LlmEngineTest, ASecondGroundedAttemptIsUsed) {
  UseModel({{"订单 2026112500000009 已发货。"}, {"您好呀！很高兴为您服务～"}});
  TurnResult r = Say("你好");
  EXPECT_EQ(r.reply, "您好呀！很高兴为您服务～");
  EXPECT_EQ(Llm(r)["attempts"].size(), 2u);
}

TEST_F(LlmEngineTest, AFailingModelLeavesTheTemplateReplyAndSaysWhy) {
  UseModel({{"", UnavailableError("connection refused")}});
  TurnResult r = Say("你好");
  EXPECT_NE(r.reply.find("您好"), std::string::npos) << r.reply;
  EXPECT_FALSE(Llm(r)["used"].get<bool>());
  EXPECT_NE(Llm(r)["reason"].get<std::string>().find("model failed"), std::string::npos);
}

TEST_F(LlmEngineTest, ASlowModelCostsAtMostItsBudget) {
  UseModel({{"", OkStatus(), /*hang=*/true}}, /*budget_ms=*/300);
  const auto start = std::chrono::steady_clock::now();
  TurnResult r = Say("你好");
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  EXPECT_NE(r.reply.find("您好"), std::string::npos) << r.reply;
  EXPECT_LT(ms, 2'000) << "the turn waited far beyond the model's 300 ms budget";
  EXPECT_FALSE(Llm(r)["used"].get<bool>());
}

TEST_F(LlmEngineTest, WithoutAModelTheTemplateAnswersAndTheTraceSaysWhy) {
  TurnResult r = Say("你好");
  EXPECT_NE(r.reply.find("您好"), std::string::npos) << r.reply;
  EXPECT_FALSE(Llm(r)["used"].get<bool>());
  EXPECT_EQ(Llm(r)["reason"], "no model configured");
}

TEST_F(LlmEngineTest, TheReplyStreamsSentenceBySentenceAndTheTokensAreStored) {
  UseModel({{"您好呀！很高兴为您服务。请问有什么可以帮您？"}});
  RecordingSink sink;
  RequestContext ctx = RequestContext::Unbounded("t-stream");
  Result<TurnResult> r = engine_->HandleTurn({conv_.id, "你好", conv_.token, &sink}, ctx);
  ASSERT_OK_RESULT(r);
  EXPECT_TRUE(r->streamed);
  EXPECT_EQ(sink.events, (std::vector<std::string>{"delta:您好呀！", "delta:很高兴为您服务。",
                                                   "delta:请问有什么可以帮您？"}));
  EXPECT_EQ(sink.shown, r->reply);
  Result<std::vector<store::Message>> history = engine_->History(conv_.id, 0, 10);
  ASSERT_OK_RESULT(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[1].text, r->reply);
  EXPECT_EQ((*history)[1].prompt_tokens, 100);
  EXPECT_EQ((*history)[1].completion_tokens, 20);
  EXPECT_EQ((*history)[1].model, "scripted");
  EXPECT_EQ((*history)[0].completion_tokens, 0);  // the shopper's message
}

TEST_F(LlmEngineTest, AnUngroundedSentenceIsNeverShownAndWhatWasShownIsWithdrawn) {
  UseModel({{"您好！您的订单 2026112500000009 已发货。"}, {"您好呀！很高兴为您服务。"}});
  RecordingSink sink;
  RequestContext ctx = RequestContext::Unbounded("t-withdraw");
  Result<TurnResult> r = engine_->HandleTurn({conv_.id, "你好", conv_.token, &sink}, ctx);
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(sink.events, (std::vector<std::string>{"delta:您好！", "reset", "delta:您好呀！",
                                                   "delta:很高兴为您服务。"}));
  for (const std::string& e : sink.events) {
    EXPECT_EQ(e.find("2026112500000009"), std::string::npos) << e;
  }
  EXPECT_TRUE(r->streamed);
  EXPECT_EQ(r->reply, "您好呀！很高兴为您服务。");
  // Both attempts' tokens count.
  const nlohmann::json t = Llm(*r);
  EXPECT_EQ(t["attempts"][0]["reason"], "ungrounded facts");
  EXPECT_EQ(t["prompt_tokens"], 200);
  EXPECT_EQ(t["completion_tokens"], 40);
}

TEST_F(LlmEngineTest, WhenBothAttemptsAreRefusedTheSinkGetsNothingThatStands) {
  UseModel({{"您好！订单 2026112500000009 已发货。"}});
  RecordingSink sink;
  RequestContext ctx = RequestContext::Unbounded("t-refused");
  Result<TurnResult> r = engine_->HandleTurn({conv_.id, "你好", conv_.token, &sink}, ctx);
  ASSERT_OK_RESULT(r);
  EXPECT_FALSE(r->streamed);  // the caller sends the template reply itself
  EXPECT_EQ(sink.shown, "");
  EXPECT_NE(r->reply.find("您好"), std::string::npos);
  EXPECT_EQ(Llm(*r)["reason"], "ungrounded facts");
}

TEST_F(LlmEngineTest, AShopperWhoLeavesStopsTheGenerationAndTheTemplateIsStored) {
  std::string long_text;
  for (int i = 0; i < 40; ++i) {
    long_text += "很高兴为您服务。";
  }
  UseModel({{long_text, OkStatus(), false, /*delta_delay_ms=*/20}});
  RecordingSink sink;
  sink.gone_after = 2;
  RequestContext ctx = RequestContext::Unbounded("t-gone");
  const auto start = std::chrono::steady_clock::now();
  Result<TurnResult> r = engine_->HandleTurn({conv_.id, "你好", conv_.token, &sink}, ctx);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(llm_->cancelled(), 1);
  EXPECT_EQ(llm_->calls(), 1u);  // no regeneration for a shopper who left
  EXPECT_LT(ms, 1'500) << "the whole reply would take 80 deltas x 20 ms";
  EXPECT_EQ(Llm(*r)["reason"], "shopper disconnected");
  // A stopped call reports no usage: what was sent and received is estimated.
  EXPECT_TRUE(Llm(*r)["attempts"][0]["usage_estimated"].get<bool>());
  EXPECT_GT(Llm(*r)["prompt_tokens"].get<int>(), 0);
  EXPECT_FALSE(r->streamed);
  // The turn is stored with the template reply: it is there when the shopper comes back.
  Result<std::vector<store::Message>> history = engine_->History(conv_.id, 0, 10);
  ASSERT_OK_RESULT(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[1].text, r->reply);
  EXPECT_NE(r->reply.find("您好"), std::string::npos);
}

TEST_F(LlmEngineTest, SmallTalkIsShortOrTheTemplateAnswers) {
  UseModel({{"哈哈，今天天气确实不错！"}});
  TurnResult ok = Say("你好");
  EXPECT_EQ(ok.reply, "哈哈，今天天气确实不错！");
  EXPECT_EQ(Llm(ok)["mode"], "small_talk");
  std::string rambling;
  for (int i = 0; i < 30; ++i) {
    rambling += "天气好的时候适合出门散步。";
  }
  UseModel({{rambling}});
  TurnResult r = Say("你好");
  EXPECT_EQ(Llm(r)["reason"], "too long");
  EXPECT_EQ(r.reply.find("散步"), std::string::npos);
}

TEST_F(LlmEngineTest, TheModelSeesTheConversationsLastTurns) {
  UseModel({{"您好呀！"}, {"不客气！"}});
  Say("你好");
  Say("谢谢");
  ASSERT_EQ(llm_->calls(), 2u);
  const llm::ChatRequest second = llm_->request(1);
  std::vector<std::pair<std::string, std::string>> turns;
  for (const llm::ChatMessage& m : second.messages) {
    if (m.role == "user" || m.role == "assistant") {
      turns.emplace_back(m.role, m.content);
    }
  }
  EXPECT_EQ(turns, (std::vector<std::pair<std::string, std::string>>{
                       {"user", "你好"}, {"assistant", "您好呀！"}, {"user", "谢谢"}}));
}

TEST_F(LlmEngineTest, AnUpsetShoppersPromptAsksForAnApologyFirst) {
  UseModel({{"您好呀！"}, {"非常抱歉让您久等了。"}});
  auto prompt_text = [this](size_t i) {
    std::string all;
    for (const llm::ChatMessage& m : llm_->request(i).messages) {
      all += m.content + "\n";
    }
    return all;
  };
  Say("你好");
  Say("太让人失望了，我的订单 2026112500000001 到底在哪？！");
  ASSERT_EQ(llm_->calls(), 2u);
  EXPECT_EQ(prompt_text(0).find("道歉"), std::string::npos);  // a calm greeting: no apology asked
  EXPECT_NE(prompt_text(1).find("真诚地道歉"), std::string::npos) << prompt_text(1);
}

TEST_F(LlmEngineTest, AnUnsureClassifierGetsTheModelsValidatedIntent) {
  // The keyword rules know nothing of this message; the model reads it as an exchange.
  UseModel({{R"(```json
{"intent": "exchange", "confidence": 0.9, "slots": {}}
```)"},
            {"好的，麻烦提供一下订单号。"}});
  TurnResult r = Say("这个东西能不能帮我弄成别的尺码");
  EXPECT_EQ(r.intent, "exchange") << r.trace_json;
  const nlohmann::json t = nlohmann::json::parse(r.trace_json);
  EXPECT_TRUE(t["intent_assist"]["used"].get<bool>());
  EXPECT_EQ(t["intent_assist"]["model"]["intent"], "exchange");
  EXPECT_EQ(t["flow"], "exchange");
  // The model was asked with the message alone as the user turn, and the intents listed.
  const llm::ChatRequest& asked = llm_->request(0);
  EXPECT_EQ(asked.messages.back().role, "user");
  EXPECT_EQ(asked.messages.back().content, "这个东西能不能帮我弄成别的尺码");
  EXPECT_NE(asked.messages.front().content.find("return_refund"), std::string::npos);
}

TEST_F(LlmEngineTest, AnInventedIntentFromTheModelIsRefused) {
  UseModel({{R"({"intent": "teleport_parcel", "confidence": 0.99})"}, {"您好！"}});
  TurnResult r = Say("这个东西能不能帮我弄成别的尺码");
  EXPECT_NE(r.intent, "teleport_parcel");
  const nlohmann::json t = nlohmann::json::parse(r.trace_json);
  EXPECT_FALSE(t["intent_assist"]["used"].get<bool>());
  EXPECT_NE(t["intent_assist"]["error"].get<std::string>().find("teleport_parcel"),
            std::string::npos);
}

TEST_F(LlmEngineTest, AnUnsureModelDoesNotOverruleTheClassifier) {
  UseModel({{R"({"intent": "exchange", "confidence": 0.3})"}, {"您好！"}});
  TurnResult r = Say("这个东西能不能帮我弄成别的尺码");
  EXPECT_NE(r.intent, "exchange");
  EXPECT_FALSE(nlohmann::json::parse(r.trace_json)["intent_assist"]["used"].get<bool>());
}

TEST_F(LlmEngineTest, AConfidentClassifierIsNotSecondGuessed) {
  UseModel({{"请提供订单号。"}});
  TurnResult r = Say(std::string("我的订单 ") + kefu::testing::kShippedOrder + " 到哪了");
  EXPECT_FALSE(nlohmann::json::parse(r.trace_json).contains("intent_assist"));
  EXPECT_EQ(llm_->calls(), 1u);  // the rewrite only
}

class LlmModelEngineTest : public LlmEngineTest {
 protected:
  std::string IntentModel() const override { return KEFU_TEST_INTENT_MODEL; }
};

// The model proposes a tool call on its own: it is judged, never run.
TEST_F(LlmModelEngineTest, AToolCallTheModelProposesIsJudgedAndNeverRun) {
  const std::string order = kefu::testing::kPaidOrder;
  UseModel({{"请提供收货手机号后四位。",
             OkStatus(),
             false,
             0,
             {{"call_0", "cancel_order", R"({"order_id": ")" + order + R"("})"}}}});
  TurnResult r = Say("帮我取消订单 " + order);
  nlohmann::json judged = Llm(r)["proposed_tool_calls"];
  ASSERT_EQ(judged.size(), 1u) << r.trace_json;
  EXPECT_FALSE(judged[0]["executed"].get<bool>());
  EXPECT_NE(judged[0]["verdict"].get<std::string>().find("not verified"), std::string::npos)
      << judged;
  Result<store::OrderDetails> details = store_->GetOrderDetails(order);
  ASSERT_OK_RESULT(details);
  EXPECT_NE(details->order.status, "cancelled");

  // Verified and at the confirmation step, the same call is consistent with the flow, and still
  // only the shopper's confirmation cancels the order.
  UseModel({{"请确认是否取消。",
             OkStatus(),
             false,
             0,
             {{"call_1", "cancel_order", R"({"order_id": ")" + order + R"("})"}}}});
  Say("帮我取消订单 " + order);
  TurnResult at_confirm = Say("4321");
  judged = Llm(at_confirm)["proposed_tool_calls"];
  ASSERT_EQ(judged.size(), 1u) << at_confirm.trace_json;
  EXPECT_NE(judged[0]["verdict"].get<std::string>().find("consistent"), std::string::npos)
      << judged;
  details = store_->GetOrderDetails(order);
  EXPECT_NE(details->order.status, "cancelled");
}

// Knowledge questions: the model answers from the passages and cites them.
class LlmKbEngineTest : public LlmEngineTest {
 protected:
  std::string IntentModel() const override { return KEFU_TEST_INTENT_MODEL; }
  std::vector<kb::KbDocument> KnowledgeDocuments() const override {
    kb::KbDocument d;
    d.id = "faq-return-fee";
    d.lang = "zh";
    d.format = kb::DocFormat::kFaq;
    d.category = "faq";
    d.faq = kb::FaqPair{"退货运费谁承担？",
                        "无理由退货运费由买家承担，质量问题由我们承担。",
                        {"退货邮费谁出", "退回去的快递费谁付"}};
    d.title = d.faq->question;
    d.body = d.faq->answer;
    return {d};
  }
};

TEST_F(LlmKbEngineTest, AKnowledgeAnswerCitesItsPassage) {
  UseModel({{"无理由退货的运费由您承担；如果是质量问题，运费由我们承担[p1]。"}});
  TurnResult r = Say("退回去的快递费要我付吗");
  const nlohmann::json t = Llm(r);
  EXPECT_EQ(t["mode"], "knowledge") << r.trace_json;
  EXPECT_TRUE(t["used"].get<bool>()) << r.trace_json;
  EXPECT_NE(r.reply.find("[p1]"), std::string::npos);
  ASSERT_EQ(t["citations"].size(), 1u);
  EXPECT_EQ(t["citations"][0]["doc_id"], "faq-return-fee");
  // The model saw the passage under its id.
  std::string all;
  for (const llm::ChatMessage& m : llm_->request(0).messages) {
    all += m.content;
  }
  EXPECT_NE(all.find("[p1]"), std::string::npos);
  EXPECT_NE(all.find("买家承担"), std::string::npos);
}

TEST_F(LlmKbEngineTest, ACitationOfAPassageThatWasNotGivenIsRefused) {
  UseModel({{"运费由买家承担[p7]。"}});
  TurnResult r = Say("退回去的快递费要我付吗");
  const nlohmann::json t = Llm(r);
  EXPECT_FALSE(t["used"].get<bool>()) << r.trace_json;
  EXPECT_EQ(t["reason"], "cites a passage that was not given");
  EXPECT_EQ(r.reply.find("[p7]"), std::string::npos);
  EXPECT_NE(r.reply.find("买家承担"), std::string::npos);  // the FAQ's own answer
}

TEST_F(LlmKbEngineTest, AKnowledgeAnswerWithAnInventedFeeIsRefused) {
  UseModel({{"退货运费 12 元由买家承担[p1]。"}});
  TurnResult r = Say("退回去的快递费要我付吗");
  EXPECT_EQ(Llm(r)["reason"], "ungrounded facts") << r.trace_json;
  EXPECT_EQ(r.reply.find("12 元"), std::string::npos);
}

// The same through the real OpenAI-compatible client and a scripted server on loopback.
TEST_F(LlmEngineTest, OverHttpAStreamedRewriteIsUsed) {
  kefu::testing::FakeLlmServer server;
  server.Script({kefu::testing::FakeLlmServer::Reply::Stream(
      {{kefu::testing::FakeLlmServer::ContentChunk("您好")},
       {kefu::testing::FakeLlmServer::ContentChunk("！有什么可以帮您？")}})});
  llm::LlmBackendOptions o;
  o.base_url = server.base_url();
  o.model = "fake";
  Result<std::unique_ptr<llm::LlmBackend>> backend = llm::NewOpenAiBackend(o);
  ASSERT_OK_RESULT(backend);
  Result<std::unique_ptr<Engine>> e = Engine::Create(
      *store_, clock_, {.data_dir = kefu::testing::SourceDataDir(), .llm = backend->get()});
  ASSERT_OK_RESULT(e);
  engine_ = std::move(*e);
  conv_ = *engine_->CreateConversation("test");
  TurnResult r = Say("你好");
  EXPECT_EQ(r.reply, "您好！有什么可以帮您？");
}

}  // namespace
}  // namespace kefu::engine
