// The engine with a language model: replies are rewritten by the model when every fact in them
// is grounded; otherwise regenerated once, then the template reply. A model that fails or is
// slow costs at most its budget, and the template answers.
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
  };
  explicit ScriptedLlm(std::vector<Step> steps) : steps_(steps.begin(), steps.end()) {}

  Result<llm::ChatResponse> Chat(const llm::ChatRequest& request, RequestContext& ctx,
                                 const llm::StreamCallback&) override {
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
      while (ctx.Check().ok()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return ctx.Check();
    }
    if (!step.error.ok()) {
      return step.error;
    }
    llm::ChatResponse r;
    r.content = step.text;
    r.backend = "scripted";
    return r;
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
};

class LlmEngineTest : public EngineFixture {
 protected:
  void UseModel(std::vector<ScriptedLlm::Step> steps, int budget_ms = 3'000) {
    llm_ = std::make_unique<ScriptedLlm>(std::move(steps));
    Result<std::unique_ptr<Engine>> e =
        Engine::Create(*store_, clock_,
                       {.data_dir = kefu::testing::SourceDataDir(),
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
