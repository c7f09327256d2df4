#include "nlu/keywords.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "text/normalize.h"
#include "text/segmenter.h"

namespace kefu::nlu {
namespace {

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(KeywordExtractorTest, RareDomainWordsRankAboveCommonOnesAndStopWordsAreDropped) {
  const std::vector<std::string> corpus = {"蓝牙耳机 降噪", "运动鞋 跑步", "耳机 充电盒",
                                           "wireless earbuds", "running shoes"};
  KeywordExtractor k(corpus);
  const std::vector<std::string> top = k.Top(text::Normalize("请问这款耳机支持降噪吗？").text, 3);
  ASSERT_FALSE(top.empty());
  EXPECT_TRUE(Has(top, "降噪")) << top[0];
  EXPECT_FALSE(Has(top, "请问"));
  EXPECT_FALSE(Has(top, "吗"));
  const std::vector<std::string> en = k.Top("do the running shoes come in size 42?", 2);
  EXPECT_FALSE(Has(en, "the"));
  EXPECT_TRUE(Has(en, "running") || Has(en, "shoes"));
}

TEST(KeywordExtractorTest, CatalogNamesBecomeWholeKeywordsWithADomainSegmenter) {
  text::SegmenterOptions so;
  so.extra_words = {"全碳素羽毛球拍"};
  auto segmenter = text::NewSegmenter(so);
  ASSERT_TRUE(segmenter.ok()) << segmenter.status().ToString();
  KeywordExtractor k({"全碳素羽毛球拍 4U", "羽毛球 训练"}, segmenter->get());
  const std::vector<std::string> top = k.Top("我买的全碳素羽毛球拍断了", 3);
  EXPECT_TRUE(Has(top, "全碳素羽毛球拍")) << (top.empty() ? "" : top[0]);
}

TEST(KeywordExtractorTest, EmptyAndPunctuationOnlyGiveNothing) {
  KeywordExtractor k({"订单 发货"});
  EXPECT_TRUE(k.Top("", 5).empty());
  EXPECT_TRUE(k.Top("？？？!!! 123", 5).empty());
}

}  // namespace
}  // namespace kefu::nlu
