#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sentiment/sentiment.h"
#include "test_util.h"
#include "text/normalize.h"

namespace kefu::sentiment {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SentimentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<std::unique_ptr<SentimentAnalyzer>> a = NewLexiconAnalyzer();
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    analyzer_ = std::move(a).value();
  }
  static void TearDownTestSuite() { analyzer_.reset(); }

  // Normalizes `raw` the way the engine does, then analyzes it.
  static SentimentResult Analyze(const std::string& raw) {
    return analyzer_->Analyze(text::Normalize(raw));
  }

  static inline std::unique_ptr<SentimentAnalyzer> analyzer_;
};

std::string Describe(const SentimentResult& r) {
  std::string s = std::string(PolarityName(r.polarity)) + " " + std::to_string(r.score) + " " +
                  std::string(EmotionName(r.emotion)) + " " + std::to_string(r.intensity) + " [";
  for (const std::string& m : r.matched) {
    s += m + " ";
  }
  return s + "]";
}

// ---- positives

TEST_F(SentimentTest, ChinesePraiseIsPositiveWithSatisfaction) {
  SentimentResult r = Analyze("物流很快，质量不错，好评！");
  EXPECT_EQ(r.polarity, Polarity::kPositive) << Describe(r);
  EXPECT_GT(r.score, 0.5);
  EXPECT_EQ(r.emotion, Emotion::kSatisfaction);
  EXPECT_THAT(r.aspects, ElementsAre("logistics", "quality"));
  EXPECT_FALSE(r.threat);
}

TEST_F(SentimentTest, TraditionalChinesePraiseIsPositive) {
  SentimentResult r = Analyze("東西質量很好，賣家服務態度也很熱情，給個五星好評");
  EXPECT_EQ(r.polarity, Polarity::kPositive) << Describe(r);
  EXPECT_EQ(r.emotion, Emotion::kSatisfaction);
  EXPECT_THAT(r.aspects, ElementsAre("quality", "service"));
}

TEST_F(SentimentTest, EnglishPraiseIsPositive) {
  SentimentResult r = Analyze("Great quality, fast delivery!");
  EXPECT_EQ(r.polarity, Polarity::kPositive) << Describe(r);
  EXPECT_GT(r.score, 0.5);
  EXPECT_EQ(r.emotion, Emotion::kSatisfaction);
  EXPECT_THAT(r.aspects, ElementsAre("quality", "logistics"));
}

TEST_F(SentimentTest, SlangPraiseIsPositive) {
  EXPECT_EQ(Analyze("卖家太给力了，yyds").polarity, Polarity::kPositive);
  EXPECT_EQ(Analyze("这个价格绝了，赞赞赞").polarity, Polarity::kPositive);
}

TEST_F(SentimentTest, ThanksAndSatisfiedIsSatisfaction) {
  SentimentResult zh = Analyze("谢谢，很满意");
  EXPECT_EQ(zh.polarity, Polarity::kPositive) << Describe(zh);
  EXPECT_EQ(zh.emotion, Emotion::kSatisfaction);
  SentimentResult en = Analyze("Thanks, very satisfied");
  EXPECT_EQ(en.polarity, Polarity::kPositive) << Describe(en);
  EXPECT_EQ(en.emotion, Emotion::kSatisfaction);
}

// ---- negatives

TEST_F(SentimentTest, ChineseComplaintIsNegative) {
  SentimentResult r = Analyze("质量太差了，做工粗糙，垃圾");
  EXPECT_EQ(r.polarity, Polarity::kNegative) << Describe(r);
  EXPECT_LT(r.score, -0.7);
  EXPECT_THAT(r.aspects, ElementsAre("quality"));
}

TEST_F(SentimentTest, EnglishComplaintIsNegative) {
  SentimentResult r = Analyze("Terrible product, it arrived broken and the seller is rude");
  EXPECT_EQ(r.polarity, Polarity::kNegative) << Describe(r);
  EXPECT_THAT(r.aspects, ElementsAre("logistics", "service"));  // broken on the way
}

TEST_F(SentimentTest, ScamAccusationIsAngry) {
  SentimentResult r = Analyze("你们就是骗子，黑店");
  EXPECT_EQ(r.polarity, Polarity::kNegative) << Describe(r);
  EXPECT_EQ(r.emotion, Emotion::kAnger);
  EXPECT_GT(r.intensity, 0.7);
}

TEST_F(SentimentTest, SarcasticLaughIsNegative) {
  SentimentResult r = Analyze("呵呵，无语了");
  EXPECT_EQ(r.polarity, Polarity::kNegative) << Describe(r);
  EXPECT_EQ(r.emotion, Emotion::kAnger);
}

// ---- negation

TEST_F(SentimentTest, NegatedPositiveIsNegative) {
  EXPECT_EQ(Analyze("不满意").polarity, Polarity::kNegative);
  EXPECT_EQ(Analyze("不是很好").polarity, Polarity::kNegative);
  EXPECT_EQ(Analyze("I am not happy with this").polarity, Polarity::kNegative);
  EXPECT_EQ(Analyze("It is not good").polarity, Polarity::kNegative);
}

TEST_F(SentimentTest, NotHappyIsDisappointment) {
  SentimentResult r = Analyze("不太满意");
  EXPECT_EQ(r.polarity, Polarity::kNegative) << Describe(r);
  EXPECT_EQ(r.emotion, Emotion::kDisappointment);
}

TEST_F(SentimentTest, NegationAfterIntensifierIsMilderThanPlainNegation) {
  // 不太好 "not very good" is softer than 不好 "not good".
  EXPECT_GT(Analyze("不太好").score, Analyze("不好").score);
  EXPECT_LT(Analyze("不太好").score, 0.0);
}

TEST_F(SentimentTest, NegatedNegativeIsNotNegative) {
  EXPECT_GT(Analyze("价格不贵").score, 0.0);
  EXPECT_GT(Analyze("not bad at all").score, 0.0);
}

TEST_F(SentimentTest, NeverArrivedIsNegativeLogistics) {
  SentimentResult r = Analyze("My package never arrived");
  EXPECT_EQ(r.polarity, Polarity::kNegative) << Describe(r);
  EXPECT_THAT(r.aspects, ElementsAre("logistics"));
}

TEST_F(SentimentTest, ApostropheFormsOfNegationMatch) {
  EXPECT_EQ(Analyze("I don't like it").polarity, Polarity::kNegative);
  EXPECT_EQ(Analyze("I don’t like it").polarity, Polarity::kNegative);
  EXPECT_EQ(Analyze("It doesn't work").polarity, Polarity::kNegative);
}

TEST_F(SentimentTest, WordContainingNegationCharacterIsPositive) {
  // 不错 contains 不 but is praise; the longest term wins.
  SentimentResult r = Analyze("不错不错");
  EXPECT_EQ(r.polarity, Polarity::kPositive) << Describe(r);
}

TEST_F(SentimentTest, NoProblemIsNotNegative) {
  for (const char* s : {"没问题", "没有问题", "没毛病", "No problem", "no worries, thanks"}) {
    SentimentResult r = Analyze(s);
    EXPECT_NE(r.polarity, Polarity::kNegative) << s << ": " << Describe(r);
  }
}

// ---- intensity

TEST_F(SentimentTest, IntensifierRaisesTheScore) {
  EXPECT_GT(Analyze("非常满意").score, Analyze("满意").score);
  EXPECT_LT(Analyze("太慢了").score, Analyze("慢").score);
  EXPECT_GT(Analyze("very good").score, Analyze("good").score);
}

TEST_F(SentimentTest, DowntonerLowersTheScore) {
  EXPECT_GT(Analyze("有点慢").score, Analyze("慢").score);
  EXPECT_GT(Analyze("a bit slow").score, Analyze("slow").score);
}

TEST_F(SentimentTest, ExclamationsIntensifyAndAddAnger) {
  SentimentResult plain = Analyze("太慢了");
  SentimentResult loud = Analyze("太慢了！！！");
  EXPECT_LT(loud.score, plain.score);
  EXPECT_GT(loud.EmotionIntensity(Emotion::kAnger), plain.EmotionIntensity(Emotion::kAnger));
  EXPECT_GT(Analyze("This is unacceptable!!!").EmotionIntensity(Emotion::kAnger), 0.8);
}

TEST_F(SentimentTest, AllCapsIsShouting) {
  SentimentResult caps = Analyze("WHERE IS MY REFUND");
  SentimentResult plain = Analyze("where is my refund");
  EXPECT_EQ(plain.polarity, Polarity::kNeutral) << Describe(plain);
  EXPECT_EQ(caps.polarity, Polarity::kNegative) << Describe(caps);
  EXPECT_EQ(caps.emotion, Emotion::kAnger);
  // Without the original text (the string_view overload) capitals are invisible.
  EXPECT_EQ(analyzer_->Analyze(text::Normalize("WHERE IS MY REFUND").text).polarity,
            Polarity::kNeutral);
}

TEST_F(SentimentTest, ShortAcronymsAreNotShouting) {
  EXPECT_EQ(Analyze("Is it shipped by DHL or SF?").polarity, Polarity::kNeutral);
}

// ---- contrast

TEST_F(SentimentTest, ContrastClauseDecides) {
  SentimentResult r = Analyze("东西不错，但是物流太慢了");
  EXPECT_EQ(r.polarity, Polarity::kNegative) << Describe(r);
  EXPECT_THAT(r.aspects, ElementsAre("quality", "logistics"));
}

TEST_F(SentimentTest, EnglishContrastClauseDecides) {
  EXPECT_EQ(Analyze("The price is ok but the quality is terrible").polarity, Polarity::kNegative);
  EXPECT_EQ(Analyze("Shipping was slow, but the product is excellent").polarity,
            Polarity::kPositive);
}

// ---- threats

TEST_F(SentimentTest, ComplaintThreatIsFlagged) {
  SentimentResult r = Analyze("我要投诉你们！");
  EXPECT_TRUE(r.threat);
  EXPECT_EQ(r.polarity, Polarity::kNegative) << Describe(r);
  EXPECT_EQ(r.emotion, Emotion::kAnger);
}

TEST_F(SentimentTest, RegulatorThreatIsFlagged) {
  SentimentResult r = Analyze("再不退款我就打12315");
  EXPECT_TRUE(r.threat) << Describe(r);
  EXPECT_EQ(r.emotion, Emotion::kAnger);
  EXPECT_TRUE(Analyze("假一赔十，不然退一赔三").threat);
  EXPECT_TRUE(Analyze("給你們差評").threat);  // traditional
}

TEST_F(SentimentTest, EnglishThreatIsFlagged) {
  SentimentResult r = Analyze("I'll report you and file a chargeback");
  EXPECT_TRUE(r.threat);
  EXPECT_EQ(r.emotion, Emotion::kAnger);
  EXPECT_TRUE(Analyze("my lawyer will contact you").threat);
}

TEST_F(SentimentTest, NegatedThreatIsNotFlagged) {
  EXPECT_FALSE(Analyze("放心，不会给差评的").threat);
  EXPECT_FALSE(Analyze("I won't leave a bad review").threat);
}

// ---- anxiety, disappointment

TEST_F(SentimentTest, UrgentShippingQuestionIsAnxiety) {
  SentimentResult r = Analyze("急！！什么时候发货？");
  EXPECT_EQ(r.emotion, Emotion::kAnxiety) << Describe(r);
  EXPECT_GT(r.intensity, 0.5);
  EXPECT_THAT(r.aspects, ElementsAre("logistics"));
}

TEST_F(SentimentTest, EnglishUrgencyIsAnxiety) {
  SentimentResult r = Analyze("I need it by tomorrow, urgent");
  EXPECT_EQ(r.emotion, Emotion::kAnxiety) << Describe(r);
}

TEST_F(SentimentTest, RepeatedQuestionMarksAreAnxious) {
  SentimentResult r = Analyze("还没发货？？？");
  EXPECT_EQ(r.polarity, Polarity::kNegative) << Describe(r);
  EXPECT_EQ(r.emotion, Emotion::kAnxiety);
}

TEST_F(SentimentTest, DisappointmentIsRecognized) {
  SentimentResult zh = Analyze("太失望了");
  EXPECT_EQ(zh.polarity, Polarity::kNegative);
  EXPECT_EQ(zh.emotion, Emotion::kDisappointment) << Describe(zh);
  SentimentResult en = Analyze("Really disappointed");
  EXPECT_EQ(en.emotion, Emotion::kDisappointment) << Describe(en);
}

// ---- emoji

TEST_F(SentimentTest, AngryEmojiAloneIsAngry) {
  SentimentResult r = Analyze("😡😡");
  EXPECT_EQ(r.polarity, Polarity::kNegative) << Describe(r);
  EXPECT_EQ(r.emotion, Emotion::kAnger);
}

TEST_F(SentimentTest, EmojiWithVariationSelectorMatches) {
  EXPECT_EQ(Analyze("收到了❤️👍").polarity, Polarity::kPositive);
  EXPECT_EQ(Analyze("😭😭 还没到").emotion, Emotion::kDisappointment);
}

TEST_F(SentimentTest, EmoticonsMatch) {
  EXPECT_EQ(Analyze("got it, thanks :)").polarity, Polarity::kPositive);
  EXPECT_EQ(Analyze("still nothing :(").polarity, Polarity::kNegative);
}

// ---- neutral

TEST_F(SentimentTest, PlainQuestionsAreNeutral) {
  for (const char* s : {"请问什么时候发货", "你好，我的订单到哪了？", "where is my order",
                        "Can I change the shipping address?", "一般几天能到"}) {
    SentimentResult r = Analyze(s);
    EXPECT_EQ(r.polarity, Polarity::kNeutral) << s << ": " << Describe(r);
    EXPECT_FALSE(r.threat) << s;
  }
}

TEST_F(SentimentTest, QuestionAboutAQualityIsNotPraise) {
  EXPECT_EQ(Analyze("是正品吗？质量好吗").polarity, Polarity::kNeutral);
  EXPECT_EQ(Analyze("Is it good quality?").polarity, Polarity::kNeutral);
}

TEST_F(SentimentTest, ProductNamesContainingSentimentWordsAreNeutral) {
  EXPECT_EQ(Analyze("垃圾桶有货吗").polarity, Polarity::kNeutral);
  EXPECT_EQ(Analyze("贵店有没有这个颜色").polarity, Polarity::kNeutral);
}

TEST_F(SentimentTest, EmptyTextIsNeutral) {
  SentimentResult r = Analyze("");
  EXPECT_EQ(r.polarity, Polarity::kNeutral);
  EXPECT_EQ(r.emotion, Emotion::kNeutral);
  EXPECT_EQ(r.intensity, 0.0);
  EXPECT_EQ(r.EmotionIntensity(Emotion::kNeutral), 1.0);
  EXPECT_TRUE(r.matched.empty());
}

TEST_F(SentimentTest, InvalidUtf8DoesNotBreakTheScan) {
  SentimentResult r = analyzer_->Analyze(std::string_view("\xff\xfe好评 \xe5", 10));
  EXPECT_EQ(r.polarity, Polarity::kPositive);
}

// ---- aspects and trace

TEST_F(SentimentTest, PriceAspect) {
  SentimentResult r = Analyze("价格太贵了，性价比不高");
  EXPECT_EQ(r.polarity, Polarity::kNegative) << Describe(r);
  EXPECT_THAT(r.aspects, ElementsAre("price"));
  EXPECT_THAT(Analyze("Too expensive for what it is").aspects, ElementsAre("price"));
}

TEST_F(SentimentTest, AspectsAreListedOnceInOrderOfFirstMention) {
  SentimentResult r = Analyze("客服态度很差，物流也慢，客服还不回复，质量一般");
  EXPECT_THAT(r.aspects, ElementsAre("service", "logistics", "quality"));
}

TEST_F(SentimentTest, MatchedTermsAreTraced) {
  SentimentResult r = Analyze("非常满意");
  EXPECT_THAT(r.matched, ElementsAre("非常", "满意"));
  std::string many;
  for (int i = 0; i < 40; ++i) {
    many += "满意，";
  }
  EXPECT_EQ(Analyze(many).matched.size(), kMaxMatched);
}

TEST_F(SentimentTest, ScoresAndIntensitiesStayInRange) {
  for (const char* s : {"垃圾垃圾垃圾垃圾垃圾垃圾垃圾垃圾！！！！！！", "好评好评好评好评好评好评",
                        "😡🤬😡🤬😡🤬", "WORST SERVICE EVER!!!!!!!"}) {
    SentimentResult r = Analyze(s);
    EXPECT_GE(r.score, -1.0) << s;
    EXPECT_LE(r.score, 1.0) << s;
    for (double e : r.emotions) {
      EXPECT_GE(e, 0.0) << s;
      EXPECT_LE(e, 1.0) << s;
    }
  }
}

TEST(SentimentNamesTest, NamesAreStable) {
  EXPECT_EQ(PolarityName(Polarity::kNegative), "negative");
  EXPECT_EQ(PolarityName(Polarity::kPositive), "positive");
  EXPECT_EQ(EmotionName(Emotion::kAnxiety), "anxiety");
  EXPECT_EQ(EmotionName(Emotion::kNeutral), "neutral");
}

// ---- loading

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

TEST(SentimentLexiconTest, MissingFileIsNotFound) {
  kefu::testing::TempDir dir;
  WriteFile(dir.File("lexicon_zh.tsv"), "好\tpos\t1\n");
  Result<std::unique_ptr<SentimentAnalyzer>> a = NewLexiconAnalyzer(dir.path().string());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(a.status().message(), HasSubstr("lexicon_en.tsv"));
}

TEST(SentimentLexiconTest, BadEntryNamesFileAndLine) {
  struct Case {
    std::string line;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"bad\tawful\t1", "unknown kind 'awful'"},
      {"bad\tneg\t7", "value"},
      {"bad\tneg\tmuch", "value"},
      {"bad\tneg\t1\tgrumpy", "unknown emotion 'grumpy'"},
      {"bad\tneg\t1\t-\tweather", "unknown aspect 'weather'"},
      {"bad\tnegation\t1", "takes no value"},
      {"bad\temotion\t1", "needs an emotion"},
      {"bad\taspect\tcolour", "aspect wants"},
      {"bad", "want term"},
      {"good\tpos\t1", "duplicate term 'good'"},
  };
  for (const Case& c : cases) {
    kefu::testing::TempDir dir;
    WriteFile(dir.File("lexicon_zh.tsv"), "# comment\n好\tpos\t1\n");
    WriteFile(dir.File("lexicon_en.tsv"), "good\tpos\t1\n\n" + c.line + "\n");
    Result<std::unique_ptr<SentimentAnalyzer>> a = NewLexiconAnalyzer(dir.path().string());
    ASSERT_FALSE(a.ok()) << c.line;
    EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument) << c.line;
    EXPECT_THAT(a.status().message(), HasSubstr("lexicon_en.tsv:3: ")) << c.line;
    EXPECT_THAT(a.status().message(), HasSubstr(c.problem)) << c.line;
  }
}

TEST(SentimentLexiconTest, SmallLexiconWorks) {
  kefu::testing::TempDir dir;
  WriteFile(dir.File("lexicon_zh.tsv"), "好\tpos\t1\r\n很\tintensifier\t1.5\r\n");
  WriteFile(dir.File("lexicon_en.tsv"), "waste of money\tneg\t2\tdisappointment\tprice\n");
  Result<std::unique_ptr<SentimentAnalyzer>> a = NewLexiconAnalyzer(dir.path().string());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)->Analyze("很好").polarity, Polarity::kPositive);
  SentimentResult r = (*a)->Analyze("what a waste of money");
  EXPECT_EQ(r.polarity, Polarity::kNegative);
  EXPECT_EQ(r.emotion, Emotion::kDisappointment);
  EXPECT_THAT(r.aspects, ElementsAre("price"));
}

// ---- speed (printed, not asserted)

TEST_F(SentimentTest, SpeedIsPrinted) {
  const std::vector<text::NormalizedText> messages = {
      text::Normalize("东西收到了，质量不错，但是物流太慢了，等了一个星期！！"),
      text::Normalize("我要投诉你们，再不退款我就打12315"),
      text::Normalize("The quality is great but delivery took forever, not happy"),
      text::Normalize("请问什么时候发货？急用，谢谢"),
  };
  constexpr int kRuns = 10'000;
  double sink = 0.0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRuns; ++i) {
    sink += analyzer_->Analyze(messages[static_cast<size_t>(i) % messages.size()]).score;
  }
  double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      kRuns;
  std::printf("sentiment: %.2f us per message (mean over %d, ~30 characters each; sink %.1f)\n", us,
              kRuns, sink);
}

}  // namespace
}  // namespace kefu::sentiment
