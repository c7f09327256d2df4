#include <gtest/gtest.h>

#include "nlu/understanding.h"

namespace kefu::nlu {
namespace {

Understanding U(const char* text) {
  return NewRuleUnderstander()->Understand(text::Normalize(text));
}

TEST(RuleUnderstanderTest, OrderQuestionWithNumberIsOrderStatusWithOrderId) {
  Understanding u = U("我的订单 2026112500000001 到哪了？");
  EXPECT_EQ(u.intent, "order_status");
  ASSERT_TRUE(u.Find("order_id"));
  EXPECT_EQ(u.Find("order_id")->value, "2026112500000001");
}

TEST(RuleUnderstanderTest, EnglishOrderQuestion) {
  Understanding u = U("Where is my order 2026112500000001?");
  EXPECT_EQ(u.intent, "order_status");
  EXPECT_EQ(u.Find("order_id")->value, "2026112500000001");
}

TEST(RuleUnderstanderTest, GreetingsGoodbyesAndHumanRequests) {
  EXPECT_EQ(U("你好").intent, "greeting");
  EXPECT_EQ(U("Hello there").intent, "greeting");
  EXPECT_EQ(U("this is odd").intent, "out_of_scope");  // "hi" inside "this" is no greeting
  EXPECT_EQ(U("拜拜").intent, "goodbye");
  EXPECT_EQ(U("bye!").intent, "goodbye");
  EXPECT_EQ(U("转人工").intent, "human_agent");
  EXPECT_EQ(U("I want to talk to a human").intent, "human_agent");
  EXPECT_EQ(U("谢谢").intent, "thanks");
}

TEST(RuleUnderstanderTest, MobileNumberIsAPhoneNotAnOrder) {
  Understanding u = U("我的手机号是 13812345678");
  EXPECT_FALSE(u.Find("order_id"));
  EXPECT_EQ(u.Find("phone")->value, "13812345678");
  // ...unless it is called an order number.
  EXPECT_EQ(U("订单号 13812345678").Find("order_id")->value, "13812345678");
}

TEST(RuleUnderstanderTest, FourDigitsAreAVerificationAnswer) {
  Understanding u = U("5678");
  EXPECT_EQ(u.Find("digits4")->value, "5678");
  EXPECT_FALSE(U("SF1234567890123").Find("order_id"));  // glued to letters: a tracking number
}

TEST(RuleUnderstanderTest, EntityOffsetsPointIntoNormalizedText) {
  const text::NormalizedText n = text::Normalize("订单２０２６１１２５００００００01");
  const Understanding u = NewRuleUnderstander()->Understand(n);
  const Entity e = *u.Find("order_id");
  EXPECT_EQ(e.start, 2u);  // code points: 订单 then the number
  EXPECT_EQ(e.end, 18u);
  EXPECT_EQ(e.text, "2026112500000001");
}

}  // namespace
}  // namespace kefu::nlu
