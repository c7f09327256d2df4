// WordVectors: pretrained word embeddings read from a word2vec file (binary or text) or a GloVe
// text file, for the intent classifier's optional dense head (IntentClassifier, TrainOptions::
// vectors). Vectors learned from a large corpus place words the training data never saw near
// words it did (三安光电 near other listed companies, 鼻息肉 near other illnesses), which
// n-gram features cannot do.
//
//   Result<std::shared_ptr<const WordVectors>> v = WordVectors::Load("words.vector");
//   std::vector<float> pooled((*v)->pooled_dims());
//   (*v)->Pool("三安光电的股价", pooled.data());  // mean and max of the words' unit vectors
//
// Words are found the way the vectors were most likely trained: Latin letter-and-digit runs
// whole and lowercased; runs of Han characters split by forward maximum matching against the
// vocabulary (longest known word first, at most kMaxHanWord characters). Text is expected
// normalized (text::Normalize: simplified Chinese, half-width, case-folded).
// Immutable once loaded; thread-safe.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "nlu/hash_index.h"

namespace kefu::nlu {

class WordVectors {
 public:
  static constexpr size_t kMaxHanWord = 8;  // characters

  // Reads word2vec binary (a "count dims" line, then each word, a space and dims float32s),
  // word2vec text (the same header, then "word v1 ... vd" lines) or GloVe text (no header).
  // max_words > 0 keeps the first max_words (the files list frequent words first); a word seen
  // twice keeps its first vector. kNotFound for a missing file, kInvalidArgument for a malformed
  // one (no words, rows of different lengths, more than 4096 dimensions).
  static Result<std::shared_ptr<const WordVectors>> Load(const std::string& path,
                                                         size_t max_words = 0);
  // kefu's own serialization, for vectors stored inside a model file.
  static Result<std::shared_ptr<const WordVectors>> Read(std::istream& in, const std::string& name);
  void Write(std::ostream& out) const;

  size_t dims() const { return dims_; }
  size_t size() const { return words_.size(); }
  // Pool() writes this many floats: the mean, then the element-wise maximum.
  size_t pooled_dims() const { return 2 * dims_; }

  // out[0, dims): the mean of the unit vectors of the text's known words, scaled to unit length;
  // out[dims, 2 dims): their element-wise maximum. All zeros when no word is known. Returns the
  // number of known words.
  size_t Pool(std::string_view normalized_text, float* out) const;
  // The known words of a text, in order (what Pool averages).
  std::vector<std::string> Words(std::string_view normalized_text) const;

 private:
  WordVectors() = default;
  // Adds a word and its vector (normalized to unit length); false when the word is there already.
  bool Add(std::string word, const float* v);
  // Calls f(row) for each known word of the text.
  template <typename F>
  void ForEachWord(std::string_view text, F f) const;
  const float* Row(size_t r) const { return &vectors_[r * dims_]; }

  size_t dims_ = 0;
  std::vector<std::string> words_;
  HashIndex index_;  // 64-bit FNV-1a of the word -> row (two words sharing a hash: the first)
  std::vector<float> vectors_;  // words_.size() x dims_, unit length (or zero)
  size_t max_han_ = 1;          // the longest all-Han word, in characters (<= kMaxHanWord)
};

}  // namespace kefu::nlu
