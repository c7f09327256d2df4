#include "nlu/intent_classifier.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "nlu/intent_data.h"
#include "test_util.h"
#include "text/normalize.h"
#include "text/pinyin.h"

namespace kefu::nlu {
namespace {

std::vector<IntentExample> Toy() {
  std::vector<IntentExample> out;
  const std::vector<std::pair<std::string, std::vector<std::string>>> data = {
      {"order_status",
       {"我的订单到哪了", "订单什么时候发货", "快递到哪里了", "where is my order",
        "track my package", "has my order shipped", "物流怎么不动了", "my parcel status"}},
      {"return_refund",
       {"我要退货", "怎么申请退款", "这个我想退掉", "i want to return this", "refund please",
        "how do i get my money back", "七天无理由退货", "return the shoes"}},
      {"greeting", {"你好", "您好在吗", "hello", "hi there", "good morning", "哈喽", "嗨", "hey"}},
      {"out_of_scope",
       {"今天天气怎么样", "帮我订机票", "what is the capital of france", "solve this equation",
        "股票会涨吗", "write me a poem", "翻译这句话", "book a flight"}},
  };
  for (const auto& [label, texts] : data) {
    for (const std::string& t : texts) {
      out.push_back({text::Normalize(t).text, label});
    }
  }
  return out;
}

TEST(IntentClassifierTest, LearnsToySetAndPredictsParaphrases) {
  Result<std::unique_ptr<IntentClassifier>> m = IntentClassifier::Train(Toy(), {});
  ASSERT_OK_RESULT(m);
  EXPECT_EQ((*m)->Predict(text::Normalize("我的快递到哪了？").text).intent, "order_status");
  EXPECT_EQ((*m)->Predict(text::Normalize("I want a refund").text).intent, "return_refund");
  EXPECT_EQ((*m)->Predict(text::Normalize("Hello!").text).intent, "greeting");
  IntentPrediction p = (*m)->Predict(text::Normalize("where is my order").text, 3);
  EXPECT_GT(p.confidence, 0.5);
  EXPECT_LE(p.confidence, 1.0);
  ASSERT_EQ(p.alternatives.size(), 2u);
  EXPECT_GE(p.confidence, p.alternatives[0].second);
}

TEST(IntentClassifierTest, TrainingIsDeterministic) {
  testing::TempDir dir;
  auto a = std::move(*IntentClassifier::Train(Toy(), {}));
  auto b = std::move(*IntentClassifier::Train(Toy(), {}));
  ASSERT_OK(a->Save(dir.File("a.kim")));
  ASSERT_OK(b->Save(dir.File("b.kim")));
  std::ifstream fa(dir.File("a.kim"), std::ios::binary), fb(dir.File("b.kim"), std::ios::binary);
  const std::string sa((std::istreambuf_iterator<char>(fa)), {});
  const std::string sb((std::istreambuf_iterator<char>(fb)), {});
  EXPECT_FALSE(sa.empty());
  EXPECT_EQ(sa, sb);
}

TEST(IntentClassifierTest, SaveAndLoadGiveTheSamePredictions) {
  testing::TempDir dir;
  auto m = std::move(*IntentClassifier::Train(Toy(), {}));
  m->Calibrate(Toy(), "out_of_scope");
  ASSERT_OK(m->Save(dir.File("m.kim")));
  Result<std::unique_ptr<IntentClassifier>> loaded = IntentClassifier::Load(dir.File("m.kim"));
  ASSERT_OK_RESULT(loaded);
  for (const char* t : {"订单到哪了", "refund", "你好", "随便说点什么"}) {
    const IntentPrediction a = m->Predict(text::Normalize(t).text);
    const IntentPrediction b = (*loaded)->Predict(text::Normalize(t).text);
    EXPECT_EQ(a.intent, b.intent) << t;
    EXPECT_DOUBLE_EQ(a.confidence, b.confidence) << t;
  }
  EXPECT_EQ((*loaded)->oos_label(), "out_of_scope");
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

TEST(IntentClassifierTest, HiddenLayerTrainsDeterministicallyAndRoundTrips) {
  testing::TempDir dir;
  TrainOptions options;
  options.hidden = 16;
  auto a = std::move(*IntentClassifier::Train(Toy(), options));
  auto b = std::move(*IntentClassifier::Train(Toy(), options));
  EXPECT_EQ(a->hidden_units(), 16);
  a->Calibrate(Toy(), "out_of_scope");
  b->Calibrate(Toy(), "out_of_scope");
  ASSERT_OK(a->Save(dir.File("a.kim")));
  ASSERT_OK(b->Save(dir.File("b.kim")));
  EXPECT_EQ(ReadAll(dir.File("a.kim")), ReadAll(dir.File("b.kim")));
  // The hidden layer changes the scores: a linear-only model of the same data differs.
  auto linear = std::move(*IntentClassifier::Train(Toy(), {}));
  linear->Calibrate(Toy(), "out_of_scope");
  ASSERT_OK(linear->Save(dir.File("linear.kim")));
  EXPECT_NE(ReadAll(dir.File("a.kim")).size(), ReadAll(dir.File("linear.kim")).size());

  Result<std::unique_ptr<IntentClassifier>> loaded = IntentClassifier::Load(dir.File("a.kim"));
  ASSERT_OK_RESULT(loaded);
  EXPECT_EQ((*loaded)->hidden_units(), 16);
  EXPECT_EQ((*loaded)->Predict(text::Normalize("我的快递到哪了？").text).intent, "order_status");
  EXPECT_EQ((*loaded)->Predict(text::Normalize("I want a refund").text).intent, "return_refund");
  for (const char* t : {"订单到哪了", "refund", "你好", "随便说点什么", ""}) {
    const IntentPrediction p = a->Predict(text::Normalize(t).text);
    const IntentPrediction q = (*loaded)->Predict(text::Normalize(t).text);
    EXPECT_EQ(p.intent, q.intent) << t;
    EXPECT_DOUBLE_EQ(p.confidence, q.confidence) << t;
  }
  // A file cut inside the hidden layer is rejected, not half-loaded.
  const std::string bytes = ReadAll(dir.File("a.kim"));
  std::ofstream(dir.File("cut.kim"), std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  EXPECT_EQ(IntentClassifier::Load(dir.File("cut.kim")).status().code(),
            StatusCode::kInvalidArgument);
}

// Word vectors where fruit and vehicles lie in two directions; the training rows name only some
// of each, so the other words are known to the dense head alone.
std::shared_ptr<const WordVectors> FruitAndVehicleVectors(const testing::TempDir& dir) {
  const std::vector<std::pair<std::string, std::vector<float>>> rows = {
      {"apple", {1, 0, .1f, 0}},  {"cherry", {1, 0, 0, .1f}},  {"banana", {1, 0, .05f, .05f}},
      {"苹果", {1, 0, .1f, .1f}}, {"香蕉", {.9f, 0, .1f, 0}},  {"car", {0, 1, .1f, 0}},
      {"truck", {0, 1, 0, .1f}},  {"bus", {0, 1, .05f, .05f}}, {"汽车", {0, 1, .1f, .1f}},
      {"卡车", {0, .9f, 0, .1f}},
  };
  std::ofstream out(dir.File("vectors.txt"));
  for (const auto& [w, v] : rows) {
    out << w;
    for (float x : v) {
      out << ' ' << x;
    }
    out << '\n';
  }
  out.close();
  return std::move(*WordVectors::Load(dir.File("vectors.txt")));
}

std::vector<IntentExample> FruitAndVehicleRows(
    const std::vector<std::pair<std::string, std::string>>& rows) {
  std::vector<IntentExample> out;
  for (const auto& [t, label] : rows) {
    out.push_back({text::Normalize(t).text, label});
  }
  return out;
}

TEST(IntentClassifierTest, DenseHeadOverWordVectorsReachesWordsTheTrainingRowsNeverUsed) {
  testing::TempDir dir;
  TrainOptions options;
  options.hidden = 8;
  options.vectors = FruitAndVehicleVectors(dir);
  options.dense_hidden = 16;
  options.dense_epochs = 300;
  options.dense_learning_rate = 0.01;
  const std::vector<IntentExample> train = FruitAndVehicleRows({
      {"i like apple", "fruit"},
      {"i want an apple", "fruit"},
      {"apple is good", "fruit"},
      {"cherry for me", "fruit"},
      {"i like cherry", "fruit"},
      {"我要苹果", "fruit"},
      {"i like car", "vehicle"},
      {"i want a car", "vehicle"},
      {"car is good", "vehicle"},
      {"truck for me", "vehicle"},
      {"i like truck", "vehicle"},
      {"我要汽车", "vehicle"},
  });
  auto m = std::move(*IntentClassifier::Train(train, options));
  ASSERT_NE(m->vectors(), nullptr);
  EXPECT_EQ(m->dense_hidden_units(), 16);
  // Calibration rows with words only the vectors know: the dense head earns a weight.
  m->Calibrate(FruitAndVehicleRows({{"banana for me", "fruit"},
                                    {"bus for me", "vehicle"},
                                    {"我要香蕉", "fruit"},
                                    {"我要卡车", "vehicle"}}),
               "out_of_scope");
  EXPECT_GT(m->dense_weight(), 0);
  const std::vector<std::pair<const char*, const char*>> unseen = {{"i like banana", "fruit"},
                                                                   {"i like bus", "vehicle"},
                                                                   {"我喜欢香蕉", "fruit"},
                                                                   {"卡车", "vehicle"}};
  for (const auto& [t, want] : unseen) {
    EXPECT_EQ(m->Predict(text::Normalize(t).text).intent, want) << t;
  }
  // The model file holds the head and the vectors (version 5), byte for byte the same when
  // trained again, and predicts the same once loaded.
  ASSERT_OK(m->Save(dir.File("dense.kim")));
  auto again = std::move(*IntentClassifier::Train(train, options));
  again->UseCalibration(*m);
  ASSERT_OK(again->Save(dir.File("again.kim")));
  const std::string bytes = ReadAll(dir.File("dense.kim"));
  EXPECT_EQ(bytes.substr(0, 8), "KEFUINT5");
  EXPECT_EQ(bytes, ReadAll(dir.File("again.kim")));
  Result<std::unique_ptr<IntentClassifier>> loaded = IntentClassifier::Load(dir.File("dense.kim"));
  ASSERT_OK_RESULT(loaded);
  ASSERT_NE((*loaded)->vectors(), nullptr);
  EXPECT_EQ((*loaded)->dense_weight(), m->dense_weight());
  for (const auto& [t, want] : unseen) {
    const IntentPrediction p = m->Predict(text::Normalize(t).text);
    const IntentPrediction q = (*loaded)->Predict(text::Normalize(t).text);
    EXPECT_EQ(q.intent, want) << t;
    EXPECT_DOUBLE_EQ(p.confidence, q.confidence) << t;
  }
  // Cut anywhere in the head or the vectors: an error, not a half-loaded model.
  for (size_t cut : {size_t(40), size_t(400), size_t(4000)}) {
    ASSERT_LT(cut, bytes.size());
    std::ofstream(dir.File("cut.kim"), std::ios::binary) << bytes.substr(0, bytes.size() - cut);
    EXPECT_EQ(IntentClassifier::Load(dir.File("cut.kim")).status().code(),
              StatusCode::kInvalidArgument)
        << cut;
  }
}

TEST(IntentClassifierTest, ReadsVersionTwoAndThreeFiles) {
  testing::TempDir dir;
  auto m = std::move(*IntentClassifier::Train(Toy(), {}));
  m->Calibrate(Toy(), "out_of_scope");
  ASSERT_OK(m->Save(dir.File("v4.kim")));
  // Version 3 is version 4 without the feature-set bits after the magic (0: the base set);
  // version 2 is version 3 without the trailing hidden-layer size (0 here).
  std::string bytes = ReadAll(dir.File("v4.kim"));
  ASSERT_EQ(bytes.substr(0, 8), "KEFUINT4");
  ASSERT_EQ(bytes.substr(8, 8), std::string(8, '\0'));
  bytes.erase(8, 8);
  bytes[7] = '3';
  std::ofstream(dir.File("v3.kim"), std::ios::binary) << bytes;
  bytes[7] = '2';
  bytes.resize(bytes.size() - 8);
  std::ofstream(dir.File("v2.kim"), std::ios::binary) << bytes;
  for (const char* file : {"v3.kim", "v2.kim"}) {
    Result<std::unique_ptr<IntentClassifier>> old = IntentClassifier::Load(dir.File(file));
    ASSERT_OK_RESULT(old);
    EXPECT_EQ((*old)->hidden_units(), 0);
    EXPECT_EQ((*old)->features(), FeatureSet{});
    for (const char* t : {"订单到哪了", "refund", "你好"}) {
      EXPECT_DOUBLE_EQ(m->Predict(text::Normalize(t).text).confidence,
                       (*old)->Predict(text::Normalize(t).text).confidence)
          << file << " " << t;
    }
  }
}

TEST(IntentClassifierTest, FeatureSetIsStoredAndUsedAfterLoading) {
  testing::TempDir dir;
  TrainOptions options;
  options.features = {.edges = true, .word_trigrams = true, .pinyin = true, .cross_grams = true};
  auto m = std::move(*IntentClassifier::Train(Toy(), options));
  EXPECT_EQ(m->features(), options.features);
  ASSERT_OK(m->Save(dir.File("m.kim")));
  Result<std::unique_ptr<IntentClassifier>> loaded = IntentClassifier::Load(dir.File("m.kim"));
  ASSERT_OK_RESULT(loaded);
  EXPECT_EQ((*loaded)->features(), options.features);
  for (const char* t : {"订单到哪了", "tuikuan", "i want to return this please", "你好"}) {
    EXPECT_DOUBLE_EQ(m->Predict(text::Normalize(t).text).confidence,
                     (*loaded)->Predict(text::Normalize(t).text).confidence)
        << t;
  }
  // Bits this version does not know are refused, not ignored.
  std::string bytes = ReadAll(dir.File("m.kim"));
  bytes[8] = char(bytes[8] | 0x40);
  std::ofstream(dir.File("future.kim"), std::ios::binary) << bytes;
  Result<std::unique_ptr<IntentClassifier>> future = IntentClassifier::Load(dir.File("future.kim"));
  EXPECT_EQ(future.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(future.status().message().find("feature set"), std::string::npos);
}

TEST(IntentClassifierTest, BadInputHasDefinedBehaviour) {
  auto m = std::move(*IntentClassifier::Train(Toy(), {}));
  for (const std::string& t : {std::string(), std::string("😀😀😀"), std::string("1234567890"),
                               std::string(100 * 1024, 'x')}) {
    const IntentPrediction p = m->Predict(text::Normalize(t).text);
    EXPECT_FALSE(p.intent.empty());
    EXPECT_GE(p.confidence, 0.0);
    EXPECT_LE(p.confidence, 1.0);
  }
  EXPECT_EQ(IntentClassifier::Train({}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IntentClassifier::Train({{"a", "x"}}, {}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(IntentClassifierTest, LoadRejectsMissingAndForeignFiles) {
  testing::TempDir dir;
  EXPECT_EQ(IntentClassifier::Load(dir.File("none.kim")).status().code(), StatusCode::kNotFound);
  std::ofstream(dir.File("junk.kim")) << "not a model at all";
  EXPECT_EQ(IntentClassifier::Load(dir.File("junk.kim")).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(IntentClassifierTest, LowConfidenceBecomesOutOfScopeAfterCalibration) {
  auto m = std::move(*IntentClassifier::Train(Toy(), {}));
  m->Calibrate(Toy(), "out_of_scope", 0.9);
  EXPECT_GE(m->oos_threshold(), 0.0);
  const IntentPrediction p = m->Predict(text::Normalize("帮我订一张去上海的机票").text);
  EXPECT_TRUE(p.out_of_scope);
  EXPECT_EQ(p.intent, "out_of_scope");
}

TEST(IntentClassifierTest, ARefitModelKeepsTheCalibrationItIsGiven) {
  // The calibration is fitted on a model that never saw the calibration rows; the refit model,
  // trained on everything, takes it over unchanged and predicts with it.
  auto fitted = std::move(*IntentClassifier::Train(Toy(), {}));
  fitted->Calibrate(Toy(), "out_of_scope", 0.9);
  auto refit = std::move(*IntentClassifier::Train(Toy(), {}));
  EXPECT_EQ(refit->oos_label(), "");
  refit->UseCalibration(*fitted);
  EXPECT_EQ(refit->temperature(), fitted->temperature());
  EXPECT_EQ(refit->oos_threshold(), fitted->oos_threshold());
  EXPECT_EQ(refit->oos_label(), "out_of_scope");
  const std::string text = text::Normalize("帮我订一张去上海的机票").text;
  EXPECT_EQ(refit->Predict(text).confidence, fitted->Predict(text).confidence);
  EXPECT_TRUE(refit->Predict(text).out_of_scope);
}

TEST(IntentClassifierTest, LabelSmoothingKeepsTheModelFromCertainty) {
  // Targets of 1 - 0.2 + 0.2 / 4 = 0.85 on the label: the model learns the same answers with a
  // probability near 0.85 where the plain one goes to nearly 1.
  TrainOptions smooth;
  smooth.label_smoothing = 0.2;
  auto plain = std::move(*IntentClassifier::Train(Toy(), {}));
  auto smoothed = std::move(*IntentClassifier::Train(Toy(), smooth));
  for (const IntentExample& e : Toy()) {
    const IntentPrediction p = plain->Predict(e.text);
    const IntentPrediction q = smoothed->Predict(e.text);
    EXPECT_EQ(q.intent, e.label) << e.text;
    EXPECT_LT(q.confidence, p.confidence) << e.text;
    EXPECT_LT(q.confidence, 0.93) << e.text;
  }
}

TEST(IntentFeaturesTest, NumbersGeneralizeByLength) {
  EXPECT_EQ(IntentFeatures("订单 2026112464518311"), IntentFeatures("订单 2026112500000001"));
  EXPECT_NE(IntentFeatures("订单 2026112464518311"), IntentFeatures("订单 5678"));
}

size_t Shared(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  return both.size();
}

TEST(IntentFeaturesTest, EdgesMarkTheFirstAndLastToken) {
  const FeatureSet edges{.edges = true};
  const std::vector<uint64_t> base = IntentFeatures("ok sure");
  EXPECT_EQ(IntentFeatures("ok sure", edges).size(), base.size() + 2);
  // The same words in another order have the same base features, not the same edges.
  EXPECT_EQ(IntentFeatures("sure ok").size(), base.size());
  EXPECT_NE(IntentFeatures("ok sure", edges), IntentFeatures("sure ok", edges));
  EXPECT_EQ(IntentFeatures("", edges), std::vector<uint64_t>{});
}

TEST(IntentFeaturesTest, WordTrigramsAreOptional) {
  const FeatureSet trigrams{.word_trigrams = true};
  EXPECT_EQ(IntentFeatures("where is my order", trigrams).size(),
            IntentFeatures("where is my order").size() + 2);
  EXPECT_EQ(IntentFeatures("my order", trigrams), IntentFeatures("my order"));
}

TEST(IntentFeaturesTest, CrossGramsSpanTheSpaceBetweenWords) {
  const FeatureSet cross{.cross_grams = true};
  // "my order": "y o"; "my o", "y or"; "my or", "y ord".
  EXPECT_EQ(IntentFeatures("my order", cross).size(), IntentFeatures("my order").size() + 5);
  EXPECT_EQ(IntentFeatures("order", cross), IntentFeatures("order"));
  EXPECT_EQ(IntentFeatures("我的订单", cross), IntentFeatures("我的订单"));
  // Words that a typo ran together keep more in common with the words typed apart.
  EXPECT_GT(Shared(IntentFeatures("can uhelp me", cross), IntentFeatures("can u help me", cross)),
            Shared(IntentFeatures("can uhelp me"), IntentFeatures("can u help me")) + 3);
  // Order numbers and Chinese between English words do not break the run of Latin text.
  EXPECT_GT(IntentFeatures("cancel 2026112500000001 please", cross).size(),
            IntentFeatures("cancel 2026112500000001 please").size());
}

TEST(IntentFeaturesTest, PinyinLinksHomophoneSlipsAndTypedPinyin) {
  ASSERT_TRUE(text::PinyinStatus().ok()) << text::PinyinStatus().ToString();
  const FeatureSet pinyin{.pinyin = true};
  // 退宽 is the input method's slip for 退款: no Han feature in common beyond 退, but their
  // syllables are the same.
  EXPECT_GT(Shared(IntentFeatures("退宽", pinyin), IntentFeatures("退款", pinyin)),
            Shared(IntentFeatures("退宽"), IntentFeatures("退款")));
  // Pinyin typed without the input method shares syllables with the characters.
  EXPECT_EQ(Shared(IntentFeatures("tuikuan"), IntentFeatures("退款")), 0u);
  EXPECT_GE(Shared(IntentFeatures("tuikuan", pinyin), IntentFeatures("退款", pinyin)), 3u);
  // English words are not read as pinyin.
  EXPECT_EQ(IntentFeatures("can you help", pinyin), IntentFeatures("can you help"));
}

TEST(IntentDataTest, SplitIsStableAndRoughlySeventyTenTwenty) {
  int counts[4] = {0, 0, 0, 0};
  for (int i = 0; i < 10000; ++i) {
    ++counts[static_cast<int>(SplitOf("utterance " + std::to_string(i)))];
  }
  EXPECT_NEAR(counts[static_cast<int>(DataSplit::kTrain)], 7000, 300);
  EXPECT_NEAR(counts[static_cast<int>(DataSplit::kDev)], 1000, 200);
  EXPECT_NEAR(counts[static_cast<int>(DataSplit::kTest)], 2000, 250);
  EXPECT_EQ(SplitOf("我的订单到哪了"), SplitOf("我的订单到哪了"));
}

// data/nlu/README.md's "Checks": the rules every extension of the shipped data must keep.
TEST(IntentDataTest, ShippedDataFollowsItsReadme) {
  Result<std::vector<LabeledText>> rows =
      LoadIntentTsv(std::string(KEFU_SOURCE_DIR) + "/data/nlu/intents.tsv");
  ASSERT_OK_RESULT(rows);
  const std::set<std::string> labels = {
      "greeting",        "goodbye",         "thanks",         "affirm",        "deny",
      "order_status",    "cancel_order",    "change_order",   "return_refund", "refund_status",
      "exchange",        "delivery_issue",  "quality_issue",  "payment_issue", "invoice",
      "shipping_policy", "product_inquiry", "product_search", "promotion",     "account",
      "warranty",        "complaint",       "human_agent",    "chitchat",      "out_of_scope"};
  std::set<std::string> texts;
  std::map<std::pair<std::string, std::string>, int> counts;
  std::pair<std::string, std::string> previous;
  for (const LabeledText& r : *rows) {
    EXPECT_EQ(labels.count(r.label), 1u) << r.label;
    EXPECT_TRUE(r.lang == "zh" || r.lang == "en") << r.text;
    EXPECT_TRUE(texts.insert(r.text).second) << "repeated: " << r.text;
    const std::pair<std::string, std::string> group = {r.label, r.lang};
    EXPECT_LE(previous, group) << "out of (label, lang) order at: " << r.text;
    previous = group;
    ++counts[group];
  }
  for (const std::string& label : labels) {
    EXPECT_GE((counts[{label, "zh"}]), 70) << label;
    EXPECT_GE((counts[{label, "en"}]), 50) << label;
  }
}

TEST(IntentDataTest, LoadsTsvAndRejectsBadRows) {
  testing::TempDir dir;
  std::ofstream(dir.File("ok.tsv")) << "# comment\n你好\tgreeting\tzh\nhello\tgreeting\n";
  Result<std::vector<LabeledText>> ok = LoadIntentTsv(dir.File("ok.tsv"));
  ASSERT_OK_RESULT(ok);
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0].lang, "zh");
  EXPECT_EQ((*ok)[1].lang, "");
  std::ofstream(dir.File("bad.tsv")) << "no label here\n";
  EXPECT_EQ(LoadIntentTsv(dir.File("bad.tsv")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadIntentTsv(dir.File("none.tsv")).status().code(), StatusCode::kNotFound);
}

TEST(IntentDataTest, EvaluateComputesAccuracyF1AndOutOfScopeRecall) {
  const std::vector<std::string> gold = {"a", "a", "b", "b", "oos", "oos"};
  const std::vector<std::string> pred = {"a", "b", "b", "b", "oos", "a"};
  IntentReport r = Evaluate(gold, pred, "oos");
  EXPECT_NEAR(r.accuracy, 4.0 / 6, 1e-9);
  EXPECT_NEAR(r.per_label["a"].precision, 0.5, 1e-9);
  EXPECT_NEAR(r.per_label["a"].recall, 0.5, 1e-9);
  EXPECT_NEAR(r.per_label["b"].recall, 1.0, 1e-9);
  EXPECT_TRUE(r.has_oos);
  EXPECT_NEAR(r.oos_recall, 0.5, 1e-9);
  EXPECT_NEAR(r.in_scope_accuracy, 0.75, 1e-9);
  ASSERT_FALSE(r.confusions.empty());
}

}  // namespace
}  // namespace kefu::nlu
