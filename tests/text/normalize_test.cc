#include "text/normalize.h"

#include <gtest/gtest.h>

namespace kefu::text {
namespace {

TEST(NormalizeTest, FullWidthBecomesHalfWidthAndLatinIsLowered) {
  NormalizedText n = Normalize("我的订单２０２６１１０３ＡＢ到哪了？");
  EXPECT_EQ(n.text, "我的订单20261103ab到哪了?");
  EXPECT_EQ(n.lang, Language::kZh);
}

TEST(NormalizeTest, CollapsesWhitespaceIncludingIdeographicSpace) {
  EXPECT_EQ(Normalize("  Where\tis　my   ORDER?\n").text, "where is my order?");
}

TEST(NormalizeTest, DetectsLanguageByScript) {
  EXPECT_EQ(Normalize("where is my order").lang, Language::kEn);
  EXPECT_EQ(Normalize("订单 2026 到哪了").lang, Language::kZh);
  EXPECT_EQ(Normalize("iPhone 订单").lang, Language::kZh);
  EXPECT_EQ(Normalize("5678").lang, Language::kUnknown);
}

}  // namespace
}  // namespace kefu::text
