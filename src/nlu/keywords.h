// KeywordExtractor: the top terms of a message by TF-IDF, with document frequencies taken from
// a corpus (the knowledge base and the catalog).
//
//   KeywordExtractor k(corpus_texts);             // normalized texts
//   std::vector<std::string> top = k.Top("这款耳机支持降噪吗", 3);   // {"降噪", "耳机", ...}
//
// Words come from a text::Segmenter (friso with the e-commerce lexicon and, when the caller
// builds it so, the catalog's product names); punctuation, numbers and stop words are not
// keywords. Thread-safe after construction.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text/segmenter.h"

namespace kefu::nlu {

class KeywordExtractor {
 public:
  // `segmenter` (borrowed; it must outlive this) splits words, e.g. one built with the catalog's
  // product names as extra words; nullptr uses text::DefaultSegmenter().
  explicit KeywordExtractor(const std::vector<std::string>& corpus,
                            const text::Segmenter* segmenter = nullptr);
  std::vector<std::string> Top(std::string_view normalized_text, size_t n) const;

 private:
  const text::Segmenter& segmenter_;
  std::unordered_map<std::string, int> df_;
  size_t docs_ = 0;
};

}  // namespace kefu::nlu
