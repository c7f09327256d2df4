// The sentiment TSV reader (both formats) and the sentiment model (classifier + stacker) trained
// from it.
#include "sentiment/classifier.h"

#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

#include "test_util.h"
#include "text/normalize.h"

namespace kefu::sentiment {
namespace {

std::string Write(const kefu::testing::TempDir& dir, const std::string& name,
                  const std::string& body) {
  const std::string path = dir.File(name);
  std::ofstream(path, std::ios::binary) << body;
  return path;
}

TEST(ReadSentimentTsvTest, ReadsTheProjectsFormatAndNormalizes) {
  kefu::testing::TempDir dir;
  const std::string path = Write(dir, "s.tsv",
                                 "lang\tpolarity\temotion\ttext\n"
                                 "zh\tnegative\tanger\t貨到現在還沒收到！！\n"
                                 "en\tpositive\tsatisfaction\tThanks, GREAT help\n");
  Result<std::vector<SentimentExample>> r = ReadSentimentTsv(path);
  ASSERT_OK_RESULT(r);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].label, "negative");
  EXPECT_EQ((*r)[0].emotion, "anger");
  EXPECT_EQ((*r)[0].lang, "zh");
  EXPECT_EQ((*r)[0].text, text::Normalize("貨到現在還沒收到！！").text);  // simplified
  EXPECT_EQ((*r)[1].text, "thanks, great help");
}

TEST(ReadSentimentTsvTest, ReadsPublicTextLabelFilesWithZeroOneLabelsAndAHeader) {
  kefu::testing::TempDir dir;
  const std::string path =
      Write(dir, "p.tsv", "sentence\tlabel\r\ngood value .\t1\r\nawful\t0\r\nmeh\tneutral\r\n");
  Result<std::vector<SentimentExample>> r = ReadSentimentTsv(path);
  ASSERT_OK_RESULT(r);
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].label, "positive");
  EXPECT_EQ((*r)[1].label, "negative");
  EXPECT_EQ((*r)[2].label, "neutral");
}

TEST(ReadSentimentTsvTest, BadRowsNameTheirLine) {
  kefu::testing::TempDir dir;
  Result<std::vector<SentimentExample>> r =
      ReadSentimentTsv(Write(dir, "b.tsv", "ok\t1\nbad\tmaybe\n"));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(":2:"), std::string::npos) << r.status().message();
  r = ReadSentimentTsv(Write(dir, "c.tsv", "lang\tpolarity\temotion\ttext\nzh\tnegative\n"));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadSentimentTsv(dir.File("missing.tsv")).status().code(), StatusCode::kNotFound);
}

TEST(ReadSentimentTsvTest, AnEmotionMustFitThePolarity) {
  kefu::testing::TempDir dir;
  Result<std::vector<SentimentExample>> r = ReadSentimentTsv(
      Write(dir, "e.tsv", "lang\tpolarity\temotion\ttext\nzh\tpositive\tanger\t气死了\n"));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(":2:"), std::string::npos) << r.status().message();
}

class SentimentModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<std::unique_ptr<SentimentAnalyzer>> lexicon = NewLexiconAnalyzer();
    ASSERT_OK_RESULT(lexicon);
    lexicon_ = std::move(lexicon).value();
    Result<std::vector<SentimentExample>> train =
        ReadSentimentTsv(kefu::testing::SourceDataDir() + "/sentiment/train.tsv");
    ASSERT_OK_RESULT(train);
    train_ = std::move(train).value();
    Result<std::unique_ptr<SentimentModel>> model = SentimentModel::Train(train_, {}, *lexicon_);
    ASSERT_OK_RESULT(model);
    model_ = std::move(model).value();
  }
  static void TearDownTestSuite() {
    model_.reset();
    lexicon_.reset();
  }
  static SentimentResult Read(const std::string& raw) {
    const text::NormalizedText n = text::Normalize(raw);
    return model_->Combine(n.text, lexicon_->Analyze(n));
  }

  static inline std::unique_ptr<SentimentAnalyzer> lexicon_;
  static inline std::vector<SentimentExample> train_;
  static inline std::unique_ptr<SentimentModel> model_;
};

TEST_F(SentimentModelTest, LearnsEmotionsAndAStackerFromTheProjectsData) {
  EXPECT_GE(train_.size(), 1'500u);
  EXPECT_TRUE(model_->has_emotions());
  EXPECT_TRUE(model_->has_stacker());
  auto predict = [&](const std::string& s) { return model_->Predict(text::Normalize(s).text); };
  EXPECT_EQ(predict("太慢了，我要投诉！！").label, "negative");
  EXPECT_EQ(predict("谢谢，很满意").label, "positive");
  EXPECT_EQ(predict("thanks so much, great service").label, "positive");
  EXPECT_EQ(predict("this is ridiculous, where is my refund?!").label, "negative");
  const PolarityPrediction p = predict("请问什么时候发货");
  EXPECT_NEAR(p.negative + p.neutral + p.positive, 1.0, 1e-6);
  double emotions = 0;
  for (double e : p.emotions) {
    emotions += e;
  }
  EXPECT_NEAR(emotions, 1.0, 1e-6);
}

TEST_F(SentimentModelTest, CombinedReadingKeepsTheLexiconsAspectsAndFollowsItsRules) {
  SentimentResult r = Read("东西不错，但是物流太慢了！！");
  EXPECT_EQ(r.polarity, Polarity::kNegative);
  EXPECT_NE(r.emotion, Emotion::kSatisfaction);
  EXPECT_NE(std::find(r.aspects.begin(), r.aspects.end(), "logistics"), r.aspects.end());
  EXPECT_FALSE(r.matched.empty());

  // A threat is anger, whatever the classifier thinks of the rest.
  r = Read("东西还行吧，不过我会去12315反映");
  EXPECT_TRUE(r.threat);
  EXPECT_EQ(r.polarity, Polarity::kNegative);
  EXPECT_EQ(r.emotion, Emotion::kAnger);
  EXPECT_GE(r.intensity, 0.9);

  r = Read("Thanks a lot, the replacement works perfectly");
  EXPECT_EQ(r.polarity, Polarity::kPositive);
  EXPECT_EQ(r.emotion, Emotion::kSatisfaction);
  EXPECT_GT(r.score, 0.3);

  r = Read("请问发票怎么开");
  EXPECT_EQ(r.polarity, Polarity::kNeutral);
  EXPECT_EQ(r.emotion, Emotion::kNeutral);
  EXPECT_EQ(r.intensity, 0.0);
}

TEST_F(SentimentModelTest, TheEmotionAlwaysFitsThePolarity) {
  for (const SentimentExample& e : train_) {
    const SentimentResult r = model_->Combine(e.text, lexicon_->Analyze(e.text));
    switch (r.polarity) {
      case Polarity::kNegative:
        EXPECT_TRUE(r.emotion == Emotion::kAnger || r.emotion == Emotion::kAnxiety ||
                    r.emotion == Emotion::kDisappointment)
            << e.text;
        break;
      case Polarity::kNeutral:
        EXPECT_EQ(r.emotion, Emotion::kNeutral) << e.text;
        break;
      case Polarity::kPositive:
        EXPECT_EQ(r.emotion, Emotion::kSatisfaction) << e.text;
        break;
    }
    EXPECT_GE(r.score, -1.0);
    EXPECT_LE(r.score, 1.0);
  }
}

TEST_F(SentimentModelTest, SavesAndLoadsTheSameModel) {
  kefu::testing::TempDir dir;
  ASSERT_OK(model_->Save(dir.File("m.bin")));
  Result<std::unique_ptr<SentimentModel>> loaded = SentimentModel::Load(dir.File("m.bin"));
  ASSERT_OK_RESULT(loaded);
  EXPECT_TRUE((*loaded)->has_emotions());
  EXPECT_TRUE((*loaded)->has_stacker());
  for (const char* s : {"谢谢，很满意", "物流太慢了！！", "Where is my parcel?", "垃圾店"}) {
    const std::string t = text::Normalize(s).text;
    const SentimentResult a = model_->Combine(t, lexicon_->Analyze(t));
    const SentimentResult b = (*loaded)->Combine(t, lexicon_->Analyze(t));
    EXPECT_EQ(a.polarity, b.polarity) << s;
    EXPECT_EQ(a.emotion, b.emotion) << s;
    EXPECT_NEAR(a.score, b.score, 1e-9) << s;
  }
  // The analyzer the engine builds reads the file the same way.
  Result<std::unique_ptr<SentimentAnalyzer>> analyzer = NewSentimentAnalyzer("", dir.File("m.bin"));
  ASSERT_OK_RESULT(analyzer);
  EXPECT_EQ((*analyzer)->Analyze(text::Normalize("谢谢，很满意")).polarity, Polarity::kPositive);
}

TEST(SentimentModelPolarityTest, PublicStyleDataTrainsPolarityLabels) {
  std::vector<SentimentExample> data;
  for (int i = 0; i < 40; ++i) {
    data.push_back({"great item " + std::to_string(i), "positive", "", ""});
    data.push_back({"broken junk " + std::to_string(i), "negative", "", ""});
  }
  Result<std::unique_ptr<SentimentAnalyzer>> lexicon = NewLexiconAnalyzer();
  ASSERT_OK_RESULT(lexicon);
  Result<std::unique_ptr<SentimentModel>> model = SentimentModel::Train(data, {}, **lexicon);
  ASSERT_OK_RESULT(model);
  EXPECT_FALSE((*model)->has_emotions());
  EXPECT_TRUE((*model)->has_stacker());
  EXPECT_EQ((*model)->Predict("great item").label, "positive");
  const SentimentResult r = (*model)->Combine("broken junk", (*lexicon)->Analyze("broken junk"));
  EXPECT_EQ(r.polarity, Polarity::kNegative);
  EXPECT_EQ(r.emotions[static_cast<size_t>(Emotion::kAnger)],
            (*lexicon)->Analyze("broken junk").emotions[static_cast<size_t>(Emotion::kAnger)]);
}

TEST(SentimentModelPolarityTest, RefusesFilesThatAreNotSentimentModels) {
  kefu::testing::TempDir dir;
  EXPECT_EQ(SentimentModel::Load(dir.File("missing.bin")).status().code(), StatusCode::kNotFound);
  // An intent model is not a sentiment model.
  Result<std::unique_ptr<nlu::IntentClassifier>> intent =
      nlu::IntentClassifier::Train({{"hi", "greeting"}, {"bye", "goodbye"}}, {});
  ASSERT_OK_RESULT(intent);
  ASSERT_OK((*intent)->Save(dir.File("intent.bin")));
  Result<std::unique_ptr<SentimentModel>> r = SentimentModel::Load(dir.File("intent.bin"));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not a kefu sentiment model"), std::string::npos);
  // A truncated one.
  const std::string body = "KEFUSEN1";
  Write(dir, "short.bin", body);
  EXPECT_EQ(SentimentModel::Load(dir.File("short.bin")).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kefu::sentiment
