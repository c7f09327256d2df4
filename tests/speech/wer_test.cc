#include <utility>

#include <gtest/gtest.h>

#include "speech/speech.h"

namespace kefu::speech {
namespace {

using Edits = std::pair<size_t, size_t>;

TEST(WerTest, IdenticalTextHasNoErrors) {
  EXPECT_EQ(WordEdits("where is my order", "where is my order"), Edits(0, 4));
  EXPECT_DOUBLE_EQ(WordErrorRate("where is my order", "where is my order"), 0.0);
}

TEST(WerTest, SubstitutionCountsOnce) {
  EXPECT_EQ(WordEdits("where is my order", "where is my border"), Edits(1, 4));
  EXPECT_DOUBLE_EQ(WordErrorRate("where is my order", "where is my border"), 0.25);
}

TEST(WerTest, InsertionCountsOnce) {
  EXPECT_EQ(WordEdits("cancel my order", "please cancel my order"), Edits(1, 3));
  EXPECT_DOUBLE_EQ(WordErrorRate("cancel my order", "please cancel my order"), 1.0 / 3);
}

TEST(WerTest, DeletionCountsOnce) {
  EXPECT_EQ(WordEdits("i want a refund now", "i want refund now"), Edits(1, 5));
}

TEST(WerTest, RateCanExceedOne) {
  EXPECT_DOUBLE_EQ(WordErrorRate("yes", "no no no"), 3.0);
}

TEST(WerTest, PunctuationCaseAndSpacingAreIgnored) {
  EXPECT_EQ(WordEdits("Where is my order?", "where  is my ORDER"), Edits(0, 4));
  EXPECT_EQ(WordEdits("Hello, world! It's me.", "hello world its me"), Edits(0, 4));
  EXPECT_EQ(WordEdits("“Refund” — please…", "refund please"), Edits(0, 2));
  EXPECT_EQ(WordEdits("ＯＲＤＥＲ　１２３！", "order 123"), Edits(0, 2));
}

TEST(WerTest, EmptyReference) {
  EXPECT_DOUBLE_EQ(WordErrorRate("", ""), 0.0);
  EXPECT_DOUBLE_EQ(WordErrorRate("?!", " "), 0.0);
  EXPECT_DOUBLE_EQ(WordErrorRate("", "hello there"), 1.0);
  EXPECT_EQ(WordEdits("", "hello there"), Edits(2, 0));
  EXPECT_DOUBLE_EQ(WordErrorRate("hello", ""), 1.0);
}

TEST(WerTest, ChineseCharacterErrorRateIgnoresPunctuationAndSpaces) {
  EXPECT_EQ(CharacterEdits("我要退款。", "我 要 退 款"), Edits(0, 4));
  EXPECT_EQ(CharacterEdits("我要退款，谢谢！", "我要退货谢谢"), Edits(1, 6));
  EXPECT_DOUBLE_EQ(CharacterErrorRate("我要退款", "我想要退款"), 0.25);       // one insertion
  EXPECT_DOUBLE_EQ(CharacterErrorRate("「订单」在哪里？", "订单在哪"), 0.2);  // one deletion
}

TEST(WerTest, CharacterEditsFoldCaseInLatinText) {
  EXPECT_EQ(CharacterEdits("Order A1", "order a1"), Edits(0, 7));
  EXPECT_EQ(CharacterEdits("Order A1", "order B1"), Edits(1, 7));
  EXPECT_EQ(CharacterEdits("", ""), Edits(0, 0));
  EXPECT_DOUBLE_EQ(CharacterErrorRate("", "好"), 1.0);
}

}  // namespace
}  // namespace kefu::speech
