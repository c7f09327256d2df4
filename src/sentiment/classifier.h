// sentiment/classifier.h: the polarity classifier, trained here from labelled messages (the
// project's own data/sentiment/train.tsv at build time), and the reader for sentiment TSV files.
//
//   Result<std::vector<SentimentExample>> train = ReadSentimentTsv("data/sentiment/train.tsv");
//   Result<std::unique_ptr<PolarityClassifier>> model = PolarityClassifier::Train(*train, {});
//   PolarityPrediction p = (*model)->Predict(text::Normalize("物流太慢了！！").text);
//   // p.label == "negative", p.negative ~ 0.9
//
// The model is nlu::IntentClassifier's linear softmax over word, character n-gram, emoji and
// punctuation features, over the labels negative, neutral and positive (class-balanced, seeded:
// the same data gives the same file).
//
// TSV formats, detected per file:
//   - the project's: a header `lang<TAB>polarity<TAB>emotion<TAB>text`, then rows in that order;
//   - public sets: `text<TAB>label`, the label negative / neutral / positive, or 0 / 1 (negative /
//     positive); an optional first line whose label column is not a label is skipped as a header.
// Texts are normalized (text::Normalize) as they are read. Thread-safety: Predict is const and
// thread-safe once trained or loaded.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "nlu/intent_classifier.h"

namespace kefu::sentiment {

struct SentimentExample {
  std::string text;     // normalized
  std::string label;    // negative, neutral or positive
  std::string emotion;  // from the project's format; "" otherwise
  std::string lang;     // from the project's format; "" otherwise
};

// kNotFound for a missing file; kInvalidArgument naming the line for a row with a bad label or
// too few columns.
Result<std::vector<SentimentExample>> ReadSentimentTsv(const std::string& path);

struct PolarityPrediction {
  std::string label;  // negative, neutral or positive
  double negative = 0;
  double neutral = 0;
  double positive = 0;
};

class PolarityClassifier {
 public:
  // kInvalidArgument when the examples hold fewer than two labels.
  static Result<std::unique_ptr<PolarityClassifier>> Train(
      const std::vector<SentimentExample>& examples, const nlu::TrainOptions& options);
  // kNotFound / kInvalidArgument for a missing or malformed file.
  static Result<std::unique_ptr<PolarityClassifier>> Load(const std::string& path);
  Status Save(const std::string& path) const;

  PolarityPrediction Predict(std::string_view normalized_text) const;

 private:
  explicit PolarityClassifier(std::unique_ptr<nlu::IntentClassifier> model)
      : model_(std::move(model)) {}
  std::unique_ptr<nlu::IntentClassifier> model_;
};

}  // namespace kefu::sentiment
