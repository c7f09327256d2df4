// kefu train sentiment / kefu eval sentiment: the sentiment model from sentiment TSV files
// (sentiment/classifier.h reads both the project's format and public text<TAB>label sets), and
// its accuracy: polarity always, emotions when the data has them.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "charts.h"
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

int EmotionIndex(const std::string& emotion) {
  for (size_t e = 0; e < sentiment::kEmotionCount; ++e) {
    if (emotion == sentiment::EmotionName(static_cast<sentiment::Emotion>(e))) {
      return static_cast<int>(e);
    }
  }
  return -1;
}

// Precision, recall and F1 of class `c` from a square confusion matrix [gold][predicted].
template <size_t N>
nlu::LabelScore Score(const std::array<std::array<int64_t, N>, N>& confusion, size_t c) {
  int64_t gold = 0;
  int64_t predicted = 0;
  for (size_t k = 0; k < N; ++k) {
    gold += confusion[c][k];
    predicted += confusion[k][c];
  }
  nlu::LabelScore s;
  s.support = static_cast<int>(gold);
  s.precision = predicted == 0 ? 0 : static_cast<double>(confusion[c][c]) / predicted;
  s.recall = gold == 0 ? 0 : static_cast<double>(confusion[c][c]) / gold;
  s.f1 = s.precision + s.recall == 0 ? 0 : 2 * s.precision * s.recall / (s.precision + s.recall);
  return s;
}

// The reader `kefu eval sentiment --reader` names: what it makes of one normalized message.
struct Reader {
  std::unique_ptr<sentiment::SentimentAnalyzer> analyzer;  // lexicon or combined
  std::unique_ptr<sentiment::SentimentModel> model;        // --reader model
};

}  // namespace

int RunTrainSentiment(const TrainSentimentFlags& flags) {
  std::vector<sentiment::SentimentExample> data;
  for (const std::string& path : flags.data) {
    Result<std::vector<sentiment::SentimentExample>> rows = sentiment::ReadSentimentTsv(path);
    if (!rows.ok()) {
      return Fail(rows.status());
    }
    std::cerr << "  " << path << ": " << rows->size() << " examples\n";
    data.insert(data.end(), rows->begin(), rows->end());
  }
  Result<std::unique_ptr<sentiment::SentimentAnalyzer>> lexicon =
      sentiment::NewLexiconAnalyzer(flags.lexicon);
  if (!lexicon.ok()) {
    return Fail(lexicon.status());
  }
  sentiment::SentimentTrainOptions options;
  options.classifier.epochs = flags.epochs;
  options.folds = flags.folds;
  options.classifier.progress = [](int epoch, int epochs, double loss) {
    std::fprintf(stderr, "\r  classifier epoch %2d/%d  loss %.4f", epoch, epochs, loss);
    if (epoch == epochs) {
      std::fprintf(stderr, "\n");
    }
  };
  options.epoch_progress = [](int epochs, double accuracy) {
    std::fprintf(stderr, "  epochs %2d: validation accuracy %.4f\n", epochs, accuracy);
  };
  options.fold_progress = [](int fold, int folds) {
    std::fprintf(stderr, "\r  stacker: out-of-fold classifier %d/%d", fold, folds);
    if (fold == folds) {
      std::fprintf(stderr, "\n");
    }
  };
  const auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<sentiment::SentimentModel>> model =
      sentiment::SentimentModel::Train(data, options, **lexicon);
  if (!model.ok()) {
    return Fail(model.status());
  }
  if (Status s = (*model)->Save(flags.out); !s.ok()) {
    return Fail(s);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "train sentiment: " << data.size() << " examples ("
            << ((*model)->has_emotions() ? "emotions" : "polarity") << " labels"
            << ((*model)->has_stacker() ? ", lexicon stacked" : "") << ", " << (*model)->epochs()
            << " epochs), " << secs << " s -> " << flags.out << "\n";
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
  Reader reader;
  if (flags.reader == "lexicon") {
    Result<std::unique_ptr<sentiment::SentimentAnalyzer>> a =
        sentiment::NewLexiconAnalyzer(flags.lexicon);
    if (!a.ok()) {
      return Fail(a.status());
    }
    reader.analyzer = std::move(a).value();
  } else if (flags.reader == "model") {
    Result<std::unique_ptr<sentiment::SentimentModel>> m =
        sentiment::SentimentModel::Load(flags.model);
    if (!m.ok()) {
      return Fail(m.status());
    }
    reader.model = std::move(m).value();
  } else {
    Result<std::unique_ptr<sentiment::SentimentAnalyzer>> a =
        sentiment::NewSentimentAnalyzer(flags.lexicon, flags.model);
    if (!a.ok()) {
      return Fail(a.status());
    }
    reader.analyzer = std::move(a).value();
  }

  // Public sets often have no neutral class: then the prediction is the likelier of negative and
  // positive, and the metrics are over those two.
  const bool binary =
      std::none_of(data->begin(), data->end(), [](const auto& e) { return e.label == "neutral"; });
  const bool with_emotions =
      std::all_of(data->begin(), data->end(), [](const auto& e) { return !e.emotion.empty(); });
  std::array<std::array<int64_t, 3>, 3> confusion{};  // [gold][predicted]
  std::array<std::array<int64_t, sentiment::kEmotionCount>, sentiment::kEmotionCount> emo{};
  std::vector<double> micros;
  const size_t n = data->size();
  std::ofstream predictions;
  if (!flags.predictions.empty()) {
    predictions.open(flags.predictions, std::ios::binary);
    if (!predictions) {
      return Fail(UnavailableError("cannot write " + flags.predictions));
    }
    predictions << "gold\tgold_emotion\tpolarity\temotion\tscore\tanger\tthreat\ttext\n";
  }
  micros.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const sentiment::SentimentExample& e = (*data)[i];
    std::string predicted;
    int predicted_emotion = -1;
    const auto start = std::chrono::steady_clock::now();
    if (reader.model != nullptr) {
      const sentiment::PolarityPrediction p = reader.model->Predict(e.text);
      predicted = binary ? (p.negative >= p.positive ? "negative" : "positive") : p.label;
    } else {
      const sentiment::SentimentResult r = reader.analyzer->Analyze(e.text);
      predicted = std::string(sentiment::PolarityName(r.polarity));
      if (binary) {
        // The likelier side: the score's sign, the lexicon's negative lean when it is silent.
        predicted = r.score > 0 ? "positive" : "negative";
      }
      predicted_emotion = static_cast<int>(r.emotion);
      if (predictions) {
        predictions << e.label << '\t' << e.emotion << '\t' << sentiment::PolarityName(r.polarity)
                    << '\t' << sentiment::EmotionName(r.emotion) << '\t' << r.score << '\t'
                    << r.EmotionIntensity(sentiment::Emotion::kAnger) << '\t' << (r.threat ? 1 : 0)
                    << '\t' << e.text << '\n';
      }
    }
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    ++confusion[LabelIndex(e.label)][LabelIndex(predicted)];
    if (with_emotions && predicted_emotion >= 0 && EmotionIndex(e.emotion) >= 0) {
      ++emo[EmotionIndex(e.emotion)][predicted_emotion];
    }
    if (n >= 1'000 && (i + 1) % (n / 10) == 0) {
      std::fprintf(stderr, "\r  %zu/%zu (%zu%%)", i + 1, n, (i + 1) * 100 / n);
    }
  }
  if (n >= 1'000) {
    std::fprintf(stderr, "\n");
  }
  std::vector<double> sorted = micros;
  std::sort(sorted.begin(), sorted.end());
  double total_us = 0;
  for (double m : micros) {
    total_us += m;
  }
  const double mean_us = total_us / static_cast<double>(n);
  const double p50_us = sorted[n / 2];
  const double p99_us = sorted[std::min(n - 1, n * 99 / 100)];

  int64_t correct = 0;
  for (int i = 0; i < 3; ++i) {
    correct += confusion[i][i];
  }
  const double accuracy = static_cast<double>(correct) / static_cast<double>(n);
  double f1_sum = 0;
  int classes = 0;
  std::map<std::string, nlu::LabelScore> chart;
  nlohmann::json per_label = nlohmann::json::object();
  for (size_t c = 0; c < 3; ++c) {
    if (binary && c == 1) {
      continue;
    }
    const nlu::LabelScore s = Score(confusion, c);
    chart[kLabels[c]] = s;
    per_label[kLabels[c]] = {
        {"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}, {"n", s.support}};
    f1_sum += s.f1;
    ++classes;
  }
  const double macro_f1 = f1_sum / classes;
  std::printf("%zu examples (%s), reader %s\n", n,
              binary ? "negative/positive" : "negative/neutral/positive", flags.reader.c_str());
  std::printf("accuracy %.4f  macro-F1 %.4f  %.1f us per message (p50 %.1f, p99 %.1f)\n", accuracy,
              macro_f1, mean_us, p50_us, p99_us);
  std::printf("\nconfusion (rows gold, columns predicted)\n%-15s", "");
  for (size_t c = 0; c < 3; ++c) {
    if (!(binary && c == 1)) {
      std::printf("%15s", kLabels[c]);
    }
  }
  std::printf("\n");
  for (size_t g = 0; g < 3; ++g) {
    if (binary && g == 1) {
      continue;
    }
    std::printf("%-15s", kLabels[g]);
    for (size_t c = 0; c < 3; ++c) {
      if (!(binary && c == 1)) {
        std::printf("%15lld", static_cast<long long>(confusion[g][c]));
      }
    }
    std::printf("\n");
  }
  nlohmann::json summary = {
      {"accuracy", accuracy}, {"macro_f1", macro_f1},   {"n", n},
      {"binary", binary},     {"reader", flags.reader}, {"us_per_message", mean_us},
      {"p50_us", p50_us},     {"p99_us", p99_us},       {"labels", per_label}};

  const bool emotions_measured = with_emotions && reader.model == nullptr;
  if (emotions_measured) {
    int64_t emo_correct = 0;
    std::printf("\nemotions (rows gold, columns predicted)\n%-15s", "");
    for (size_t c = 0; c < sentiment::kEmotionCount; ++c) {
      std::printf("%15s",
                  std::string(sentiment::EmotionName(static_cast<sentiment::Emotion>(c))).c_str());
    }
    std::printf("\n");
    nlohmann::json per_emotion = nlohmann::json::object();
    for (size_t g = 0; g < sentiment::kEmotionCount; ++g) {
      const std::string name(sentiment::EmotionName(static_cast<sentiment::Emotion>(g)));
      std::printf("%-15s", name.c_str());
      for (size_t c = 0; c < sentiment::kEmotionCount; ++c) {
        std::printf("%15lld", static_cast<long long>(emo[g][c]));
      }
      std::printf("\n");
      emo_correct += emo[g][g];
      const nlu::LabelScore s = Score(emo, g);
      chart["emotion: " + name] = s;
      per_emotion[name] = {
          {"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}, {"n", s.support}};
    }
    const nlu::LabelScore anger = Score(emo, static_cast<size_t>(sentiment::Emotion::kAnger));
    summary["emotion_accuracy"] = static_cast<double>(emo_correct) / static_cast<double>(n);
    summary["anger_recall"] = anger.recall;
    summary["anger_precision"] = anger.precision;
    summary["emotions"] = per_emotion;
    std::printf("emotion accuracy %.4f  anger recall %.4f  anger precision %.4f\n",
                summary["emotion_accuracy"].get<double>(), anger.recall, anger.precision);
  }

  // Per-label F1 as bars on the terminal; the same as a chart with --report.
  std::printf("\nF1 per label (each # is 0.02)\n");
  for (const auto& [label, s] : chart) {
    std::printf("%-24s %-50s %.3f (n=%d)\n", label.c_str(),
                std::string(static_cast<size_t>(s.f1 * 50), '#').c_str(), s.f1, s.support);
  }
  if (!flags.report.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(flags.report, ec);
    const std::string path = (std::filesystem::path(flags.report) / "sentiment_f1.html").string();
    std::ofstream(path) << F1ChartHtml("Sentiment F1 (" + flags.reader + "): " + flags.data, chart);
    std::ofstream((std::filesystem::path(flags.report) / "report.json").string())
        << summary.dump(2);
    std::fprintf(stderr, "report: %s\n", path.c_str());
  }
  std::printf("\n%s\n", summary.dump().c_str());
  return 0;
}

}  // namespace kefu::app
