#include "sentiment/classifier.h"

#include <fstream>

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
    e.text = text::Normalize(raw_text).text;
    if (e.text.empty()) {
      continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::unique_ptr<PolarityClassifier>> PolarityClassifier::Train(
    const std::vector<SentimentExample>& examples, const nlu::TrainOptions& options) {
  std::vector<nlu::IntentExample> train;
  train.reserve(examples.size());
  for (const SentimentExample& e : examples) {
    train.push_back({e.text, e.label});
  }
  KEFU_ASSIGN_OR_RETURN(std::unique_ptr<nlu::IntentClassifier> model,
                        nlu::IntentClassifier::Train(train, options));
  return std::unique_ptr<PolarityClassifier>(new PolarityClassifier(std::move(model)));
}

Result<std::unique_ptr<PolarityClassifier>> PolarityClassifier::Load(const std::string& path) {
  KEFU_ASSIGN_OR_RETURN(std::unique_ptr<nlu::IntentClassifier> model,
                        nlu::IntentClassifier::Load(path));
  for (const std::string& label : model->labels()) {
    if (label != "negative" && label != "neutral" && label != "positive") {
      return InvalidArgumentError(path + " is not a sentiment model (label '" + label + "')");
    }
  }
  return std::unique_ptr<PolarityClassifier>(new PolarityClassifier(std::move(model)));
}

Status PolarityClassifier::Save(const std::string& path) const {
  return model_->Save(path);
}

PolarityPrediction PolarityClassifier::Predict(std::string_view normalized_text) const {
  const nlu::IntentPrediction p = model_->Predict(normalized_text, 3);
  PolarityPrediction out;
  out.label = p.intent;
  auto put = [&out](const std::string& label, double prob) {
    if (label == "negative") {
      out.negative = prob;
    } else if (label == "neutral") {
      out.neutral = prob;
    } else if (label == "positive") {
      out.positive = prob;
    }
  };
  put(p.intent, p.confidence);
  for (const auto& [label, prob] : p.alternatives) {
    put(label, prob);
  }
  return out;
}

}  // namespace kefu::sentiment
