// Questions no flow handles are answered from the knowledge base, with the source in the reply;
// below the confidence threshold the engine says it does not know and offers a human.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/engine_fixture.h"

namespace kefu::engine {
namespace {

kb::KbDocument Doc(const std::string& id, const std::string& lang, const std::string& body,
                   std::optional<kb::FaqPair> faq = std::nullopt) {
  kb::KbDocument d;
  d.id = id;
  d.lang = lang;
  d.format = faq ? kb::DocFormat::kFaq : kb::DocFormat::kMarkdown;
  d.category = faq ? "faq" : "policy";
  d.title = faq ? faq->question : body.substr(2, body.find('\n') - 2);
  d.body = faq ? faq->answer : body;
  d.faq = std::move(faq);
  return d;
}

class KbEngineTest : public EngineFixture {
 protected:
  std::string IntentModel() const override { return KEFU_TEST_INTENT_MODEL; }
  std::vector<kb::KbDocument> KnowledgeDocuments() const override {
    std::vector<kb::KbDocument> docs;
    docs.push_back(Doc("faq-return-fee", "zh", "",
                       kb::FaqPair{"退货运费谁承担？",
                                   "无理由退货运费由买家承担，质量问题由我们承担。",
                                   {"退货邮费谁出", "退回去的快递费谁付"}}));
    docs.push_back(Doc("policies/en/warranty.md", "en",
                       "# Warranty\n\n## Not covered\n\nAccidental damage and water damage are "
                       "not covered by the warranty.\n"));
    return docs;
  }
};

TEST_F(KbEngineTest, FaqQuestionIsAnsweredWithItsSource) {
  TurnResult r = Say("退回去的快递费要我付吗");
  EXPECT_EQ(r.action, "answer_from_kb") << r.intent << " " << r.trace_json;
  EXPECT_NE(r.reply.find("买家承担"), std::string::npos) << r.reply;
  EXPECT_NE(r.reply.find("来源：退货运费谁承担？"), std::string::npos) << r.reply;
  const nlohmann::json trace = nlohmann::json::parse(r.trace_json);
  ASSERT_FALSE(trace["sources"].empty());
  EXPECT_EQ(trace["sources"][0]["doc_id"], "faq-return-fee");
  EXPECT_TRUE(trace["sources"][0]["used"].get<bool>());
  EXPECT_EQ(*store_->CountEvents("kb_answered"), 1);
}

TEST_F(KbEngineTest, EnglishPolicyQuestionCitesTheSection) {
  TurnResult r = Say("Is water damage covered by the warranty?");
  EXPECT_EQ(r.lang, "en");
  EXPECT_NE(r.reply.find("water damage are not covered"), std::string::npos) << r.reply;
  EXPECT_NE(r.reply.find("(Source: Warranty > Not covered)"), std::string::npos) << r.reply;
}

TEST_F(KbEngineTest, UnknownQuestionIsNotGuessedAndAHumanIsOffered) {
  TurnResult r = Say("你们支持火星配送吗");
  EXPECT_EQ(r.action, "answer_from_kb");
  EXPECT_NE(r.reply.find("没有找到可靠的答案"), std::string::npos) << r.reply;
  EXPECT_NE(r.reply.find("人工"), std::string::npos);
  EXPECT_EQ(*store_->CountEvents("kb_unanswered"), 1);
  EXPECT_EQ(*store_->CountEvents("kb_answered"), 0);
}

TEST_F(KbEngineTest, OrderQuestionsStillGoToTheOrderFlow) {
  TurnResult r = Say(std::string("我的订单 ") + kefu::testing::kShippedOrder + " 到哪了");
  EXPECT_EQ(r.action, "flow:order_status/verify");
}

}  // namespace
}  // namespace kefu::engine
