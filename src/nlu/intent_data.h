// Labelled intent data: TSV files of `text<TAB>label[<TAB>lang]`, a deterministic
// train/dev/test split, and the evaluation report computed from gold and predicted labels.
//
//   Result<std::vector<LabeledText>> rows = LoadIntentTsv("data/nlu/intents.tsv");
//   std::vector<LabeledText> test = FilterSplit(*rows, DataSplit::kTest);
//   IntentReport r = Evaluate(gold, predicted, "out_of_scope");
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace kefu::nlu {

struct LabeledText {
  std::string text;  // as written (not normalized)
  std::string label;
  std::string lang;  // "zh", "en" or "" when the file has no third column
};

// kNotFound for a missing file; kInvalidArgument naming the line for a row without a label,
// with invalid UTF-8, or with an empty text.
Result<std::vector<LabeledText>> LoadIntentTsv(const std::string& path);

enum class DataSplit { kAll, kTrain, kDev, kTest };
// "all", "train", "dev", "test"; kInvalidArgument otherwise.
Result<DataSplit> ParseDataSplit(const std::string& name);

// A row's split, by a stable hash of its text: 20% test, 10% dev, 70% train. The same text is
// always in the same split, on every machine and in every version.
DataSplit SplitOf(const std::string& text);
std::vector<LabeledText> FilterSplit(const std::vector<LabeledText>& rows, DataSplit split);

struct LabelScore {
  int support = 0;
  double precision = 0;
  double recall = 0;
  double f1 = 0;
};

struct IntentReport {
  int total = 0;
  double accuracy = 0;
  double macro_f1 = 0;
  std::map<std::string, LabelScore> per_label;
  // (gold, predicted) -> count, for the most confused pairs.
  std::vector<std::pair<std::pair<std::string, std::string>, int>> confusions;
  // Set when gold labels include the out-of-scope label.
  bool has_oos = false;
  double in_scope_accuracy = 0;
  double oos_recall = 0;
};

// REQUIRES: gold.size() == predicted.size().
IntentReport Evaluate(const std::vector<std::string>& gold,
                      const std::vector<std::string>& predicted, const std::string& oos_label);

}  // namespace kefu::nlu
