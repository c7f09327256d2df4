#include "sentiment/classifier.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>

#include "core/strings.h"
#include "text/normalize.h"

namespace kefu::sentiment {
namespace {

// negative / neutral / positive, or 0 / 1; "" for anything else.
std::string CanonicalLabel(std::string_view raw) {
  const std::string_view label = TrimAsciiSpace(raw);
  if (label == "negative" || label == "neutral" || label == "positive") {
    return std::string(label);
  }
  if (label == "0") {
    return "negative";
  }
  if (label == "1") {
    return "positive";
  }
  return "";
}

// The polarity an emotion label implies; "" for an unknown emotion.
std::string PolarityOfEmotion(std::string_view emotion) {
  if (emotion == "anger" || emotion == "anxiety" || emotion == "disappointment") {
    return "negative";
  }
  if (emotion == "neutral") {
    return "neutral";
  }
  if (emotion == "satisfaction") {
    return "positive";
  }
  return "";
}

}  // namespace

Result<std::vector<SentimentExample>> ReadSentimentTsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError("cannot open " + path);
  }
  std::vector<SentimentExample> out;
  std::string line;
  bool project_format = false;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) {
      line.erase(0, 3);  // a UTF-8 byte-order mark
    }
    if (line.empty()) {
      continue;
    }
    const std::vector<std::string_view> cols = SplitOn(line, '\t');
    if (line_no == 1 && line == "lang\tpolarity\temotion\ttext") {
      project_format = true;
      continue;
    }
    SentimentExample e;
    std::string raw_text;
    if (project_format) {
      if (cols.size() != 4) {
        return InvalidArgumentError(path + ":" + std::to_string(line_no) +
                                    ": expected 4 columns (lang, polarity, emotion, text)");
      }
      e.lang = cols[0];
      e.label = CanonicalLabel(cols[1]);
      e.emotion = cols[2];
      raw_text = cols[3];
    } else {
      if (cols.size() < 2) {
        return InvalidArgumentError(path + ":" + std::to_string(line_no) +
                                    ": expected text<TAB>label");
      }
      e.label = CanonicalLabel(cols[1]);
      raw_text = cols[0];
      if (e.label.empty() && line_no == 1) {
        continue;  // a header such as "sentence<TAB>label"
      }
    }
    if (e.label.empty()) {
      return InvalidArgumentError(path + ":" + std::to_string(line_no) +
                                  ": the label must be negative, neutral, positive, 0 or 1");
    }
    if (project_format && PolarityOfEmotion(e.emotion) != e.label) {
      return InvalidArgumentError(path + ":" + std::to_string(line_no) + ": emotion '" + e.emotion +
                                  "' does not go with polarity '" + e.label + "'");
    }
    e.text = text::Normalize(raw_text).text;
    if (e.text.empty()) {
      continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

constexpr char kModelMagic[8] = {'K', 'E', 'F', 'U', 'S', 'E', 'N', '1'};
constexpr std::array<std::string_view, 3> kPolarities = {"negative", "neutral", "positive"};
constexpr size_t kNeg = 0;
constexpr size_t kNeu = 1;
constexpr size_t kPos = 2;
// Log-probabilities below this floor carry no more information (and would dominate the stacker).
constexpr double kLogFloor = -9.2;  // log(1e-4)
// An explicit threat is anger at least this intense.
constexpr double kThreatAnger = 0.9;
// See Combine.
constexpr double kAngerFloor = 0.3;
constexpr double kAngerWeight = 2.0;

// Emotion names in Emotion order.
std::string_view EmotionLabel(size_t e) {
  return EmotionName(static_cast<Emotion>(e));
}

double ScaledLog(double p) {
  return std::max(std::log(std::max(p, 1e-12)), kLogFloor) / 4.0;
}

PolarityPrediction PredictWith(const nlu::IntentClassifier& classifier, bool emotion_labels,
                               std::string_view text) {
  const nlu::IntentPrediction p =
      classifier.Predict(text, static_cast<int>(classifier.labels().size()));
  PolarityPrediction out;
  auto put = [&](std::string label, double prob) {
    if (emotion_labels) {
      for (size_t e = 0; e < kEmotionCount; ++e) {
        if (label == EmotionLabel(e)) {
          out.emotions[e] = prob;
        }
      }
      label = PolarityOfEmotion(label);
    }
    if (label == "negative") {
      out.negative += prob;
    } else if (label == "neutral") {
      out.neutral += prob;
    } else if (label == "positive") {
      out.positive += prob;
    }
  };
  put(p.intent, p.confidence);
  for (const auto& [label, prob] : p.alternatives) {
    put(label, prob);
  }
  out.label = out.negative >= out.neutral && out.negative >= out.positive ? "negative"
              : out.positive >= out.neutral                               ? "positive"
                                                                          : "neutral";
  return out;
}

Result<std::unique_ptr<nlu::IntentClassifier>> TrainClassifier(
    const std::vector<SentimentExample>& examples, const std::vector<size_t>& rows,
    bool emotion_labels, const nlu::TrainOptions& options) {
  std::vector<nlu::IntentExample> train;
  train.reserve(rows.size());
  for (size_t i : rows) {
    const SentimentExample& e = examples[i];
    train.push_back({e.text, emotion_labels ? e.emotion : e.label});
  }
  return nlu::IntentClassifier::Train(train, options);
}

// Multinomial logistic regression, full batch, Adagrad, class-balanced, L2 on the weights (not
// the bias, feature 0). Returns classes x kFeatures weights.
std::vector<double> FitSoftmax(const std::vector<std::array<double, SentimentModel::kFeatures>>& x,
                               const std::vector<int>& y, size_t classes) {
  constexpr size_t F = SentimentModel::kFeatures;
  constexpr int kIterations = 400;
  constexpr double kRate = 0.3;
  constexpr double kL2 = 1e-3;
  std::vector<double> w(classes * F, 0.0);
  std::vector<double> g2(classes * F, 1e-8);
  std::vector<double> count(classes, 0.0);
  for (int c : y) {
    if (c >= 0) {
      count[static_cast<size_t>(c)] += 1;
    }
  }
  std::vector<double> class_weight(classes, 0.0);
  double n = 0;
  for (size_t c = 0; c < classes; ++c) {
    n += count[c];
  }
  size_t present = 0;
  for (size_t c = 0; c < classes; ++c) {
    present += count[c] > 0 ? 1 : 0;
  }
  for (size_t c = 0; c < classes; ++c) {
    class_weight[c] = count[c] > 0 ? n / (static_cast<double>(present) * count[c]) : 0.0;
  }
  std::vector<double> grad(classes * F);
  std::vector<double> z(classes);
  for (int it = 0; it < kIterations; ++it) {
    std::fill(grad.begin(), grad.end(), 0.0);
    for (size_t i = 0; i < x.size(); ++i) {
      if (y[i] < 0) {
        continue;
      }
      double top = -1e300;
      for (size_t c = 0; c < classes; ++c) {
        z[c] = 0;
        for (size_t f = 0; f < F; ++f) {
          z[c] += w[c * F + f] * x[i][f];
        }
        top = std::max(top, z[c]);
      }
      double sum = 0;
      for (size_t c = 0; c < classes; ++c) {
        z[c] = std::exp(z[c] - top);
        sum += z[c];
      }
      const double cw = class_weight[static_cast<size_t>(y[i])];
      for (size_t c = 0; c < classes; ++c) {
        const double d = cw * (z[c] / sum - (static_cast<int>(c) == y[i] ? 1.0 : 0.0));
        for (size_t f = 0; f < F; ++f) {
          grad[c * F + f] += d * x[i][f];
        }
      }
    }
    for (size_t k = 0; k < w.size(); ++k) {
      double g = grad[k] / std::max(n, 1.0);
      if (k % F != 0) {
        g += kL2 * w[k];
      }
      g2[k] += g * g;
      w[k] -= kRate * g / std::sqrt(g2[k]);
    }
  }
  return w;
}

std::vector<double> Softmax(const std::vector<double>& w,
                            const std::array<double, SentimentModel::kFeatures>& x,
                            size_t classes) {
  constexpr size_t F = SentimentModel::kFeatures;
  std::vector<double> z(classes);
  double top = -1e300;
  for (size_t c = 0; c < classes; ++c) {
    for (size_t f = 0; f < F; ++f) {
      z[c] += w[c * F + f] * x[f];
    }
    top = std::max(top, z[c]);
  }
  double sum = 0;
  for (double& v : z) {
    v = std::exp(v - top);
    sum += v;
  }
  for (double& v : z) {
    v /= sum;
  }
  return z;
}

}  // namespace

std::array<double, SentimentModel::kFeatures> SentimentModel::Features(
    const SentimentResult& lexicon, const PolarityPrediction& p) const {
  const double score = std::clamp(lexicon.score, -0.999, 0.999);
  const double total = 2.0 * std::atanh(score);  // the lexicon's raw sum (tanh(sum / 2))
  const bool silent = lexicon.score == 0.0 && lexicon.emotion == Emotion::kNeutral;
  std::array<double, kFeatures> x{};
  x[0] = 1.0;
  x[1] = std::clamp(total, -6.0, 6.0) / 3.0;
  x[2] = silent ? 1.0 : 0.0;
  x[3] = lexicon.threat ? 1.0 : 0.0;
  x[4] = lexicon.EmotionIntensity(Emotion::kAnger);
  x[5] = lexicon.EmotionIntensity(Emotion::kAnxiety);
  x[6] = lexicon.EmotionIntensity(Emotion::kDisappointment);
  x[7] = lexicon.EmotionIntensity(Emotion::kSatisfaction);
  x[8] = ScaledLog(p.negative);
  x[9] = ScaledLog(p.neutral);
  x[10] = ScaledLog(p.positive);
  if (emotion_labels_) {
    x[11] = ScaledLog(p.emotions[static_cast<size_t>(Emotion::kAnger)]);
    x[12] = ScaledLog(p.emotions[static_cast<size_t>(Emotion::kAnxiety)]);
    x[13] = ScaledLog(p.emotions[static_cast<size_t>(Emotion::kDisappointment)]);
  }
  return x;
}

namespace {

// The epoch count for `examples` when none is given: each of kEpochChoices trains on 90% of the
// shuffled examples (`order`) and is scored on the other 10%; the best wins, the fewest epochs on
// a tie. Large sets overfit in 30 epochs (a 50,000-review set peaks at 3 to 5), small ones need
// them.
constexpr std::array<int, 3> kEpochChoices = {3, 10, 30};

Result<int> ChooseEpochs(const std::vector<SentimentExample>& examples,
                         const std::vector<size_t>& order, bool emotion_labels,
                         const SentimentTrainOptions& options) {
  const size_t validation = order.size() / 10;
  if (validation < 50) {
    return kEpochChoices.back();
  }
  const std::vector<size_t> dev(order.begin(),
                                order.begin() + static_cast<std::ptrdiff_t>(validation));
  const std::vector<size_t> train(order.begin() + static_cast<std::ptrdiff_t>(validation),
                                  order.end());
  int best = kEpochChoices.back();
  size_t best_correct = 0;
  for (int epochs : kEpochChoices) {
    nlu::TrainOptions o = options.classifier;
    o.epochs = epochs;
    o.progress = nullptr;
    KEFU_ASSIGN_OR_RETURN(std::unique_ptr<nlu::IntentClassifier> c,
                          TrainClassifier(examples, train, emotion_labels, o));
    size_t correct = 0;
    for (size_t i : dev) {
      correct += PredictWith(*c, emotion_labels, examples[i].text).label == examples[i].label;
    }
    if (options.epoch_progress) {
      options.epoch_progress(epochs,
                             static_cast<double>(correct) / static_cast<double>(dev.size()));
    }
    if (correct > best_correct) {
      best_correct = correct;
      best = epochs;
    }
  }
  return best;
}

}  // namespace

Result<std::unique_ptr<SentimentModel>> SentimentModel::Train(
    const std::vector<SentimentExample>& examples, const SentimentTrainOptions& options,
    const SentimentAnalyzer& lexicon) {
  auto model = std::unique_ptr<SentimentModel>(new SentimentModel());
  model->emotion_labels_ =
      !examples.empty() && std::all_of(examples.begin(), examples.end(), [](const auto& e) {
        return !PolarityOfEmotion(e.emotion).empty();
      });
  std::vector<size_t> all(examples.size());
  std::iota(all.begin(), all.end(), 0);
  std::vector<size_t> order = all;
  std::mt19937_64 rng(options.classifier.seed);
  std::shuffle(order.begin(), order.end(), rng);
  nlu::TrainOptions classifier_options = options.classifier;
  if (classifier_options.epochs <= 0) {
    KEFU_ASSIGN_OR_RETURN(classifier_options.epochs,
                          ChooseEpochs(examples, order, model->emotion_labels_, options));
  }
  model->epochs_ = classifier_options.epochs;
  KEFU_ASSIGN_OR_RETURN(model->classifier_,
                        TrainClassifier(examples, all, model->emotion_labels_, classifier_options));
  if (options.folds < 2 || examples.size() < static_cast<size_t>(options.folds) * 10) {
    return model;
  }
  // Out-of-fold predictions: each example is read by a classifier that never saw it.
  std::vector<PolarityPrediction> oof(examples.size());
  nlu::TrainOptions fold_options = classifier_options;
  fold_options.progress = nullptr;
  for (int f = 0; f < options.folds; ++f) {
    if (options.fold_progress) {
      options.fold_progress(f + 1, options.folds);
    }
    std::vector<size_t> train_rows;
    std::vector<size_t> test_rows;
    for (size_t k = 0; k < order.size(); ++k) {
      (static_cast<int>(k % static_cast<size_t>(options.folds)) == f ? test_rows : train_rows)
          .push_back(order[k]);
    }
    KEFU_ASSIGN_OR_RETURN(
        std::unique_ptr<nlu::IntentClassifier> fold,
        TrainClassifier(examples, train_rows, model->emotion_labels_, fold_options));
    for (size_t i : test_rows) {
      oof[i] = PredictWith(*fold, model->emotion_labels_, examples[i].text);
    }
  }
  std::vector<std::array<double, kFeatures>> x(examples.size());
  std::vector<int> polarity(examples.size(), -1);
  std::vector<int> emotion(examples.size(), -1);
  for (size_t i = 0; i < examples.size(); ++i) {
    x[i] = model->Features(lexicon.Analyze(examples[i].text), oof[i]);
    for (size_t c = 0; c < kPolarities.size(); ++c) {
      if (examples[i].label == kPolarities[c]) {
        polarity[i] = static_cast<int>(c);
      }
    }
    for (size_t e = 0; e < kEmotionCount; ++e) {
      if (examples[i].emotion == EmotionLabel(e)) {
        emotion[i] = static_cast<int>(e);
      }
    }
  }
  model->polarity_weights_ = FitSoftmax(x, polarity, kPolarities.size());
  if (model->emotion_labels_) {
    model->emotion_weights_ = FitSoftmax(x, emotion, kEmotionCount);
  }
  return model;
}

PolarityPrediction SentimentModel::Predict(std::string_view normalized_text) const {
  return PredictWith(*classifier_, emotion_labels_, normalized_text);
}

SentimentResult SentimentModel::Combine(std::string_view normalized_text,
                                        SentimentResult lexicon) const {
  const PolarityPrediction p = Predict(normalized_text);
  SentimentResult r = std::move(lexicon);
  std::array<double, 3> pol{p.negative, p.neutral, p.positive};
  const std::array<double, kFeatures> x = Features(r, p);
  if (has_stacker()) {
    const std::vector<double> s = Softmax(polarity_weights_, x, kPolarities.size());
    pol = {s[0], s[1], s[2]};
  }
  const size_t best = pol[kNeg] >= pol[kNeu] && pol[kNeg] >= pol[kPos] ? kNeg
                      : pol[kPos] >= pol[kNeu]                         ? kPos
                                                                       : kNeu;
  r.polarity = best == kNeg   ? Polarity::kNegative
               : best == kPos ? Polarity::kPositive
                              : Polarity::kNeutral;
  r.score = pol[kPos] - pol[kNeg];
  if (r.threat) {
    r.polarity = Polarity::kNegative;
    r.score = std::min(r.score, -0.5);
  }

  // Emotions: the stacker's distribution when the model knows emotions, else the lexicon's.
  std::array<double, kEmotionCount> emo = r.emotions;
  if (!emotion_weights_.empty()) {
    const std::vector<double> s = Softmax(emotion_weights_, x, kEmotionCount);
    std::copy(s.begin(), s.end(), emo.begin());
  }
  constexpr auto kAngerIdx = static_cast<size_t>(Emotion::kAnger);
  if (r.threat) {
    emo[kAngerIdx] = std::max({emo[kAngerIdx], r.EmotionIntensity(Emotion::kAnger), kThreatAnger});
  }
  // The emotion follows the polarity (data/sentiment/README.md): negative is anger, anxiety or
  // disappointment, positive is satisfaction, neutral is neutral.
  // Missing anger costs more than a false alarm: the shopper who is left with the bot gets
  // angrier. A message the emotion stacker finds at least kAngerFloor angry is negative (a
  // polarity-only model has no such stacker: the lexicon's anger alone does not flip it), and anger
  // weighs kAngerWeight times against anxiety and disappointment when the emotion is picked.
  // Both were chosen by 5-fold cross-validation on the project's own messages (anger recall
  // 0.76 -> 0.87 at precision 0.92 -> 0.84, polarity accuracy 0.872 -> 0.879).
  if (!emotion_weights_.empty() && !r.threat && r.polarity != Polarity::kNegative &&
      emo[kAngerIdx] >= kAngerFloor) {
    r.polarity = Polarity::kNegative;
    r.score = std::min(r.score, -emo[kAngerIdx]);
  }
  Emotion emotion = Emotion::kNeutral;
  if (r.polarity == Polarity::kNegative) {
    emotion = r.threat ? Emotion::kAnger : Emotion::kDisappointment;
    if (!r.threat) {
      auto weighed = [&emo](Emotion e) {
        return emo[static_cast<size_t>(e)] * (e == Emotion::kAnger ? kAngerWeight : 1.0);
      };
      for (Emotion e : {Emotion::kAnger, Emotion::kAnxiety}) {
        if (weighed(e) > weighed(emotion)) {
          emotion = e;
        }
      }
    }
  } else if (r.polarity == Polarity::kPositive) {
    emotion = Emotion::kSatisfaction;
  }
  r.emotions = emo;
  r.emotion = emotion;
  r.intensity = emotion == Emotion::kNeutral ? 0.0 : emo[static_cast<size_t>(emotion)];
  return r;
}

Status SentimentModel::Save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    return UnavailableError("cannot write model '" + path + "'");
  }
  auto put_u64 = [&](uint64_t v) { out.write(reinterpret_cast<const char*>(&v), sizeof(v)); };
  auto put_doubles = [&](const std::vector<double>& v) {
    put_u64(v.size());
    out.write(reinterpret_cast<const char*>(v.data()),
              static_cast<std::streamsize>(v.size() * sizeof(double)));
  };
  out.write(kModelMagic, sizeof(kModelMagic));
  put_u64(emotion_labels_ ? 1 : 0);
  put_doubles(polarity_weights_);
  put_doubles(emotion_weights_);
  KEFU_RETURN_IF_ERROR(classifier_->Save(out, path));
  out.flush();
  if (!out) {
    return UnavailableError("write failed for model '" + path + "'");
  }
  return OkStatus();
}

Result<std::unique_ptr<SentimentModel>> SentimentModel::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError("sentiment model '" + path + "' does not exist");
  }
  auto bad = [&](const std::string& what) {
    return InvalidArgumentError("sentiment model '" + path + "': " + what);
  };
  char magic[8];
  in.read(magic, sizeof(magic));
  if (!in || !std::equal(magic, magic + 8, kModelMagic)) {
    return bad("not a kefu sentiment model (train one with `kefu train sentiment`)");
  }
  auto get_u64 = [&](uint64_t& v) { return bool(in.read(reinterpret_cast<char*>(&v), sizeof(v))); };
  auto get_doubles = [&](std::vector<double>& v, uint64_t classes) {
    uint64_t n = 0;
    if (!get_u64(n) || (n != 0 && n != classes * kFeatures)) {
      return false;
    }
    v.resize(n);
    return bool(in.read(reinterpret_cast<char*>(v.data()),
                        static_cast<std::streamsize>(n * sizeof(double))));
  };
  auto model = std::unique_ptr<SentimentModel>(new SentimentModel());
  uint64_t flags = 0;
  if (!get_u64(flags) || flags > 1) {
    return bad("bad header");
  }
  model->emotion_labels_ = flags == 1;
  if (!get_doubles(model->polarity_weights_, kPolarities.size()) ||
      !get_doubles(model->emotion_weights_, kEmotionCount)) {
    return bad("bad stacker weights");
  }
  KEFU_ASSIGN_OR_RETURN(model->classifier_, nlu::IntentClassifier::Load(in, path));
  for (const std::string& label : model->classifier_->labels()) {
    const bool known = model->emotion_labels_ ? !PolarityOfEmotion(label).empty()
                                              : std::find(kPolarities.begin(), kPolarities.end(),
                                                          label) != kPolarities.end();
    if (!known) {
      return bad("unknown label '" + label + "'");
    }
  }
  return model;
}

namespace {

// The engine's analyzer: the lexicon reads the message, the model has the last word.
class CombinedAnalyzer final : public SentimentAnalyzer {
 public:
  CombinedAnalyzer(std::unique_ptr<SentimentAnalyzer> lexicon,
                   std::unique_ptr<SentimentModel> model)
      : lexicon_(std::move(lexicon)), model_(std::move(model)) {}

  SentimentResult Analyze(std::string_view normalized_text) const override {
    return model_->Combine(normalized_text, lexicon_->Analyze(normalized_text));
  }
  SentimentResult Analyze(const text::NormalizedText& text) const override {
    return model_->Combine(text.text, lexicon_->Analyze(text));
  }

 private:
  std::unique_ptr<SentimentAnalyzer> lexicon_;
  std::unique_ptr<SentimentModel> model_;
};

}  // namespace

Result<std::unique_ptr<SentimentAnalyzer>> NewSentimentAnalyzer(const std::string& lexicon_dir,
                                                                const std::string& model_path) {
  KEFU_ASSIGN_OR_RETURN(std::unique_ptr<SentimentAnalyzer> lexicon,
                        NewLexiconAnalyzer(lexicon_dir));
  KEFU_ASSIGN_OR_RETURN(std::unique_ptr<SentimentModel> model, SentimentModel::Load(model_path));
  return std::unique_ptr<SentimentAnalyzer>(
      std::make_unique<CombinedAnalyzer>(std::move(lexicon), std::move(model)));
}

}  // namespace kefu::sentiment
