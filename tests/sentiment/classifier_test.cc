// The sentiment TSV reader (both formats) and the polarity classifier trained from it.
#include "sentiment/classifier.h"

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

TEST(PolarityClassifierTest, LearnsFromTheProjectsDataAndRoundTrips) {
  Result<std::vector<SentimentExample>> train =
      ReadSentimentTsv(kefu::testing::SourceDataDir() + "/sentiment/train.tsv");
  ASSERT_OK_RESULT(train);
  EXPECT_GE(train->size(), 1'500u);
  Result<std::unique_ptr<PolarityClassifier>> model = PolarityClassifier::Train(*train, {});
  ASSERT_OK_RESULT(model);
  auto predict = [&](const std::string& s) { return (*model)->Predict(text::Normalize(s).text); };
  EXPECT_EQ(predict("太慢了，我要投诉！！").label, "negative");
  EXPECT_EQ(predict("谢谢，很满意").label, "positive");
  EXPECT_EQ(predict("thanks so much, great service").label, "positive");
  EXPECT_EQ(predict("this is ridiculous, where is my refund?!").label, "negative");
  const PolarityPrediction p = predict("请问什么时候发货");
  EXPECT_NEAR(p.negative + p.neutral + p.positive, 1.0, 1e-6);

  kefu::testing::TempDir dir;
  ASSERT_OK((*model)->Save(dir.File("m.bin")));
  Result<std::unique_ptr<PolarityClassifier>> loaded = PolarityClassifier::Load(dir.File("m.bin"));
  ASSERT_OK_RESULT(loaded);
  EXPECT_EQ((*loaded)->Predict(text::Normalize("谢谢，很满意").text).label, "positive");
}

TEST(PolarityClassifierTest, AnIntentModelIsNotASentimentModel) {
  std::vector<SentimentExample> wrong = {{"hi", "greeting", "", ""}, {"bye", "goodbye", "", ""}};
  kefu::testing::TempDir dir;
  // Trained through the sentiment API but with other labels: Load refuses the file.
  Result<std::unique_ptr<PolarityClassifier>> model = PolarityClassifier::Train(wrong, {});
  ASSERT_OK_RESULT(model);
  ASSERT_OK((*model)->Save(dir.File("w.bin")));
  EXPECT_EQ(PolarityClassifier::Load(dir.File("w.bin")).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kefu::sentiment
