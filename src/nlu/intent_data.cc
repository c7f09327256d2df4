#include "nlu/intent_data.h"

#include <algorithm>
#include <fstream>
#include <set>

#include "core/file_util.h"
#include "core/utf8.h"

namespace kefu::nlu {

Result<std::vector<LabeledText>> LoadIntentTsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return NotFoundError("intent data '" + path + "' does not exist");
  }
  std::vector<LabeledText> rows;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const std::string where = path + ":" + std::to_string(line_no);
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) {
      return InvalidArgumentError(where + ": expected text<TAB>label");
    }
    LabeledText row;
    row.text = line.substr(0, tab);
    const size_t tab2 = line.find('\t', tab + 1);
    row.label =
        line.substr(tab + 1, tab2 == std::string::npos ? std::string::npos : tab2 - tab - 1);
    if (tab2 != std::string::npos) {
      row.lang = line.substr(tab2 + 1);
    }
    if (!utf8::IsValid(line)) {
      return InvalidArgumentError(where + ": not valid UTF-8");
    }
    if (row.text.empty() || row.label.empty()) {
      return InvalidArgumentError(where + ": empty text or label");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<DataSplit> ParseDataSplit(const std::string& name) {
  if (name == "all" || name.empty()) {
    return DataSplit::kAll;
  }
  if (name == "train") {
    return DataSplit::kTrain;
  }
  if (name == "dev") {
    return DataSplit::kDev;
  }
  if (name == "test") {
    return DataSplit::kTest;
  }
  return InvalidArgumentError("split must be all, train, dev or test, got '" + name + "'");
}

DataSplit SplitOf(const std::string& text) {
  // FNV-1a with the basis the split has always used: stable across platforms and versions.
  const uint64_t h = Fnv1a64(text, 1469598103934665603ULL);
  const uint64_t bucket = h % 10;
  if (bucket < 2) {
    return DataSplit::kTest;
  }
  if (bucket < 3) {
    return DataSplit::kDev;
  }
  return DataSplit::kTrain;
}

std::vector<LabeledText> FilterSplit(const std::vector<LabeledText>& rows, DataSplit split) {
  if (split == DataSplit::kAll) {
    return rows;
  }
  std::vector<LabeledText> out;
  for (const LabeledText& r : rows) {
    if (SplitOf(r.text) == split) {
      out.push_back(r);
    }
  }
  return out;
}

IntentReport Evaluate(const std::vector<std::string>& gold,
                      const std::vector<std::string>& predicted, const std::string& oos_label) {
  IntentReport r;
  r.total = static_cast<int>(gold.size());
  std::set<std::string> labels(gold.begin(), gold.end());
  labels.insert(predicted.begin(), predicted.end());
  std::map<std::string, int> tp, fp, fn;
  std::map<std::pair<std::string, std::string>, int> confusion;
  int correct = 0, in_total = 0, in_correct = 0, oos_total = 0, oos_hit = 0;
  for (size_t i = 0; i < gold.size(); ++i) {
    const bool ok = gold[i] == predicted[i];
    correct += ok ? 1 : 0;
    if (ok) {
      ++tp[gold[i]];
    } else {
      ++fn[gold[i]];
      ++fp[predicted[i]];
      ++confusion[{gold[i], predicted[i]}];
    }
    if (!oos_label.empty() && gold[i] == oos_label) {
      ++oos_total;
      oos_hit += ok ? 1 : 0;
    } else {
      ++in_total;
      in_correct += ok ? 1 : 0;
    }
  }
  r.accuracy = r.total > 0 ? double(correct) / r.total : 0;
  double f1_sum = 0;
  int f1_labels = 0;
  for (const std::string& l : labels) {
    LabelScore s;
    s.support = tp[l] + fn[l];
    s.precision = tp[l] + fp[l] > 0 ? double(tp[l]) / (tp[l] + fp[l]) : 0;
    s.recall = s.support > 0 ? double(tp[l]) / s.support : 0;
    s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0;
    if (s.support > 0) {
      f1_sum += s.f1;
      ++f1_labels;
    }
    r.per_label[l] = s;
  }
  r.macro_f1 = f1_labels > 0 ? f1_sum / f1_labels : 0;
  for (const auto& [pair, count] : confusion) {
    r.confusions.push_back({pair, count});
  }
  std::stable_sort(r.confusions.begin(), r.confusions.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  r.has_oos = oos_total > 0;
  r.in_scope_accuracy = in_total > 0 ? double(in_correct) / in_total : 0;
  r.oos_recall = oos_total > 0 ? double(oos_hit) / oos_total : 0;
  return r;
}

}  // namespace kefu::nlu
