// kefu train intent / kefu eval intent: train the intent model from TSV and measure it.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "charts.h"
#include "commands.h"
#include "core/clock.h"
#include "core/utf8.h"
#include "nlu/intent_classifier.h"
#include "nlu/intent_data.h"
#include "nlu/keywords.h"
#include "nlu/understanding.h"
#include "text/normalize.h"
#include "text/pinyin.h"
#include "text/segmenter.h"

namespace kefu::app {
namespace {

Result<std::vector<nlu::LabeledText>> LoadRows(const std::string& path, const std::string& split) {
  KEFU_ASSIGN_OR_RETURN(std::vector<nlu::LabeledText> rows, nlu::LoadIntentTsv(path));
  KEFU_ASSIGN_OR_RETURN(nlu::DataSplit s, nlu::ParseDataSplit(split));
  return nlu::FilterSplit(rows, s);
}

std::vector<nlu::IntentExample> ToExamples(const std::vector<nlu::LabeledText>& rows) {
  std::vector<nlu::IntentExample> out;
  out.reserve(rows.size());
  for (const nlu::LabeledText& r : rows) {
    out.push_back({text::Normalize(r.text).text, r.label});
  }
  return out;
}

Result<nlu::FeatureSet> ParseFeatures(const std::string& list) {
  nlu::FeatureSet set;
  if (list == "none") {
    return set;
  }
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string name = list.substr(start, comma - start);
    if (name == "edges") {
      set.edges = true;
    } else if (name == "trigrams") {
      set.word_trigrams = true;
    } else if (name == "pinyin") {
      set.pinyin = true;
    } else if (name == "crossgrams") {
      set.cross_grams = true;
    } else {
      return InvalidArgumentError("--features: unknown feature family '" + name +
                                  "' (edges, trigrams, pinyin, crossgrams or none)");
    }
    start = comma + 1;
  }
  return set;
}

}  // namespace

int RunTrainIntent(const TrainIntentFlags& flags) {
  Result<nlu::FeatureSet> features = ParseFeatures(flags.features);
  if (!features.ok()) {
    return Fail(features.status());
  }
  if (features->pinyin && !text::PinyinStatus().ok()) {
    return Fail(text::PinyinStatus());
  }
  Result<std::vector<nlu::LabeledText>> rows = LoadRows(flags.data, flags.split);
  if (!rows.ok()) {
    return Fail(rows.status());
  }
  std::vector<nlu::IntentExample> train = ToExamples(*rows);
  std::vector<nlu::IntentExample> dev;
  if (!flags.dev.empty()) {
    Result<std::vector<nlu::LabeledText>> d = LoadRows(flags.dev, "all");
    if (!d.ok()) {
      return Fail(d.status());
    }
    dev = ToExamples(*d);
  } else if (flags.split == "train") {
    Result<std::vector<nlu::LabeledText>> d = LoadRows(flags.data, "dev");
    if (!d.ok()) {
      return Fail(d.status());
    }
    dev = ToExamples(*d);
  }
  if (flags.refit && dev.empty()) {
    return Fail(InvalidArgumentError(
        "--refit needs calibration rows: --split train (the file's dev rows) or --dev FILE"));
  }
  std::cerr << "train intent: " << train.size() << " examples";
  if (!dev.empty()) {
    std::cerr << ", " << dev.size() << " for calibration";
  }
  std::cerr << std::endl;
  nlu::TrainOptions options;
  options.epochs = flags.epochs;
  options.learning_rate = flags.learning_rate;
  options.l2 = flags.l2;
  options.use_idf = flags.idf;
  options.hidden = flags.hidden;
  options.hidden_epochs = flags.hidden_epochs;
  options.label_smoothing = flags.label_smoothing;
  options.features = *features;
  if (!flags.embeddings.empty()) {
    Result<std::shared_ptr<const nlu::WordVectors>> vectors =
        nlu::WordVectors::Load(flags.embeddings, flags.embeddings_max_words);
    if (!vectors.ok()) {
      return Fail(vectors.status());
    }
    options.vectors = *vectors;
    options.dense_hidden = flags.dense_hidden;
    options.dense_epochs = flags.dense_epochs;
    std::cerr << "train intent: " << (*vectors)->size() << " word vectors of " << (*vectors)->dims()
              << " dimensions from " << flags.embeddings << std::endl;
  }
  // Linear epochs first, then the hidden layer's, then the dense head's (each counted from 1).
  options.progress = [](int epoch, int epochs, double loss) {
    std::fprintf(stderr, "\r  epoch %2d/%d  loss %.4f", epoch, epochs, loss);
    if (epoch == epochs) {
      std::fprintf(stderr, "\n");
    }
  };
  const auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<nlu::IntentClassifier>> model =
      nlu::IntentClassifier::Train(train, options);
  if (!model.ok()) {
    return Fail(model.status());
  }
  // Without calibration rows the training rows stand in for the temperature and threshold; the
  // dense head's weight then keeps its default.
  (*model)->Calibrate(dev.empty() ? train : dev, flags.oos_label, flags.min_oos_recall,
                      /*fit_dense_weight=*/!dev.empty());
  if (flags.refit) {
    std::vector<nlu::IntentExample> both = train;
    both.insert(both.end(), dev.begin(), dev.end());
    std::cerr << "train intent: refit on " << both.size() << " examples" << std::endl;
    Result<std::unique_ptr<nlu::IntentClassifier>> refit =
        nlu::IntentClassifier::Train(both, options);
    if (!refit.ok()) {
      return Fail(refit.status());
    }
    (*refit)->UseCalibration(**model);
    model = std::move(refit);
  }
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::filesystem::path out(flags.out);
  if (out.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(out.parent_path(), ec);
  }
  if (Status s = (*model)->Save(flags.out); !s.ok()) {
    return Fail(s);
  }
  std::fprintf(stderr,
               "train intent: %zu labels, %zu features, %d hidden units, temperature %.2f, "
               "out-of-scope threshold %.2f, %.1f s -> %s\n",
               (*model)->labels().size(), (*model)->num_features(), (*model)->hidden_units(),
               (*model)->temperature(), (*model)->oos_threshold(), secs, flags.out.c_str());
  if ((*model)->vectors() != nullptr) {
    std::fprintf(stderr, "train intent: dense head of %d units over word vectors, weight %.3f\n",
                 (*model)->dense_hidden_units(), (*model)->dense_weight());
  }
  return 0;
}

int RunEvalIntent(const EvalIntentFlags& flags) {
  Result<std::vector<nlu::LabeledText>> rows = LoadRows(flags.data, flags.split);
  if (!rows.ok()) {
    return Fail(rows.status());
  }
  Result<std::unique_ptr<nlu::IntentClassifier>> model = nlu::IntentClassifier::Load(flags.model);
  if (!model.ok()) {
    return Fail(model.status());
  }
  std::ofstream predictions;
  if (!flags.predictions.empty()) {
    predictions.open(flags.predictions);
  }
  std::vector<std::string> gold, predicted;
  std::map<std::string, std::pair<int, int>> by_lang;  // lang -> (correct, total)
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < rows->size(); ++i) {
    const nlu::LabeledText& r = (*rows)[i];
    const std::string& label = r.label;
    const nlu::IntentPrediction p = (*model)->Predict(text::Normalize(r.text).text, 2);
    if (predictions) {
      // gold, predicted, confidence, the raw top label and its probability, the text
      const bool moved =
          p.out_of_scope && !p.alternatives.empty() && p.intent == (*model)->oos_label();
      predictions << label << '\t' << p.intent << '\t' << p.confidence << '\t'
                  << (moved ? p.alternatives[0].first : p.intent) << '\t'
                  << (moved ? p.alternatives[0].second : p.confidence) << '\t' << r.text << '\n';
    }
    gold.push_back(label);
    predicted.push_back(p.intent);
    if (!r.lang.empty()) {
      auto& [ok, n] = by_lang[r.lang];
      ok += p.intent == label ? 1 : 0;
      ++n;
    }
    if ((i + 1) % 1000 == 0 || i + 1 == rows->size()) {
      std::fprintf(stderr, "\r  evaluated %zu/%zu", i + 1, rows->size());
    }
  }
  std::fprintf(stderr, "\n");
  const double us_per =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      std::max<size_t>(rows->size(), 1);
  const nlu::IntentReport r = nlu::Evaluate(gold, predicted, flags.oos_label);
  std::printf("examples      %d\naccuracy      %.4f\nmacro_f1      %.4f\n", r.total, r.accuracy,
              r.macro_f1);
  if (r.has_oos) {
    std::printf("in_scope_acc  %.4f\noos_recall    %.4f\n", r.in_scope_accuracy, r.oos_recall);
  }
  for (const auto& [lang, c] : by_lang) {
    std::printf("accuracy[%s]  %.4f  (%d/%d)\n", lang.c_str(), double(c.first) / c.second, c.first,
                c.second);
  }
  std::printf("\n%-28s %9s %9s %9s %7s\n", "label", "precision", "recall", "f1", "support");
  for (const auto& [label, s] : r.per_label) {
    std::printf("%-28s %9.3f %9.3f %9.3f %7d\n", label.c_str(), s.precision, s.recall, s.f1,
                s.support);
  }
  std::printf("\nmost confused (gold -> predicted):\n");
  for (size_t i = 0; i < std::min<size_t>(10, r.confusions.size()); ++i) {
    std::printf("  %4d  %s -> %s\n", r.confusions[i].second, r.confusions[i].first.first.c_str(),
                r.confusions[i].first.second.c_str());
  }
  nlohmann::json summary = {{"examples", r.total},    {"accuracy", r.accuracy},
                            {"macro_f1", r.macro_f1}, {"us_per_example", us_per},
                            {"data", flags.data},     {"split", flags.split}};
  if (r.has_oos) {
    summary["in_scope_accuracy"] = r.in_scope_accuracy;
    summary["oos_recall"] = r.oos_recall;
  }
  for (const auto& [lang, c] : by_lang) {
    summary["accuracy_" + lang] = double(c.first) / c.second;
  }
  if (!flags.report.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(flags.report, ec);
    const std::string chart = (std::filesystem::path(flags.report) / "intent_f1.html").string();
    std::ofstream(chart) << F1ChartHtml("Per-label F1: " + flags.data, r.per_label);
    nlohmann::json per_label = nlohmann::json::object();
    for (const auto& [label, s] : r.per_label) {
      per_label[label] = {
          {"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}, {"support", s.support}};
    }
    std::ofstream((std::filesystem::path(flags.report) / "report.json").string())
        << nlohmann::json{{"summary", summary}, {"per_label", per_label}}.dump(2);
    std::fprintf(stderr, "report: %s\n", chart.c_str());
  }
  std::printf("%s\n", summary.dump().c_str());
  return 0;
}

int RunNlu(const CommonFlags& common, const NluFlags& flags) {
  if (!utf8::IsValid(flags.text)) {
    return Fail(InvalidArgumentError("text is not valid UTF-8"));
  }
  Result<Runtime> rt = OpenRuntime(common, /*load_demo_if_empty=*/true);
  if (!rt.ok()) {
    return Fail(rt.status());
  }
  Result<std::vector<store::Product>> products = rt->store->ListProducts();
  if (!products.ok()) {
    return Fail(products.status());
  }
  // Keywords weigh terms against the catalog: the words shoppers and the shop share.
  std::vector<std::string> corpus;
  for (const store::Product& p : *products) {
    corpus.push_back(text::Normalize(p.name_zh).text);
    corpus.push_back(text::Normalize(p.name_en).text);
  }
  const text::NormalizedText n = text::Normalize(flags.text);
  const nlu::Understanding u = rt->engine->Understand(n);
  nlohmann::json alternatives = nlohmann::json::array();
  for (const auto& [name, confidence] : u.alternatives) {
    alternatives.push_back({{"name", name}, {"confidence", confidence}});
  }
  nlohmann::json entities = nlohmann::json::array();
  const std::u32string original = utf8::Decode(n.original);
  for (const nlu::Entity& e : u.entities) {
    // Offsets are reported against the text as the shopper typed it.
    const text::CodePointSpan span =
        text::ToOriginalSpan(n, static_cast<uint32_t>(e.start), static_cast<uint32_t>(e.end));
    entities.push_back({{"type", e.type},
                        {"value", e.value},
                        {"text", utf8::Encode(original.substr(span.start, span.end - span.start))},
                        {"start", span.start},
                        {"end", span.end},
                        {"confidence", e.confidence}});
  }
  // The domain dictionary: the e-commerce lexicon plus the catalog's product names.
  text::SegmenterOptions so;
  for (const store::Product& p : *products) {
    so.extra_words.push_back(p.name_zh);
  }
  Result<std::unique_ptr<text::Segmenter>> segmenter = text::NewSegmenter(so);
  if (!segmenter.ok()) {
    return Fail(segmenter.status());
  }
  const nlu::KeywordExtractor keywords(corpus, segmenter->get());
  nlohmann::json out = {
      {"language", text::LanguageCode(n.lang)},
      {"normalized", n.text},
      {"intent", {{"name", u.intent}, {"confidence", u.confidence}}},
      {"alternatives", alternatives},
      {"entities", entities},
      {"sentiment", nlohmann::json::parse(rt->engine->SentimentJson(n))},
      {"keywords", keywords.Top(n.text, 5)},
  };
  std::cout << out.dump(flags.pretty ? 2 : -1) << std::endl;
  return 0;
}

}  // namespace kefu::app
