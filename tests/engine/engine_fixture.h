// An engine over the small fixture shop in a temporary SQLite database, with a manual clock.
// EngineTest uses the keyword rules; ModelEngineTest the shipped intent model.
#pragma once

#include <gtest/gtest.h>

#include "core/clock.h"
#include "engine/engine.h"
#include "fakes/shop_fixture.h"
#include "kb/knowledge_base.h"
#include "test_util.h"

namespace kefu::engine {

class EngineFixture : public ::testing::Test {
 protected:
  // The intent model for this fixture; empty uses the keyword rules.
  virtual std::string IntentModel() const { return {}; }
  // The sentiment model; empty: the lexicon alone.
  virtual std::string SentimentModel() const { return {}; }
  // Documents for a knowledge base; none: the engine has no knowledge base.
  virtual std::vector<kb::KbDocument> KnowledgeDocuments() const { return {}; }

  void SetUp() override {
    store_ = std::move(*store::NewSqliteStore({.path = dir_.File("kefu.db")}));
    ASSERT_OK(store_->ReplaceShopData(kefu::testing::SmallShop()));
    if (std::vector<kb::KbDocument> docs = KnowledgeDocuments(); !docs.empty()) {
      kb_ = std::move(*kb::KnowledgeBase::Open(*store_, clock_, {}));
      ASSERT_OK_RESULT(kb_->Import(std::move(docs)));
    }
    Result<std::unique_ptr<Engine>> e = Engine::Create(*store_, clock_,
                                                       {.data_dir = kefu::testing::SourceDataDir(),
                                                        .intent_model = IntentModel(),
                                                        .sentiment_model = SentimentModel(),
                                                        .knowledge_base = kb_.get()});
    ASSERT_OK_RESULT(e);
    engine_ = std::move(*e);
    conv_ = *engine_->CreateConversation("test");
  }

  TurnResult Say(const std::string& text) {
    RequestContext ctx = RequestContext::Unbounded("t-test");
    Result<TurnResult> r = engine_->HandleTurn({conv_.id, text, std::nullopt}, ctx);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : TurnResult{};
  }

  kefu::testing::TempDir dir_;
  ManualClock clock_{kefu::testing::T("2026-11-28T12:00:00+08:00")};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<kb::KnowledgeBase> kb_;
  std::unique_ptr<Engine> engine_;
  NewConversation conv_;
};

}  // namespace kefu::engine
