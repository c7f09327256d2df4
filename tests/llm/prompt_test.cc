#include "llm/prompt.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace kefu::llm {
namespace {

using Messages = std::vector<std::pair<std::string, std::string>>;

PromptInput BaseInput() {
  PromptInput in;
  in.lang = "zh";
  in.persona = "你是「小铺」的客服小美。";
  in.rules = {"不要讨论竞争对手。"};
  in.summary = "顾客询问订单物流。";
  in.passages = {{"p1", "签收后7天内可无理由退货。"}, {"p2", "满299元包邮。"}};
  in.tool_results_json = R"({"order":{"id":"20261103001","status":"shipped"}})";
  in.instruction = "礼貌地询问订单号";
  in.user_message = "我想退货";
  return in;
}

int TotalTokens(const Messages& m) {
  int total = 0;
  for (const auto& [role, content] : m) {
    total += EstimateTokens(content) + kMessageOverheadTokens;
  }
  return total;
}

TEST(EstimateTokensTest, ChineseIsAboutOneTokenPerCharacter) {
  EXPECT_EQ(EstimateTokens("你好我想退货"), 6);
  int n = EstimateTokens("您好，您的订单已经发货了，预计明天送达。");  // 20 characters
  EXPECT_GE(n, 18);
  EXPECT_LE(n, 22);
}

TEST(EstimateTokensTest, EnglishIsAboutOnePointThreeTokensPerWord) {
  EXPECT_EQ(EstimateTokens("hello"), 2);                                        // 1.3 rounded up
  int n = EstimateTokens("Your order has shipped and should arrive tomorrow");  // 8 words
  EXPECT_GE(n, 10);
  EXPECT_LE(n, 12);
  EXPECT_EQ(EstimateTokens(""), 0);
  EXPECT_EQ(EstimateTokens("   "), 0);
}

TEST(EstimateTokensTest, DigitsCountInGroupsOfThree) {
  EXPECT_EQ(EstimateTokens("123"), 1);
  EXPECT_EQ(EstimateTokens("20261103001234"), 5);
  EXPECT_EQ(EstimateTokens("¥399.00"), 4);  // ¥ 399 . 00
}

TEST(BuildPromptTest, OrdersSystemContextHistoryInstructionUser) {
  PromptInput in = BaseInput();
  in.history = {{"user", "你好"}, {"assistant", "您好，请问有什么可以帮您？"}};
  Messages m = BuildPrompt(in);
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(m[0].first, "system");
  EXPECT_NE(m[0].second.find("小美"), std::string::npos);
  EXPECT_NE(m[0].second.find("绝不编造"), std::string::npos);
  EXPECT_NE(m[0].second.find("[p1]"), std::string::npos);
  EXPECT_NE(m[0].second.find("不要讨论竞争对手。"), std::string::npos);
  EXPECT_EQ(m[1].first, "system");
  EXPECT_NE(m[1].second.find("顾客询问订单物流。"), std::string::npos);
  EXPECT_NE(m[1].second.find("20261103001"), std::string::npos);
  EXPECT_EQ(m[2], (std::pair<std::string, std::string>{"user", "你好"}));
  EXPECT_EQ(m[3].first, "assistant");
  EXPECT_EQ(m[4].first, "system");
  EXPECT_NE(m[4].second.find("礼貌地询问订单号"), std::string::npos);
  EXPECT_EQ(m[5], (std::pair<std::string, std::string>{"user", "我想退货"}));
}

TEST(BuildPromptTest, EnglishConversationGetsEnglishRules) {
  PromptInput in = BaseInput();
  in.lang = "en";
  in.persona = "You are Mia from Little Shop.";
  Messages m = BuildPrompt(in);
  EXPECT_NE(m[0].second.find("Reply in English"), std::string::npos);
  EXPECT_NE(m[0].second.find("Never invent order numbers"), std::string::npos);
  EXPECT_NE(m[0].second.find("don't know"), std::string::npos);
}

TEST(BuildPromptTest, PassagesCarryTheirIds) {
  Messages m = BuildPrompt(BaseInput());
  EXPECT_NE(m[1].second.find("[p1] 签收后7天内可无理由退货。"), std::string::npos);
  EXPECT_NE(m[1].second.find("[p2] 满299元包邮。"), std::string::npos);
}

TEST(BuildPromptTest, NoPassagesSaysSo) {
  PromptInput in = BaseInput();
  in.passages.clear();
  Messages m = BuildPrompt(in);
  EXPECT_NE(m[1].second.find("（无）"), std::string::npos);
}

TEST(BuildPromptTest, BudgetDropsOldestHistoryFirst) {
  PromptInput in = BaseInput();
  for (int k = 0; k < 40; ++k) {
    in.history.push_back(
        {k % 2 == 0 ? "user" : "assistant",
         "第" + std::to_string(k) + "轮：这是一段比较长的对话内容，用来占用预算。"});
  }
  int without_history = TotalTokens(BuildPrompt([&] {
    PromptInput copy = in;
    copy.history.clear();
    return copy;
  }()));
  in.max_prompt_tokens = without_history + 100;
  Messages m = BuildPrompt(in);
  EXPECT_LE(TotalTokens(m), in.max_prompt_tokens);
  ASSERT_GT(m.size(), 4u + 1u);
  size_t kept = m.size() - 4;  // system, context, instruction, user
  EXPECT_GT(kept, 0u);
  EXPECT_LT(kept, 40u);
  // The kept turns are the newest, in order, ending with turn 39.
  EXPECT_NE(m[m.size() - 3].second.find("第39轮"), std::string::npos);
  EXPECT_NE(m[2].second.find("第" + std::to_string(40 - kept) + "轮"), std::string::npos);
  EXPECT_EQ(m[0].first, "system");
  EXPECT_NE(m[1].second.find("[p2]"), std::string::npos);
  EXPECT_EQ(m.back().second, "我想退货");
}

TEST(BuildPromptTest, TinyBudgetKeepsSystemContextAndUserButTrimsPassagesLastFirst) {
  PromptInput in = BaseInput();
  in.history = {{"user", "你好"}};
  in.passages.push_back({"p3", std::string(200, 'x') + " 很长的段落"});
  PromptInput no_p3 = in;
  no_p3.passages.pop_back();
  no_p3.history.clear();
  in.max_prompt_tokens = TotalTokens(BuildPrompt(no_p3));  // p3 and the history do not fit
  Messages m = BuildPrompt(in);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1].second.find("[p3]"), std::string::npos);
  EXPECT_NE(m[1].second.find("[p2]"), std::string::npos);
  EXPECT_NE(m[1].second.find("[p1]"), std::string::npos);

  in.max_prompt_tokens = 1;  // nothing fits: still system, context, instruction and user
  m = BuildPrompt(in);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1].second.find("[p1]"), std::string::npos);
  EXPECT_NE(m[1].second.find("20261103001"), std::string::npos);
  EXPECT_EQ(m[3].second, "我想退货");
}

TEST(RedactForeignPiiTest, MasksPiiNotInTheAllowedTexts) {
  Evidence allowed{{"我的手机是13912345678"}};
  std::string out = RedactForeignPii(
      "联系13912345678或13812345678，邮箱zhang.san@example.com，身份证11010519491231002X", allowed);
  EXPECT_NE(out.find("13912345678"), std::string::npos) << out;
  EXPECT_EQ(out.find("13812345678"), std::string::npos) << out;
  EXPECT_NE(out.find("138****5678"), std::string::npos) << out;
  EXPECT_EQ(out.find("zhang.san@"), std::string::npos) << out;
  EXPECT_EQ(out.find("11010519491231002X"), std::string::npos) << out;
}

TEST(RedactForeignPiiTest, AllowedEmailMatchesCaseInsensitively) {
  Evidence allowed{{R"({"email":"Zhang.San@Example.com"})"}};
  EXPECT_EQ(RedactForeignPii("邮箱zhang.san@example.com", allowed), "邮箱zhang.san@example.com");
}

TEST(BuildPromptTest, ForeignPiiInPassagesAndHistoryIsRedacted) {
  PromptInput in = BaseInput();
  in.user_message = "我的电话13912345678";
  in.passages = {{"p1", "上次顾客13812345678反馈过这个问题。"}};
  in.summary = "另一位顾客 li.si@example.com 也问过。";
  in.history = {{"assistant", "已为13700001234的顾客登记。"}, {"user", "好的"}};
  Messages m = BuildPrompt(in);
  std::string all;
  for (const auto& [role, content] : m) {
    all += content + "\n";
  }
  EXPECT_EQ(all.find("13812345678"), std::string::npos) << all;
  EXPECT_EQ(all.find("li.si@"), std::string::npos) << all;
  EXPECT_EQ(all.find("13700001234"), std::string::npos) << all;
  EXPECT_NE(all.find("13912345678"), std::string::npos) << all;
}

}  // namespace
}  // namespace kefu::llm
