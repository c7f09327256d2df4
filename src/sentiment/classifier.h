// sentiment/classifier.h: the trained half of the sentiment stage. A linear classifier learns
// polarity (and, from the project's data, the emotion) from labelled messages; a small stacker
// learns how to weigh it against the lexicon's reading (sentiment.h) of the same message. The
// shipped model is trained at build time from the project's own data/sentiment/*.tsv.
//
//   Result<std::vector<SentimentExample>> train = ReadSentimentTsv("data/sentiment/train.tsv");
//   auto lexicon = NewLexiconAnalyzer();
//   Result<std::unique_ptr<SentimentModel>> model = SentimentModel::Train(*train, {}, **lexicon);
//   (*model)->Save("models/sentiment.bin");
//   auto analyzer = NewSentimentAnalyzer("", "models/sentiment.bin");  // lexicon + model
//   SentimentResult r = (*analyzer)->Analyze(text::Normalize("物流太慢了！！"));
//   // r.polarity == kNegative, r.emotion == kAnger or kDisappointment
//
// The classifier is nlu::IntentClassifier's linear softmax over word, character n-gram, emoji
// and punctuation features (class-balanced, seeded: the same data gives the same file). Its
// labels are the five emotions when every example has one (the project's format), else the three
// polarities. The stacker is a multinomial logistic regression over the lexicon's score, emotion
// intensities, threat and silence, and the classifier's log-probabilities; it is fitted on
// out-of-fold classifier predictions (5 folds), so it learns how far to trust a classifier that
// has not seen the message. Rules that always hold on top: an explicit threat is anger.
//
// TSV formats, detected per file:
//   - the project's: a header `lang<TAB>polarity<TAB>emotion<TAB>text`, then rows in that order;
//   - public sets: `text<TAB>label`, the label negative / neutral / positive, or 0 / 1 (negative /
//     positive); an optional first line whose label column is not a label is skipped as a header.
// Texts are normalized (text::Normalize) as they are read. Thread-safety: Predict and Combine are
// const and thread-safe once trained or loaded.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "nlu/intent_classifier.h"
#include "sentiment/sentiment.h"

namespace kefu::sentiment {

struct SentimentExample {
  std::string text;     // normalized
  std::string label;    // negative, neutral or positive
  std::string emotion;  // from the project's format; "" otherwise
  std::string lang;     // from the project's format; "" otherwise
};

// kNotFound for a missing file; kInvalidArgument naming the line for a row with a bad label, an
// emotion that contradicts the polarity, or too few columns.
Result<std::vector<SentimentExample>> ReadSentimentTsv(const std::string& path);

// What the classifier alone makes of a message.
struct PolarityPrediction {
  std::string label;  // negative, neutral or positive
  double negative = 0;
  double neutral = 0;
  double positive = 0;
  // By Emotion; all zero when the model was trained without emotions.
  std::array<double, kEmotionCount> emotions{};
};

struct SentimentTrainOptions {
  SentimentTrainOptions() { classifier.epochs = 0; }

  // Seed and progress of the final classifier, and its epochs: 0 (the default here) chooses them
  // (3, 10 or 30, by accuracy on a seeded tenth of the examples held out).
  nlu::TrainOptions classifier;
  int folds = 5;  // for the stacker's out-of-fold predictions; 0 or 1: no stacker
  // Called as each fold's classifier is trained: (fold, folds).
  std::function<void(int, int)> fold_progress;
  // Called as each epoch count is tried: (epochs, validation accuracy).
  std::function<void(int, double)> epoch_progress;
};

class SentimentModel {
 public:
  // kInvalidArgument when the examples hold fewer than two labels. `lexicon` reads each example
  // for the stacker.
  static Result<std::unique_ptr<SentimentModel>> Train(
      const std::vector<SentimentExample>& examples, const SentimentTrainOptions& options,
      const SentimentAnalyzer& lexicon);
  // kNotFound / kInvalidArgument for a missing file or one that is not a sentiment model.
  static Result<std::unique_ptr<SentimentModel>> Load(const std::string& path);
  Status Save(const std::string& path) const;

  // The classifier alone.
  PolarityPrediction Predict(std::string_view normalized_text) const;

  // The final reading of a message: `lexicon` is the lexicon's result for the same text, whose
  // aspects, threat flag and matched terms are kept; polarity, score (P(positive) -
  // P(negative)), emotion and intensities come from the stacker.
  SentimentResult Combine(std::string_view normalized_text, SentimentResult lexicon) const;

  bool has_emotions() const { return emotion_labels_; }
  bool has_stacker() const { return !polarity_weights_.empty(); }
  int epochs() const { return epochs_; }  // the classifier's, as trained (0 when loaded)

  // The stacker's inputs for one message (exposed for tests).
  static constexpr size_t kFeatures = 14;

 private:
  SentimentModel() = default;
  std::array<double, kFeatures> Features(const SentimentResult& lexicon,
                                         const PolarityPrediction& p) const;

  std::unique_ptr<nlu::IntentClassifier> classifier_;
  bool emotion_labels_ = false;
  int epochs_ = 0;
  std::vector<double> polarity_weights_;  // 3 x kFeatures, empty without a stacker
  std::vector<double> emotion_weights_;   // 5 x kFeatures, empty without emotions
};

}  // namespace kefu::sentiment
