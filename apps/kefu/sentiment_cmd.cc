// kefu train sentiment / kefu eval sentiment: the polarity classifier from a sentiment TSV
// (sentiment/classifier.h reads both the project's format and public text<TAB>label sets).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "sentiment/classifier.h"

namespace kefu::app {
namespace {

constexpr std::array<const char*, 3> kLabels = {"negative", "neutral", "positive"};

int LabelIndex(const std::string& label) {
  for (size_t i = 0; i < kLabels.size(); ++i) {
    if (label == kLabels[i]) {
      return static_cast<int>(i);
    }
  }
  return 1;
}

}  // namespace

int RunTrainSentiment(const TrainSentimentFlags& flags) {
  Result<std::vector<sentiment::SentimentExample>> data = sentiment::ReadSentimentTsv(flags.data);
  if (!data.ok()) {
    return Fail(data.status());
  }
  nlu::TrainOptions options;
  options.epochs = flags.epochs;
  options.progress = [](int epoch, int epochs, double loss) {
    std::fprintf(stderr, "\r  epoch %2d/%d  loss %.4f", epoch, epochs, loss);
    if (epoch == epochs) {
      std::fprintf(stderr, "\n");
    }
  };
  const auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<sentiment::PolarityClassifier>> model =
      sentiment::PolarityClassifier::Train(*data, options);
  if (!model.ok()) {
    return Fail(model.status());
  }
  if (Status s = (*model)->Save(flags.out); !s.ok()) {
    return Fail(s);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "train sentiment: " << data->size() << " examples, " << secs << " s -> " << flags.out
            << "\n";
  return 0;
}

int RunEvalSentiment(const EvalSentimentFlags& flags) {
  Result<std::vector<sentiment::SentimentExample>> data = sentiment::ReadSentimentTsv(flags.data);
  if (!data.ok()) {
    return Fail(data.status());
  }
  if (data->empty()) {
    return Fail(InvalidArgumentError(flags.data + " holds no examples"));
  }
  Result<std::unique_ptr<sentiment::PolarityClassifier>> model =
      sentiment::PolarityClassifier::Load(flags.model);
  if (!model.ok()) {
    return Fail(model.status());
  }
  // Public sets often have no neutral class: then the prediction is the likelier of negative and
  // positive, and the metrics are over those two.
  const bool binary =
      std::none_of(data->begin(), data->end(), [](const auto& e) { return e.label == "neutral"; });
  std::array<std::array<int64_t, 3>, 3> confusion{};  // [gold][predicted]
  const size_t n = data->size();
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) {
    const sentiment::SentimentExample& e = (*data)[i];
    const sentiment::PolarityPrediction p = (*model)->Predict(e.text);
    std::string predicted = p.label;
    if (binary) {
      predicted = p.negative >= p.positive ? "negative" : "positive";
    }
    ++confusion[LabelIndex(e.label)][LabelIndex(predicted)];
    if (n >= 1'000 && (i + 1) % (n / 10) == 0) {
      std::fprintf(stderr, "\r  %zu/%zu (%zu%%)", i + 1, n, (i + 1) * 100 / n);
    }
  }
  if (n >= 1'000) {
    std::fprintf(stderr, "\n");
  }
  const double micros =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      static_cast<double>(n);
  int64_t correct = 0;
  for (int i = 0; i < 3; ++i) {
    correct += confusion[i][i];
  }
  const double accuracy = static_cast<double>(correct) / static_cast<double>(n);
  double f1_sum = 0;
  int classes = 0;
  nlohmann::json per_label = nlohmann::json::object();
  for (int c = 0; c < 3; ++c) {
    if (binary && c == 1) {
      continue;
    }
    int64_t gold = 0;
    int64_t predicted = 0;
    for (int k = 0; k < 3; ++k) {
      gold += confusion[c][k];
      predicted += confusion[k][c];
    }
    const double precision = predicted == 0 ? 0 : static_cast<double>(confusion[c][c]) / predicted;
    const double recall = gold == 0 ? 0 : static_cast<double>(confusion[c][c]) / gold;
    const double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    per_label[kLabels[c]] = {{"precision", precision}, {"recall", recall}, {"f1", f1}, {"n", gold}};
    f1_sum += f1;
    ++classes;
  }
  const double macro_f1 = f1_sum / classes;
  std::printf("%zu examples (%s)\n", n, binary ? "negative/positive" : "negative/neutral/positive");
  std::printf("accuracy %.4f  macro-F1 %.4f  %.1f us per message\n", accuracy, macro_f1, micros);
  std::printf("\nconfusion (rows gold, columns predicted)\n%-10s", "");
  for (int c = 0; c < 3; ++c) {
    if (!(binary && c == 1)) {
      std::printf("%10s", kLabels[c]);
    }
  }
  std::printf("\n");
  for (int g = 0; g < 3; ++g) {
    if (binary && g == 1) {
      continue;
    }
    std::printf("%-10s", kLabels[g]);
    for (int c = 0; c < 3; ++c) {
      if (!(binary && c == 1)) {
        std::printf("%10lld", static_cast<long long>(confusion[g][c]));
      }
    }
    std::printf("\n");
  }
  std::printf("\n%s\n", nlohmann::json{{"accuracy", accuracy},
                                       {"macro_f1", macro_f1},
                                       {"n", n},
                                       {"binary", binary},
                                       {"us_per_message", micros},
                                       {"labels", per_label}}
                            .dump()
                            .c_str());
  return 0;
}

}  // namespace kefu::app
